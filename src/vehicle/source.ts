import type { Infer } from '../base/spec.js';
import type { canSpec } from '../hal/board-spec.js';
import { CanError, type Can, type CanFilter, type CanPort, type CanRxFrame } from '../hal/can.js';
import type { Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import { errorMessage } from '../base/errors.js';
import { J1939Decoder } from './j1939/decoder.js';
import { LatestValues } from './latest.js';
import { DEFAULT_RATES, OBD_FILTER, ObdPoller, type ObdEvent } from './obd/poller.js';
import type { VehicleValues } from './values.js';

export type CanBoard = NonNullable<Infer<typeof canSpec>>;

export interface CanSourceStats {
  frames: number;
  readings: number;
  busOff: number;
  writeErrors: number;
  reopens: number;
  /** PGNs (J1939) or PIDs (OBD-II) that answered, with counts. */
  answered: Record<string, number>;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms).unref(), clear: (h) => clearTimeout(h as NodeJS.Timeout) };

/**
 * Engine data from the vehicle's CAN bus for the records: J1939 (listened to) or OBD-II
 * (polled, only when the board allows transmitting). Frames are timed by the agent's
 * monotonic clock on arrival, so values expire consistently whatever the wall clock does.
 * A port that dies is reopened with backoff (1 s doubling to 30 s); bus-off and errors
 * are reported on the status board and never stop the agent.
 */
export class CanVehicleSource {
  readonly latest = new LatestValues();
  readonly stats: CanSourceStats = { frames: 0, readings: 0, busOff: 0, writeErrors: 0, reopens: 0, answered: {} };
  private port: CanPort | null = null;
  private readonly j1939: J1939Decoder | null;
  private readonly obd: ObdPoller | null;
  private obdTimer: unknown = null;
  private reopenTimer: unknown = null;
  private backoffMs = 1000;
  private stopped = false;
  private ignition = true;

  constructor(
    private readonly can: Can,
    private readonly board: CanBoard,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly status: StatusBoard | null = null,
    private readonly timers: Timers = realTimers,
  ) {
    if (board.protocol === 'obd2' && !board.transmit) throw new CanError('listen-only', board.iface, 'OBD-II is polled: the board must set can.transmit to true');
    this.j1939 = board.protocol === 'j1939' ? new J1939Decoder() : null;
    this.obd = board.protocol === 'obd2' ? new ObdPoller() : null;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  /** Values still fresh now. */
  snapshot(): VehicleValues {
    return this.latest.snapshot(this.clock.now());
  }

  /** OBD-II polls only with the ignition on; a new ignition cycle starts afresh. */
  setIgnition(on: boolean): void {
    if (on && !this.ignition) this.latest.clear();
    this.ignition = on;
    this.obd?.setIgnition(on && this.port !== null, this.clock.now());
    this.scheduleObd();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clear(this.obdTimer);
    this.timers.clear(this.reopenTimer);
    const p = this.port;
    this.port = null;
    await p?.close();
  }

  private filters(): CanFilter[] {
    return this.board.protocol === 'j1939' ? [{ id: 0, mask: 0, ext: true }] : [OBD_FILTER];
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    try {
      this.port = await this.can.open(
        { iface: this.board.iface, filters: this.filters(), transmit: this.board.transmit },
        { frame: (f) => this.onFrame(f), state: (s, d) => this.onState(s, d), error: (e) => this.onDead(e) },
      );
    } catch (err) {
      this.onDead(err instanceof CanError ? err : new CanError('io', this.board.iface, errorMessage(err)));
      return;
    }
    this.backoffMs = 1000;
    this.status?.setFault('can', null);
    this.log.info(`CAN ${this.board.iface} open (${this.board.protocol}, ${this.board.transmit ? 'may transmit' : 'listen-only'})`);
    this.obd?.setIgnition(this.ignition, this.clock.now());
    this.scheduleObd();
  }

  private onDead(err: CanError): void {
    this.port = null;
    this.obd?.setIgnition(false, this.clock.now());
    this.timers.clear(this.obdTimer);
    if (this.stopped) return;
    this.status?.setFault('can', err.message);
    this.log.warn(`CAN: ${err.message}; retrying in ${this.backoffMs / 1000} s`);
    this.timers.clear(this.reopenTimer);
    this.reopenTimer = this.timers.set(() => {
      this.stats.reopens++;
      void this.open();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  private onState(state: string, detail: string): void {
    if (state === 'bus-off') {
      this.stats.busOff++;
      this.status?.setFault('can', `${this.board.iface}: bus-off`);
      this.log.warn(`CAN ${this.board.iface}: ${detail}`);
    } else if (state === 'restarted' || state === 'error-active') {
      this.status?.setFault('can', null);
    }
  }

  private onFrame(f: CanRxFrame): void {
    this.stats.frames++;
    const now = this.clock.now();
    const frame = { ...f, tsMs: now };
    if (this.j1939) {
      const r = this.j1939.push(frame);
      if (!r) return;
      this.stats.readings++;
      this.count(r.name);
      this.latest.update(r.values, now, this.board.staleMs, r.sa);
      return;
    }
    if (this.obd) {
      for (const ev of this.obd.onFrame(frame)) this.onObd(ev, now);
      this.scheduleObd();
    }
  }

  private onObd(ev: ObdEvent, now: number): void {
    if (ev.kind === 'values') {
      this.stats.readings++;
      this.count(`01${ev.pid.toString(16).padStart(2, '0')}`);
      this.latest.update(ev.values, now, Math.max(this.board.staleMs, 3 * (DEFAULT_RATES[ev.pid] ?? 1000)), ev.ecu);
    } else if (ev.kind === 'dtcs') {
      this.count('03');
      this.latest.update({ dtcs: ev.dtcs }, now, 180_000, ev.ecu);
    } else if (ev.kind === 'vin') {
      this.count('0902');
      this.latest.update({ vin: ev.vin }, now, 0, ev.ecu);
    } else if (ev.kind === 'silent') {
      this.log.info(`OBD-II: no answer to ${ev.misses} requests; next try in ${ev.backoffMs / 1000} s`);
    }
  }

  private count(key: string): void {
    this.stats.answered[key] = (this.stats.answered[key] ?? 0) + 1;
  }

  private scheduleObd(): void {
    if (!this.obd) return;
    this.timers.clear(this.obdTimer);
    this.obdTimer = null;
    const wake = this.obd.nextWakeMs();
    if (wake === null || !this.port) return;
    this.obdTimer = this.timers.set(() => this.runObd(), Math.max(0, wake - this.clock.now()));
  }

  private runObd(): void {
    this.obdTimer = null;
    const port = this.port;
    if (!this.obd || !port) return;
    const now = this.clock.now();
    const { send, events } = this.obd.step(now);
    for (const ev of events) this.onObd(ev, now);
    for (const f of send) {
      port.write(f).catch((err: unknown) => {
        this.stats.writeErrors++;
        if (this.stats.writeErrors === 1 || this.stats.writeErrors % 100 === 0) this.log.warn(`CAN ${this.board.iface}: write failed (${this.stats.writeErrors} so far): ${errorMessage(err)}`);
      });
    }
    this.scheduleObd();
  }
}
