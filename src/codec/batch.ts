import { CborWriter } from './cbor-writer.js';
import { decodeCbor, type CborMap } from './cbor-reader.js';
import { CodecError } from './errors.js';
import { MAX_BATCH_RECORDS, type Cell } from './columns.js';
import { writeColumn, writeIntColumn } from './column-writer.js';
import { decodeColumn } from './column-reader.js';
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
const columnsOut = new CborWriter(4096);
const VALS = new Float64Array(MAX_BATCH_RECORDS);
const EMPTY: Cell[] = [];

/** Reads one field's app value from a record (undefined or null = absent). */
export type FieldGetter<R> = (record: R) => unknown;

/**
 * Reads field f of every record into vals (integer fields, wire value, NaN =
 * absent) or cells (other fields, undefined = absent); true when any record has it.
 */
type ColumnReader<R> = (records: readonly R[], vals: Float64Array, cells: Cell[]) => boolean;

/**
 * One reader per field, each its own closure: V8 keeps call feedback per closure,
 * so each reader's `get` call site sees one getter and is inlined (a single loop
 * calling all the getters would be megamorphic).
 */
function columnReader<R>(f: Field, get: FieldGetter<R>): ColumnReader<R> {
  const missing = (i: number) => new CodecError(`required field is missing in record ${i}`, f.name);
  if (f.integer) {
    const p = f.plainInt;
    const min = p ? p.min : 0;
    const max = p ? p.max : -1;
    return (records, vals) => {
      let any = false;
      for (let i = 0; i < records.length; i++) {
        const v = get(records[i]!);
        if (v === undefined || v === null) {
          if (f.required) throw missing(i);
          vals[i] = NaN;
        } else {
          vals[i] = typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : (f.toWire(v) as number);
          any = true;
        }
      }
      return any;
    };
  }
  return (records, _vals, cells) => {
    let any = false;
    for (let i = 0; i < records.length; i++) {
      const v = get(records[i]!);
      if (v === undefined || v === null) {
        if (f.required) throw missing(i);
        cells[i] = undefined;
      } else {
        cells[i] = wireOf(f, v);
        any = true;
      }
    }
    return any;
  };
}

const READERS = new WeakMap<readonly FieldGetter<never>[], ColumnReader<never>[]>();

function readersFor<R>(schema: Schema, getters: readonly FieldGetter<R>[]): ColumnReader<R>[] {
  let r = READERS.get(getters) as ColumnReader<R>[] | undefined;
  if (!r) {
    if (getters.length !== schema.fields.length) throw new Error(`encodeBatchColumns: ${getters.length} getters for ${schema.fields.length} fields`);
    r = schema.fields.map((f, j) => columnReader(f, getters[j]!));
    READERS.set(getters, r as ColumnReader<never>[]);
  }
  return r;
}

/**
 * Encodes N records column by column: `getters[j]` reads field j
 * (schema.fields[j]) from a record, so records are read in place, whatever
 * their shape (pass the same getters array each time: its readers are made
 * once). Integer fields go into a typed scratch array (no per-value
 * allocation) and are coded straight away; a column whose field no record has
 * is left out.
 */
export function encodeBatchColumns<R>(schema: Schema, records: readonly R[], getters: readonly FieldGetter<R>[]): Uint8Array {
  const n = records.length;
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_RECORDS) throw new CodecError(`a batch holds 1..${MAX_BATCH_RECORDS} records, got ${n}`, 'batch.count');
  const fields = schema.fields;
  const readers = readersFor(schema, getters);
  const cols = columnsOut.reset();
  let count = 0;
  let cells: Cell[] | null = null;
  for (let j = 0; j < fields.length; j++) {
    const f = fields[j]!;
    if (f.integer) {
      if (!readers[j]!(records, VALS, EMPTY)) continue;
      cols.head(0, f.tag);
      writeIntColumn(cols, VALS, n);
    } else {
      cells ??= new Array<Cell>(n);
      if (!readers[j]!(records, VALS, cells)) continue;
      cols.head(0, f.tag);
      writeColumn(cols, f, cells);
    }
    count++;
  }
  const out = shared.reset();
  out.map(4);
  out.int(0);
  out.int(KIND_BATCH);
  out.int(1);
  out.int(schema.version);
  out.int(2);
  out.int(n);
  out.int(3);
  out.map(count);
  out.raw(cols.written());
  return out.bytes();
}

/** Encodes value rows (rows[i][j] belongs to schema.fields[j]; undefined or null = absent). */
export function encodeBatchValues(schema: Schema, rows: readonly (readonly unknown[])[]): Uint8Array {
  return encodeBatchColumns(schema, rows, rowGetters(schema));
}

const ROW_GETTERS = new WeakMap<Schema, FieldGetter<readonly unknown[]>[]>();

/** Getters reading position j of a value row, made once per schema. */
function rowGetters(schema: Schema): FieldGetter<readonly unknown[]>[] {
  let g = ROW_GETTERS.get(schema);
  if (!g) {
    g = schema.fields.map((_, j) => (row: readonly unknown[]) => row[j]);
    ROW_GETTERS.set(schema, g);
  }
  return g;
}

/** Reads a decoded batch map into value rows. */
export function readBatchValues(schema: Schema, m: CborMap): unknown[][] {
  if (m[0] !== KIND_BATCH) throw new CodecError(`not a batch: message kind ${String(m[0] ?? 'record')}`, 'kind');
  const version = m[1];
  // Versions only add optional tags: a batch of any version gives the columns this reader knows.
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 65535) throw new CodecError(`batch schema version ${String(version)} is not 1..65535`, 'batch.version');
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
