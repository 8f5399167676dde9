import { CborWriter } from './cbor-writer.js';
import { decodeCbor, type CborMap } from './cbor-reader.js';
import { CodecError } from './errors.js';
import { decodeColumn, MAX_BATCH_RECORDS, writeColumn, type Cell } from './columns.js';
import { fromValues, isMap, toValues, type RecordObject } from './record.js';
import { appOf, wireOf, type Field, type Schema } from './schema.js';

export { MAX_BATCH_RECORDS };

/**
 * A batch is N records of one schema stored column by column, still one CBOR item:
 *
 *   { 0: 1 (kind: batch), 1: schema version, 2: N, 3: { tag: column, ... } }
 *
 * A field absent from every record has no column; a required field must have a
 * column and a value in every record. The columns are coded as columns.ts says.
 */
export const KIND_BATCH = 1;

const shared = new CborWriter(4096);

/** Encodes value rows (rows[i][j] belongs to schema.fields[j]; undefined or null = absent). */
export function encodeBatchValues(schema: Schema, rows: readonly (readonly unknown[])[]): Uint8Array {
  const n = rows.length;
  if (n < 1 || n > MAX_BATCH_RECORDS) throw new CodecError(`a batch holds 1..${MAX_BATCH_RECORDS} records, got ${n}`, 'batch.count');
  const columns: [Field, Cell[]][] = [];
  schema.fields.forEach((f, j) => {
    const cells: Cell[] = new Array(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      const v = rows[i]![j];
      if (v === undefined || v === null) {
        if (f.required) throw new CodecError(`required field is missing in record ${i}`, f.name);
        cells[i] = undefined;
      } else {
        cells[i] = wireOf(f, v);
        any = true;
      }
    }
    if (any) columns.push([f, cells]);
  });
  const out = shared.reset();
  out.map(4);
  out.int(0);
  out.int(KIND_BATCH);
  out.int(1);
  out.int(schema.version);
  out.int(2);
  out.int(n);
  out.int(3);
  out.map(columns.length);
  for (const [f, cells] of columns) {
    out.head(0, f.tag);
    writeColumn(out, f, cells);
  }
  return out.bytes();
}

/** Reads a decoded batch map into value rows. */
export function readBatchValues(schema: Schema, m: CborMap): unknown[][] {
  if (m[0] !== KIND_BATCH) throw new CodecError(`not a batch: message kind ${String(m[0] ?? 'record')}`, 'kind');
  const version = m[1];
  if (version !== schema.version) throw new CodecError(`batch is schema version ${String(version)}, this reader knows ${schema.name} v${schema.version}`, 'batch.version');
  const n = m[2];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_BATCH_RECORDS) throw new CodecError(`record count ${String(n)} is not 1..${MAX_BATCH_RECORDS}`, 'batch.count');
  const cols = m[3];
  if (!isMap(cols)) throw new CodecError('columns must be a map', 'batch.columns');
  const fields = schema.fields;
  const rows: unknown[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = new Array(fields.length);
  fields.forEach((f, j) => {
    const col = cols[f.tag];
    if (col === undefined) {
      if (f.required) throw new CodecError('required field has no column', f.name);
      return;
    }
    const cells = decodeColumn(f, col, n);
    for (let i = 0; i < n; i++) {
      const w = cells[i];
      if (w === undefined || w === null) {
        if (f.required) throw new CodecError(`required field is missing in record ${i}`, f.name);
        continue;
      }
      rows[i]![j] = appOf(f, w);
    }
  });
  return rows;
}

export function decodeBatchValues(schema: Schema, b: Uint8Array): unknown[][] {
  const m = decodeCbor(b);
  if (!isMap(m)) throw new CodecError('a batch must be a CBOR map');
  return readBatchValues(schema, m);
}

export function encodeBatchWith(schema: Schema, objs: readonly RecordObject[]): Uint8Array {
  return encodeBatchValues(schema, objs.map((o) => toValues(schema, o)));
}

export function decodeBatchWith(schema: Schema, b: Uint8Array): RecordObject[] {
  return decodeBatchValues(schema, b).map((row) => fromValues(schema, row));
}
