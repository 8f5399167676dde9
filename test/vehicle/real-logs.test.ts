// Public J1939 captures committed in data/can/ (source and licence in data/can/SOURCES.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LogDecoder, parseCandumpLine, type LogReading } from '../../src/vehicle/candump.js';
import { repoData } from '../support/shared.js';

function decodeFile(name: string): LogReading[] {
  const dec = new LogDecoder();
  const out: LogReading[] = [];
  for (const line of readFileSync(repoData('can', name), 'utf8').split('\n').filter(Boolean)) {
    const l = parseCandumpLine(line);
    if (typeof l === 'string') throw new Error(`${name}: ${l}`);
    const r = dec.push(l);
    if (r) out.push(r);
  }
  return out;
}

describe('real J1939 traffic', () => {
  it('a truck at idle: 649 rpm, odometer 854,934 km', () => {
    const rs = decodeFile('nmfta_truck_2018.candump');
    const rpm = rs.find((r) => r.what === 'EEC1')!.values.engineRpm!;
    expect(rpm).toBe(649);
    const km = rs.find((r) => r.what === 'VD')!.values.totalDistanceKm!;
    expect(km).toBe(854_934);
  });

  it('the first ten frames of the capture: a parked truck idling (parking brake set, brake released, no wheel speed)', () => {
    const rs = decodeFile('nmfta_truck_2018_readme.candump');
    expect(rs.map((r) => r.what)).toEqual(['VD', 'EEC1', 'CCVS']);
    expect(rs[1]!.values).toEqual({ engineRpm: 649, engineTorquePct: 10 });
    const ccvs = rs[2]!;
    expect(ccvs.sa).toBe(0x31);
    expect(ccvs.values).toEqual({ parkingBrake: true, brakePedal: false, clutchPedal: false }); // wheel-based speed 0xFFFF: absent
  });

  it('DM1: "no DTC" is an empty list, then one active code with the MIL on', () => {
    const rs = decodeFile('nmfta_dm1_2021.candump');
    expect(rs.map((r) => r.values.dtcs)).toEqual([[], [{ code: 'SPN 91 FMI 3', spn: 91, fmi: 3, occurrences: 1 }]]);
    expect(rs[1]!.values.lamps!.malfunction).toBe(true);
  });
});
