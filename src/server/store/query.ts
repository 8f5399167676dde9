/**
 * What the fleet store answers about stored data (the HTTP API, `geostream export`).
 * Every method is asynchronous so a networked database can implement it; times are
 * milliseconds since the epoch; units are those `geostream nmea` prints (degrees,
 * metres, m/s, degrees true) and the sensor units named below. Absent is `null`.
 */

import type { ColumnName } from './column-names.js';

/** One stored telemetry record, decoded (a row of the `records` table). */
export interface Position {
  device: string;
  /** The device's spool id (seqs restart on a new spool). */
  spool: string;
  seq: number;
  /** GNSS fix time. */
  timeMs: number;
  /** Server time of the group commit that stored it. */
  receivedMs: number;
  /** Degrees, exact to 1e-7 (the wire's 1e-7 integer / 1e7). */
  lat: number | null;
  lon: number | null;
  altM: number | null;
  speedMps: number | null;
  courseDeg: number | null;
  /** 1 no fix, 2 2D, 3 3D; null when the payload was not a telemetry record. */
  mode: number | null;
  sats: number | null;
  hdop: number | null;
  ignition: boolean | null;
  batteryV: number | null;
  rpm: number | null;
  coolantC: number | null;
  oilKpa: number | null;
  /** 0..100. */
  fuelPct: number | null;
  tyresKpa: (number | null)[] | null;
  cabinC: number | null;
  /** 0..100. */
  humidityPct: number | null;
  faults: number | null;
  /** Engine fuel rate from the CAN bus, L/h (0.001). */
  fuelRateLh: number | null;
  /** Wheel-based vehicle speed from the CAN bus, m/s (0.01). */
  wheelSpeedMps: number | null;
  /** Total fuel used over the engine's life, L (0.1). */
  fuelUsedL: number | null;
  /** Total vehicle distance (the vehicle's odometer), km (0.001). */
  odometerKm: number | null;
  /** Total engine hours, h (`round(engineH * 3600)` is the wire's seconds). */
  engineH: number | null;
  /** Active trouble codes ("SPN 91 FMI 3", "P0301"); [] = the bus said none; null = not read. */
  dtcs: string[] | null;
  /** Vehicle identification number: only on the records that carry it (first of a session, a change). */
  vin: string | null;
}

/** Records fromSeq..toSeq (`lost` of them, fix times fromMs..toMs) lost on the device. */
export interface GapRow {
  device: string;
  spool: string;
  /** The gap marker's own seq. */
  seq: number;
  fromSeq: number;
  toSeq: number;
  fromMs: number;
  toMs: number;
  lost: number;
  /** 'thinned' | 'dropped' | 'corrupt' | 'ring'; null when the device did not say. */
  reason: string | null;
  receivedMs: number;
}

/** What track() yields, in time order; a gap sorts at its fromMs, after records of the same ms. */
export type TrackItem = ({ kind: 'position' } & Position) | ({ kind: 'gap' } & GapRow);

/** One vehicle: its latest position (by fix time, among records with lat/lon) and counters. */
export interface VehicleSummary {
  device: string;
  latest: Position | null;
  /** Records stored (each once). */
  records: number;
  /** Retransmissions ignored. */
  duplicates: number;
  gaps: number;
  /** Records the device reported lost (sum of its gaps' `lost`). */
  lost: number;
  /** Connections (completed handshakes). */
  handshakes: number;
  /** Connection migrations seen. */
  pathChanges: number;
  lastSeenMs: number | null;
  firmware: string | null;
  /** Reason of the last connection close. */
  lastClose: string | null;
}

/** What happened on a vehicle's link, as the server saw it. */
export type LinkEventKind = 'connect' | 'disconnect' | 'path' | 'resend' | 'gap';

/** One link event (server time); `n` counts each vehicle's events from 1. */
export interface LinkEvent {
  device: string;
  n: number;
  atMs: number;
  kind: LinkEventKind;
  /** resend: records received again that were already stored; gap: records the device reported lost. */
  count: number | null;
  /** connect: address, firmware, spool and backlog; disconnect: who closed and why; path: old -> new address; gap: reason. */
  detail: string | null;
  /** resend: server time of the last commit counted in (resends of one session are one event). */
  untilMs: number | null;
}

export interface LinkEventsAnswer {
  /** Events with atMs in [fromMs, toMs), ascending, at most `limit`. */
  events: LinkEvent[];
  /** The last connect or disconnect before fromMs: whether the vehicle was online when the range starts. */
  before: LinkEvent | null;
  /** More events were in the range than `limit`. */
  truncated: boolean;
}

export interface TrackOptions {
  /** Rows read per query (default 500 on SQLite, 2000 on PostgreSQL, where each page is a round trip). */
  pageRows?: number;
  /**
   * Only these decoded columns (and the key fields): each position then has those keys
   * only, for a reader that needs part of every record. Default: every column.
   */
  columns?: readonly ColumnName[];
}

export type CommitListener = (items: readonly TrackItem[]) => void;

export interface StoreQueries {
  /** Every vehicle, ordered by device id. */
  vehicles(): Promise<VehicleSummary[]>;
  /** One vehicle, or null if the store has never heard of it. */
  vehicle(device: string): Promise<VehicleSummary | null>;
  /**
   * Positions and gaps of one vehicle with fix time in [fromMs, toMs), ascending, read in
   * keyset pages so memory stays flat however long the range. Stop early with `break`.
   */
  track(device: string, fromMs: number, toMs: number, opts?: TrackOptions): AsyncIterable<TrackItem>;
  /** track() a page of items at a time (each at most `pageRows`, none empty), for consumers that take a page at once. */
  trackPages(device: string, fromMs: number, toMs: number, opts?: TrackOptions): AsyncIterable<readonly TrackItem[]>;
  /**
   * `listener` is called after each COMMIT (before its ACKs go out) with what that COMMIT
   * newly stored (no duplicates), every device, in commit order. It must not block; what
   * it throws is counted (listenerErrors) and never reaches ingest. Returns unsubscribe.
   */
  onCommit(listener: CommitListener): () => void;
  /** A vehicle's link events with server time in [fromMs, toMs) (the newest kept per vehicle). */
  linkEvents(device: string, fromMs: number, toMs: number, limit: number): Promise<LinkEventsAnswer>;
}
