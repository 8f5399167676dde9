import type { Gap } from '../codec/gap.js';
import type { LinkState } from '../base/status-board.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { CloseCode, closeCodeName, closeLabel, isPermanent, ProtocolError } from './close-codes.js';
import { DEFAULT_LIMITS, PROTOCOL_VERSION, type BatchEntry, type Frame, type Limits, type PushedConfig, type Welcome } from './messages.js';
import { FrameReader } from './reader.js';
import { encodeFrame } from './wire.js';
import { InflightBytes } from './inflight-bytes.js';
import { SeqRanges } from './ranges.js';
import type { SpoolEntryView, SpoolView } from './spool-view.js';
import type { RecordPacker } from './packing.js';
import { rangesOf } from './ranges.js';
import { clean } from '../base/log-summary.js';

/**
 * Device side of geostream/1.0, sans-IO: fed connection events, control-stream
 * bytes, the transport's buffered byte count per data stream and the time; returns what to do (connect, send bytes on a stream, close,
 * ack the spool) as a list of outputs. No sockets, timers, randomness or clock
 * reads of its own: the caller (src/link/device.ts) owns those.
 *
 * A connection goes: connecting -> hello (HELLO sent) -> online (WELCOME read).
 * Online, records committed before WELCOME go on the backlog stream oldest first,
 * records committed after it on the live stream, each stream with its own window
 * of unacked records so a fresh fix never waits behind hours of backlog, and
 * with at most MAX_INFLIGHT_BYTES unacked or in the transport.
 * Every connection carries a generation number; events of older ones are ignored.
 */
export type DevicePhase = 'idle' | 'backoff' | 'connecting' | 'hello' | 'online' | 'stopped';
export type StreamName = 'control' | 'live' | 'backlog';
export type LinkStateName = LinkState;

export type DeviceOutput =
  | { kind: 'connect'; gen: number }
  | { kind: 'send'; gen: number; stream: StreamName; bytes: Uint8Array; records: number }
  | { kind: 'close'; gen: number; code: number; reason: string }
  | { kind: 'ack'; seq: number }
  | { kind: 'state'; state: LinkStateName; detail: string }
  | { kind: 'welcome'; welcome: Welcome; rttMs: number };

export interface DeviceCoreOptions {
  device: string;
  firmware: string;
  schema: number;
  spool: SpoolView;
  /** Uniform [0, 1): backoff jitter. */
  random: () => number;
  limits?: Limits;
  backoff?: BackoffOptions;
  /** No ack progress for this long while records are in flight: new connection. */
  livenessMs?: number;
  /** No WELCOME this long after the connection came up: new connection. */
  welcomeTimeoutMs?: number;
  /** Packs runs of records into PACKED frames when the server supports its format. */
  packer?: RecordPacker;
}

export interface DeviceStats {
  connects: number;
  sessions: number;
  sentRecords: number;
  ackedRecords: number;
  lastClose: string | null;
}

/** Bounds for what a server may push (a wrong config must not stall or flood the link). */
const CONFIG_BOUNDS: Record<Exclude<keyof PushedConfig, 'formats'>, [number, number]> = {
  batchRecords: [1, 2048],
  batchBytes: [1024, 256 * 1024],
  windowRecords: [16, 65_536],
};

interface Session {
  gen: number;
  connectedAt: number;
  reader: FrameReader;
  online: boolean;
  config: PushedConfig;
  liveFrom: number;
  liveCursor: number;
  backlogCursor: number;
  liveInflight: number;
  backlogInflight: number;
  lastProgress: number;
  helloAt: number;
  /** When WELCOME came (0 before). */
  onlineAt: number;
  /** The head sent in HELLO: WELCOME's stored ranges lie at or below it. */
  helloHead: number;
  /** The packer, if the server unpacks its format (from WELCOME). */
  packer: RecordPacker | null;
  /** Bytes written on each data stream and not acked (bounded by MAX_INFLIGHT_BYTES). */
  unacked: Record<DataStream, InflightBytes>;
  /**
   * Bytes the transport holds for each data stream: the shell's last count plus the
   * frames sent since (bounded by MAX_INFLIGHT_BYTES whatever the ACKs say).
   */
  buffered: Record<DataStream, number>;
  /** Since when each data stream's transport count has been at the bound without going down, or null. */
  fullSince: Record<DataStream, number | null>;
}

export type DataStream = Exclude<StreamName, 'control'>;

/**
 * Bytes in flight per data stream, whatever window the server pushed: a server that
 * never reads holds this much of the device's memory in the transport, not
 * window x record size (up to 256 MB). 2 MiB per round trip is over 50 Mbit/s at 300 ms.
 * It bounds both the bytes not acked by the protocol and the bytes the transport still
 * buffers (a server may ACK records its QUIC stack has not even received).
 */
export const MAX_INFLIGHT_BYTES = 2 * 1024 * 1024;

export class DeviceCore {
  private phase: DevicePhase = 'idle';
  private gen = 0;
  private attempt = 0;
  private retryAt = 0;
  private s: Session | null = null;
  /** Seqs above our cumulative ack the server holds (or that do not exist in the spool). */
  private held = new SeqRanges();
  private acked: number;
  private out: DeviceOutput[] = [];
  private linkState: LinkStateName | null = null;
  private readonly limits: Limits;
  private readonly backoff: BackoffOptions;
  private readonly livenessMs: number;
  private readonly welcomeTimeoutMs: number;
  readonly stats: DeviceStats = { connects: 0, sessions: 0, sentRecords: 0, ackedRecords: 0, lastClose: null };

  constructor(private readonly o: DeviceCoreOptions) {
    this.limits = o.limits ?? DEFAULT_LIMITS;
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.livenessMs = o.livenessMs ?? 15_000;
    this.welcomeTimeoutMs = o.welcomeTimeoutMs ?? 15_000;
    this.acked = o.spool.ackedSeq;
  }

  /** Generation of the connection being made or in use. */
  get currentGen(): number {
    return this.gen;
  }

  get state(): DevicePhase {
    return this.phase;
  }

  /** Bytes the transport holds per data stream, as last counted plus frames sent since. */
  get buffered(): Record<DataStream, number> {
    return this.s ? { ...this.s.buffered } : { live: 0, backlog: 0 };
  }

  /** Records sent on the current connection and not acked yet. */
  get inflight(): number {
    return this.s ? this.s.liveInflight + this.s.backlogInflight : 0;
  }

  start(now: number): DeviceOutput[] {
    if (this.phase === 'idle') this.connect(now);
    return this.drain();
  }

  /** The connection of generation `gen` is up and its control stream open. */
  connected(now: number, gen: number): DeviceOutput[] {
    if (gen !== this.gen || this.phase !== 'connecting') return this.drain();
    this.phase = 'hello';
    this.s = {
      gen,
      connectedAt: now,
      reader: new FrameReader(this.limits, new Set(['WELCOME', 'ACK', 'PONG', 'CLOSE']), 'control stream'),
      online: false,
      config: { batchRecords: 256, batchBytes: 64 * 1024, windowRecords: 4096 },
      liveFrom: 0,
      liveCursor: 0,
      backlogCursor: 0,
      liveInflight: 0,
      backlogInflight: 0,
      lastProgress: now,
      helloAt: now,
      onlineAt: 0,
      helloHead: Math.max(this.o.spool.headSeq, this.acked),
      packer: null,
      unacked: { live: new InflightBytes(), backlog: new InflightBytes() },
      buffered: { live: 0, backlog: 0 },
      fullSince: { live: null, backlog: null },
    };
    const sp = this.o.spool;
    this.send('control', encodeFrame({ type: 'HELLO', version: PROTOCOL_VERSION, device: this.o.device, firmware: this.o.firmware, schema: this.o.schema, spool: sp.spoolId, head: this.s.helloHead, acked: this.acked }, this.limits), 0);
    this.setState('connecting', 'handshake done, HELLO sent');
    return this.drain();
  }

  /** Connecting for generation `gen` failed (refused, TLS, timeout). */
  connectFailed(now: number, gen: number, why: string, permanent = false): DeviceOutput[] {
    if (gen !== this.gen || this.phase !== 'connecting') return this.drain();
    this.stats.lastClose = why;
    this.scheduleRetry(now, why, permanent);
    return this.drain();
  }

  /**
   * The connection of generation `gen` is gone (peer close, idle timeout, transport error).
   * `app`: `code` is an application close code; otherwise a QUIC transport error code.
   */
  closed(now: number, gen: number, code: number, reason: string, by: string, app: boolean): DeviceOutput[] {
    if (gen !== this.gen || this.phase === 'stopped' || this.phase === 'backoff') return this.drain();
    const why = `closed by ${by}: ${closeLabel(code, app)}${reason ? ` ${clean(reason)}` : ''}`;
    this.stats.lastClose = why;
    this.scheduleRetry(now, why, by === 'peer' && app && isPermanent(code));
    return this.drain();
  }

  /** Bytes that arrived on the control stream of generation `gen`. */
  control(now: number, gen: number, bytes: Uint8Array): DeviceOutput[] {
    const s = this.s;
    if (!s || gen !== s.gen) return this.drain();
    try {
      for (const f of s.reader.push(bytes)) this.onFrame(now, s, f);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.fail(now, err.code, err.message);
    }
    return this.drain();
  }

  /**
   * The transport's count of bytes it holds for data streams of generation `gen`
   * (written and not yet delivered to the peer's QUIC stack). A stream that was at
   * the bound and is now under it is written to again.
   */
  transportBuffered(now: number, gen: number, counts: Partial<Record<DataStream, number>>): DeviceOutput[] {
    const s = this.s;
    if (!s || gen !== s.gen) return this.drain();
    let reopened = false;
    for (const k of ['live', 'backlog'] as const) {
      const n = counts[k];
      if (n === undefined) continue;
      if (s.buffered[k] >= MAX_INFLIGHT_BYTES && n < MAX_INFLIGHT_BYTES) reopened = true;
      if (n < s.buffered[k]) s.fullSince[k] = n >= MAX_INFLIGHT_BYTES ? now : null; // it drains
      else if (n >= MAX_INFLIGHT_BYTES && s.fullSince[k] === null) s.fullSince[k] = now;
      s.buffered[k] = n;
    }
    if (reopened && s.online) this.pump(now, s);
    return this.drain();
  }

  /** New records were committed to the spool. */
  notify(now: number): DeviceOutput[] {
    if (this.s?.online) this.pump(now, this.s);
    return this.drain();
  }

  /** Timers: retry after backoff, WELCOME and ack-progress deadlines. */
  tick(now: number): DeviceOutput[] {
    const s = this.s;
    if (this.phase === 'backoff' && now >= this.retryAt) this.connect(now);
    else if (this.phase === 'hello' && s && now - s.helloAt >= this.welcomeTimeoutMs) this.fail(now, CloseCode.liveness, `no WELCOME within ${this.welcomeTimeoutMs} ms`);
    else if (this.phase === 'online' && s && this.inflight > 0 && now - s.lastProgress >= this.livenessMs)
      this.fail(now, CloseCode.liveness, `no ack progress for ${Math.round((now - s.lastProgress) / 1000)} s with ${this.inflight} records in flight`);
    else if (this.phase === 'online' && s) {
      const k = stuckStream(s, now, this.livenessMs);
      if (k) this.fail(now, CloseCode.liveness, `the transport has held ${s.buffered[k]} bytes of the ${k} stream for ${Math.round((now - s.fullSince[k]!) / 1000)} s without delivering any (the server reads nothing)`);
    }
    return this.drain();
  }

  /** When tick() next has something to do (absolute ms), or null. */
  nextTimeout(): number | null {
    const s = this.s;
    if (this.phase === 'backoff') return this.retryAt;
    if (this.phase === 'hello' && s) return s.helloAt + this.welcomeTimeoutMs;
    if (this.phase !== 'online' || !s) return null;
    const at = [s.fullSince.live, s.fullSince.backlog, this.inflight > 0 ? s.lastProgress : null].filter((t): t is number => t !== null);
    return at.length ? Math.min(...at) + this.livenessMs : null;
  }

  stop(_now: number, reason = 'device stopping'): DeviceOutput[] {
    if (this.phase === 'stopped') return this.drain();
    if (this.s) this.out.push({ kind: 'close', gen: this.s.gen, code: CloseCode.normal, reason });
    this.s = null;
    this.phase = 'stopped';
    this.setState('disabled', reason);
    return this.drain();
  }

  // ---- internals ----

  private drain(): DeviceOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  private setState(state: LinkStateName, detail: string): void {
    if (state === this.linkState) return;
    this.linkState = state;
    this.out.push({ kind: 'state', state, detail });
  }

  private connect(_now: number): void {
    this.gen++;
    this.phase = 'connecting';
    this.stats.connects++;
    this.setState('connecting', this.attempt ? `attempt ${this.attempt + 1}` : 'first attempt');
    this.out.push({ kind: 'connect', gen: this.gen });
  }

  /**
   * Ends the current session (if any) and waits before the next attempt. The delay
   * starts again from the shortest once a session proved useful (it made ack
   * progress, or stayed online for the longest delay); a server that WELCOMEs and
   * then fails at once is retried ever more slowly, not twice a second forever.
   */
  private scheduleRetry(now: number, why: string, permanent: boolean): void {
    const s = this.s;
    if (s?.online && now - s.onlineAt >= this.backoff.maxMs) this.attempt = 0;
    this.s = null;
    this.phase = 'backoff';
    const delay = backoffDelay(permanent ? 30 : this.attempt, this.o.random, this.backoff);
    this.attempt++;
    this.retryAt = now + delay;
    this.setState('offline', `${why}; retry in ${(delay / 1000).toFixed(1)} s`);
  }

  /** Closes the current connection for `reason` and schedules a new one. */
  private fail(now: number, code: number, reason: string): void {
    const s = this.s;
    if (s) this.out.push({ kind: 'close', gen: s.gen, code, reason });
    this.stats.lastClose = `closed by us: ${closeCodeName(code)} ${reason}`;
    this.scheduleRetry(now, `closed: ${reason}`, false);
  }

  private send(stream: StreamName, bytes: Uint8Array, records: number): void {
    if (this.s) this.out.push({ kind: 'send', gen: this.s.gen, stream, bytes, records });
  }

  private onFrame(now: number, s: Session, f: Frame): void {
    switch (f.type) {
      case 'WELCOME':
        if (s.online) throw new ProtocolError(CloseCode.protocol, 'second WELCOME');
        this.onWelcome(now, s, f);
        break;
      case 'ACK':
        if (!s.online) throw new ProtocolError(CloseCode.protocol, 'ACK before WELCOME');
        this.onAck(now, s, f.ranges);
        break;
      case 'CLOSE': {
        const reason = clean(f.reason);
        this.out.push({ kind: 'close', gen: s.gen, code: CloseCode.normal, reason: 'server sent CLOSE' });
        this.stats.lastClose = `server: ${closeCodeName(f.code)} ${reason}`;
        this.scheduleRetry(now, `server closed: ${closeCodeName(f.code)} ${reason}`, isPermanent(f.code));
        break;
      }
      case 'PONG':
        break;
      default:
        throw new ProtocolError(CloseCode.protocol, `${f.type} not expected from the server`);
    }
  }

  private onWelcome(now: number, s: Session, w: Welcome): void {
    const sp = this.o.spool;
    if (w.spool !== sp.spoolId) throw new ProtocolError(CloseCode.protocol, `WELCOME for spool ${w.spool}, ours is ${sp.spoolId}`);
    const beyond = w.stored.find(([, b]) => b > s.helloHead);
    if (beyond) throw new ProtocolError(CloseCode.protocol, `WELCOME: 'stored' range [${beyond[0]}, ${beyond[1]}] goes beyond our head ${s.helloHead}`);
    for (const k of Object.keys(CONFIG_BOUNDS) as (keyof typeof CONFIG_BOUNDS)[]) {
      const [lo, hi] = CONFIG_BOUNDS[k];
      s.config[k] = Math.min(hi, Math.max(lo, w.config[k]));
    }
    s.packer = this.o.packer && w.config.formats?.includes(this.o.packer.format) ? this.o.packer : null;
    s.config.batchRecords = Math.min(s.config.batchRecords, this.limits.batchRecords);
    s.config.batchBytes = Math.min(s.config.batchBytes, this.limits.batchBytes);
    this.acked = Math.max(this.acked, sp.ackedSeq);
    this.held.clear();
    const head = Math.max(sp.headSeq, this.acked);
    for (const [a, b] of w.stored) if (b > this.acked) this.held.add(Math.max(a, this.acked + 1), Math.min(b, head));
    s.online = true;
    s.liveFrom = sp.committedSeq + 1;
    s.liveCursor = s.liveFrom;
    s.backlogCursor = this.acked + 1;
    s.lastProgress = now;
    s.onlineAt = now;
    this.phase = 'online';
    this.stats.sessions++;
    this.out.push({ kind: 'welcome', welcome: w, rttMs: now - s.helloAt });
    this.advanceAck();
    this.setState('online', `server has up to seq ${w.high}, backlog ${Math.max(0, s.liveFrom - 1 - this.acked - this.held.countIn(this.acked + 1, s.liveFrom - 1))}`);
    this.pump(now, s);
  }

  private onAck(now: number, s: Session, ranges: [number, number][]): void {
    for (const r of ranges) this.checkAcked(s, r);
    let progress = 0;
    for (const [a0, b] of ranges) {
      // Seqs at or below the cumulative ack were counted when first acked.
      const a = Math.max(a0, this.acked + 1);
      if (a > b) continue;
      const liveA = Math.max(a, s.liveFrom);
      const liveNew = liveA <= b ? b - liveA + 1 - this.held.countIn(liveA, b) : 0;
      const backB = Math.min(b, s.liveFrom - 1);
      const backNew = a <= backB ? backB - a + 1 - this.held.countIn(a, backB) : 0;
      this.held.add(a, b);
      s.liveInflight = Math.max(0, s.liveInflight - liveNew);
      s.backlogInflight = Math.max(0, s.backlogInflight - backNew);
      progress += liveNew + backNew;
    }
    if (progress > 0) {
      this.attempt = 0;
      s.lastProgress = now;
      this.stats.ackedRecords += progress;
    }
    this.advanceAck();
    const acked = (lo: number, hi: number) => hi <= this.acked || this.held.countIn(Math.max(lo, this.acked + 1), hi) === hi - Math.max(lo, this.acked + 1) + 1;
    s.unacked.live.release(acked);
    s.unacked.backlog.release(acked);
    this.pump(now, s);
  }

  /**
   * An ACK may only name seqs sent on this connection (or already acked or held), so
   * however a server fragments its ACKs the held set stays within what was sent.
   */
  private checkAcked(s: Session, [a, b]: [number, number]): void {
    if (b >= s.liveCursor) throw new ProtocolError(CloseCode.protocol, `ACK for seq ${b}, never sent (next is ${s.liveCursor})`);
    const lo = Math.max(a, s.backlogCursor, this.acked + 1);
    const hi = Math.min(b, s.liveFrom - 1);
    if (lo > hi || this.held.countIn(lo, hi) === hi - lo + 1) return;
    let seq = lo;
    while (this.held.has(seq)) seq = this.held.runEnd(seq) + 1;
    throw new ProtocolError(CloseCode.protocol, `ACK for seq ${seq}, never sent (backlog sent up to ${s.backlogCursor - 1})`);
  }

  private advanceAck(): void {
    const end = this.held.runEnd(this.acked + 1);
    if (end > this.acked) {
      this.acked = end;
      this.held.dropThrough(end);
      this.out.push({ kind: 'ack', seq: end });
    }
  }

  private pump(now: number, s: Session): void {
    const limit = this.o.spool.committedSeq;
    const win = s.config.windowRecords;
    const wasIdle = this.inflight === 0;
    // Live first: the newest fixes must not wait.
    for (let guard = 0; guard < 1000 && s.liveCursor <= limit && s.liveInflight < win && hasRoom(s, 'live'); guard++) {
      const n = this.sendFrom(s, 'live', s.liveCursor, limit, win - s.liveInflight);
      s.liveCursor = n.next;
      s.liveInflight += n.sent;
      if (n.read === 0) break;
    }
    const backEnd = s.liveFrom - 1;
    for (let guard = 0; guard < 1000 && s.backlogCursor <= backEnd && s.backlogInflight < win && hasRoom(s, 'backlog'); guard++) {
      if (this.held.has(s.backlogCursor)) {
        s.backlogCursor = this.held.runEnd(s.backlogCursor) + 1;
        continue;
      }
      const n = this.sendFrom(s, 'backlog', s.backlogCursor, backEnd, win - s.backlogInflight);
      s.backlogCursor = n.next;
      s.backlogInflight += n.sent;
      if (n.read === 0) break;
    }
    if (wasIdle && this.inflight > 0) s.lastProgress = now;
    for (const k of ['live', 'backlog'] as const) if (s.buffered[k] >= MAX_INFLIGHT_BYTES && s.fullSince[k] === null) s.fullSince[k] = now;
    this.advanceAck();
  }

  /**
   * Reads up to `room` entries from `from` (not beyond `last`) and sends them as
   * BATCH/GAP frames on `stream`. Seqs the spool does not have (holes) and seqs
   * the server holds are skipped and count as held.
   */
  private sendFrom(s: Session, stream: DataStream, from: number, last: number, room: number): { next: number; sent: number; read: number } {
    const { batchRecords, batchBytes } = s.config;
    const entries = this.o.spool.read(from, Math.min(room, batchRecords * 4), batchBytes * 4);
    let cursor = from;
    let sent = 0;
    let read = 0;
    let batch: BatchEntry[] = [];
    let bytes = 0;
    const flush = () => {
      if (batch.length === 0) return;
      const blob = s.packer?.pack(batch) ?? null;
      const frame = blob
        ? encodeFrame({ type: 'PACKED', format: s.packer!.format, seqs: rangesOf(batch.map((e) => e.seq)), blob }, this.limits)
        : encodeFrame({ type: 'BATCH', entries: batch }, this.limits);
      this.sendData(s, stream, frame, batch.length, batch[0]!.seq, batch[batch.length - 1]!.seq);
      this.stats.sentRecords += batch.length;
      sent += batch.length;
      batch = [];
      bytes = 0;
    };
    for (const e of entries) {
      if (e.seq > last || !hasRoom(s, stream)) break;
      read++;
      if (e.seq > cursor) this.hole(cursor, e.seq - 1);
      cursor = e.seq + 1;
      if (this.held.has(e.seq) || e.seq <= this.acked) continue;
      if (e.kind === 'gap') {
        flush();
        this.sendGap(s, stream, e);
        sent++;
        continue;
      }
      if (e.payload.length > this.limits.recordBytes) {
        // Cannot happen with the codec's records; never let one stall the link.
        this.hole(e.seq, e.seq);
        continue;
      }
      if (batch.length >= batchRecords || bytes + e.payload.length > batchBytes) flush();
      batch.push({ seq: e.seq, timeMs: e.timeMs, payload: e.payload });
      bytes += e.payload.length;
    }
    flush();
    if (read === 0 && cursor <= last) {
      // The spool has nothing in [cursor, last]: all holes.
      this.hole(cursor, last);
      cursor = last + 1;
      read = 1;
    }
    return { next: cursor, sent, read };
  }

  private sendGap(s: Session, stream: DataStream, e: SpoolEntryView): void {
    const g: Gap = e.gap ?? { fromSeq: e.seq, toSeq: e.seq, fromTimeMs: e.timeMs, toTimeMs: e.timeMs, lost: 0 };
    const frame = encodeFrame({ ...g, type: 'GAP', seq: e.seq }, this.limits);
    this.sendData(s, stream, frame, 1, e.seq, e.seq);
    this.stats.sentRecords++;
  }

  /** Sends a data frame for seqs `lo`..`hi`, counting its bytes against both bounds. */
  private sendData(s: Session, stream: DataStream, frame: Uint8Array, records: number, lo: number, hi: number): void {
    this.send(stream, frame, records);
    s.unacked[stream].add(lo, hi, frame.length);
    s.buffered[stream] += frame.length;
  }

  private hole(from: number, to: number): void {
    const lo = Math.max(from, this.acked + 1);
    if (lo <= to) this.held.add(lo, to);
  }
}

/** A data stream may take another frame: under the bound both unacked and in the transport. */
/** A data stream whose transport count has sat at the bound, not going down, for `ms`. */
function stuckStream(s: Session, now: number, ms: number): DataStream | null {
  for (const k of ['live', 'backlog'] as const) if (s.fullSince[k] !== null && now - s.fullSince[k]! >= ms) return k;
  return null;
}

function hasRoom(s: Session, stream: DataStream): boolean {
  return s.unacked[stream].bytes < MAX_INFLIGHT_BYTES && s.buffered[stream] < MAX_INFLIGHT_BYTES;
}
