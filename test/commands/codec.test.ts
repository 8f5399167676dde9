import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';
import { recordFromFix, recordToFixJson } from '../../src/telemetry/fix-record.js';
import { nmeaFixes } from '../support/codec-drive.js';

async function run(argv: string[], input: string | Uint8Array) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out: Buffer[] = [];
  const err: string[] = [];
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d) => err.push(String(d)));
  // Feed in small chunks so messages straddle chunk boundaries.
  const bytes = typeof input === 'string' ? Buffer.from(input) : Buffer.from(input);
  for (let i = 0; i < bytes.length; i += 333) stdin.write(bytes.subarray(i, i + 333));
  stdin.end();
  const code = await main(argv, { stdout, stderr, stdin });
  return { code, out: Buffer.concat(out), err: err.join('') };
}

const fixes = nmeaFixes('dashcam_stpetersburg_2016_1hz.nmea');
const lines = fixes.map((f) => JSON.stringify({ time: new Date(f.timeMs).toISOString(), lat: f.lat, lon: f.lon, alt: f.alt, speed: f.speed, course: f.course, mode: f.mode, quality: f.quality, sats: f.sats, hdop: f.hdop }));
const expected = fixes.map((f, i) => JSON.stringify(recordToFixJson(recordFromFix(f, i + 1))));

describe('geostream codec', () => {
  it.each([[[]], [['--batch', '60']], [['--batch', '7']]])('encode %j | decode gives the nmea JSON lines back at the schema resolution', async (opts) => {
    const enc = await run(['codec', 'encode', ...opts], `${lines.join('\n')}\n`);
    expect(enc.code).toBe(0);
    expect(enc.err).toBe('');
    const dec = await run(['codec', 'decode'], enc.out);
    expect(dec.err).toBe('');
    expect(dec.code).toBe(0);
    expect(dec.out.toString().trimEnd().split('\n')).toEqual(expected);
  });

  it('decode --all prints every field with seq', async () => {
    const enc = await run(['codec', 'encode', '--batch', '60'], lines.slice(0, 3).join('\n'));
    const dec = await run(['codec', 'decode', '--all'], enc.out);
    expect(JSON.parse(dec.out.toString().split('\n')[2]!)).toMatchObject({ seq: 3, timeMs: fixes[2]!.timeMs, mode: 3 });
  });

  it('a bad input line is reported with its number and key, skipped, and the others are kept (exit 1)', async () => {
    const input = [lines[0], '{"time":"2016-04-11T14:19:17.000Z","lat":95,"lon":1,"alt":null,"speed":null,"course":null,"mode":3,"quality":null,"sats":null,"hdop":null}', 'garbage', lines[1]].join('\n');
    const enc = await run(['codec', 'encode'], input);
    expect(enc.code).toBe(1);
    expect(enc.err).toMatch(/skipped: line 2: key 'lat': 95 is out of range -90..90/);
    expect(enc.err).toMatch(/skipped: line 3: not JSON/);
    const dec = await run(['codec', 'decode'], enc.out);
    expect(dec.out.toString().trimEnd().split('\n')).toEqual([expected[0], expected[1]]);
  });

  it('a truncated stream prints the records before the cut and names the offset (exit 1)', async () => {
    const enc = await run(['codec', 'encode'], lines.slice(0, 10).join('\n'));
    const cut = enc.out.subarray(0, enc.out.length - 5);
    const dec = await run(['codec', 'decode'], cut);
    expect(dec.code).toBe(1);
    expect(dec.err).toMatch(/stream ends inside a message at offset \d+/);
    expect(dec.out.toString().trimEnd().split('\n')).toEqual(expected.slice(0, 9));
  });

  it('a corrupt message stops decoding with its offset (exit 1)', async () => {
    const enc = await run(['codec', 'encode'], lines.slice(0, 4).join('\n'));
    const bad = Buffer.concat([enc.out, Buffer.from([0x9f, 0x00, 0xff])]);
    const dec = await run(['codec', 'decode'], bad);
    expect(dec.code).toBe(1);
    expect(dec.err).toMatch(new RegExp(`bad message at stream offset ${enc.out.length}: indefinite-length`));
    expect(dec.out.toString().trimEnd().split('\n')).toHaveLength(4);
  });

  it('stats prints bytes per record for JSON, single records and batches', async () => {
    const r = await run(['codec', 'stats'], lines.join('\n'));
    expect(r.code).toBe(0);
    expect(r.out.toString()).toMatch(/records\s+360\n/);
    expect(r.out.toString()).toMatch(/single records\s+\d+\.\d\d B\/record/);
    expect(r.out.toString()).toMatch(/batches of 60\s+\d+\.\d\d B\/record/);
  });

  it('refuses a bad --batch with exit 2', async () => {
    expect((await run(['codec', 'encode', '--batch', '0'], '')).code).toBe(2);
    expect((await run(['codec', 'stats', '--batch', '2.5'], '')).code).toBe(2);
  });
});
