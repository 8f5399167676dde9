import type { GpioInput, Level } from '../hal/gpio.js';

/**
 * Engine speed from a tach pulse input, watched on both edges. sysfs reports "the
 * value changed since you last read it", not each edge: when two edges fall between
 * two reads of the loop (a short pulse, a busy loop) only one callback comes, and the
 * level it reads equals the previous one. Counting such a callback as two edges
 * keeps whole pulses from being lost (a rising-only watch would read the line low
 * again and drop the pulse). rpm = pulses / pulsesPerRev over the window since the
 * previous sample; no edge in the window is 0 rpm (engine stopped), a value, not a
 * fault.
 */
export class Tach {
  private edges = 0;
  private lastEdges = 0;
  private lastAt: number;
  private level: Level;

  constructor(
    input: GpioInput,
    private readonly pulsesPerRev: number,
    private readonly now: () => number,
    /** Shortest window that gives a usable rate. */
    private readonly minWindowMs = 200,
  ) {
    this.lastAt = now();
    this.level = input.read();
    input.watch((v) => {
      this.edges += v === this.level ? 2 : 1;
      this.level = v;
    });
  }

  /** Whole pulses seen so far (a lower bound if more than two edges merge). */
  get count(): number {
    return Math.floor(this.edges / 2);
  }

  /** rpm over the window since the last call, or null when the window is too short. */
  sample(): number | null {
    const t = this.now();
    const dt = t - this.lastAt;
    if (dt < this.minWindowMs) return null;
    const n = (this.edges - this.lastEdges) / 2;
    this.lastEdges = this.edges;
    this.lastAt = t;
    return (n / this.pulsesPerRev) * (60_000 / dt);
  }
}
