import { decodeCbor, type CborMap } from './cbor-reader.js';
import { CodecError } from './errors.js';
import { gapFault, type Gap } from './gap.js';
import { defineSchema } from './schema.js';
import { decodeValues, encodeRecordWith, NotARecord, readRecordMap, type RecordObject } from './record.js';
import { KIND_BATCH, readBatchValues } from './batch.js';
import { TELEMETRY_V1, telemetryFromValues, type TelemetryRecord } from './telemetry.js';

/**
 * Every codec message is one CBOR map. Key 0 says which kind; a single telemetry
 * record has no key 0 (it is the common case and saves two bytes):
 *
 *   (no key 0)  telemetry record        record.ts / telemetry.ts
 *   0: 1        batch of records        batch.ts
 *   0: 2        gap                     records the spool lost or dropped on purpose
 *   0: 3        stream header           first item of a `geostream codec encode` stream
 */
export const KIND = { batch: KIND_BATCH, gap: 2, header: 3 } as const;

/** A gap message (docs/PROTOCOL.md section 7): the Gap of gap.ts under key 0 = 2. */
export const GAP_SCHEMA = defineSchema('geostream.gap', 1, {
  fromSeq: { tag: 1, type: 'uint64', required: true },
  toSeq: { tag: 2, type: 'uint64', required: true },
  fromTimeMs: { tag: 3, type: 'uint64', required: true },
  toTimeMs: { tag: 4, type: 'uint64', required: true },
  lost: { tag: 5, type: 'uint64', required: true },
  reason: { tag: 6, type: 'string', maxLength: 16 },
});

function checkGap(g: Gap): Gap {
  const fault = gapFault(g);
  if (fault) throw new CodecError(fault.why, fault.field);
  return g;
}

/** Names the schema of the records that follow in a stream. */
export interface StreamHeader {
  schema: string;
  version: number;
}

export const HEADER_SCHEMA = defineSchema('geostream.header', 1, {
  schema: { tag: 1, type: 'string', maxLength: 64, required: true },
  version: { tag: 2, type: 'uint16', required: true },
});

export function encodeGap(g: Gap): Uint8Array {
  return encodeRecordWith(GAP_SCHEMA, checkGap(g) as unknown as RecordObject, KIND.gap);
}

export function encodeStreamHeader(h: StreamHeader = { schema: TELEMETRY_V1.name, version: TELEMETRY_V1.version }): Uint8Array {
  return encodeRecordWith(HEADER_SCHEMA, { schema: h.schema, version: h.version }, KIND.header);
}

export type Message =
  | { kind: 'record'; record: TelemetryRecord }
  | { kind: 'batch'; records: TelemetryRecord[] }
  | { kind: 'gap'; gap: Gap }
  | { kind: 'header'; header: StreamHeader };

type Reader = (m: CborMap) => Message;
const READERS: Record<number, Reader> = {
  [KIND.batch]: (m) => ({ kind: 'batch', records: readBatchValues(TELEMETRY_V1, m).map(telemetryFromValues) }),
  [KIND.gap]: (m) => ({ kind: 'gap', gap: checkGap(readRecordMap(GAP_SCHEMA, m) as unknown as Gap) }),
  [KIND.header]: (m) => ({ kind: 'header', header: readRecordMap(HEADER_SCHEMA, m) as unknown as StreamHeader }),
};

/** Decodes any telemetry-v1 message; CodecError for anything else. */
export function decodeMessage(b: Uint8Array): Message {
  try {
    return { kind: 'record', record: telemetryFromValues(decodeValues(TELEMETRY_V1, b)) };
  } catch (err) {
    if (!(err instanceof NotARecord)) throw err;
  }
  const m = decodeCbor(b) as CborMap;
  const kind = m[0];
  const read = typeof kind === 'number' ? READERS[kind] : undefined;
  if (!read) throw new CodecError(`unknown message kind ${String(kind)}`, 'kind');
  return read(m);
}

export function decodeGap(b: Uint8Array): Gap {
  const msg = decodeMessage(b);
  if (msg.kind !== 'gap') throw new CodecError(`expected a gap, got a ${msg.kind}`, 'kind');
  return msg.gap;
}
