import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeBatch, encodeRecord, decodeBatch, type TelemetryRecord } from '../../src/codec/index.js';
import { loadBoard } from '../../src/hal/board.js';
import { silentLogger } from '../../src/base/log.js';
import { startVehicleIo } from '../../src/agent/vehicle-io.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { systemClock } from '../../src/base/clock.js';
import { VinOnce, canFields, mergeFields } from '../../src/vehicle/record-fields.js';
import { startCanVehicle } from '../../src/agent/can-source.js';
import { waitFor } from '../support/wait.js';

const BASE: TelemetryRecord = { seq: 1, timeMs: 1_700_000_000_000, lat7: null, lon7: null, altDm: null, speedCms: null, courseCdeg: null, mode: 1, sats: null, hdopC: null };

describe('CAN values in the record (telemetry schema v2)', () => {
  it('maps bus values to the schema resolution; what it cannot carry is absent, not clamped', () => {
    expect(
      canFields({
        engineRpm: 1234.6, coolantC: 86.4, fuelLevelPct: 50.2, fuelRateLph: 20.05, speedKmh: 90, fuelUsedL: 61234.5, totalDistanceKm: 183420.505, engineHours: 7812.35,
        tires: [{ axle: 0, position: 0, pressureKpa: 800 }, { axle: 0, position: 1 }], dtcs: [{ code: 'SPN 190 FMI 2', spn: 190, fmi: 2 }],
      }),
    ).toEqual({ rpm: 1235, coolantDc: 864, fuelPm: 502, tyresKpa: [800, null], fuelRateMlh: 20050, wheelSpeedCms: 2500, fuelUsedDl: 612345, odometerM: 183420505, engineSecs: 28124460, dtcs: ['SPN 190 FMI 2'] });
    expect(canFields({ engineRpm: 70_000, totalDistanceKm: 5_000_000 })).toEqual({});
  });

  it('sends the VIN once, again after a change or a reset', () => {
    const v = new VinOnce();
    expect([v.take('A'), v.take('A'), v.take('B'), v.take(undefined)]).toEqual(['A', undefined, 'B', undefined]);
    v.reset();
    expect(v.take('B')).toBe('B');
  });

  it('keeps wired sensor values over bus values and fills the rest', () => {
    expect(mergeFields({ rpm: 1500, coolantDc: undefined }, { rpm: 1499, coolantDc: 860, fuelRateMlh: 1 })).toEqual({ rpm: 1500, coolantDc: 860, fuelRateMlh: 1 });
  });

  it('round-trips the new fields in records and batches; a reader of the old tags skips them', () => {
    const r: TelemetryRecord = { ...BASE, rpm: 1500, fuelRateMlh: 20050, wheelSpeedCms: 2500, fuelUsedDl: 612345, odometerM: 183420505, engineSecs: 28124460, dtcs: ['SPN 190 FMI 2', 'P0301'], vin: 'YS2R4X20005399401' };
    expect(decodeRecord(encodeRecord(r))).toEqual(r);
    const rs = [r, { ...r, seq: 2, dtcs: [], vin: undefined }, { ...r, seq: 3, dtcs: undefined, vin: undefined }].map((x) => JSON.parse(JSON.stringify(x)) as TelemetryRecord);
    expect(decodeBatch(encodeBatch(rs))).toEqual(rs);
  });
});

describe('the simulated board talks J1939 on its CAN bus', () => {
  it('the sim board file describes the bus, and its truck fills the record fields (sensors keep theirs)', async () => {
    const board = loadBoard('sim', '.');
    expect(board.can).toEqual({ iface: 'can0', protocol: 'j1939', bitrate: 250_000, transmit: false, staleMs: 5000 });
    const status = new StatusBoard();
    const io = startVehicleIo({ board, config: {}, status, clock: systemClock, log: silentLogger() });
    const can = startCanVehicle({ board, clock: systemClock, log: silentLogger(), status, simVehicle: io.sim!.vehicle })!;
    try {
      await waitFor(() => can.source.stats.answered.VI !== undefined && can.source.stats.answered.HOURS !== undefined, 5000, 'VI and HOURS from the simulated truck');
      const f = mergeFields(io.hub.latest(), can.fields());
      expect(f.vin).toBe('YS2R4X20005399401');
      expect(f.fuelRateMlh).toBeGreaterThan(0);
      expect(f.odometerM).toBeGreaterThan(183_000_000);
      expect(f.engineSecs).toBeGreaterThan(28_000_000);
      expect(f.dtcs).toEqual([]);
      expect(can.fields().vin).toBeUndefined();
      const rec = decodeRecord(encodeRecord({ ...BASE, ...f }));
      expect(rec.vin).toBe('YS2R4X20005399401');
      expect(rec.wheelSpeedCms).toBeGreaterThanOrEqual(0);
      expect(can.source.stats.writeErrors).toBe(0);
    } finally {
      await can.stop();
      await io.stop();
    }
  });
});
