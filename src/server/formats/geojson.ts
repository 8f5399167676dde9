import type { GapRow, Position, TrackItem } from '../store/query.js';
import { iso, type FormatSpec } from './chunks.js';
import { decimalText } from './decimal.js';
import type { GapProperties, PositionProperties } from '../http/documents.js';

/**
 * GeoJSON (RFC 7946): a FeatureCollection, one Feature per stored record (a Point
 * [lon, lat, alt] with every column as a property; geometry null when the record has
 * no position) and one per gap (kind "gap", geometry null).
 */
export function positionProperties(p: Position): PositionProperties {
  return {
    kind: 'position',
    device: p.device,
    spool: p.spool,
    seq: p.seq,
    time: iso(p.timeMs),
    received: iso(p.receivedMs),
    lat: p.lat,
    lon: p.lon,
    altM: p.altM,
    speedMps: p.speedMps,
    courseDeg: p.courseDeg,
    mode: p.mode,
    sats: p.sats,
    hdop: p.hdop,
    ignition: p.ignition,
    batteryV: p.batteryV,
    rpm: p.rpm,
    coolantC: p.coolantC,
    oilKpa: p.oilKpa,
    fuelPct: p.fuelPct,
    tyresKpa: p.tyresKpa,
    cabinC: p.cabinC,
    humidityPct: p.humidityPct,
    faults: p.faults,
    fuelRateLh: p.fuelRateLh,
    wheelSpeedMps: p.wheelSpeedMps,
    fuelUsedL: p.fuelUsedL,
    odometerKm: p.odometerKm,
    engineH: p.engineH,
    dtcs: p.dtcs,
    vin: p.vin,
  };
}

export function gapProperties(g: GapRow): GapProperties {
  return {
    kind: 'gap',
    device: g.device,
    spool: g.spool,
    seq: g.seq,
    fromSeq: g.fromSeq,
    toSeq: g.toSeq,
    fromTime: iso(g.fromMs),
    toTime: iso(g.toMs),
    lost: g.lost,
    reason: g.reason,
    received: iso(g.receivedMs),
  };
}

/** One item as a GeoJSON Feature object. */
export function featureOf(item: TrackItem): Record<string, unknown> {
  if (item.kind === 'gap') return { type: 'Feature', geometry: null, properties: gapProperties(item) };
  const geometry = item.lat !== null && item.lon !== null ? { type: 'Point', coordinates: item.altM !== null ? [item.lon, item.lat, item.altM] : [item.lon, item.lat] } : null;
  return { type: 'Feature', geometry, properties: positionProperties(item) };
}

const jnum = (v: number | null): string => (v === null ? 'null' : String(v));
const jbool = (v: boolean | null): string => (v === null ? 'null' : v ? 'true' : 'false');

/** Serialised strings of the last device/spool seen (a track repeats the same two). */
class StringCache {
  private k = '';
  private v = '""';
  get(s: string): string {
    if (s !== this.k) {
      this.k = s;
      this.v = JSON.stringify(s);
    }
    return this.v;
  }
}

/** A column stored as an integer over 10 ** d, as JSON (see decimalText). */
const jdec = (v: number | null, d: number): string => (v === null ? 'null' : decimalText(v, d));

/**
 * JSON.stringify(featureOf(item)) for a position, built as text: the same bytes
 * (tested), without an object per record and the generic serialiser's key walk.
 * Each number is converted once (the coordinates appear twice), the scaled columns
 * at the scale the wire carries them in (columnsOf()).
 */
export function positionFeatureText(p: Position, devices = new StringCache(), spools = new StringCache()): string {
  const lat = jdec(p.lat, 7);
  const lon = jdec(p.lon, 7);
  const alt = jdec(p.altM, 1);
  const geometry = p.lat !== null && p.lon !== null ? `{"type":"Point","coordinates":[${lon},${lat}${p.altM !== null ? `,${alt}` : ''}]}` : 'null';
  return `{"type":"Feature","geometry":${geometry},"properties":{"kind":"position","device":${devices.get(p.device)},"spool":${spools.get(p.spool)},"seq":${p.seq},"time":"${iso(p.timeMs)}","received":"${iso(p.receivedMs)}","lat":${lat},"lon":${lon},"altM":${alt},"speedMps":${jdec(p.speedMps, 2)},"courseDeg":${jdec(p.courseDeg, 2)},"mode":${jnum(p.mode)},"sats":${jnum(p.sats)},"hdop":${jdec(p.hdop, 2)},"ignition":${jbool(p.ignition)},"batteryV":${jdec(p.batteryV, 3)},"rpm":${jnum(p.rpm)},"coolantC":${jdec(p.coolantC, 1)},"oilKpa":${jnum(p.oilKpa)},"fuelPct":${jdec(p.fuelPct, 1)},"tyresKpa":${p.tyresKpa === null ? 'null' : `[${p.tyresKpa.map(jnum).join(',')}]`},"cabinC":${jdec(p.cabinC, 1)},"humidityPct":${jdec(p.humidityPct, 1)},"faults":${jnum(p.faults)},"fuelRateLh":${jdec(p.fuelRateLh, 3)},"wheelSpeedMps":${jdec(p.wheelSpeedMps, 2)},"fuelUsedL":${jdec(p.fuelUsedL, 1)},"odometerKm":${jdec(p.odometerKm, 3)},"engineH":${jnum(p.engineH)},"dtcs":${JSON.stringify(p.dtcs)},"vin":${JSON.stringify(p.vin)}}}`;
}

/** One item as GeoJSON Feature text. */
export function featureText(item: TrackItem, devices?: StringCache, spools?: StringCache): string {
  return item.kind === 'gap' ? JSON.stringify(featureOf(item)) : positionFeatureText(item, devices, spools);
}

export const geojson: FormatSpec = {
  contentType: 'application/geo+json',
  extension: 'geojson',
  encoder() {
    let n = 0;
    const devices = new StringCache();
    const spools = new StringCache();
    return {
      head: () => '{"type":"FeatureCollection","features":[\n',
      item: (item) => `${n++ ? ',\n' : ''}${featureText(item, devices, spools)}`,
      tail: () => '\n]}\n',
    };
  },
};
