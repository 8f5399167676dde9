import { ConfigError } from './errors.js';

/**
 * A tiny declarative validator for config and board files. Every error names the
 * file and the dotted key, says what was expected and what was found. Unknown keys
 * are errors too: a misspelt option must not be silently ignored.
 */
export type Spec =
  | { type: 'string'; pattern?: RegExp; patternHint?: string; default?: string; optional?: boolean; doc?: string }
  | { type: 'integer'; min?: number; max?: number; default?: number; optional?: boolean; doc?: string }
  | { type: 'number'; min?: number; max?: number; default?: number; optional?: boolean; doc?: string }
  | { type: 'boolean'; default?: boolean; optional?: boolean; doc?: string }
  | { type: 'enum'; values: readonly string[]; default?: string; optional?: boolean; doc?: string }
  | { type: 'object'; fields: Record<string, Spec>; optional?: boolean; doc?: string }
  | { type: 'array'; items: Spec; minItems?: number; maxItems?: number; optional?: boolean; doc?: string }
  | { type: 'map'; values: Spec; keyPattern?: RegExp; optional?: boolean; doc?: string };

type Opt<S, T> = S extends { default: unknown } ? T : S extends { optional: true } ? T | undefined : T;

/** The TypeScript type a Spec validates to. */
export type Infer<S extends Spec> = S extends { type: 'string' }
  ? Opt<S, string>
  : S extends { type: 'integer' } | { type: 'number' }
    ? Opt<S, number>
    : S extends { type: 'boolean' }
      ? Opt<S, boolean>
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? Opt<S, V>
        : S extends { type: 'object'; fields: infer F extends Record<string, Spec> }
          ? Opt<S, { [K in keyof F]: Infer<F[K]> }>
          : S extends { type: 'array'; items: infer I extends Spec }
            ? Opt<S, Infer<I>[]>
            : S extends { type: 'map'; values: infer V extends Spec }
              ? Opt<S, Record<string, Infer<V>>>
              : never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` in ${min}..${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

export function validate<S extends Spec>(spec: S, value: unknown, file: string, key = ''): Infer<S> {
  return check(spec, value, file, key) as Infer<S>;
}

function check(spec: Spec, value: unknown, file: string, key: string): unknown {
  const fail = (problem: string): never => {
    throw new ConfigError(file, key, problem);
  };
  if (value === undefined) {
    if ('default' in spec && spec.default !== undefined) return spec.default;
    if (spec.type === 'object' && !spec.optional) {
      // An absent section is valid when every field in it has a default or is optional.
      return check(spec, {}, file, key);
    }
    if (spec.optional) return undefined;
    return fail('is required');
  }
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return fail(`expected a string, got ${describe(value)}`);
      if (spec.pattern && !spec.pattern.test(value))
        return fail(`${describe(value)} is not ${spec.patternHint ?? `of the form ${spec.pattern}`}`);
      return value;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail(`expected ${spec.type === 'integer' ? 'an integer' : 'a number'}${range(spec.min, spec.max)}, got ${describe(value)}`);
      if (spec.type === 'integer' && !Number.isInteger(value)) return fail(`expected an integer, got ${value}`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
        return fail(`${value} is out of range: expected${range(spec.min, spec.max)}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return fail(`expected true or false, got ${describe(value)}`);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        return fail(`expected one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`);
      return value;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected an object, got ${describe(value)}`);
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (!(k in spec.fields)) {
          const known = Object.keys(spec.fields).join(', ');
          throw new ConfigError(file, key ? `${key}.${k}` : k, `unknown key (known keys here: ${known})`);
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(spec.fields)) {
        const v = check(sub, obj[k], file, key ? `${key}.${k}` : k);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail(`expected an array, got ${describe(value)}`);
      if (spec.minItems !== undefined && value.length < spec.minItems) return fail(`needs at least ${spec.minItems} item(s), has ${value.length}`);
      if (spec.maxItems !== undefined && value.length > spec.maxItems) return fail(`allows at most ${spec.maxItems} item(s), has ${value.length}`);
      return value.map((item, i) => check(spec.items, item, file, `${key}[${i}]`));
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected an object, got ${describe(value)}`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (spec.keyPattern && !spec.keyPattern.test(k)) throw new ConfigError(file, key ? `${key}.${k}` : k, `invalid name (must match ${spec.keyPattern})`);
        out[k] = check(spec.values, v, file, key ? `${key}.${k}` : k);
      }
      return out;
    }
  }
}
