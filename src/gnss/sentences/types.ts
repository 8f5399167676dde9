/**
 * What one sentence says about its epoch. Absent keys: the sentence does not carry
 * that quantity; null: it carries the field but the receiver left it empty.
 */
export interface Observation {
  /** UTC time of day in ms; sentences without time (GSA, GSV, VTG) join the open epoch. */
  tod?: number | null;
  /** Receiver date as ms at UTC midnight, before any plausibility correction. */
  day?: number | null;
  pos?: Position | null;
  alt?: number | null;
  /** m/s */
  speed?: number | null;
  course?: number | null;
  quality?: number | null;
  sats?: number | null;
  hdop?: number | null;
  /** The sentence says there is no fix (RMC/GLL status V, GGA quality 0, mode indicator N). */
  noFix?: boolean;
  /** GSA fix type: 1 none, 2 2D, 3 3D. */
  fixType?: 1 | 2 | 3;
  /** Position source rank: the better source wins within an epoch (GGA > GNS > RMC > GLL). */
  rank?: number;
}

/** A position as the receiver gave it: doubles and exact 1e-7 integers. */
export interface Position {
  lat: number;
  lon: number;
  lat7: number;
  lon7: number;
}

/** One row of the sentence table. */
export interface SentenceDecoder {
  /** Sentence formatter after the talker, e.g. 'GGA'. */
  type: string;
  /** Minimum number of comma-separated fields, address included. */
  minFields: number;
  /** Decodes the split fields (f[0] is the address); throws FieldError on malformed text. */
  decode(f: string[]): Observation;
}

export const KNOT_MS = 1852 / 3600;

/** m/s rounded to mm/s: NMEA speeds carry no more precision than that. */
export function roundSpeed(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1000) / 1000;
}
