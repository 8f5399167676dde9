import { Encoder } from 'cbor-x';
import { CloseCode, ProtocolError } from './close-codes.js';
import type { SeqRange } from './ranges.js';

/**
 * geostream/1.0 frames. On every stream a frame is
 *   type (u8) | payload length (u32, big endian) | payload (CBOR)
 * Lengths are checked against the limits before any byte of the payload is kept.
 * docs/PROTOCOL.md part 2 is the normative description; this file is its code.
 */
export const ALPN = 'geostream/1.0';
export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 5;

export const FrameType = {
  HELLO: 0x01,
  WELCOME: 0x02,
  BATCH: 0x03,
  GAP: 0x04,
  ACK: 0x05,
  PING: 0x06,
  PONG: 0x07,
  CLOSE: 0x08,
  PACKED: 0x09,
} as const;
export type FrameTypeName = keyof typeof FrameType;

export interface Hello {
  type: 'HELLO';
  version: number;
  device: string;
  firmware: string;
  schema: number;
  /** The spool's random id (hex); a new id means a new card, seqs start again. */
  spool: string;
  /** Highest seq the device holds (0 = empty). */
  head: number;
  /** Highest seq the device knows the server has (cumulative ack). */
  acked: number;
}

/** Settings the server pushes to the device; every field is bounded on receipt. */
export interface PushedConfig {
  /** Most records per BATCH frame. */
  batchRecords: number;
  /** Most payload bytes per BATCH frame. */
  batchBytes: number;
  /** Most records a stream may have sent but not acked. */
  windowRecords: number;
  /** PACKED formats the server unpacks (absent: none, send BATCH only). */
  formats?: number[];
}

export interface Welcome {
  type: 'WELCOME';
  /** Server wall clock, ms since the epoch. */
  time: number;
  spool: string;
  /** Highest seq of this device and spool the server has durably stored (0 = none). */
  high: number;
  /** Seqs in (HELLO.acked, HELLO.head] the server already holds (may be truncated: then the device resends some, the server drops the duplicates). */
  stored: SeqRange[];
  config: PushedConfig;
}

export interface BatchEntry {
  seq: number;
  timeMs: number;
  payload: Uint8Array;
}
export interface Batch {
  type: 'BATCH';
  entries: BatchEntry[];
}

export interface Gap {
  type: 'GAP';
  /** The seq of the gap marker itself. */
  seq: number;
  fromSeq: number;
  toSeq: number;
  fromTimeMs: number;
  toTimeMs: number;
  lost: number;
}

/** Records packed by a RecordPacker (e.g. the codec's columnar batch): far fewer bytes than BATCH. */
export interface Packed {
  type: 'PACKED';
  /** Packing format (RecordPacker.format). */
  format: number;
  /** The records' seqs, ascending ranges; their count is the number of records in `blob`. */
  seqs: SeqRange[];
  blob: Uint8Array;
}

export interface Ack {
  type: 'ACK';
  /** Seqs durably committed (after the database COMMIT), as ranges. */
  ranges: SeqRange[];
}
export interface Ping {
  type: 'PING';
  t: number;
}
export interface Pong {
  type: 'PONG';
  t: number;
}
export interface Close {
  type: 'CLOSE';
  code: number;
  reason: string;
}

export type Frame = Hello | Welcome | Batch | Packed | Gap | Ack | Ping | Pong | Close;

export interface Limits {
  /** Largest payload of a control frame (HELLO, WELCOME, ACK, ...). */
  controlBytes: number;
  /** Largest payload of a BATCH frame. */
  batchBytes: number;
  /** Most entries in one BATCH. */
  batchRecords: number;
  /** Largest single record payload. */
  recordBytes: number;
  /** Most ranges in one ACK or WELCOME. */
  ranges: number;
}

export const DEFAULT_LIMITS: Limits = {
  controlBytes: 64 * 1024,
  batchBytes: 256 * 1024,
  batchRecords: 2048,
  recordBytes: 4096,
  ranges: 4096,
};

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

// ---- field checks (errors name the frame and the field) ----

type Obj = Record<string, unknown>;

function bad(frame: string, what: string): never {
  throw new ProtocolError(CloseCode.protocol, `${frame}: ${what}`);
}
function obj(frame: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(frame, 'payload is not a map');
  return v as Obj;
}
function uint(frame: string, o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(frame, `'${k}' must be an unsigned integer`);
  return v;
}
function int(frame: string, o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(frame, `'${k}' must be an integer`);
  return v;
}
function str(frame: string, o: Obj, k: string, max: number, re?: RegExp): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max || (re && !re.test(v))) bad(frame, `'${k}' must be a string${re ? ` matching ${re}` : ''} of at most ${max} characters`);
  return v;
}
function bytes(frame: string, v: unknown, what: string, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) bad(frame, `${what} must be a byte string`);
  if (v.length > max) throw new ProtocolError(CloseCode.tooLarge, `${frame}: ${what} is ${v.length} bytes, limit ${max}`);
  return v;
}
function ranges(frame: string, v: unknown, k: string, max: number): SeqRange[] {
  if (!Array.isArray(v)) bad(frame, `'${k}' must be an array of [from, to]`);
  if (v.length > max) throw new ProtocolError(CloseCode.tooLarge, `${frame}: '${k}' has ${v.length} ranges, limit ${max}`);
  let prev = 0;
  return v.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2) bad(frame, `'${k}[${i}]' must be [from, to]`);
    const [a, b] = r as unknown[];
    if (typeof a !== 'number' || typeof b !== 'number' || !Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 1 || b < a || a <= prev)
      bad(frame, `'${k}[${i}]' must be ascending, disjoint ranges of seqs >= 1`);
    prev = b;
    return [a, b] as SeqRange;
  });
}

export const DEVICE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SPOOL_ID_RE = /^[0-9a-f]{8,64}$/;

// ---- the frame table: one row per type ----

interface Row {
  code: number;
  /** Payload limit in bytes from the limits in force. */
  max: (l: Limits) => number;
  toWire: (f: Frame) => unknown;
  fromWire: (v: unknown, l: Limits) => Frame;
}

const rows: Record<FrameTypeName, Row> = {
  HELLO: {
    code: FrameType.HELLO,
    max: (l) => l.controlBytes,
    toWire: (f) => {
      const h = f as Hello;
      return { v: h.version, device: h.device, fw: h.firmware, schema: h.schema, spool: h.spool, head: h.head, acked: h.acked };
    },
    fromWire: (v) => {
      const o = obj('HELLO', v);
      const h: Hello = {
        type: 'HELLO',
        version: uint('HELLO', o, 'v'),
        device: str('HELLO', o, 'device', 64, DEVICE_ID_RE),
        firmware: str('HELLO', o, 'fw', 64),
        schema: uint('HELLO', o, 'schema'),
        spool: str('HELLO', o, 'spool', 64, SPOOL_ID_RE),
        head: uint('HELLO', o, 'head'),
        acked: uint('HELLO', o, 'acked'),
      };
      if (h.acked > h.head) bad('HELLO', `'acked' (${h.acked}) is above 'head' (${h.head})`);
      return h;
    },
  },
  WELCOME: {
    code: FrameType.WELCOME,
    max: (l) => l.controlBytes,
    toWire: (f) => {
      const w = f as Welcome;
      return { time: w.time, spool: w.spool, high: w.high, stored: w.stored, config: w.config };
    },
    fromWire: (v, l) => {
      const o = obj('WELCOME', v);
      const c = obj('WELCOME', o.config);
      let formats: number[] | undefined;
      if (c.formats !== undefined) {
        if (!Array.isArray(c.formats) || c.formats.length > 16 || !c.formats.every((f) => Number.isSafeInteger(f) && f >= 0)) bad('WELCOME', `'config.formats' must be an array of at most 16 unsigned integers`);
        formats = c.formats as number[];
      }
      return {
        type: 'WELCOME',
        time: uint('WELCOME', o, 'time'),
        spool: str('WELCOME', o, 'spool', 64, SPOOL_ID_RE),
        high: uint('WELCOME', o, 'high'),
        stored: ranges('WELCOME', o.stored, 'stored', l.ranges),
        config: {
          batchRecords: uint('WELCOME', c, 'batchRecords'),
          batchBytes: uint('WELCOME', c, 'batchBytes'),
          windowRecords: uint('WELCOME', c, 'windowRecords'),
          ...(formats ? { formats } : {}),
        },
      };
    },
  },
  BATCH: {
    code: FrameType.BATCH,
    max: (l) => l.batchBytes + 64 * l.batchRecords,
    toWire: (f) => (f as Batch).entries.map((e) => [e.seq, e.timeMs, e.payload]),
    fromWire: (v, l) => {
      if (!Array.isArray(v)) bad('BATCH', 'payload is not an array of [seq, timeMs, bytes]');
      if (v.length === 0) bad('BATCH', 'no entries');
      if (v.length > l.batchRecords) throw new ProtocolError(CloseCode.tooLarge, `BATCH: ${v.length} records, limit ${l.batchRecords}`);
      let prev = 0;
      const entries = v.map((e, i): BatchEntry => {
        if (!Array.isArray(e) || e.length !== 3) bad('BATCH', `entry ${i} is not [seq, timeMs, bytes]`);
        const [seq, timeMs, payload] = e as unknown[];
        if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= prev) bad('BATCH', `entry ${i}: seq must be an integer above the previous entry's`);
        if (typeof timeMs !== 'number' || !Number.isSafeInteger(timeMs)) bad('BATCH', `entry ${i}: timeMs must be an integer`);
        prev = seq;
        return { seq, timeMs, payload: bytes('BATCH', payload, `entry ${i} payload`, l.recordBytes) };
      });
      return { type: 'BATCH', entries };
    },
  },
  PACKED: {
    code: FrameType.PACKED,
    max: (l) => l.batchBytes,
    toWire: (f) => {
      const p = f as Packed;
      return { f: p.format, s: p.seqs, b: p.blob };
    },
    fromWire: (v, l) => {
      const o = obj('PACKED', v);
      const seqs = ranges('PACKED', o.s, 's', l.batchRecords);
      const n = seqs.reduce((a, [x, y]) => a + y - x + 1, 0);
      if (n === 0) bad('PACKED', 'no records');
      if (n > l.batchRecords) throw new ProtocolError(CloseCode.tooLarge, `PACKED: ${n} records, limit ${l.batchRecords}`);
      return { type: 'PACKED', format: uint('PACKED', o, 'f'), seqs, blob: bytes('PACKED', o.b, "'b'", l.batchBytes) };
    },
  },
  GAP: {
    code: FrameType.GAP,
    max: (l) => l.controlBytes,
    toWire: (f) => {
      const g = f as Gap;
      return { seq: g.seq, from: g.fromSeq, to: g.toSeq, fromT: g.fromTimeMs, toT: g.toTimeMs, lost: g.lost };
    },
    fromWire: (v) => {
      const o = obj('GAP', v);
      const g: Gap = {
        type: 'GAP',
        seq: uint('GAP', o, 'seq'),
        fromSeq: uint('GAP', o, 'from'),
        toSeq: uint('GAP', o, 'to'),
        fromTimeMs: int('GAP', o, 'fromT'),
        toTimeMs: int('GAP', o, 'toT'),
        lost: uint('GAP', o, 'lost'),
      };
      if (g.seq < 1 || g.toSeq < g.fromSeq) bad('GAP', `'seq' must be >= 1 and 'from' <= 'to'`);
      return g;
    },
  },
  ACK: {
    code: FrameType.ACK,
    max: (l) => l.controlBytes,
    toWire: (f) => (f as Ack).ranges,
    fromWire: (v, l) => ({ type: 'ACK', ranges: ranges('ACK', v, 'ranges', l.ranges) }),
  },
  PING: {
    code: FrameType.PING,
    max: () => 64,
    toWire: (f) => (f as Ping).t,
    fromWire: (v) => ({ type: 'PING', t: uint('PING', { t: v }, 't') }),
  },
  PONG: {
    code: FrameType.PONG,
    max: () => 64,
    toWire: (f) => (f as Pong).t,
    fromWire: (v) => ({ type: 'PONG', t: uint('PONG', { t: v }, 't') }),
  },
  CLOSE: {
    code: FrameType.CLOSE,
    max: () => 1024,
    toWire: (f) => {
      const c = f as Close;
      return { code: c.code, reason: c.reason.slice(0, 500) };
    },
    fromWire: (v) => {
      const o = obj('CLOSE', v);
      return { type: 'CLOSE', code: uint('CLOSE', o, 'code'), reason: str('CLOSE', o, 'reason', 500) };
    },
  },
};

const byCode = new Map<number, [FrameTypeName, Row]>(Object.entries(rows).map(([k, r]) => [r.code, [k as FrameTypeName, r]]));

/** Largest payload any frame type may have under `limits` (the reader's buffer bound). */
export function maxPayload(limits: Limits): number {
  return Math.max(...Object.values(rows).map((r) => r.max(limits)));
}

export function encodeFrame(f: Frame, limits: Limits = DEFAULT_LIMITS): Uint8Array {
  const row = rows[f.type];
  const body = cbor.encode(row.toWire(f)) as Uint8Array;
  if (body.length > row.max(limits)) throw new ProtocolError(CloseCode.tooLarge, `${f.type}: ${body.length} bytes, limit ${row.max(limits)}`);
  const out = new Uint8Array(HEADER_BYTES + body.length);
  out[0] = row.code;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}

/** Decodes one frame's payload (type already read). Throws ProtocolError naming what is wrong. */
export function decodePayload(code: number, body: Uint8Array, limits: Limits = DEFAULT_LIMITS): Frame {
  const hit = byCode.get(code);
  if (!hit) throw new ProtocolError(CloseCode.protocol, `unknown frame type 0x${code.toString(16).padStart(2, '0')}`);
  const [name, row] = hit;
  let v: unknown;
  try {
    v = cbor.decode(body);
  } catch (err) {
    throw new ProtocolError(CloseCode.protocol, `${name}: payload is not valid CBOR (${(err as Error).message})`);
  }
  return row.fromWire(v, limits);
}

/**
 * Splits a byte stream into frames. Holds at most one frame's bytes; a header
 * announcing more than the type's limit fails before the payload is buffered.
 * After an error the reader is dead (the connection closes).
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failed: ProtocolError | null = null;

  constructor(
    private readonly limits: Limits = DEFAULT_LIMITS,
    /** Frame types allowed on this stream. */
    private readonly allowed?: ReadonlySet<FrameTypeName>,
    private readonly where = 'stream',
  ) {}

  /** Feeds bytes; returns the complete frames they finish. Throws ProtocolError. */
  push(data: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    try {
      return this.parse(data);
    } catch (err) {
      this.failed = err instanceof ProtocolError ? err : new ProtocolError(CloseCode.internal, String(err));
      throw this.failed;
    }
  }

  /** Bytes of an unfinished frame (a stream that ends with some is truncated). */
  get pending(): number {
    return this.buffered;
  }

  private parse(data: Uint8Array): Frame[] {
    if (data.length) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      const head = this.peek(HEADER_BYTES);
      const code = head[0]!;
      const len = new DataView(head.buffer, head.byteOffset, HEADER_BYTES).getUint32(1);
      const hit = byCode.get(code);
      if (!hit) throw new ProtocolError(CloseCode.protocol, `${this.where}: unknown frame type 0x${code.toString(16).padStart(2, '0')}`);
      const [name, row] = hit;
      if (this.allowed && !this.allowed.has(name)) throw new ProtocolError(CloseCode.protocol, `${this.where}: ${name} frame not allowed here`);
      const max = row.max(this.limits);
      if (len > max) throw new ProtocolError(CloseCode.tooLarge, `${this.where}: ${name} frame of ${len} bytes, limit ${max}`);
      if (this.buffered < HEADER_BYTES + len) return frames;
      const all = this.take(HEADER_BYTES + len);
      frames.push(decodePayload(code, all.subarray(HEADER_BYTES), this.limits));
    }
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const joined = concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Uint8Array {
    const first = this.peek(n);
    this.chunks[0] = first.subarray(n);
    if (this.chunks[0].length === 0) this.chunks.shift();
    this.buffered -= n;
    return first.subarray(0, n);
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
