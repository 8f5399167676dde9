import { describe, expect, it } from 'vitest';
import { makeId, parseId } from '../../src/vehicle/j1939/id.js';
import { PGN, PGNS } from '../../src/vehicle/j1939/pgns.js';
import { bit2, u16, u32, u8 } from '../../src/vehicle/j1939/slots.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const decode = (pgn: number, data: string) => PGNS.get(pgn)!.decode(hex(data));

describe('J1939 identifiers', () => {
  it('splits PDU2 (broadcast) and PDU1 (addressed) identifiers', () => {
    expect(parseId(0x0cf00400)).toEqual({ priority: 3, pgn: 61444, sa: 0x00, da: 0xff });
    expect(parseId(0x18fef117)).toEqual({ priority: 6, pgn: 65265, sa: 0x17, da: 0xff });
    expect(parseId(0x1cecff00)).toEqual({ priority: 7, pgn: 60416, sa: 0x00, da: 0xff });
    expect(parseId(0x18eaf900)).toEqual({ priority: 6, pgn: 59904, sa: 0x00, da: 0xf9 });
    expect(parseId(0x19fef100)).toMatchObject({ pgn: 0x1fef1 });
  });

  it('makeId is the inverse', () => {
    for (const id of [0x0cf00400, 0x18fef117, 0x1cecff00, 0x18eaf900, 0x1cebf903]) {
      const p = parseId(id);
      expect(makeId(p.priority, p.pgn, p.sa, p.da)).toBe(id);
    }
  });
});

describe('parameter ranges: not available and error are absent', () => {
  it.each([
    ['u8 max valid', u8(hex('FA'), 0), 250],
    ['u8 reserved', u8(hex('FB'), 0), undefined],
    ['u8 error', u8(hex('FE'), 0), undefined],
    ['u8 n/a', u8(hex('FF'), 0), undefined],
    ['u16 max valid', u16(hex('FFFA'), 0), 0xfaff],
    ['u16 error', u16(hex('00FE'), 0), undefined],
    ['u16 n/a', u16(hex('FFFF'), 0), undefined],
    ['u16 short message', u16(hex('10'), 0), undefined],
    ['u32 max valid', u32(hex('FFFFFFFA'), 0), 0xfaffffff],
    ['u32 error', u32(hex('000000FE'), 0), undefined],
    ['u32 n/a', u32(hex('FFFFFFFF'), 0), undefined],
    ['bit2 on', bit2(hex('04'), 0, 2), true],
    ['bit2 off', bit2(hex('F3'), 0, 2), false],
    ['bit2 error', bit2(hex('08'), 0, 2), undefined],
    ['bit2 n/a', bit2(hex('0C'), 0, 2), undefined],
  ])('%s', (_n, got, want) => expect(got).toBe(want));
});

describe('single-frame groups, byte-exact', () => {
  it('EEC1: engine speed 0.125 rpm/bit (SPN 190), actual torque 1 %/bit -125 (SPN 513)', () => {
    expect(decode(PGN.EEC1, 'F0 7D 82 401F 00 F0 82')).toEqual({ engineTorquePct: 5, engineRpm: 1000 });
    expect(decode(PGN.EEC1, 'FF FF FF FFFA FF FF FF')).toEqual({ engineRpm: 8031.875 });
    expect(decode(PGN.EEC1, 'FF FF FF 00FE FF FF FF')).toEqual({});
    expect(decode(PGN.EEC1, 'FFFFFFFFFFFFFFFF')).toEqual({});
  });

  it('ET1: coolant 1 °C/bit -40 (SPN 110), fuel 1 °C -40 (SPN 174), oil 0.03125 °C -273 (SPN 175)', () => {
    expect(decode(PGN.ET1, '5A FF 002B FFFF FF FF')).toEqual({ coolantC: 50, oilTempC: 71 });
    expect(decode(PGN.ET1, '00 28 FFFF FFFF FF FF')).toEqual({ coolantC: -40, fuelTempC: 0 });
  });

  it('LFE: fuel rate 0.05 L/h (SPN 183), economy 1/512 km/L (SPN 184), throttle 0.4 % (SPN 51)', () => {
    expect(decode(PGN.LFE, '9001 000A FFFF FA FF')).toEqual({ fuelRateLph: 20, fuelEconomyKmL: 5, throttlePct: 100 });
    expect(decode(PGN.LFE, '7B00 FFFF FFFF FF FF')).toEqual({ fuelRateLph: 6.15 });
  });

  it('LFC: trip and total fuel 0.5 L/bit (SPN 182, 250)', () => {
    expect(decode(PGN.LFC, 'FFFFFFFF 400D0300')).toEqual({ fuelUsedL: 100000 });
    expect(decode(PGN.LFC, '0B000000 FFFFFFFF')).toEqual({ tripFuelL: 5.5 });
  });

  it('DD: fuel level 1, 0.4 %/bit (SPN 96)', () => {
    expect(decode(PGN.DD, 'FF 7D FF FF FFFF FF FF')).toEqual({ fuelLevelPct: 50 });
    expect(decode(PGN.DD, 'FF FA FF FF FFFF FF FF')).toEqual({ fuelLevelPct: 100 });
    expect(decode(PGN.DD, 'FF FE FF FF FFFF FF FF')).toEqual({});
  });

  it('CCVS: wheel-based speed 1/256 km/h (SPN 84), parking brake (SPN 70), pedals and cruise (SPN 595, 597, 598)', () => {
    expect(decode(PGN.CCVS, 'F7 005A 1C FF FF FF FF')).toEqual({ parkingBrake: true, speedKmh: 90, cruiseActive: false, brakePedal: true, clutchPedal: false });
    expect(decode(PGN.CCVS, 'FF 8000 FF FF FF FF FF')).toEqual({ speedKmh: 0.5 });
  });

  it('VDHR: total and trip distance 5 m/bit (SPN 917, 918); VD 0.125 km/bit (SPN 244, 245)', () => {
    expect(decode(PGN.VDHR, '80969800 FFFFFFFF')).toEqual({ totalDistanceKm: 50000 });
    expect(decode(PGN.VD, '08000000 40420F00')).toEqual({ tripDistanceKm: 1, totalDistanceKm: 125000 });
  });

  it('HOURS: engine hours 0.05 h/bit (SPN 247), revolutions 1000 r/bit (SPN 249)', () => {
    expect(decode(PGN.HOURS, '40E20100 FFFFFFFF')).toEqual({ engineHours: 6172.8 });
    expect(decode(PGN.HOURS, 'FFFFFFFF 10000000')).toEqual({ engineRevolutions: 16000 });
  });

  it('TIRE: location (SPN 929), pressure 4 kPa (SPN 241), temperature 0.03125 °C -273 (SPN 242), leak 0.1 Pa/s (SPN 2586)', () => {
    expect(decode(PGN.TIRE, '12 C8 8025 FF FFFF FF')).toEqual({ tires: [{ axle: 1, position: 2, pressureKpa: 800, temperatureC: 27 }] });
    expect(decode(PGN.TIRE, '00 FF FFFF FF 0A00 FF')).toEqual({ tires: [{ axle: 0, position: 0, leakPaS: 1 }] });
    expect(decode(PGN.TIRE, 'FF C8 8025 FF FFFF FF')).toEqual({});
  });

  it('ETC2: current gear 1 gear/bit -125 (SPN 523)', () => {
    expect(decode(PGN.ETC2, 'FF FFFF 83 FFFF FF FF')).toEqual({ gear: 6 });
    expect(decode(PGN.ETC2, 'FF FFFF 7C FFFF FF FF')).toEqual({ gear: -1 });
  });

  it('VI: ASCII up to the * delimiter; a VIN with control bytes is refused', () => {
    expect(decode(PGN.VI, Buffer.from('1FUJGLDR0BLAY1556*').toString('hex'))).toEqual({ vin: '1FUJGLDR0BLAY1556' });
    expect(decode(PGN.VI, '41 42 00 43 2A')).toEqual({});
  });

  it('DM1: lamps and SPN/FMI/occurrences, 19-bit SPNs, "no DTC" and padding skipped', () => {
    expect(decode(PGN.DM1, '04 FF BE000203 FFFFE581')).toEqual({
      lamps: { malfunction: false, redStop: false, amberWarning: true, protect: false },
      dtcs: [
        { code: 'SPN 190 FMI 2', spn: 190, fmi: 2, occurrences: 3 },
        { code: 'SPN 524287 FMI 5', spn: 524287, fmi: 5, occurrences: 1 },
      ],
    });
    expect(decode(PGN.DM1, '00 FF 00000000 FFFF')).toEqual({ lamps: { malfunction: false, redStop: false, amberWarning: false, protect: false }, dtcs: [] });
    expect(decode(PGN.DM1, '40 FF 6E00047F FFFF')).toEqual({ lamps: { malfunction: true, redStop: false, amberWarning: false, protect: false }, dtcs: [{ code: 'SPN 110 FMI 4', spn: 110, fmi: 4 }] });
  });
});
