import { CborWriter } from './cbor-writer.js';
import { decodeCbor } from './cbor-scan.js';
import { CodecError } from './errors.js';
import type { Schema, Wire } from './schema.js';

/**
 * One record = one CBOR map from field tag to wire value, keys in ascending tag
 * order, absent fields left out. Tag 0 never appears in a record (it marks the
 * other message kinds, see messages.ts). A reader skips tags it does not know
 * (newer writers), treats a null value like an absent field, and rejects a
 * missing required field or a value of the wrong type with a CodecError naming
 * the field.
 */
export type RecordObject = Record<string, unknown>;

const shared = new CborWriter(512);

/**
 * Writes `obj` as a record map (fields absent when undefined or null). With
 * `kind`, the map starts with key 0 = kind (gap and header messages reuse the
 * record layout that way).
 */
export function writeRecord(out: CborWriter, schema: Schema, obj: RecordObject, kind?: number): void {
  const fields = schema.fields;
  const wires: (Wire | undefined)[] = new Array(fields.length);
  let count = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = obj[f.name];
    if (v === undefined || v === null) {
      if (f.required) throw new CodecError('required field is missing', f.name);
      continue;
    }
    wires[i] = f.toWire(v);
    count++;
  }
  if (kind === undefined) out.map(count);
  else {
    out.map(count + 1);
    out.int(0);
    out.int(kind);
  }
  for (let i = 0; i < fields.length; i++) {
    const w = wires[i];
    if (w === undefined) continue;
    const f = fields[i]!;
    out.head(0, f.tag);
    f.write(out, w);
  }
}

export function encodeRecordWith(schema: Schema, obj: RecordObject, kind?: number): Uint8Array {
  writeRecord(shared.reset(), schema, obj, kind);
  return shared.bytes();
}

/** True for what cbor-x returns for a CBOR map under our profile. */
export function isMap(v: unknown): v is Record<number, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Reads a decoded record map (keys are tags) into an object keyed by field name. */
export function readRecordMap(schema: Schema, m: Record<number, unknown>): RecordObject {
  const out: RecordObject = {};
  for (const f of schema.fields) {
    const w = m[f.tag];
    if (w === undefined || w === null) {
      if (f.required) throw new CodecError('required field is missing', f.name);
      continue;
    }
    out[f.name] = f.fromWire(w);
  }
  return out;
}

export function decodeRecordWith(schema: Schema, b: Uint8Array): RecordObject {
  const m = decodeCbor(b);
  if (!isMap(m)) throw new CodecError('a record must be a CBOR map');
  if (m[0] !== undefined) throw new CodecError(`not a record: message kind ${String(m[0])}`, 'kind');
  return readRecordMap(schema, m);
}
