// What `geostream nmea` decodes from real receivers and drives, `geostream codec encode`
// must take: every NMEA capture in ../shared/data/drive and ../shared/data/gpsd goes
// through `nmea FILE | codec encode --batch 60`.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli-io.js';
import { sharedData } from '../support/shared.js';

const captures = ['drive', 'gpsd'].flatMap((dir) =>
  readdirSync(sharedData(dir)).filter((f) => /\.(nmea|log)$/.test(f)).map((f) => join(dir, f)));

describe('nmea | codec encode on every real capture', () => {
  it('finds the captures', () => expect(captures.length).toBeGreaterThanOrEqual(14));

  it.each(captures)('%s', async (file) => {
    const nmea = await runCli(['nmea', sharedData(file)]);
    expect(nmea.code, nmea.stderr).toBe(0);
    const enc = await runCli(['codec', 'encode', '--batch', '60'], nmea.stdout);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
  });
});
