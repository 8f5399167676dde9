import { describe, expect, it } from 'vitest';
import { AcquisitionFilter, distanceM, type SamplingRules, type TakeReason } from '../../src/gnss/filter.js';
import { validate } from '../../src/base/spec.js';
import { samplingSpec } from '../../src/gnss/config-spec.js';
import type { Fix } from '../../src/gnss/fix.js';
import { NmeaGenerator } from '../../src/gnss/sim/generator.js';
import { NmeaDecoder } from '../../src/gnss/decoder.js';
import { FIRST_ROLLOVER } from '../../src/gnss/date.js';

const defaults = validate(samplingSpec, {}, 'test');
const T0 = Date.UTC(2026, 10, 27, 8);

function fix(tS: number, o: Partial<Fix> = {}): Fix {
  return { timeMs: T0 + Math.round(tS * 1000), lat: 48.1, lon: 11.5, lat7: 481000000, lon7: 115000000, alt: 500, speed: 10, course: 90, mode: 3, quality: 1, sats: 9, hdop: 1, ...o };
}

/** Metres north of 48.1 N as latitude. */
const north = (m: number): number => 48.1 + m / 111_195;

function run(rules: Partial<SamplingRules>, fixes: Fix[]): [number, TakeReason][] {
  const f = new AcquisitionFilter({ ...defaults, ...rules });
  const out: [number, TakeReason][] = [];
  for (const x of fixes) {
    const r = f.offer(x);
    if (r) out.push([(x.timeMs - T0) / 1000, r]);
  }
  return out;
}

describe('acquisition filter', () => {
  it('ignition off switches to the heartbeat at once, even with GNSS speed noise; on takes the next fix', () => {
    const f = new AcquisitionFilter({ ...defaults, heartbeatS: 300 });
    const taken: [number, TakeReason][] = [];
    const offer = (x: Fix): void => {
      const r = f.offer(x);
      if (r) taken.push([(x.timeMs - T0) / 1000, r]);
    };
    offer(fix(0));
    f.setIgnition(false);
    expect(f.isStationary).toBe(true);
    // Parked with the engine off: 10 km/h of multipath "speed" must not wake it up.
    for (let t = 1; t <= 600; t++) offer(fix(t, { speed: 3 }));
    expect(taken).toEqual([[0, 'first'], [300, 'heartbeat'], [600, 'heartbeat']]);
    f.setIgnition(true);
    expect(f.isStationary).toBe(false);
    offer(fix(600.5, { speed: 0 }));
    offer(fix(601.5, { speed: 0 }));
    expect(taken.slice(3)).toEqual([[600.5, 'moving'], [601.5, 'period']]);
  });

  it('takes the first fix and then one per min period at 1 Hz', () => {
    const taken = run({ minPeriodS: 5 }, Array.from({ length: 12 }, (_, i) => fix(i)));
    expect(taken).toEqual([[0, 'first'], [5, 'period'], [10, 'period']]);
  });

  it('at 10 Hz input, min period 1 s gives exactly one record per second on whole epochs', () => {
    const taken = run({}, Array.from({ length: 51 }, (_, i) => fix(i / 10)));
    expect(taken.map(([t]) => t)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('takes a record on distance, before the period, never closer than minIntervalS', () => {
    // 30 m/s north; 100 m after 3.4 s; period 60 s
    const fixes = Array.from({ length: 80 }, (_, i) => fix(i / 10, { lat: north(3 * i), speed: 30, course: 0 }));
    const taken = run({ minPeriodS: 60, minDistanceM: 100, minIntervalS: 0.5 }, fixes);
    expect(taken[0]).toEqual([0, 'first']);
    expect(taken[1]).toEqual([3.4, 'distance']);
    expect(taken[2]).toEqual([6.8, 'distance']);
  });

  it('takes a record on heading change only above the minimum speed', () => {
    const turn = (speed: number) => Array.from({ length: 10 }, (_, i) => fix(i, { speed, course: 90 + i * 4 }));
    expect(run({ minPeriodS: 60, minHeadingDeg: 10, headingMinSpeedKmh: 10 }, turn(5))).toEqual([[0, 'first'], [3, 'heading'], [6, 'heading'], [9, 'heading']]);
    expect(run({ minPeriodS: 60, minHeadingDeg: 10, headingMinSpeedKmh: 10 }, turn(2))).toEqual([[0, 'first']]);
  });

  it('takes a record on speed change', () => {
    const fixes = [fix(0, { speed: 10 }), fix(1, { speed: 11 }), fix(2, { speed: 13 }), fix(3, { speed: 13.5 })];
    expect(run({ minPeriodS: 60, minSpeedChangeKmh: 10 }, fixes)).toEqual([[0, 'first'], [2, 'speed']]);
  });

  it('goes stationary after 60 s below 5 km/h, then only a heartbeat every 300 s, and leaves it at speed', () => {
    const fixes: Fix[] = [];
    for (let t = 0; t <= 700; t++) fixes.push(fix(t, { speed: t < 650 ? 0.5 : 5 }));
    const taken = run({}, fixes);
    // period records while slow but not yet stationary (0..59), then heartbeats 300 s apart
    expect(taken.filter(([t]) => t < 60)).toHaveLength(60);
    expect(taken.filter(([t]) => t >= 60 && t < 650)).toEqual([[359, 'heartbeat']]);
    expect(taken.find(([t]) => t === 650)).toEqual([650, 'moving']);
    expect(taken.filter(([t]) => t > 650).every(([, r]) => r === 'period')).toBe(true);
  });

  it('says when the next heartbeat is due while stationary, and nothing while moving', () => {
    const f = new AcquisitionFilter(defaults);
    for (let t = 0; t < 59; t++) f.offer(fix(t, { speed: 0.5 }));
    expect(f.nextHeartbeatMs()).toBeNull();
    for (let t = 59; t <= 100; t++) f.offer(fix(t, { speed: 0.5 }));
    // stationary from 59 s; the last record was the period one at 59 s
    expect(f.isStationary).toBe(true);
    expect(f.nextHeartbeatMs()).toBe(T0 + (59 + 300) * 1000);
    f.offer(fix(101, { speed: 5 }));
    expect(f.nextHeartbeatMs()).toBeNull();
  });

  it('never takes a fix without a position', () => {
    expect(run({}, [fix(0, { mode: 1, lat: null, lon: null, lat7: null, lon7: null })])).toEqual([]);
  });

  it('restarts when GNSS time goes backwards (receiver reset)', () => {
    expect(run({}, [fix(10), fix(11), fix(2)])).toEqual([[10, 'first'], [11, 'period'], [2, 'resync']]);
  });

  it('keeps an urban drive at 10 Hz to about one record per second plus turn records', () => {
    const gen = new NmeaGenerator({ rateHz: 10, startMs: T0, seed: 3 });
    const dec = new NmeaDecoder(FIRST_ROLLOVER);
    const f = new AcquisitionFilter(defaults);
    let fixes = 0;
    let taken = 0;
    const reasons: Record<string, number> = {};
    const emit = (x: Fix): void => {
      if (x.mode >= 2) fixes++;
      const r = f.offer(x);
      if (r) {
        taken++;
        reasons[r] = (reasons[r] ?? 0) + 1;
      }
    };
    for (let i = 0; i < 6000; i++) dec.push(Buffer.from(gen.next().text), emit);
    dec.end(emit);
    expect(fixes).toBeGreaterThan(5000);
    expect(taken).toBeLessThan(fixes / 5);
    expect(reasons.period).toBeGreaterThan(100);
  });

  it('measures great-circle distance', () => {
    expect(distanceM(48.1, 11.5, north(1000), 11.5)).toBeCloseTo(1000, 0);
  });
});
