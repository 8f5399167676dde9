/**
 * Reads the columnar track format (columns.ts) back: every column as one array over the
 * whole track, and each record on demand as the properties the GeoJSON format gives its
 * feature (the same values, the same key order). No Node imports: the operator console
 * bundles it.
 */
import type { GapProperties, PositionProperties } from '../http/documents.js';
import { iso } from './chunks.js';

export type ColumnData = { d: number; v: (number | null)[] } | { r: [unknown, number][] };

export interface ColumnsDocument {
  type: 'geostream-columns';
  version: 1;
  vehicle: string;
  blocks: { n: number; columns: Record<string, ColumnData>; gaps: GapProperties[] }[];
}

export interface ColumnTrack {
  vehicle: string;
  /** Records. */
  n: number;
  /** Position's keys (timeMs, lat, ...) -> one value per record. */
  columns: Record<string, unknown[]>;
  gaps: GapProperties[];
}

function expand(name: string, c: ColumnData, n: number, out: unknown[]): void {
  const start = out.length;
  if ('d' in c) {
    let acc = 0;
    for (const x of c.v) {
      if (x === null) out.push(null);
      else {
        acc += x;
        out.push(acc / c.d);
      }
    }
  } else if ('r' in c) {
    for (const [v, k] of c.r) for (let i = 0; i < k; i++) out.push(v);
  }
  if (out.length - start !== n) throw new Error(`columns: column ${JSON.stringify(name)} has ${out.length - start} values for ${n} records`);
}

export function decodeColumns(doc: ColumnsDocument): ColumnTrack {
  if (doc?.type !== 'geostream-columns' || doc.version !== 1) throw new Error('not a geostream-columns version 1 document');
  const columns: Record<string, unknown[]> = {};
  const gaps: GapProperties[] = [];
  let n = 0;
  for (const b of doc.blocks) {
    for (const [k, c] of Object.entries(b.columns)) {
      const out = (columns[k] ??= Array<unknown>(n).fill(null));
      if (out.length < n) out.push(...Array<unknown>(n - out.length).fill(null));
      expand(k, c, b.n, out);
    }
    n += b.n;
    gaps.push(...b.gaps);
  }
  for (const out of Object.values(columns)) if (out.length < n) out.push(...Array<unknown>(n - out.length).fill(null));
  return { vehicle: doc.vehicle, n, columns, gaps };
}

/** Record i as its GeoJSON feature's properties. */
export function positionAt(t: ColumnTrack, i: number): PositionProperties {
  const p: Record<string, unknown> = { kind: 'position', device: t.vehicle };
  for (const k in t.columns) {
    const v = t.columns[k]![i];
    if (k === 'timeMs') p.time = iso(v as number);
    else if (k === 'receivedMs') p.received = iso(v as number);
    else p[k] = v;
  }
  return p as PositionProperties;
}
