import type { Position } from '../store/query.js';
import { iso } from './chunks.js';
import { decimalText } from './decimal.js';

const jnum = (v: number | null): string => (v === null ? 'null' : String(v));
const jbool = (v: boolean | null): string => (v === null ? 'null' : v ? 'true' : 'false');

/** The serialised text of the last string seen (a track repeats the same device and spool). */
class LastString {
  private k = '';
  private v = '""';
  text(s: string): string {
    if (s !== this.k) {
      this.k = s;
      this.v = JSON.stringify(s);
    }
    return this.v;
  }
}

/**
 * The text of the last value of one column stored as an integer over 10 ** d (see
 * decimalText): sensors often read the same from one record to the next.
 */
class LastDecimal {
  private v: number | null = null;
  private s = 'null';
  constructor(private readonly d: number) {}
  text(v: number | null): string {
    if (v !== this.v) {
      this.v = v;
      this.s = v === null ? 'null' : decimalText(v, this.d);
    }
    return this.s;
  }
}

/** What positionFeatureText() keeps from one record to the next of a document. */
export class FeatureTextCache {
  readonly device = new LastString();
  readonly spool = new LastString();
  readonly lat = new LastDecimal(7);
  readonly lon = new LastDecimal(7);
  readonly alt = new LastDecimal(1);
  readonly speed = new LastDecimal(2);
  readonly course = new LastDecimal(2);
  readonly hdop = new LastDecimal(2);
  readonly battery = new LastDecimal(3);
  readonly coolant = new LastDecimal(1);
  readonly fuel = new LastDecimal(1);
  readonly cabin = new LastDecimal(1);
  readonly humidity = new LastDecimal(1);
  readonly fuelRate = new LastDecimal(3);
  readonly wheelSpeed = new LastDecimal(2);
  readonly fuelUsed = new LastDecimal(1);
  readonly odometer = new LastDecimal(3);
}

/**
 * JSON.stringify(featureOf(item)) for a position, built as text: the same bytes
 * (tested), without an object per record and the generic serialiser's key walk.
 * Each number is converted once (the coordinates appear twice), the scaled columns
 * at the scale the wire carries them in (columnsOf()).
 */
export function positionFeatureText(p: Position, c = new FeatureTextCache()): string {
  const lat = c.lat.text(p.lat);
  const lon = c.lon.text(p.lon);
  const alt = c.alt.text(p.altM);
  const geometry = p.lat !== null && p.lon !== null ? `{"type":"Point","coordinates":[${lon},${lat}${p.altM !== null ? `,${alt}` : ''}]}` : 'null';
  return `{"type":"Feature","geometry":${geometry},"properties":{"kind":"position","device":${c.device.text(p.device)},"spool":${c.spool.text(p.spool)},"seq":${p.seq},"time":"${iso(p.timeMs)}","received":"${iso(p.receivedMs)}","lat":${lat},"lon":${lon},"altM":${alt},"speedMps":${c.speed.text(p.speedMps)},"courseDeg":${c.course.text(p.courseDeg)},"mode":${jnum(p.mode)},"sats":${jnum(p.sats)},"hdop":${c.hdop.text(p.hdop)},"ignition":${jbool(p.ignition)},"batteryV":${c.battery.text(p.batteryV)},"rpm":${jnum(p.rpm)},"coolantC":${c.coolant.text(p.coolantC)},"oilKpa":${jnum(p.oilKpa)},"fuelPct":${c.fuel.text(p.fuelPct)},"tyresKpa":${JSON.stringify(p.tyresKpa)},"cabinC":${c.cabin.text(p.cabinC)},"humidityPct":${c.humidity.text(p.humidityPct)},"faults":${jnum(p.faults)},"fuelRateLh":${c.fuelRate.text(p.fuelRateLh)},"wheelSpeedMps":${c.wheelSpeed.text(p.wheelSpeedMps)},"fuelUsedL":${c.fuelUsed.text(p.fuelUsedL)},"odometerKm":${c.odometer.text(p.odometerKm)},"engineH":${jnum(p.engineH)},"dtcs":${JSON.stringify(p.dtcs)},"vin":${JSON.stringify(p.vin)}}}`;
}
