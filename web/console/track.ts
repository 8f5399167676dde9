// A vehicle's track as the vehicle view holds it: one array per column over the records
// that have a position, in time order, with each fix time in seconds (the charts' x and
// the slider). A record becomes an object only when one is shown (the cursor's record).
import { positionAt, type ColumnTrack } from '../../src/server/formats/columns-decode.js';
import { COLUMN_OF_KEY, POSITION_KEY_FIELDS } from '../../src/server/store/column-names.js';
import type { GapProperties as GapProps, PositionProperties as PositionProps } from '../../src/server/http/documents.js';

export class Track {
  /** Fix time of each point, seconds. */
  readonly t: number[];
  readonly lat: number[];
  readonly lon: number[];

  private constructor(
    private readonly data: ColumnTrack,
    readonly gaps: GapProps[],
  ) {
    const c = data.columns;
    this.t = ((c.timeMs ?? []) as number[]).map((ms) => ms / 1000);
    this.lat = (c.lat ?? []) as number[];
    this.lon = (c.lon ?? []) as number[];
  }

  static empty(vehicle = ''): Track {
    return new Track({ vehicle, n: 0, columns: {}, gaps: [] }, []);
  }

  /** The records of a columns document that have a position. */
  static fromColumns(ct: ColumnTrack): Track {
    const lat = ct.columns.lat ?? [];
    const lon = ct.columns.lon ?? [];
    const keep: number[] = [];
    for (let i = 0; i < ct.n; i++) if (lat[i] !== null && lon[i] !== null) keep.push(i);
    if (keep.length === ct.n) return new Track(ct, ct.gaps);
    const columns: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(ct.columns)) columns[k] = keep.map((i) => v[i]);
    return new Track({ vehicle: ct.vehicle, n: keep.length, columns, gaps: ct.gaps }, ct.gaps);
  }

  get length(): number {
    return this.data.n;
  }

  /** One column (a Position key: speedMps, rpm, tyresKpa, ...); nulls where the records have none. */
  col<T = number | null>(key: string): T[] {
    return (this.data.columns[key] ?? Array<null>(this.data.n).fill(null)) as T[];
  }

  /** Point i as its record. */
  at(i: number): PositionProps {
    return positionAt(this.data, i);
  }

  /**
   * Adds the fields of a second read of the range (the same records' other columns),
   * matched by spool and seq; its records this track lacks are left out. Fields come out
   * in a record's own order, as in a whole document.
   */
  addColumns(ct: ColumnTrack): void {
    const c = this.data.columns;
    const n = this.data.n;
    const spool = this.col<string>('spool');
    const seq = this.col<number>('seq');
    const cs = ct.columns.spool ?? [];
    const cq = ct.columns.seq ?? [];
    // Both reads are in the same order, so a walk matches them; what it leaves (a record
    // the second read lacks, or one stored between the reads out of order) is looked up.
    const to = new Int32Array(ct.n).fill(-1);
    let i = 0;
    for (let j = 0; j < ct.n; j++) if (i < n && cs[j] === spool[i] && cq[j] === seq[i]) to[j] = i++;
    if (i < n) {
      const rest = new Map<string, number>();
      for (let r = i; r < n; r++) rest.set(`${spool[r]}/${seq[r]}`, r);
      for (let j = 0; j < ct.n; j++) if (to[j] === -1) to[j] = rest.get(`${String(cs[j])}/${String(cq[j])}`) ?? -1;
    }
    for (const [k, v] of Object.entries(ct.columns)) {
      if ((POSITION_KEY_FIELDS as readonly string[]).includes(k)) continue;
      const out = (c[k] ??= Array<unknown>(this.data.n).fill(null));
      for (let j = 0; j < ct.n; j++) if (to[j]! >= 0) out[to[j]!] = v[j];
    }
    const order = [...POSITION_KEY_FIELDS, ...COLUMN_OF_KEY.keys()];
    const sorted = Object.keys(c).sort((a, b) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0));
    const columns: Record<string, unknown[]> = {};
    for (const k of sorted) columns[k] = c[k]!;
    this.data.columns = columns;
  }

  /** Appends a live record (with a position, later than the last point). */
  push(p: PositionProps): void {
    const c = this.data.columns;
    const n = this.data.n;
    const row = p as unknown as Record<string, unknown>;
    const seen = new Set<string>();
    for (const k of Object.keys(row)) {
      if (k === 'kind' || k === 'device') continue;
      const key = k === 'time' ? 'timeMs' : k === 'received' ? 'receivedMs' : k;
      const v = key === k ? row[k] : Date.parse(row[k] as string);
      (c[key] ??= Array<unknown>(n).fill(null)).push(v ?? null);
      seen.add(key);
    }
    for (const k of Object.keys(c)) if (!seen.has(k)) c[k]!.push(null);
    this.data.n++;
    this.t.push(Date.parse(p.time) / 1000);
    if (c.lat !== this.lat) (this.lat as unknown[]).push(p.lat);
    if (c.lon !== this.lon) (this.lon as unknown[]).push(p.lon);
  }
}
