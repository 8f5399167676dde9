import type { GapRow, Position, TrackItem } from '../store/query.js';
import { iso, type FormatSpec } from './chunks.js';
import { FeatureTextCache, positionFeatureText } from './geojson-text.js';
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

/** One item as GeoJSON Feature text. */
export function featureText(item: TrackItem, cache?: FeatureTextCache): string {
  return item.kind === 'gap' ? JSON.stringify(featureOf(item)) : positionFeatureText(item, cache);
}

export const geojson: FormatSpec = {
  contentType: 'application/geo+json',
  extension: 'geojson',
  encoder() {
    let n = 0;
    const cache = new FeatureTextCache();
    return {
      head: () => '{"type":"FeatureCollection","features":[\n',
      item: (item) => `${n++ ? ',\n' : ''}${featureText(item, cache)}`,
      tail: () => '\n]}\n',
    };
  },
};
