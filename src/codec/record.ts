import { CborWriter } from './cbor-writer.js';
import { expectEnd, MapKeys, messageReader, type CborMap } from './cbor-reader.js';
import { CodecError } from './errors.js';
import { appOf, wireOf, type Schema } from './schema.js';

/**
 * One record = one CBOR map from field tag to wire value, keys in ascending tag
 * order, absent fields left out. Tag 0 never appears in a record (it marks the
 * other message kinds, see messages.ts). A reader skips tags it does not know
 * (newer writers), treats a null value like an absent field, and rejects a
 * missing required field or a value of the wrong type with a CodecError naming
 * the field.
 *
 * The hot paths work on value rows: values[i] belongs to schema.fields[i]
 * (undefined or null = absent), which avoids keyed property access per field.
 */
export type RecordObject = Record<string, unknown>;

const shared = new CborWriter(512);

/**
 * Writes a record map from a value row. With `kind`, the map starts with key
 * 0 = kind (gap and header messages reuse the record layout that way).
 */
export function writeValues(out: CborWriter, schema: Schema, values: readonly unknown[], kind?: number): void {
  const fields = schema.fields;
  let count = 0;
  for (let i = 0; i < fields.length; i++) {
    const v = values[i];
    if (v === undefined || v === null) {
      if (fields[i]!.required) throw new CodecError('required field is missing', fields[i]!.name);
    } else count++;
  }
  if (kind === undefined) out.map(count);
  else {
    out.map(count + 1);
    out.int(0);
    out.int(kind);
  }
  for (let i = 0; i < fields.length; i++) {
    const v = values[i];
    if (v === undefined || v === null) continue;
    const f = fields[i]!;
    out.head(0, f.tag);
    const w = wireOf(f, v);
    if (f.plainInt !== null) out.int(w as number);
    else f.write(out, w);
  }
}

export function encodeValues(schema: Schema, values: readonly unknown[], kind?: number): Uint8Array {
  writeValues(shared.reset(), schema, values, kind);
  return shared.bytes();
}

export function toValues(schema: Schema, obj: RecordObject): unknown[] {
  return schema.fields.map((f) => obj[f.name]);
}

export function fromValues(schema: Schema, values: readonly unknown[]): RecordObject {
  const out: RecordObject = {};
  const fields = schema.fields;
  for (let i = 0; i < fields.length; i++) if (values[i] !== undefined) out[fields[i]!.name] = values[i];
  return out;
}

export function encodeRecordWith(schema: Schema, obj: RecordObject, kind?: number): Uint8Array {
  return encodeValues(schema, toValues(schema, obj), kind);
}

/** True for a decoded CBOR map. */
export function isMap(v: unknown): v is CborMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Wire values in field order -> app values, checked; null counts as absent. */
function readWires(fields: Schema['fields'], wires: unknown[]): unknown[] {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const w = wires[i];
    if (w === undefined || w === null) {
      if (f.required) throw new CodecError('required field is missing', f.name);
      wires[i] = undefined;
      continue;
    }
    wires[i] = appOf(f, w);
  }
  return wires;
}

/** A decoded record map (keys are tags) as a value row; unknown tags are ignored. */
export function readValues(schema: Schema, m: CborMap): unknown[] {
  return readWires(schema.fields, schema.fields.map((f) => m[f.tag]));
}

export function readRecordMap(schema: Schema, m: CborMap): RecordObject {
  return fromValues(schema, readValues(schema, m));
}

/** Thrown by decodeValues when the map has key 0: not a record but another kind. */
export class NotARecord extends CodecError {
  constructor(readonly kind: unknown) {
    super(`not a record: message kind ${String(kind)}`, 'kind');
  }
}

/**
 * Decodes a message that must be a record (no key 0) into a value row, in one
 * pass: map entries go straight into the row, unknown tags are read (so they
 * are checked like everything else) and dropped.
 */
export function decodeValues(schema: Schema, b: Uint8Array): unknown[] {
  const r = messageReader(b);
  r.head();
  if (r.major !== 5) throw new CodecError('a record must be a CBOR map');
  const n = r.count(2, 'map', 0);
  const fields = schema.fields;
  const index = schema.indexOfTag;
  const wires: unknown[] = new Array(fields.length);
  const keys = new MapKeys();
  for (let k = 0; k < n; k++) {
    const tag = r.key(keys);
    const w = r.value(1);
    if (tag === 0) throw new NotARecord(w);
    const i = tag < index.length ? index[tag]! : -1;
    if (i >= 0) wires[i] = w;
  }
  expectEnd(r);
  return readWires(fields, wires);
}

export function decodeRecordWith(schema: Schema, b: Uint8Array): RecordObject {
  return fromValues(schema, decodeValues(schema, b));
}
