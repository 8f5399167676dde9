import { CodecError } from './errors.js';
import type { CborWriter } from './cbor-writer.js';

/**
 * Named, versioned schemas whose fields carry integer tags (the spirit of
 * protobuf): a record travels as a CBOR map from tag to value, so the names never
 * go on the wire and a reader in any language needs only the tag table.
 *
 * Field types and their wire form (see docs/PROTOCOL.md):
 *   int8..int64, uint8..uint64   CBOR integer, range-checked (64-bit types carry
 *                                values up to +-(2^53-1): JavaScript numbers)
 *   fixed {base, scale}          app value is a decimal number; wire value is the
 *                                integer round(value * scale) in the base type's range
 *   enum {values}                app value is one of `values`; wire value its index
 *   string {maxLength}           CBOR text, at most maxLength UTF-8 bytes (default 255)
 *   bool                         CBOR false/true
 *   float32, float64             CBOR float of that width
 *   array {items, maxItems, nullableItems}  CBOR array of the item type (no nesting)
 * Integer types may narrow their range with `min`/`max`.
 *
 * Tag 0 is reserved in every schema (it marks non-record messages), tags are
 * 1..65535 and unique; tags 1..23 cost one byte on the wire, so give them to the
 * fields that are sent most.
 */
export type IntType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';
type ScalarTypeName = IntType | 'fixed' | 'enum' | 'string' | 'bool' | 'float32' | 'float64';

export interface ScalarSpec {
  type: ScalarTypeName;
  /** fixed: the integer type of the wire value. */
  base?: IntType;
  /** fixed: wire = round(value * scale); a positive finite number. */
  scale?: number;
  /** enum: the names, wire value is the index. */
  values?: readonly string[];
  /** string: most UTF-8 bytes. */
  maxLength?: number;
  /** integer types (and fixed, on the wire value): narrower range. */
  min?: number;
  max?: number;
}
export interface ArraySpec {
  type: 'array';
  items: ScalarSpec;
  maxItems: number;
  nullableItems?: boolean;
}
export type FieldSpec = (ScalarSpec | ArraySpec) & { tag: number; required?: boolean; doc?: string };

/** A value as it travels: integers for int/fixed/enum, or string/bool/float, or an array of them. */
export type WireScalar = number | string | boolean;
export type Wire = WireScalar | (WireScalar | null)[];

export interface Field {
  readonly name: string;
  readonly tag: number;
  readonly required: boolean;
  readonly spec: FieldSpec;
  /** True when the wire value is an integer (int, fixed, enum): delta coding applies. */
  readonly integer: boolean;
  /**
   * For plain integer types (app value = wire value): the allowed range, so hot
   * paths can check and write inline; null for every other type.
   */
  readonly plainInt: { min: number; max: number } | null;
  /** True for an array whose items are integers on the wire (batches may code it ITEMS). */
  readonly integerItems: boolean;
  /** App value -> wire value; throws CodecError naming the field. */
  toWire(v: unknown): Wire;
  /** Wire value (as decoded) -> app value; throws CodecError naming the field. */
  fromWire(w: unknown): unknown;
  /** Writes a wire value produced by toWire. */
  write(out: CborWriter, w: Wire): void;
}

export interface Schema {
  readonly name: string;
  readonly version: number;
  /** Sorted by tag (the order records are written in). */
  readonly fields: readonly Field[];
  readonly byName: ReadonlyMap<string, Field>;
  /** indexOfTag[tag] = position in fields, -1 (or out of range) for unknown tags. */
  readonly indexOfTag: Int16Array;
}

/** f.toWire with the common case inline: a plain integer already in range. */
export function wireOf(f: Field, v: unknown): Wire {
  const p = f.plainInt;
  return p !== null && typeof v === 'number' && Number.isInteger(v) && v >= p.min && v <= p.max ? v : f.toWire(v);
}

/** f.fromWire with the common case inline: a plain integer already in range. */
export function appOf(f: Field, w: unknown): unknown {
  const p = f.plainInt;
  return p !== null && typeof w === 'number' && Number.isInteger(w) && w >= p.min && w <= p.max ? w : f.fromWire(w);
}

const INT_RANGE: Record<IntType, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};
const SCALAR_TYPES = new Set<string>([...Object.keys(INT_RANGE), 'fixed', 'enum', 'string', 'bool', 'float32', 'float64']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'a byte string';
  if (typeof v === 'string') return `"${v.length > 20 ? `${v.slice(0, 20)}...` : v}"`;
  if (typeof v === 'bigint') return `${v}`;
  return typeof v === 'object' ? 'a map' : String(v);
}

interface ScalarCodec {
  integer: boolean;
  plainInt?: { min: number; max: number };
  toWire(v: unknown, field: string): WireScalar;
  fromWire(w: unknown, field: string): unknown;
  write(out: CborWriter, w: WireScalar): void;
}

const utf8 = new TextEncoder();
const writeInt = (out: CborWriter, w: WireScalar) => out.int(w as number);

function intCheck(min: number, max: number, what: string) {
  return (w: unknown, field: string): number => {
    // cbor-x returns 8-byte integers as bigint; take them when they fit.
    if (typeof w === 'bigint' && w >= BigInt(min) && w <= BigInt(max)) return Number(w);
    if (typeof w !== 'number' || !Number.isInteger(w) || w < min || w > max) {
      throw new CodecError(`expected ${what} in ${min}..${max}, got ${describe(w)}`, field);
    }
    return w;
  };
}

/** Builds the value converter for one scalar spec, validating the spec itself. */
function scalarCodec(spec: ScalarSpec, where: string): ScalarCodec {
  const bad = (why: string): never => {
    throw new CodecError(`invalid schema: ${why}`, where);
  };
  if (!SCALAR_TYPES.has(spec.type)) bad(`unknown type "${String(spec.type)}"`);
  const rangeOf = (t: IntType): [number, number] => {
    const [lo, hi] = INT_RANGE[t];
    const min = spec.min ?? lo;
    const max = spec.max ?? hi;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < lo || max > hi || min > max) bad(`min/max must be integers within ${t} (${lo}..${hi})`);
    return [min, max];
  };
  switch (spec.type) {
    case 'fixed': {
      if (!spec.base || !(spec.base in INT_RANGE)) bad('fixed needs base: one of the integer types');
      const scale = spec.scale;
      if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) bad('fixed needs a positive finite scale');
      const [min, max] = rangeOf(spec.base!);
      const check = intCheck(min, max, `a ${spec.base} wire value`);
      return {
        integer: true,
        toWire(v, field) {
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new CodecError(`expected a number, got ${describe(v)}`, field);
          const w = Math.round(v * scale!);
          if (w < min || w > max) throw new CodecError(`${v} is outside ${min / scale!}..${max / scale!}`, field);
          return w;
        },
        fromWire: (w, field) => check(w, field) / scale!,
        write: writeInt,
      };
    }
    case 'enum': {
      const values = spec.values;
      if (!Array.isArray(values) || values.length === 0 || values.some((x) => typeof x !== 'string')) bad('enum needs a non-empty list of string values');
      if (new Set(values).size !== values!.length) bad('enum values must be unique');
      const index = new Map(values!.map((x, i) => [x, i]));
      const check = intCheck(0, values!.length - 1, 'an enum index');
      return {
        integer: true,
        toWire(v, field) {
          const i = typeof v === 'string' ? index.get(v) : undefined;
          if (i === undefined) throw new CodecError(`expected one of ${values!.join(', ')}, got ${describe(v)}`, field);
          return i;
        },
        fromWire: (w, field) => values![check(w, field)],
        write: writeInt,
      };
    }
    case 'string': {
      const maxLength = spec.maxLength ?? 255;
      if (!Number.isInteger(maxLength) || maxLength < 0 || maxLength > 65535) bad('string maxLength must be an integer 0..65535');
      const check = (v: unknown, field: string): string => {
        if (typeof v !== 'string') throw new CodecError(`expected a string, got ${describe(v)}`, field);
        // UTF-8 takes at most 3 bytes per UTF-16 unit: only long strings need encoding to check.
        if (v.length * 3 > maxLength && utf8.encode(v).length > maxLength) throw new CodecError(`string longer than ${maxLength} bytes`, field);
        return v;
      };
      return { integer: false, toWire: check, fromWire: check, write: (out, w) => out.text(w as string) };
    }
    case 'bool': {
      const check = (v: unknown, field: string): boolean => {
        if (typeof v !== 'boolean') throw new CodecError(`expected true or false, got ${describe(v)}`, field);
        return v;
      };
      return { integer: false, toWire: check, fromWire: check, write: (out, w) => out.bool(w as boolean) };
    }
    case 'float32':
    case 'float64': {
      const f32 = spec.type === 'float32';
      return {
        integer: false,
        toWire(v, field) {
          if (typeof v !== 'number') throw new CodecError(`expected a number, got ${describe(v)}`, field);
          return f32 ? Math.fround(v) : v;
        },
        fromWire(w, field) {
          if (typeof w !== 'number') throw new CodecError(`expected a float, got ${describe(w)}`, field);
          return f32 ? Math.fround(w) : w;
        },
        write: f32 ? (out, w) => out.float32(w as number) : (out, w) => out.float64(w as number),
      };
    }
    default: {
      const t = spec.type as IntType;
      const [min, max] = rangeOf(t);
      const check = intCheck(min, max, `an integer (${t})`);
      return { integer: true, plainInt: { min, max }, toWire: check, fromWire: check, write: writeInt };
    }
  }
}

function compileField(name: string, spec: FieldSpec): Field {
  const where = name;
  if (!NAME.test(name)) throw new CodecError('invalid schema: field names are identifiers', where);
  if (!Number.isInteger(spec.tag) || spec.tag < 1 || spec.tag > 65535) {
    throw new CodecError(`invalid schema: tag must be an integer 1..65535 (0 is reserved), got ${describe(spec.tag)}`, where);
  }
  const required = spec.required === true;
  if (spec.type !== 'array') {
    const c = scalarCodec(spec, where);
    return {
      name, tag: spec.tag, required, spec, integer: c.integer, plainInt: c.plainInt ?? null, integerItems: false,
      toWire: (v) => c.toWire(v, name),
      fromWire: (w) => c.fromWire(w, name),
      write: (out, w) => c.write(out, w as WireScalar),
    };
  }
  const { items, maxItems } = spec;
  if (!items || typeof items !== 'object') throw new CodecError('invalid schema: array needs items', where);
  if ((items.type as string) === 'array') throw new CodecError('invalid schema: arrays of arrays are not supported', where);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 4096) throw new CodecError('invalid schema: array maxItems must be an integer 1..4096', where);
  const c = scalarCodec(items, `${name}[]`);
  const nullable = spec.nullableItems === true;
  // Item names for error messages, made once (not per item on the hot path).
  const labels = Array.from({ length: maxItems }, (_, i) => `${name}[${i}]`);
  const each = (v: unknown, conv: (x: unknown, f: string) => unknown): (WireScalar | null)[] => {
    if (!Array.isArray(v)) throw new CodecError(`expected an array, got ${describe(v)}`, name);
    const n = v.length;
    if (n > maxItems) throw new CodecError(`array of ${n} items exceeds maxItems ${maxItems}`, name);
    const out: (WireScalar | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const x: unknown = v[i];
      if (x === null || x === undefined) {
        if (!nullable) throw new CodecError('null item in an array without nullableItems', labels[i]);
        out[i] = null;
      } else out[i] = conv(x, labels[i]!) as WireScalar;
    }
    return out;
  };
  return {
    name, tag: spec.tag, required, spec, integer: false, plainInt: null, integerItems: c.integer,
    toWire: (v) => each(v, c.toWire),
    fromWire: (w) => each(w, c.fromWire),
    write(out, w) {
      const a = w as (WireScalar | null)[];
      out.array(a.length);
      for (const x of a) {
        if (x === null) out.null();
        else c.write(out, x);
      }
    },
  };
}

/**
 * Defines a schema, validating it now (duplicate tags or names, unknown types,
 * bad parameters throw CodecError naming the field), so a bad schema fails at
 * startup rather than on the first record.
 */
export function defineSchema(name: string, version: number, fields: Record<string, FieldSpec>): Schema {
  if (typeof name !== 'string' || name.length === 0) throw new CodecError('invalid schema: a schema needs a name');
  if (!Number.isInteger(version) || version < 1 || version > 65535) throw new CodecError(`invalid schema ${name}: version must be an integer 1..65535`);
  const compiled = Object.entries(fields).map(([n, spec]) => compileField(n, spec));
  if (compiled.length === 0) throw new CodecError(`invalid schema ${name}: no fields`);
  const tags = new Map<number, string>();
  for (const f of compiled) {
    const other = tags.get(f.tag);
    if (other !== undefined) throw new CodecError(`invalid schema ${name}: tag ${f.tag} is also used by ${other}`, f.name);
    tags.set(f.tag, f.name);
  }
  compiled.sort((a, b) => a.tag - b.tag);
  const indexOfTag = new Int16Array(compiled[compiled.length - 1]!.tag + 1).fill(-1);
  compiled.forEach((f, i) => (indexOfTag[f.tag] = i));
  return Object.freeze({ name, version, fields: Object.freeze(compiled), byName: new Map(compiled.map((f) => [f.name, f])), indexOfTag });
}
