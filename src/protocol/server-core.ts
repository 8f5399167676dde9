import { CloseCode, ProtocolError } from './close-codes.js';
import { DEFAULT_LIMITS, PROTOCOL_VERSION, type BatchEntry, type Frame, type GapFrame, type Hello, type Limits, type PushedConfig } from './messages.js';
import { FrameReader } from './reader.js';
import { encodeFrame } from './wire.js';
import type { SeqRange } from './ranges.js';
import type { RecordPacker } from './packing.js';

/**
 * Server side of one geostream/1.0 connection, sans-IO. The device's identity comes
 * from its certificate (the caller reads it); HELLO must name the same device.
 * Records arrive on the device's unidirectional streams; the core hands them out as
 * 'store' outputs and sends ACK only when the caller reports them committed.
 */
export type ServerOutput =
  | { kind: 'send'; bytes: Uint8Array }
  | { kind: 'hello'; hello: Hello }
  | { kind: 'store'; spool: string; entries: BatchEntry[]; gaps: GapFrame[] }
  | { kind: 'close'; code: number; reason: string };

export interface StoredView {
  /** Highest stored seq for (device, spool), 0 if none. */
  high: number;
  /** Stored seqs within (acked, head], ascending ranges, at most `maxRanges`. */
  stored: SeqRange[];
}

export interface ServerCoreOptions {
  /** Vehicle id from the client certificate; null when there is none or it names no vehicle. */
  identity: string | null;
  /** Why identity is null (for the close reason). */
  identityProblem?: string;
  /**
   * What the store holds for this spool. A store that answers later returns null and
   * the caller hands the answer to welcome(); records may arrive meanwhile (they are
   * stored like any others), WELCOME goes out when the answer does.
   */
  lookup: (device: string, spool: string, acked: number, head: number, maxRanges: number) => StoredView | null;
  config: PushedConfig;
  limits?: Limits;
  /** Schema versions of the record codec this server decodes. */
  schemas?: readonly number[];
  /** Unpackers for PACKED frames, by format (their formats go to WELCOME). */
  packers?: readonly RecordPacker[];
}

export class ServerCore {
  private hello: Hello | null = null;
  private readonly control: FrameReader;
  private readonly streams = new Map<number, FrameReader>();
  private out: ServerOutput[] = [];
  private closed = false;
  /** Records handed out for storage and not yet reported committed. */
  private uncommitted = 0;
  /** HELLO taken, its lookup not answered yet (WELCOME not sent). */
  private awaitingView = false;

  constructor(private readonly o: ServerCoreOptions) {
    this.control = new FrameReader(this.limits, new Set(['HELLO', 'PING', 'CLOSE']), 'control stream');
  }

  private get limits(): Limits {
    return this.o.limits ?? DEFAULT_LIMITS;
  }

  get device(): string | null {
    return this.hello?.device ?? null;
  }
  get spool(): string | null {
    return this.hello?.spool ?? null;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** The connection is up. */
  open(): ServerOutput[] {
    if (this.o.identity === null) this.end(CloseCode.unauthenticated, this.o.identityProblem ?? 'no client certificate naming a vehicle');
    return this.drain();
  }

  /** Bytes on the control (bidirectional) stream. */
  controlBytes(nowWall: number, bytes: Uint8Array): ServerOutput[] {
    this.guard(() => {
      for (const f of this.control.push(bytes)) this.onControl(nowWall, f);
    });
    return this.drain();
  }

  /** Bytes on a device-opened unidirectional stream. */
  dataBytes(streamId: number, bytes: Uint8Array): ServerOutput[] {
    this.guard(() => {
      let r = this.streams.get(streamId);
      if (!r) {
        if (this.streams.size >= 8) throw new ProtocolError(CloseCode.protocol, 'more than 8 data streams');
        r = new FrameReader(this.limits, new Set(['BATCH', 'PACKED', 'GAP']), `data stream ${streamId}`);
        this.streams.set(streamId, r);
      }
      const frames = r.push(bytes);
      if (frames.length === 0) return;
      if (!this.hello) throw new ProtocolError(CloseCode.protocol, 'records before HELLO');
      const entries: BatchEntry[] = [];
      const gaps: GapFrame[] = [];
      for (const f of frames) {
        if (f.type === 'BATCH') entries.push(...f.entries);
        else if (f.type === 'PACKED') entries.push(...this.unpack(f.format, f.seqs, f.blob));
        else if (f.type === 'GAP') gaps.push(f);
      }
      this.uncommitted += entries.length + gaps.length;
      const cap = this.o.config.windowRecords * 4;
      if (this.uncommitted > cap) throw new ProtocolError(CloseCode.tooLarge, `more than ${cap} records unacknowledged (window is ${this.o.config.windowRecords})`);
      this.out.push({ kind: 'store', spool: this.hello.spool, entries, gaps });
    });
    return this.drain();
  }

  /** A data stream ended (FIN); a partial frame at its end is a protocol error. */
  dataEnd(streamId: number): ServerOutput[] {
    const r = this.streams.get(streamId);
    if (r && r.pending > 0) this.end(CloseCode.protocol, `data stream ${streamId} ended inside a frame (${r.pending} bytes)`);
    this.streams.delete(streamId);
    return this.drain();
  }

  /** The store's answer to a lookup that returned null: sends WELCOME. */
  welcome(nowWall: number, view: StoredView): ServerOutput[] {
    this.guard(() => {
      if (!this.hello || !this.awaitingView) throw new Error('welcome() without a pending lookup');
      this.awaitingView = false;
      this.sendWelcome(nowWall, this.hello, view);
    });
    return this.drain();
  }

  /** These seqs (of the 'store' outputs) are committed: ACK them. */
  committed(ranges: SeqRange[], count: number): ServerOutput[] {
    this.uncommitted = Math.max(0, this.uncommitted - count);
    if (this.closed || ranges.length === 0) return this.drain();
    const max = this.limits.ranges;
    for (let i = 0; i < ranges.length; i += max) this.out.push({ kind: 'send', bytes: encodeFrame({ type: 'ACK', ranges: ranges.slice(i, i + max) }, this.limits) });
    return this.drain();
  }

  /** Ends the session with `code`: a CLOSE frame on the control stream, then the caller closes the connection. */
  close(code: number, reason: string): ServerOutput[] {
    this.end(code, reason);
    return this.drain();
  }

  private end(code: number, reason: string): void {
    if (!this.closed) {
      this.closed = true;
      if (this.hello || code !== CloseCode.unauthenticated) {
        try {
          this.out.push({ kind: 'send', bytes: encodeFrame({ type: 'CLOSE', code, reason }, this.limits) });
        } catch {
          // reason too long for a frame: the QUIC close still carries it
        }
      }
      this.out.push({ kind: 'close', code, reason });
    }
  }

  private drain(): ServerOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      if (err instanceof ProtocolError) this.end(err.code, err.message);
      else this.end(CloseCode.internal, `internal error: ${(err as Error).message}`);
    }
  }

  private unpack(format: number, ranges: SeqRange[], blob: Uint8Array): BatchEntry[] {
    const p = this.o.packers?.find((x) => x.format === format);
    if (!p) throw new ProtocolError(CloseCode.protocol, `PACKED format ${format} not supported (WELCOME offered ${this.formats().join(', ') || 'none'})`);
    const seqs: number[] = [];
    for (const [a, b] of ranges) for (let s = a; s <= b; s++) seqs.push(s);
    let out: BatchEntry[];
    try {
      out = p.unpack(seqs, blob);
    } catch (err) {
      throw new ProtocolError(CloseCode.protocol, `PACKED format ${format}: ${(err as Error).message}`);
    }
    if (out.length !== seqs.length) throw new ProtocolError(CloseCode.protocol, `PACKED format ${format}: ${out.length} records for ${seqs.length} seqs`);
    return out;
  }

  private formats(): number[] {
    return (this.o.packers ?? []).map((p) => p.format);
  }

  private onControl(nowWall: number, f: Frame): void {
    switch (f.type) {
      case 'HELLO':
        return this.onHello(nowWall, f);
      case 'PING':
        this.out.push({ kind: 'send', bytes: encodeFrame({ type: 'PONG', t: f.t }, this.limits) });
        return;
      case 'CLOSE':
        this.end(CloseCode.normal, `device closed: ${f.reason}`);
        return;
      default:
        throw new ProtocolError(CloseCode.protocol, `${f.type} not expected on the control stream`);
    }
  }

  private onHello(nowWall: number, h: Hello): void {
    if (this.hello) throw new ProtocolError(CloseCode.protocol, 'second HELLO');
    if (h.version !== PROTOCOL_VERSION) throw new ProtocolError(CloseCode.version, `protocol version ${h.version} not supported (this server speaks ${PROTOCOL_VERSION})`);
    const schemas = this.o.schemas ?? [1];
    if (!schemas.includes(h.schema)) throw new ProtocolError(CloseCode.version, `record schema ${h.schema} not supported (this server decodes ${schemas.join(', ')})`);
    if (h.device !== this.o.identity) throw new ProtocolError(CloseCode.identity, `HELLO names device "${h.device}" but the certificate is for "${this.o.identity}"`);
    this.hello = h;
    this.out.push({ kind: 'hello', hello: h });
    const view = this.o.lookup(h.device, h.spool, h.acked, h.head, this.limits.ranges);
    if (view) this.sendWelcome(nowWall, h, view);
    else this.awaitingView = true;
  }

  private sendWelcome(nowWall: number, h: Hello, view: StoredView): void {
    this.out.push({
      kind: 'send',
      bytes: encodeFrame({ type: 'WELCOME', time: nowWall, spool: h.spool, high: view.high, stored: view.stored, config: { ...this.o.config, formats: this.formats() } }, this.limits),
    });
  }
}
