import type { GpioInput } from '../hal/gpio.js';

/**
 * Engine speed from a tach pulse input: counts rising edges and turns the count over
 * the window since the previous sample into rpm. With no edge in the window the
 * engine is stopped (0 rpm), which is a value, not a fault.
 */
export class Tach {
  private edges = 0;
  private lastEdges = 0;
  private lastAt: number;

  constructor(
    input: GpioInput,
    private readonly pulsesPerRev: number,
    private readonly now: () => number,
    /** Shortest window that gives a usable rate. */
    private readonly minWindowMs = 200,
  ) {
    this.lastAt = now();
    input.watch(() => {
      this.edges++;
    });
  }

  /** Edges seen so far (lower bound: sysfs may merge edges closer than the loop's latency). */
  get count(): number {
    return this.edges;
  }

  /** rpm over the window since the last call, or null when the window is too short. */
  sample(): number | null {
    const t = this.now();
    const dt = t - this.lastAt;
    if (dt < this.minWindowMs) return null;
    const n = this.edges - this.lastEdges;
    this.lastEdges = this.edges;
    this.lastAt = t;
    return (n / this.pulsesPerRev) * (60_000 / dt);
  }
}
