/** The codec's public API: the record schema and its CBOR encoding. */
export { CodecError } from './errors.js';
export { defineSchema, type Schema, type FieldSpec, type Field } from './schema.js';
export { encodeRecordWith, decodeRecordWith, type RecordObject } from './record.js';
export { encodeBatchWith, decodeBatchWith, MAX_BATCH_RECORDS } from './batch.js';
export { TELEMETRY, TELEMETRY_V1, encodeRecord, decodeRecord, encodeBatch, decodeBatch, type TelemetryRecord } from './telemetry.js';
export { KIND, encodeGap, decodeGap, encodeStreamHeader, decodeMessage, type Message, type StreamHeader } from './messages.js';
export { GAP_REASONS, GAP_REASON_RE, type Gap, type GapReason } from './gap.js';
export { MAX_MESSAGE_BYTES, scanCborItem } from './cbor-reader.js';
