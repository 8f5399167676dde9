/** The codec's public API (CONTRACTS.md). */
export { CodecError } from './errors.js';
export { defineSchema, type Schema, type FieldSpec, type Field } from './schema.js';
export { encodeRecordWith, decodeRecordWith, type RecordObject } from './record.js';
export { encodeBatchWith, decodeBatchWith, MAX_BATCH_RECORDS } from './batch.js';
export { TELEMETRY_V1, encodeRecord, decodeRecord, encodeBatch, decodeBatch, type TelemetryRecord } from './telemetry.js';
export { recordFromFix, recordToFixJson } from './fix-record.js';
export { fixFromJson, FixJsonError, type Fix, type FixJson } from './fix-json.js';
export { KIND, encodeGap, decodeGap, encodeStreamHeader, decodeMessage, type Gap, type Message, type StreamHeader } from './messages.js';
export { MAX_MESSAGE_BYTES, scanCborItem } from './cbor-reader.js';
