import onoff from 'onoff';
import { explainExportError, GpioError, type Edge, type Gpio, type GpioInput, type GpioOutput, type Level } from '../gpio.js';
import { findGpioChip, type GpioChipInfo } from './gpio-base.js';
import { errorCode } from '../../base/errors.js';

type OnoffGpio = InstanceType<typeof onoff.Gpio>;

/**
 * GPIO through onoff (sysfs). BCM line numbers from the board are translated to
 * sysfs numbers with the base of the header chip, looked up once.
 */
export class LinuxGpio implements Gpio {
  readonly name: string;
  private chip: GpioChipInfo | null = null;
  private readonly claimed = new Set<{ close(): void }>();

  constructor(private readonly chipLabel?: string) {
    this.name = `gpio(${chipLabel ?? 'auto'})`;
  }

  /** The chip, found lazily so a board without GPIO lines never touches sysfs. */
  chipInfo(): GpioChipInfo {
    this.chip ??= findGpioChip(this.chipLabel);
    return this.chip;
  }

  private open(line: number, make: (sysfs: number) => OnoffGpio): OnoffGpio {
    const chip = this.chipInfo();
    if (!Number.isInteger(line) || line < 0 || line >= chip.ngpio) {
      throw new GpioError('EINVAL', line, `GPIO ${line} does not exist on ${chip.label} (lines 0..${chip.ngpio - 1})`);
    }
    const sysfs = chip.base + line;
    try {
      return make(sysfs);
    } catch (err) {
      const code = errorCode(err);
      throw new GpioError(code ?? 'EIO', line, explainExportError(code, line, sysfs, chip.base, chip.label));
    }
  }

  input(line: number, opts: { edge?: Edge; activeLow?: boolean } = {}): GpioInput {
    const g = this.open(line, (n) => new onoff.Gpio(n, 'in', opts.edge ?? 'none', { activeLow: opts.activeLow ?? false }));
    const h = new LinuxLine(line, g, () => this.claimed.delete(h));
    this.claimed.add(h);
    return h;
  }

  output(line: number, opts: { initial?: Level; activeLow?: boolean } = {}): GpioOutput {
    // 'low'/'high' set direction and the raw (physical) level in one write, no glitch.
    const dir = (opts.initial ?? 0) === 1 !== (opts.activeLow ?? false) ? 'high' : 'low';
    const g = this.open(line, (n) => new onoff.Gpio(n, dir, 'none', { activeLow: opts.activeLow ?? false }));
    const h = new LinuxLine(line, g, () => this.claimed.delete(h));
    this.claimed.add(h);
    return h;
  }

  close(): void {
    for (const h of [...this.claimed]) h.close();
  }
}

class LinuxLine implements GpioInput, GpioOutput {
  private closed = false;
  constructor(
    readonly line: number,
    private readonly g: OnoffGpio,
    private readonly onClose: () => void,
  ) {}

  private check(): void {
    if (this.closed) throw new GpioError('ECLOSED', this.line, `GPIO ${this.line} is closed`);
  }
  read(): Level {
    this.check();
    return this.g.readSync() as Level;
  }
  write(value: Level): void {
    this.check();
    this.g.writeSync(value);
  }
  watch(cb: (value: Level) => void): void {
    this.check();
    this.g.watch((err, value) => {
      if (!err) cb(value as Level);
    });
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    try {
      this.g.unexport();
    } catch {
      // already gone
    }
  }
}
