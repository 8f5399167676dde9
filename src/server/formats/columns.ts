import type { Position, TrackItem } from '../store/query.js';
import type { FormatSpec } from './chunks.js';
import type { ColumnData } from './columns-decode.js';
import { gapProperties } from './geojson.js';

/**
 * Columns written as deltas of integers (value x scale): the store's values are the wire's
 * integers divided by these, so value x scale is an integer again and the reader's
 * integer / scale is the same number. Every other column (and one of these whose values
 * are not such integers) is written as runs of equal values.
 */
export const DELTA_SCALES: Readonly<Record<string, number>> = {
  seq: 1, timeMs: 1, receivedMs: 1, lat: 1e7, lon: 1e7, altM: 10, speedMps: 100, courseDeg: 100, hdop: 100,
  batteryV: 1000, rpm: 1, coolantC: 10, oilKpa: 1, fuelPct: 10, cabinC: 10, humidityPct: 10,
  fuelRateLh: 1000, wheelSpeedMps: 100, fuelUsedL: 10, odometerKm: 1000, engineH: 3600,
};

/** Records per block: the writer holds one block at a time. */
export const BLOCK_ROWS = 4096;

/** Deltas of value x scale (null stays null and does not move the base), or null if a value is no such integer. */
function deltas(values: readonly unknown[], scale: number): (number | null)[] | null {
  const out: (number | null)[] = [];
  let prev = 0;
  for (const v of values) {
    if (v === null) {
      out.push(null);
      continue;
    }
    if (typeof v !== 'number') return null;
    const i = Math.round(v * scale);
    if (!Number.isSafeInteger(i) || i / scale !== v) return null;
    out.push(i - prev);
    prev = i;
  }
  return out;
}

/** Whether two values of a run column are equal: primitives by ===, arrays element by element (tyres, trouble codes). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
  return true;
}

/** Runs of equal values. */
function runs(values: readonly unknown[]): [unknown, number][] {
  const out: [unknown, number][] = [];
  let last: [unknown, number] | undefined;
  for (const v of values) {
    if (last && same(last[0], v)) last[1]++;
    else out.push((last = [v, 1]));
  }
  return out;
}

/**
 * Each column's value of a Position, each read by its own name: over a block's rows a read
 * by a key that changes from column to column is a slow generic lookup.
 */
const READ: { [K in Exclude<keyof Position, 'device'>]: (p: Position) => Position[K] } = {
  spool: (p) => p.spool, seq: (p) => p.seq, timeMs: (p) => p.timeMs, receivedMs: (p) => p.receivedMs,
  lat: (p) => p.lat, lon: (p) => p.lon, altM: (p) => p.altM, speedMps: (p) => p.speedMps, courseDeg: (p) => p.courseDeg,
  mode: (p) => p.mode, sats: (p) => p.sats, hdop: (p) => p.hdop, ignition: (p) => p.ignition, batteryV: (p) => p.batteryV,
  rpm: (p) => p.rpm, coolantC: (p) => p.coolantC, oilKpa: (p) => p.oilKpa, fuelPct: (p) => p.fuelPct, tyresKpa: (p) => p.tyresKpa,
  cabinC: (p) => p.cabinC, humidityPct: (p) => p.humidityPct, faults: (p) => p.faults, fuelRateLh: (p) => p.fuelRateLh,
  wheelSpeedMps: (p) => p.wheelSpeedMps, fuelUsedL: (p) => p.fuelUsedL, odometerKm: (p) => p.odometerKm, engineH: (p) => p.engineH,
  dtcs: (p) => p.dtcs, vin: (p) => p.vin,
};

/**
 * One block's JSON: every column of its records (all Positions, so all with the same
 * keys; a `kind` key, as a track item has, is not a column), and its gap markers.
 */
export function blockText(rows: readonly Position[], gaps: readonly TrackItem[]): string {
  const columns: Record<string, ColumnData> = {};
  const keys = rows.length ? (Object.keys(rows[0]!) as (keyof Position)[]).filter((k) => k !== 'device' && (k as string) !== 'kind') : [];
  const values: unknown[] = new Array<unknown>(rows.length);
  for (const k of keys) {
    const read = (READ as Record<string, (p: Position) => unknown>)[k] ?? ((p: Position) => p[k]);
    for (let i = 0; i < rows.length; i++) values[i] = read(rows[i]!);
    const scale = DELTA_SCALES[k];
    const d = scale !== undefined ? deltas(values, scale) : null;
    columns[k] = d ? { d: scale!, v: d } : { r: runs(values) };
  }
  return JSON.stringify({ n: rows.length, columns, gaps: gaps.map((g) => (g.kind === 'gap' ? gapProperties(g) : null)).filter((g) => g !== null) });
}

/**
 * Columnar JSON ("geostream-columns" version 1): the track in blocks of up to
 * BLOCK_ROWS records, each column of a block as integer deltas or runs of equal values
 * (formats/columns-decode.ts reads it back into the GeoJSON properties, exactly).
 * A day at 1 Hz is a small fraction of its GeoJSON (npm run bench -- console).
 */
export function columnsFormat(blockRows = BLOCK_ROWS): FormatSpec {
  return {
    contentType: 'application/json',
    extension: 'json',
    encoder(meta) {
      let rows: Position[] = [];
      let gaps: TrackItem[] = [];
      let blocks = 0;
      const flush = (): string => {
        if (!rows.length && !gaps.length) return '';
        const text = `${blocks++ ? ',\n' : ''}${blockText(rows, gaps)}`;
        rows = [];
        gaps = [];
        return text;
      };
      return {
        head: () => `{"type":"geostream-columns","version":1,"vehicle":${JSON.stringify(meta.device)},"blocks":[\n`,
        item(item) {
          if (item.kind === 'gap') gaps.push(item);
          else rows.push(item);
          return rows.length + gaps.length >= blockRows ? flush() : '';
        },
        tail: () => `${flush()}\n]}\n`,
      };
    },
  };
}

export const columns = columnsFormat();
