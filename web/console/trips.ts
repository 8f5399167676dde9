// Trips and stops of the track the vehicle view holds, by the server's own detector: the
// same document as /api/v1/vehicles/ID/trips, without reading the range a second time.
import { TripDetector, type TripSegment } from '../../src/server/trips.js';
import { tripsDocument } from '../../src/server/http/trip-documents.js';
import type { Trips } from './api.js';
import type { Track } from './track.js';

export function tripsOfTrack(vehicle: string, tr: Track, fromMs: number, toMs: number): Trips {
  const d = new TripDetector();
  const segs: TripSegment[] = [];
  const time = tr.col<number>('timeMs');
  const speed = tr.col('speedMps');
  const ignition = tr.col<boolean | null>('ignition');
  const fuel = tr.col('fuelPct');
  for (let i = 0; i < tr.length; i++) segs.push(...d.push({ timeMs: time[i]!, lat: tr.lat[i]!, lon: tr.lon[i]!, speedMps: speed[i] ?? null, ignition: ignition[i] ?? null, fuelPct: fuel[i] ?? null }));
  segs.push(...d.finish());
  return tripsDocument(vehicle, fromMs, toMs, segs);
}
