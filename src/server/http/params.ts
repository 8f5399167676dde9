import { VEHICLE_ID_RE } from '../../tls/identity.js';
import { badParam, HttpError } from './errors.js';
import { COLUMN_OF_KEY, POSITION_KEY_FIELDS, type ColumnName } from '../store/columns.js';

/**
 * Query parameters of one request, checked against the names a route takes: an
 * unknown name or a repeated one is refused (400 naming it), so a typo never
 * silently means "the default".
 */
export class Query {
  private readonly values = new Map<string, string[]>();

  constructor(search: URLSearchParams, allowed: readonly string[], repeatable: readonly string[] = []) {
    for (const [k, v] of search) {
      if (!allowed.includes(k)) throw badParam(k, `unknown parameter (this endpoint takes ${allowed.length ? allowed.join(', ') : 'none'})`);
      const list = this.values.get(k) ?? [];
      if (list.length && !repeatable.includes(k)) throw badParam(k, 'given more than once');
      list.push(v);
      this.values.set(k, list);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }
}

/** ISO 8601 as the API takes it: a date (UTC midnight) or a date-time with seconds optional, fraction optional and a zone (Z or +hh:mm). */
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** The telemetry record holds seconds in a uint32: nothing is stored outside 1970..2106. */
const MAX_MS = 2 ** 32 * 1000;

export function parseTime(name: string, s: string): number {
  const m = ISO_RE.exec(s);
  if (!m) throw badParam(name, `expected an ISO 8601 date or date-time with a zone (2026-05-01 or 2026-05-01T08:00:00Z), got ${JSON.stringify(s.slice(0, 40))}`);
  const [, y, mo, d, h = '00', mi = '00', sec = '00'] = m;
  // Date.parse accepts 2026-02-30 and 24:00; check the fields round-trip.
  const probe = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec));
  if (probe.getUTCFullYear() !== +y! || probe.getUTCMonth() !== +mo! - 1 || probe.getUTCDate() !== +d! || probe.getUTCHours() !== +h || probe.getUTCMinutes() !== +mi || probe.getUTCSeconds() !== +sec)
    throw badParam(name, `${JSON.stringify(s)} is not a real date and time`);
  const ms = Date.parse(m[4] === undefined ? `${s}T00:00:00Z` : s);
  if (!Number.isFinite(ms) || ms < 0 || ms >= MAX_MS) throw badParam(name, `${JSON.stringify(s)} is outside 1970..2106`);
  return ms;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/**
 * from/to of a range request: both optional (to defaults to now, from to `defaultMs`
 * before to), from before to, at most `maxDays` long.
 */
export function parseRange(q: Query, now: number, o: { defaultMs: number; maxDays: number }): TimeRange {
  const f = q.get('from');
  const t = q.get('to');
  const toMs = t !== undefined ? parseTime('to', t) : now;
  const fromMs = f !== undefined ? parseTime('from', f) : Math.max(0, toMs - o.defaultMs);
  if (fromMs >= toMs) throw badParam(f !== undefined ? 'from' : 'to', `from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})`);
  if (toMs - fromMs > o.maxDays * 86_400_000) throw badParam('to', `the range from..to is ${Math.ceil((toMs - fromMs) / 86_400_000)} days; at most ${o.maxDays} days per request (split it)`);
  return { fromMs, toMs };
}

/** A vehicle id from the path (percent-decoded), refused unless it is a valid vehicle id. */
export function parseVehicleId(raw: string, name = 'id'): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw badParam(name, 'bad percent-encoding');
  }
  if (!VEHICLE_ID_RE.test(id)) throw badParam(name, `${JSON.stringify(id.slice(0, 70))} is not a vehicle id (1-64 letters, digits, '.', '_' or '-')`);
  return id;
}

export function parseEnum<T extends string>(name: string, value: string | undefined, known: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(known as readonly string[]).includes(value)) throw badParam(name, `expected one of ${known.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`);
  return value as T;
}

export const notFound = (what: string) => new HttpError(404, what);

const KEY_FIELDS: readonly string[] = POSITION_KEY_FIELDS;

/**
 * `fields` of a columnar track: the Position keys it carries, comma-separated
 * (`lat,lon,speedMps`), besides the key fields it always has; undefined when not given.
 */
export function parseFields(value: string | undefined, format: string): ColumnName[] | undefined {
  if (value === undefined) return undefined;
  if (format !== 'columns') throw badParam('fields', `only with format=columns, not ${format}`);
  const out: ColumnName[] = [];
  for (const k of value.split(',')) {
    if (KEY_FIELDS.includes(k)) continue;
    const c = COLUMN_OF_KEY.get(k);
    if (!c) throw badParam('fields', `unknown field ${JSON.stringify(k.slice(0, 40))} (known: ${[...KEY_FIELDS, ...COLUMN_OF_KEY.keys()].join(', ')})`);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}
