import type { CanFrame, CanRxFrame } from '../../hal/can.js';
import type { Dtc, VehicleValues } from '../values.js';
import { CF_TIMEOUT_MS, IsoTpReceiver, flowControl, singleFrame } from './isotp.js';
import { NEGATIVE, NRC_PENDING, PIDS, SERVICE, decodeMode01, decodeMode03, decodeVin, isBitmapPid } from './pids.js';

/** ISO 15765-4, 11-bit: functional request identifier and the ECUs' response identifiers. */
export const OBD_REQUEST_ID = 0x7df;
export const OBD_RESPONSE_FIRST = 0x7e8;
export const OBD_RESPONSE_LAST = 0x7ef;
/** Receive filter for the responses (0x7E8-0x7EF). */
export const OBD_FILTER = { id: OBD_RESPONSE_FIRST, mask: 0x7f8, ext: false } as const;

export interface ObdPollerOptions {
  /** Poll period per mode 01 PID, ms. Only PIDs an ECU says it supports are asked for. */
  rates?: Record<number, number>;
  /** Mode 03 period, ms (default 60 s). */
  dtcPeriodMs?: number;
  /** Wait for a response (P2 is 50 ms; default 150). */
  responseTimeoutMs?: number;
  /** Wait after "response pending" (P2*, 5 s). */
  pendingTimeoutMs?: number;
  /** Pause between the end of one request and the next (default 20 ms). */
  minGapMs?: number;
  /** Unanswered requests in a row before backing off (default 3). */
  silentAfter?: number;
  /** First and longest backoff when the ECU is silent (default 1 s, 60 s). */
  backoffMs?: [number, number];
  /** STmin asked of ECUs sending multi-frame answers (default 5 ms). */
  stMinMs?: number;
}

export const DEFAULT_RATES: Readonly<Record<number, number>> = {
  0x0c: 1000, // engine speed
  0x0d: 1000, // vehicle speed
  0x5e: 2000, // fuel rate
  0x05: 10_000, // coolant
  0x2f: 30_000, // fuel level
  0xa6: 60_000, // odometer
};

export type ObdEvent =
  | { kind: 'values'; ecu: number; pid: number; values: VehicleValues; tsMs: number }
  | { kind: 'supported'; pids: number[] }
  | { kind: 'dtcs'; ecu: number; dtcs: Dtc[]; tsMs: number }
  | { kind: 'vin'; ecu: number; vin: string; tsMs: number }
  /** No answer to `misses` requests in a row: nothing is sent for `backoffMs`. */
  | { kind: 'silent'; misses: number; backoffMs: number }
  | { kind: 'refused'; service: number; pid?: number; code: number };

type Request = { service: 0x01; pid: number } | { service: 0x03 } | { service: 0x09; pid: 0x02 };

interface InFlight {
  req: Request;
  deadlineMs: number;
}

export interface ObdStats {
  requests: number;
  responses: number;
  timeouts: number;
  bad: number;
}

/**
 * Polite OBD-II polling over ISO-TP, sans-IO: the owner passes every response frame to
 * `onFrame()` and calls `step(now)` when `nextWakeMs()` says, putting the frames it returns
 * on the bus. One request in flight; supported-PID bitmaps first (0x00, then 0x20... as
 * each bitmap announces the next), then the VIN once per ignition cycle, DTCs and the PIDs
 * at their own rates. Backs off when the ECU is silent; sends nothing with the ignition off.
 */
export class ObdPoller {
  private readonly rates: Record<number, number>;
  private readonly o: Required<Omit<ObdPollerOptions, 'rates'>>;
  private ignition = false;
  private discovering: number[] = [];
  private readonly supported = new Set<number>();
  private readonly due = new Map<number, number>();
  private dtcDue = 0;
  private vinAttempts = 0;
  private vinDone = false;
  private inflight: InFlight | null = null;
  private notBefore = 0;
  private misses = 0;
  private backoff: number;
  private readonly outbox: CanFrame[] = [];
  private readonly rx = new Map<number, IsoTpReceiver>();
  readonly stats: ObdStats = { requests: 0, responses: 0, timeouts: 0, bad: 0 };

  constructor(opts: ObdPollerOptions = {}) {
    this.rates = { ...DEFAULT_RATES, ...opts.rates };
    this.o = {
      dtcPeriodMs: opts.dtcPeriodMs ?? 60_000,
      responseTimeoutMs: opts.responseTimeoutMs ?? 150,
      pendingTimeoutMs: opts.pendingTimeoutMs ?? 5000,
      minGapMs: opts.minGapMs ?? 20,
      silentAfter: opts.silentAfter ?? 3,
      backoffMs: opts.backoffMs ?? [1000, 60_000],
      stMinMs: opts.stMinMs ?? 5,
    };
    this.backoff = this.o.backoffMs[0];
  }

  /** Ignition on starts a new cycle (bitmaps, VIN); off stops all traffic at once. */
  setIgnition(on: boolean, nowMs: number): void {
    if (on === this.ignition) return;
    this.ignition = on;
    this.inflight = null;
    this.outbox.length = 0;
    for (const r of this.rx.values()) r.reset();
    if (!on) return;
    this.discovering = [0x00];
    this.supported.clear();
    this.due.clear();
    this.vinAttempts = 0;
    this.vinDone = false;
    this.dtcDue = nowMs;
    this.notBefore = nowMs;
    this.misses = 0;
    this.backoff = this.o.backoffMs[0];
  }

  /** PIDs the ECUs said they support (bitmap PIDs included). */
  supportedPids(): number[] {
    return [...this.supported].sort((a, b) => a - b);
  }

  /** When `step()` has something to do next (absolute ms), or null with the ignition off. */
  nextWakeMs(): number | null {
    if (!this.ignition) return null;
    if (this.outbox.length) return 0;
    if (this.inflight) return this.inflight.deadlineMs;
    const next = this.nextRequestDue();
    return next === null ? null : Math.max(next, this.notBefore);
  }

  step(nowMs: number): { send: CanFrame[]; events: ObdEvent[] } {
    const events: ObdEvent[] = [];
    const send = this.outbox.splice(0);
    if (!this.ignition) return { send: [], events };
    if (this.inflight && nowMs >= this.inflight.deadlineMs) this.timeout(nowMs, events);
    if (!this.inflight && nowMs >= this.notBefore) {
      const req = this.pick(nowMs);
      if (req) {
        this.inflight = { req, deadlineMs: nowMs + this.o.responseTimeoutMs };
        this.stats.requests++;
        const payload = 'pid' in req ? Uint8Array.of(req.service, req.pid) : Uint8Array.of(req.service);
        send.push({ id: OBD_REQUEST_ID, ext: false, data: singleFrame(payload) });
      }
    }
    return { send, events };
  }

  /** A frame from the bus (anything but 0x7E8-0x7EF standard frames is ignored). */
  onFrame(f: CanRxFrame): ObdEvent[] {
    if (f.ext || f.id < OBD_RESPONSE_FIRST || f.id > OBD_RESPONSE_LAST || !this.ignition) return [];
    let rx = this.rx.get(f.id);
    if (!rx) this.rx.set(f.id, (rx = new IsoTpReceiver()));
    const r = rx.push(f.data, f.tsMs);
    if (r.kind === 'bad') this.stats.bad++;
    if (r.kind === 'first') {
      this.outbox.push({ id: f.id - 8, ext: false, data: flowControl(this.o.stMinMs) });
      if (this.inflight) this.inflight.deadlineMs = Math.max(this.inflight.deadlineMs, f.tsMs + CF_TIMEOUT_MS);
    }
    return r.kind === 'message' ? this.onMessage(f.id, r.payload, f.tsMs) : [];
  }

  private onMessage(ecu: number, p: Uint8Array, tsMs: number): ObdEvent[] {
    const events: ObdEvent[] = [];
    const inf = this.inflight;
    if (p[0] === NEGATIVE && p.length >= 3) {
      const service = p[1]!;
      const code = p[2]!;
      if (!inf || inf.req.service !== service) return events;
      if (code === NRC_PENDING) {
        inf.deadlineMs = tsMs + this.o.pendingTimeoutMs;
        return events;
      }
      const pid = 'pid' in inf.req ? inf.req.pid : undefined;
      events.push(pid === undefined ? { kind: 'refused', service, code } : { kind: 'refused', service, pid, code });
      if (inf.req.service === SERVICE.VEHICLE_INFO) this.vinDone = true;
      if (inf.req.service === SERVICE.CURRENT) {
        this.supported.delete(inf.req.pid);
        this.due.delete(inf.req.pid);
      }
      if (inf.req.service === SERVICE.DTC) this.dtcDue = tsMs + this.o.dtcPeriodMs;
      this.complete(tsMs);
      return events;
    }
    const service = (p[0] ?? 0) - 0x40;
    if (service === SERVICE.CURRENT) {
      const m = decodeMode01(p);
      if (!m) return this.bad(events);
      if (m.supported) this.onBitmap(m.pid, m.supported, events);
      else if (m.values && Object.keys(m.values).length) events.push({ kind: 'values', ecu, pid: m.pid, values: m.values, tsMs });
      if (inf && 'pid' in inf.req && inf.req.service === SERVICE.CURRENT && inf.req.pid === m.pid) {
        if (!isBitmapPid(m.pid)) this.due.set(m.pid, tsMs + (this.rates[m.pid] ?? 1000));
        this.complete(tsMs);
      }
    } else if (service === SERVICE.DTC) {
      const dtcs = decodeMode03(p);
      if (!dtcs) return this.bad(events);
      events.push({ kind: 'dtcs', ecu, dtcs, tsMs });
      if (inf?.req.service === SERVICE.DTC) {
        this.dtcDue = tsMs + this.o.dtcPeriodMs;
        this.complete(tsMs);
      }
    } else if (service === SERVICE.VEHICLE_INFO && p[1] === 0x02) {
      const vin = decodeVin(p);
      if (!vin) return this.bad(events);
      events.push({ kind: 'vin', ecu, vin, tsMs });
      if (inf?.req.service === SERVICE.VEHICLE_INFO) {
        this.vinDone = true;
        this.complete(tsMs);
      }
    }
    return events;
  }

  private bad(events: ObdEvent[]): ObdEvent[] {
    this.stats.bad++;
    return events;
  }

  private onBitmap(base: number, pids: number[], events: ObdEvent[]): void {
    const before = this.supported.size;
    for (const p of pids) this.supported.add(p);
    const next = base + 0x20;
    if (this.supported.has(next) && !this.discovering.includes(next) && isBitmapPid(next)) this.discovering.push(next);
    for (const p of pids) if (PIDS.has(p) && this.rates[p] !== undefined && !this.due.has(p)) this.due.set(p, 0);
    if (this.supported.size !== before) events.push({ kind: 'supported', pids: this.supportedPids() });
  }

  private complete(tsMs: number): void {
    const req = this.inflight?.req;
    if (req && 'pid' in req && req.service === SERVICE.CURRENT && isBitmapPid(req.pid)) this.discovering = this.discovering.filter((p) => p !== req.pid);
    this.inflight = null;
    this.stats.responses++;
    this.misses = 0;
    this.backoff = this.o.backoffMs[0];
    this.notBefore = tsMs + this.o.minGapMs;
  }

  private timeout(nowMs: number, events: ObdEvent[]): void {
    const req = this.inflight!.req;
    this.inflight = null;
    this.stats.timeouts++;
    this.misses++;
    if (req.service === SERVICE.CURRENT && !isBitmapPid(req.pid)) this.due.set(req.pid, nowMs + (this.rates[req.pid] ?? 1000));
    if (req.service === SERVICE.DTC) this.dtcDue = nowMs + this.o.dtcPeriodMs;
    if (req.service === SERVICE.VEHICLE_INFO && ++this.vinAttempts >= 3) this.vinDone = true;
    // A bitmap after the first that goes unanswered: carry on with what is known.
    if (req.service === SERVICE.CURRENT && isBitmapPid(req.pid) && req.pid !== 0x00) this.discovering = this.discovering.filter((p) => p !== req.pid);
    this.notBefore = nowMs + this.o.minGapMs;
    if (this.misses >= this.o.silentAfter) {
      events.push({ kind: 'silent', misses: this.misses, backoffMs: this.backoff });
      this.notBefore = nowMs + this.backoff;
      this.backoff = Math.min(this.backoff * 2, this.o.backoffMs[1]);
    }
  }

  /** Earliest time something is due (bitmaps and the VIN: now). */
  private nextRequestDue(): number | null {
    if (this.discovering.length) return 0;
    if (!this.supported.size) return null;
    if (!this.vinDone) return 0;
    let at = this.dtcDue;
    for (const t of this.due.values()) at = Math.min(at, t);
    return at;
  }

  private pick(nowMs: number): Request | null {
    if (this.discovering.length) return { service: SERVICE.CURRENT, pid: this.discovering[0]! };
    if (!this.supported.size) return null;
    if (!this.vinDone) return { service: SERVICE.VEHICLE_INFO, pid: 0x02 };
    let best: number | null = null;
    let bestAt = Infinity;
    for (const [pid, at] of this.due) {
      if (!this.supported.has(pid)) continue;
      // Most overdue first; among equals the faster rate.
      if (at > nowMs) continue;
      if (at < bestAt || (at === bestAt && best !== null && (this.rates[pid] ?? 0) < (this.rates[best] ?? 0))) [best, bestAt] = [pid, at];
    }
    if (this.dtcDue <= nowMs && this.dtcDue <= bestAt) return { service: SERVICE.DTC };
    return best === null ? null : { service: SERVICE.CURRENT, pid: best };
  }
}
