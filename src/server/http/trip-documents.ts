/**
 * Trips and stops as the API's JSON document (documents.ts). No Node imports: the
 * operator console builds the same document from the track it already holds.
 */
import type { Place, TripSegment } from '../trips.js';
import type { PlaceDocument, SegmentDocument, TripsDocument } from './documents.js';

const isoAt = (ms: number): string => new Date(ms).toISOString();

const placeDocument = (p: Place): PlaceDocument => ({ time: isoAt(p.timeMs), lat: p.lat, lon: p.lon });

export function segmentDocument(s: TripSegment): SegmentDocument {
  const common = { start: placeDocument(s.start), end: placeDocument(s.end), durationS: s.durationMs / 1000, ongoing: s.ongoing };
  if (s.kind === 'stop') return common;
  return { ...common, distanceM: s.distanceM, maxSpeedMps: s.maxSpeedMps, avgSpeedMps: s.avgSpeedMps, fuelUsedPct: s.fuelUsedPct };
}

export function tripsDocument(vehicle: string, fromMs: number, toMs: number, segs: readonly TripSegment[]): TripsDocument {
  return {
    vehicle,
    from: isoAt(fromMs),
    to: isoAt(toMs),
    trips: segs.filter((s) => s.kind === 'trip').map(segmentDocument),
    stops: segs.filter((s) => s.kind === 'stop').map(segmentDocument),
  };
}
