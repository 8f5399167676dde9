import { setImmediate as nextTurn } from 'node:timers/promises';
import { formatTrack, type TrackFormat } from '../formats/index.js';
import type { ColumnName } from '../store/columns.js';
import type { StoreQueries, TrackItem } from '../store/query.js';
import { TripDetector, type TripSegment } from '../trips.js';

/**
 * The HTTP API's long reads: a vehicle's track over a range as a document, and its
 * trips and stops. A day at 1 Hz is 86,400 rows to read and write out; `localReads`
 * does it in the calling process, `ReaderPool` (pool.ts) in reader processes so the
 * ingest event loop never carries it.
 */
export interface TrackReads {
  /** The document (`format`) of a vehicle's track in [fromMs, toMs), as text chunks of about 64 KiB; with `columns`, only those decoded columns (TrackOptions.columns). */
  document(device: string, fromMs: number, toMs: number, format: TrackFormat, columns?: readonly ColumnName[]): AsyncIterable<string>;
  /** A vehicle's trips and stops in [fromMs, toMs). */
  trips(device: string, fromMs: number, toMs: number): Promise<TripSegment[]>;
}

/** Trips and stops over a track; the event loop turns every `yieldEvery` items (the reads are synchronous SQLite). */
export async function tripsOf(items: AsyncIterable<TrackItem>, yieldEvery = 2000): Promise<TripSegment[]> {
  const d = new TripDetector();
  const out: TripSegment[] = [];
  let n = 0;
  for await (const it of items) {
    if (++n % yieldEvery === 0) await nextTurn();
    if (it.kind !== 'position' || it.lat === null || it.lon === null) continue;
    out.push(...d.push({ timeMs: it.timeMs, lat: it.lat, lon: it.lon, speedMps: it.speedMps, ignition: it.ignition, fuelPct: it.fuelPct }));
  }
  out.push(...d.finish());
  return out;
}

/**
 * The reads done here, on `queries` (a reader process's own store, or the ingest store
 * itself), in document chunks of about `chunkChars` characters (default 64 Ki).
 */
export function localReads(queries: StoreQueries, chunkChars?: number): TrackReads {
  return {
    document: (device, fromMs, toMs, format, columns) => formatTrack(format, queries.trackPages(device, fromMs, toMs, columns ? { columns } : {}), { device }, chunkChars),
    trips: (device, fromMs, toMs) => tripsOf(queries.track(device, fromMs, toMs)),
  };
}
