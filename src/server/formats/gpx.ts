import type { Position } from '../store/query.js';
import { iso, type FormatSpec } from './chunks.js';

/**
 * GPX 1.1 (http://www.topografix.com/GPX/1/1): one track, a segment per run of
 * records between gaps (a gap ends the segment). Records without a position are
 * left out (a trkpt needs lat and lon). Elements in the schema's order: ele, time,
 * fix, sat, hdop; speed (m/s), course (degrees) and ignition go in <extensions>
 * under the geostream namespace, which GPX readers skip if they do not know it.
 */
export const GPX_NS = 'http://www.topografix.com/GPX/1/1';
export const GEOSTREAM_GPX_NS = 'urn:geostream:gpx:1';

export function xmlText(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const FIX: Record<number, string> = { 1: 'none', 2: '2d', 3: '3d' };

function trkpt(p: Position & { lat: number; lon: number }): string {
  let s = `<trkpt lat="${p.lat}" lon="${p.lon}">`;
  if (p.altM !== null) s += `<ele>${p.altM}</ele>`;
  s += `<time>${iso(p.timeMs)}</time>`;
  const fix = p.mode !== null ? FIX[p.mode] : undefined;
  if (fix) s += `<fix>${fix}</fix>`;
  if (p.sats !== null) s += `<sat>${p.sats}</sat>`;
  if (p.hdop !== null) s += `<hdop>${p.hdop}</hdop>`;
  let ext = '';
  if (p.speedMps !== null) ext += `<gs:speed>${p.speedMps}</gs:speed>`;
  if (p.courseDeg !== null) ext += `<gs:course>${p.courseDeg}</gs:course>`;
  if (p.ignition !== null) ext += `<gs:ignition>${p.ignition}</gs:ignition>`;
  if (ext) s += `<extensions>${ext}</extensions>`;
  return `${s}</trkpt>\n`;
}

export const gpx: FormatSpec = {
  contentType: 'application/gpx+xml',
  extension: 'gpx',
  encoder(meta) {
    let inSeg = false;
    return {
      head: () =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="geostream" xmlns="${GPX_NS}" xmlns:gs="${GEOSTREAM_GPX_NS}">\n<trk><name>${xmlText(meta.device)}</name>\n`,
      item(item) {
        if (item.kind === 'gap') {
          if (!inSeg) return '';
          inSeg = false;
          return '</trkseg>\n';
        }
        if (item.lat === null || item.lon === null) return '';
        const open = inSeg ? '' : '<trkseg>\n';
        inSeg = true;
        return open + trkpt(item as Position & { lat: number; lon: number });
      },
      tail: () => `${inSeg ? '</trkseg>\n' : ''}</trk>\n</gpx>\n`,
    };
  },
};
