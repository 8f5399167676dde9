import { CloseCode, ProtocolError } from './close-codes.js';
import { decodeWire, encodeWire, type WireValue } from './frames-cbor.js';
import { GAP_REASON_RE } from '../codec/gap.js';
import { bad, bytes, DEVICE_ID_RE, int, obj, ranges, SPOOL_ID_RE, str, tooBig, uint, wallTime } from './fields.js';
import { DEFAULT_LIMITS, FrameType, HEADER_BYTES, type Ack, type Batch, type BatchEntry, type Close, type Frame, type FrameTypeName, type GapFrame, type Hello, type Limits, type Packed, type Ping, type Pong, type Welcome } from './messages.js';

/**
 * The frame table: one row per frame type with its code, its payload limit and the mapping
 * between the frame and its CBOR payload (docs/PROTOCOL.md part 2, "Frame payloads").
 * A row's fromWire checks every field before it builds the frame.
 */
interface Row {
  code: number;
  /** Payload limit in bytes from the limits in force. */
  max: (l: Limits) => number;
  toWire: (f: Frame) => WireValue;
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
      const c = w.config;
      return { time: w.time, spool: w.spool, high: w.high, stored: w.stored, config: { batchRecords: c.batchRecords, batchBytes: c.batchBytes, windowRecords: c.windowRecords, formats: c.formats } };
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
        time: wallTime('WELCOME', o, 'time'),
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
        tooBig('BATCH', `entry ${i}: seq`, seq);
        tooBig('BATCH', `entry ${i}: timeMs`, timeMs);
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
      const g = f as GapFrame;
      return { seq: g.seq, from: g.fromSeq, to: g.toSeq, fromT: g.fromTimeMs, toT: g.toTimeMs, lost: g.lost, ...(g.reason !== undefined ? { why: g.reason } : {}) };
    },
    fromWire: (v) => {
      const o = obj('GAP', v);
      const g: GapFrame = {
        type: 'GAP',
        seq: uint('GAP', o, 'seq'),
        fromSeq: uint('GAP', o, 'from'),
        toSeq: uint('GAP', o, 'to'),
        fromTimeMs: int('GAP', o, 'fromT'),
        toTimeMs: int('GAP', o, 'toT'),
        lost: uint('GAP', o, 'lost'),
        ...(o.why !== undefined ? { reason: str('GAP', o, 'why', 16, GAP_REASON_RE) } : {}),
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

/** The frame type of `code` and its payload limit under `limits`; undefined for an unknown code. */
export function frameRow(code: number, limits: Limits): { name: FrameTypeName; max: number } | undefined {
  const hit = byCode.get(code);
  return hit && { name: hit[0], max: hit[1].max(limits) };
}

/** Largest payload any frame type may have under `limits` (the reader's buffer bound). */
export function maxPayload(limits: Limits): number {
  return Math.max(...Object.values(rows).map((r) => r.max(limits)));
}

export function encodeFrame(f: Frame, limits: Limits = DEFAULT_LIMITS): Uint8Array {
  const row = rows[f.type];
  const body = encodeWire(row.toWire(f));
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
    v = decodeWire(body);
  } catch (err) {
    throw new ProtocolError(CloseCode.protocol, `${name}: payload is not valid CBOR (${(err as Error).message})`);
  }
  return row.fromWire(v, limits);
}
