import type { Gap } from '../codec/gap.js';
import type { SeqRange } from './ranges.js';

/**
 * geostream/1.0 frames as the two cores see them: the frame types, their fields and the
 * limits in force. On every stream a frame is
 *   type (u8) | payload length (u32, big endian) | payload (CBOR)
 * (wire.ts encodes and decodes one, reader.ts cuts them out of a stream).
 * docs/PROTOCOL.md part 2 is the normative description.
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

/** A spool's gap marker on the wire: the Gap (src/codec/gap.ts) at the marker's own seq; `reason` is sent as 'why', absent from older devices. */
export interface GapFrame extends Gap {
  type: 'GAP';
  /** The seq of the gap marker itself. */
  seq: number;
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

export type Frame = Hello | Welcome | Batch | Packed | GapFrame | Ack | Ping | Pong | Close;

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
