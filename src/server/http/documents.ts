/**
 * The JSON documents of the HTTP API, as types derived from the store's: times as ISO
 * 8601 strings where the store has milliseconds. Types only (the operator console in
 * web/console/ imports them too).
 */
import type { GapRow, LinkEvent, Position, VehicleSummary } from '../store/query.js';

/** A position feature's properties (GeoJSON, the live feed). */
export type PositionProperties = { kind: 'position'; time: string; received: string } & Omit<Position, 'timeMs' | 'receivedMs'>;

/** A gap feature's properties. */
export type GapProperties = { kind: 'gap'; fromTime: string; toTime: string; received: string } & Omit<GapRow, 'fromMs' | 'toMs' | 'receivedMs'>;

export interface Feature<P> {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: number[] } | null;
  properties: P;
}

/** A vehicle's latest position as /api/v1/vehicles gives it. */
export type LatestProperties = Omit<PositionProperties, 'kind' | 'device'>;

/** One vehicle of /api/v1/vehicles (and /api/v1/vehicles/ID). */
export type VehicleDocument = { id: string; online: boolean; lastSeen: string | null; latest: LatestProperties | null } & Pick<
  VehicleSummary,
  'handshakes' | 'pathChanges' | 'lastClose' | 'firmware' | 'records' | 'duplicates' | 'gaps' | 'lost'
>;

export interface PlaceDocument {
  time: string;
  lat: number;
  lon: number;
}

/** A trip or a stop of /api/v1/vehicles/ID/trips (the distance and speeds only for trips). */
export interface SegmentDocument {
  start: PlaceDocument;
  end: PlaceDocument;
  durationS: number;
  ongoing: boolean;
  distanceM?: number;
  maxSpeedMps?: number;
  avgSpeedMps?: number;
  fuelUsedPct?: number | null;
}

export interface TripsDocument {
  vehicle: string;
  from: string;
  to: string;
  trips: SegmentDocument[];
  stops: SegmentDocument[];
}

/** One event of /api/v1/vehicles/ID/link. */
export type LinkEventDocument = { time: string; until?: string } & Pick<LinkEvent, 'n' | 'kind' | 'count' | 'detail'>;

export interface LinkDocument {
  vehicle: string;
  from: string;
  to: string;
  before: LinkEventDocument | null;
  truncated: boolean;
  events: LinkEventDocument[];
}
