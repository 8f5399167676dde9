import type { TrackItem } from '../store/query.js';
import { iso, type FormatSpec } from './chunks.js';

/**
 * CSV (RFC 4180, CRLF): a header row, then one row per record (kind "position") and
 * per gap (kind "gap", its own columns filled). Empty field = absent. Tyre pressures
 * are one field, semicolon-separated, empty where unknown; so are the trouble codes
 * (`dtcs`: empty when the record has none or the bus said none).
 */
export const CSV_COLUMNS = [
  'kind', 'device', 'spool', 'seq', 'time', 'received', 'lat', 'lon', 'alt_m', 'speed_mps', 'course_deg', 'mode', 'sats', 'hdop', 'ignition',
  'battery_v', 'rpm', 'coolant_c', 'oil_kpa', 'fuel_pct', 'tyres_kpa', 'cabin_c', 'humidity_pct', 'faults',
  'fuel_rate_lh', 'wheel_speed_mps', 'fuel_used_l', 'odometer_km', 'engine_h', 'dtcs', 'vin',
  'gap_from_seq', 'gap_to_seq', 'gap_from_time', 'gap_to_time', 'lost', 'reason',
] as const;

/** A text field, quoted when it holds a comma, quote or line break; a leading = + - @ is neutralised (spreadsheet formulas). */
function text(s: string | null): string {
  if (s === null) return '';
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const num = (v: number | null): string => (v === null ? '' : String(v));

/** Fields between `received` and the gap columns: empty on a gap row. */
const POSITION_FIELDS = CSV_COLUMNS.indexOf('gap_from_seq') - CSV_COLUMNS.indexOf('lat');

function row(item: TrackItem): string {
  if (item.kind === 'gap') {
    return ['gap', text(item.device), text(item.spool), item.seq, iso(item.fromMs), iso(item.receivedMs), ...Array<string>(POSITION_FIELDS).fill(''),
      item.fromSeq, item.toSeq, iso(item.fromMs), iso(item.toMs), item.lost, text(item.reason)].join(',');
  }
  const p = item;
  return [
    'position', text(p.device), text(p.spool), p.seq, iso(p.timeMs), iso(p.receivedMs), num(p.lat), num(p.lon), num(p.altM), num(p.speedMps), num(p.courseDeg),
    num(p.mode), num(p.sats), num(p.hdop), p.ignition === null ? '' : String(p.ignition), num(p.batteryV), num(p.rpm), num(p.coolantC), num(p.oilKpa),
    num(p.fuelPct), p.tyresKpa === null ? '' : p.tyresKpa.map(num).join(';'), num(p.cabinC), num(p.humidityPct), num(p.faults),
    num(p.fuelRateLh), num(p.wheelSpeedMps), num(p.fuelUsedL), num(p.odometerKm), num(p.engineH), p.dtcs === null ? '' : text(p.dtcs.join(';')), text(p.vin),
    '', '', '', '', '', '',
  ].join(',');
}

export const csv: FormatSpec = {
  contentType: 'text/csv; charset=utf-8; header=present',
  extension: 'csv',
  encoder() {
    return {
      head: () => `${CSV_COLUMNS.join(',')}\r\n`,
      item: (item) => `${row(item)}\r\n`,
      tail: () => '',
    };
  },
};
