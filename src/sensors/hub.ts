import { EventEmitter } from 'node:events';
import type { Infer } from '../base/spec.js';
import type { Logger } from '../base/log.js';
import { StateLog } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import type { sensorsSpec } from './config-spec.js';
import { FAULT } from './faults.js';
import type { ScalarField, VehicleFields } from './fields.js';
import type { SampleResult, Sampler } from './samplers.js';

export type SensorsConfig = NonNullable<Infer<typeof sensorsSpec>>;

export type SensorState = 'unknown' | 'ok' | 'out-of-range' | 'failed' | 'stale';

export interface SensorView {
  name: string;
  state: SensorState;
  periodMs: number;
  /** Consecutive failures. */
  failures: number;
  lastError?: string;
  valueAgeMs?: number;
  outOfRange: boolean;
}

interface Slot {
  s: Sampler;
  periodMs: number;
  expiryMs: number;
  due: number;
  busy: boolean;
  failures: number;
  staleReads: number;
  state: SensorState;
  lastError?: string;
  value: SampleResult | null;
  at: number;
  /** 0..1, fixed per sensor: spreads retries. */
  jitter: number;
  log: StateLog<SensorState>;
}

/** A stable number in [0, 1) from a name (FNV-1a). */
function spread(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

export const DEFAULT_SENSORS_CONFIG: SensorsConfig = {
  enabled: true,
  engineMs: 1000,
  tyresMs: 10_000,
  cabinMs: 30_000,
  expiryPeriods: 3,
  retryMs: 500,
  maxBackoffMs: 60_000,
  failAfter: 3,
  staleAfter: 3,
  periods: undefined,
};

/**
 * Samples every sensor on its own schedule and keeps the latest values.
 *
 * - Each sensor runs independently: a slow or hung one (bounded by the bus timeout)
 *   never delays the schedule of the others, and is never started twice at once.
 * - A failed read is retried after retryMs, doubling up to maxBackoffMs; after
 *   failAfter consecutive failures the sensor is 'failed': its fault bit is set, the
 *   StatusBoard shows `sensor:NAME`, one log line says so. The first good read
 *   clears all of that, with one log line.
 * - A value is kept until expiryPeriods × its period has passed without a fresh one,
 *   then it is absent (never sent stale).
 * - Readings outside the physical range keep their measured value and set the
 *   quantity's range bit (state 'out-of-range', logged once; not a component failure).
 * Emits 'sample'(name) after each successful read.
 */
export class SensorHub extends EventEmitter {
  private readonly slots: Slot[];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly tyreCount: number;
  /** Fault bits of parts outside the schedule (e.g. an ignition input that could not be claimed). */
  extraFaults = 0;
  /** Total reads attempted / failed (status details, benchmarks). */
  reads = 0;
  errors = 0;

  constructor(
    samplers: Sampler[],
    private readonly cfg: SensorsConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly status?: StatusBoard,
    /** Ignition level for the record (from the debounced input). */
    private readonly ignition?: () => boolean | undefined,
  ) {
    super();
    const now = clock.now();
    this.slots = samplers.map((s) => {
      const group = s.group === 'engine' ? cfg.engineMs : s.group === 'tyres' ? cfg.tyresMs : cfg.cabinMs;
      const periodMs = cfg.periods?.[s.name] ?? group;
      return {
        s,
        periodMs,
        expiryMs: periodMs * cfg.expiryPeriods,
        due: now,
        busy: false,
        failures: 0,
        staleReads: 0,
        state: 'unknown',
        value: null,
        at: -Infinity,
        jitter: spread(s.name),
        log: new StateLog<SensorState>(log, `sensor ${s.name}`),
      };
    });
    this.tyreCount = samplers.reduce((n, s) => (s.tyreIndex !== undefined ? Math.max(n, s.tyreIndex + 1) : n), 0);
  }

  get sensorNames(): string[] {
    return this.slots.map((x) => x.s.name);
  }

  /** Starts every sensor that is due; returns when those reads have finished. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    await Promise.all(this.slots.filter((x) => !x.busy && x.due <= now).map((x) => this.run(x)));
  }

  /** One read of every sensor now, whatever its schedule (`--once`, benchmarks). */
  async sampleAll(): Promise<void> {
    await Promise.all(this.slots.filter((x) => !x.busy).map((x) => this.run(x)));
  }

  private async run(x: Slot): Promise<void> {
    x.busy = true;
    this.reads++;
    const started = this.clock.now();
    try {
      const r = await x.s.sample();
      this.ok(x, r, started);
    } catch (err) {
      this.failed(x, errorMessage(err));
    } finally {
      x.busy = false;
    }
  }

  private ok(x: Slot, r: SampleResult | null, started: number): void {
    const now = this.clock.now();
    x.failures = 0;
    x.lastError = undefined;
    // Keep the cadence of the schedule (no drift by timer latency or read time);
    // after a read that overran its period, go again now rather than in bursts.
    x.due = Math.max(now, Math.min(x.due, started) + x.periodMs);
    if (r?.stale) {
      x.staleReads++;
      if (x.staleReads >= this.cfg.staleAfter) this.setState(x, 'stale', `${x.staleReads} stale reads in a row`);
      return;
    }
    x.staleReads = 0;
    if (r) {
      x.value = r;
      x.at = now;
      const shown = Object.entries(r.fields).map(([k, v]) => `${k}=${v}`);
      if (r.tyreKpa !== undefined) shown.push(`kPa=${r.tyreKpa}`);
      this.setState(x, r.outOfRange ? 'out-of-range' : 'ok', r.outOfRange ? `${shown.join(' ') || 'no number'}: outside the physical range, reported as measured` : undefined);
    } else if (x.state === 'failed' || x.state === 'stale') this.setState(x, 'ok');
    this.emit('sample', x.s.name);
  }

  private failed(x: Slot, why: string): void {
    this.errors++;
    const now = this.clock.now();
    x.failures++;
    x.lastError = why;
    // Doubling backoff with a per-sensor spread (0..25 %), so sensors that failed
    // together (a stuck bus) do not retry in lockstep.
    const backoff = Math.min(this.cfg.maxBackoffMs, this.cfg.retryMs * 2 ** Math.min(30, x.failures - 1));
    x.due = now + backoff * (1 + x.jitter * 0.25);
    if (x.failures >= this.cfg.failAfter) this.setState(x, 'failed', why);
  }

  private setState(x: Slot, state: SensorState, detail?: string): void {
    const prev = x.state;
    x.state = state;
    const bad = state === 'failed' || state === 'stale';
    x.log.set(state, detail, bad || state === 'out-of-range' ? 'warn' : 'info');
    if (prev === state) return;
    this.status?.setFault(`sensor:${x.s.name}`, bad ? `${state}: ${detail ?? ''}`.trim() : null);
    this.status?.setDetail('sensors', Object.fromEntries(this.slots.map((y) => [y.s.name, y.state])));
    this.emit('state', x.s.name, state);
  }

  /** The vehicle fields for a record made at `nowMs` (monotonic clock). */
  latest(nowMs = this.clock.now()): VehicleFields {
    const out: VehicleFields = {};
    let faults = this.extraFaults;
    const tyres: (number | null)[] = Array.from({ length: this.tyreCount }, () => null);
    let anyTyre = false;
    for (const x of this.slots) {
      if (x.state === 'failed') faults |= x.s.failBit;
      if (x.state === 'stale') faults |= FAULT.stale;
      const v = x.value;
      if (!v || nowMs - x.at > x.expiryMs) continue;
      if (v.outOfRange) faults |= x.s.rangeBit;
      for (const [k, n] of Object.entries(v.fields) as [ScalarField, number][]) out[k] = n;
      if (x.s.tyreIndex !== undefined && v.tyreKpa !== undefined) {
        tyres[x.s.tyreIndex] = v.tyreKpa;
        anyTyre = true;
      }
    }
    if (anyTyre) out.tyresKpa = tyres;
    const ign = this.ignition?.();
    if (ign !== undefined) out.ignition = ign;
    out.faults = faults;
    return out;
  }

  sensors(nowMs = this.clock.now()): SensorView[] {
    return this.slots.map((x) => ({
      name: x.s.name,
      state: x.state,
      periodMs: x.periodMs,
      failures: x.failures,
      lastError: x.lastError,
      valueAgeMs: x.value ? nowMs - x.at : undefined,
      outOfRange: x.value?.outOfRange ?? false,
    }));
  }

  /** Runs the schedule on real timers: one timer, armed for the next due sensor. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  private arm(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const now = this.clock.now();
    let next = Infinity;
    for (const x of this.slots) if (!x.busy) next = Math.min(next, x.due);
    // Busy sensors re-arm when they finish; wake at least every second regardless.
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.min(1000, next - now)));
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock.now();
    for (const x of this.slots) if (!x.busy && x.due <= now) void this.run(x).then(() => this.arm());
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Let reads in flight finish (bounded by the bus timeout) so nothing touches a closed bus.
    for (let i = 0; i < 50 && this.slots.some((x) => x.busy); i++) await new Promise((r) => setTimeout(r, 20));
  }
}
