import { describe, expect, it } from 'vitest';
import { parseCandumpLine } from '../../src/vehicle/candump.js';
import { runCli } from '../support/cli-io.js';

const VIN = Buffer.from('YS2R4X20005399401*').toString('hex').toUpperCase().padEnd(42, 'F');
const LOG = [
  '(1700000000.000000) can0 0CF00400#F07D82401F00F082',
  '(1700000000.010000) can0 1CECFF00#201200030FECFE00',
  '(1700000000.011000) can0 1CECFF03#200A000203CAFE00',
  `(1700000000.050000) can0 1CEBFF00#01${VIN.slice(0, 14)}`,
  '(1700000000.051000) can0 1CEBFF03#0104FFBE000203FF',
  'this is not a frame',
  `(1700000000.100000) can0 1CEBFF00#02${VIN.slice(14, 28)}`,
  '(1700000000.101000) can0 1CEBFF03#02FFE581FFFFFFFF',
  `(1700000000.150000) can0 1CEBFF00#03${VIN.slice(28, 42)}`,
  '(1700000000.200000) can0 18FEF117#F7005A1CFFFFFFFF',
  '(1700000000.300000) can1 7DF#02010C0000000000',
  '(1700000000.305000) can1 7E8#04410C1AF8000000',
  '(1700000000.400000) can0 18FEEE00#FFFFFFFFFFFFFFFF',
].join('\n');

describe('candump -L logs', () => {
  it('parses frames and names what is wrong with a line', () => {
    expect(parseCandumpLine('(1700000000.250000) can0 18FEF100#FF001A')).toEqual({ iface: 'can0', frame: { id: 0x18fef100, ext: true, data: Uint8Array.of(0xff, 0, 0x1a), tsMs: 1_700_000_000_250 } });
    expect(parseCandumpLine('(1.5) vcan0 7DF#R')).toMatchObject({ frame: { id: 0x7df, ext: false, rtr: true } });
    expect(parseCandumpLine('(1.0) can0 800#00')).toBe('identifier 800 is over 11 bits');
    expect(parseCandumpLine('(1.0) can0 123#0')).toBe('odd number of data digits');
    expect(parseCandumpLine('can0 123#00')).toMatch(/not a candump -L line/);
  });

  it('`geostream can decode -` prints one JSON line per reading, n/a values absent, and a summary', async () => {
    const r = await runCli(['can', 'decode', '-'], LOG);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((o) => o.name ?? o.obd)).toEqual(['EEC1', 'DM1', 'VI', 'CCVS', '01 0C', 'ET1']);
    expect(out[0]).toEqual({ time: '2023-11-14T22:13:20.000Z', iface: 'can0', pgn: 61444, name: 'EEC1', sa: 0, values: { engineTorquePct: 5, engineRpm: 1000 } });
    expect(out[2]!.values).toEqual({ vin: 'YS2R4X20005399401' });
    expect(out[4]).toMatchObject({ iface: 'can1', ecu: 0x7e8, values: { engineRpm: 1726 } });
    expect(out[5]!.values).toEqual({});
    expect(r.stderr).toMatch(/^13 lines: 1 not frames \(first: line 6: not a candump -L line.*\); 6 readings; J1939: 5 decoded, 0 of groups not decoded, 2 transport sessions completed, 0 dropped, 0 bad transport frames\n$/);
  });

  it('`geostream can dump` names an interface that does not exist', async () => {
    const r = await runCli(['can', 'dump', 'nosuchcan9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nosuchcan9: nodev: no such network interface/);
  });

  it('names a missing file', async () => {
    const r = await runCli(['can', 'decode', '/nonexistent/x.log']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read \/nonexistent\/x.log: no such file/);
  });
});
