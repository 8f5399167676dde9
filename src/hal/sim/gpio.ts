import { GpioError, type Edge, type Gpio, type GpioInput, type GpioOutput, type Level } from '../gpio.js';

interface SimLine {
  dir: 'in' | 'out';
  /** Physical level on the pin. */
  level: Level;
  activeLow: boolean;
  edge: Edge;
  watchers: ((v: Level) => void)[];
}

/**
 * Simulated GPIO lines. Inputs are driven by the test or the simulated vehicle
 * (`drive`), outputs observed with `level`. Claiming a line twice fails with EBUSY
 * as the kernel does.
 */
export class SimGpio implements Gpio {
  readonly name = 'sim-gpio';
  private readonly lines = new Map<number, SimLine>();
  /** Physical levels of unclaimed inputs (what the vehicle drives before the agent opens them). */
  private readonly pending = new Map<number, Level>();
  /** Counts delivered edge callbacks. */
  edges = 0;

  constructor(private readonly ngpio = 54) {}

  private claim(line: number, l: SimLine): void {
    if (!Number.isInteger(line) || line < 0 || line >= this.ngpio) throw new GpioError('EINVAL', line, `GPIO ${line} does not exist on ${this.name} (lines 0..${this.ngpio - 1})`);
    if (this.lines.has(line)) throw new GpioError('EBUSY', line, `GPIO ${line}: already in use`);
    this.lines.set(line, l);
  }

  input(line: number, opts: { edge?: Edge; activeLow?: boolean } = {}): GpioInput {
    const l: SimLine = { dir: 'in', level: this.pending.get(line) ?? 0, activeLow: opts.activeLow ?? false, edge: opts.edge ?? 'none', watchers: [] };
    this.claim(line, l);
    return this.handle(line, l);
  }

  output(line: number, opts: { initial?: Level; activeLow?: boolean } = {}): GpioOutput {
    const activeLow = opts.activeLow ?? false;
    const l: SimLine = { dir: 'out', level: ((opts.initial ?? 0) ^ (activeLow ? 1 : 0)) as Level, activeLow, edge: 'none', watchers: [] };
    this.claim(line, l);
    return this.handle(line, l);
  }

  private handle(line: number, l: SimLine): GpioInput & GpioOutput {
    let closed = false;
    const check = (): void => {
      if (closed) throw new GpioError('ECLOSED', line, `GPIO ${line} is closed`);
    };
    return {
      line,
      read: () => {
        check();
        return (l.level ^ (l.activeLow ? 1 : 0)) as Level;
      },
      write: (v: Level) => {
        check();
        if (l.dir !== 'out') throw new GpioError('EPERM', line, `GPIO ${line} is an input`);
        l.level = (v ^ (l.activeLow ? 1 : 0)) as Level;
      },
      watch: (cb: (v: Level) => void) => {
        check();
        l.watchers.push(cb);
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (this.lines.get(line) === l) this.lines.delete(line);
      },
    };
  }

  /** Test/vehicle control: sets the physical level of an input pin; fires edges. */
  drive(line: number, level: Level): void {
    const l = this.lines.get(line);
    if (!l) {
      this.pending.set(line, level);
      return;
    }
    if (l.dir !== 'in' || l.level === level) return;
    l.level = level;
    const logical = (level ^ (l.activeLow ? 1 : 0)) as Level;
    const fire = l.edge === 'both' || (l.edge === 'rising' && logical === 1) || (l.edge === 'falling' && logical === 0);
    if (!fire) return;
    for (const w of l.watchers) {
      this.edges++;
      w(logical);
    }
  }

  /** Test/vehicle control: `n` full pulses (high then low) on an input. */
  pulse(line: number, n: number): void {
    for (let i = 0; i < n; i++) {
      this.drive(line, 1);
      this.drive(line, 0);
    }
  }

  /** Physical level of a line (outputs: what an LED sees), or undefined when unclaimed. */
  level(line: number): Level | undefined {
    return this.lines.get(line)?.level;
  }

  claimedLines(): number[] {
    return [...this.lines.keys()].sort((a, b) => a - b);
  }

  close(): void {
    this.lines.clear();
  }
}
