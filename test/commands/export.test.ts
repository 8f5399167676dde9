import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { useFleet, writeAgentConfig } from '../support/link-fixture.js';
import { startServerProcess } from '../support/server-proc.js';
import { repoRoot, sharedData } from '../support/shared.js';
import { waitFor } from '../support/wait.js';
import { runCli } from '../support/cli-io.js';
import { CSV_COLUMNS } from '../../src/server/formats/csv.js';

const DRIVE = 'tizen_duesseldorf_2009_1hz.nmea';

function storedCount(db: string): number {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return d.prepare('SELECT COUNT(*) FROM records').pluck().get() as number;
    } finally {
      d.close();
    }
  } catch {
    return 0;
  }
}

/** Splits one RFC 4180 CSV record (no line breaks inside fields in this output). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q && c === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (c === '"') q = !q;
    else if (c === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

interface Fix {
  time: string;
  lat: number;
  lon: number;
}

describe('export round trip: a real drive through geostream run and geostream server, out through geostream export', () => {
  const fleet = useFleet(['truck-1'], 'gs-export-');
  let db: string;
  let taken: Fix[];
  let nmea: Map<string, Fix>;

  beforeAll(async () => {
    db = join(fleet.dir, 'ingest.db');
    const srv = await startServerProcess({ ca: fleet.ca, db });
    const config = writeAgentConfig(fleet, 'truck-1', srv.port);
    const agent = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'run', '--config', config, '--nmea', sharedData('drive', DRIVE), '--speed', '40x'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    agent.stdout.on('data', (d: Buffer) => (out += String(d)));
    agent.stderr.on('data', (d: Buffer) => (out += String(d)));
    const exited = new Promise<number | null>((r) => agent.on('exit', (c) => r(c)));
    const takenLines = () => out.match(/^INFO: track: \S+ \S+/gm) ?? [];
    try {
      // the replay is over when nothing new is taken for 4 s, and every taken fix is stored
      let last = -1;
      let since = Date.now();
      await waitFor(() => {
        const n = takenLines().length;
        if (n !== last) {
          last = n;
          since = Date.now();
        }
        return n > 100 && Date.now() - since > 4000 && storedCount(db) === n;
      }, 120_000, 'the whole drive taken and stored');
    } finally {
      agent.kill('SIGTERM');
      await exited;
      await srv.stop();
    }
    taken = takenLines().map((l) => {
      const [, time, pos] = l.split(/ /).slice(1);
      const [lat, lon] = pos!.split(',').map(Number);
      return { time: time!, lat: lat!, lon: lon! };
    });
    const n = await runCli(['nmea', sharedData('drive', DRIVE)]);
    expect(n.code).toBe(0);
    nmea = new Map(n.stdout.trim().split('\n').map((l) => JSON.parse(l) as Fix).map((f) => [f.time, f]));
  }, 180_000);

  it('GeoJSON: one Point per taken fix, time and lat/lon equal to geostream nmea of the file (to 1e-7)', async () => {
    const r = await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--format', 'geojson']);
    expect(r.code).toBe(0);
    const fc = JSON.parse(r.stdout) as { type: string; features: { geometry: { coordinates: number[] } | null; properties: Record<string, unknown> }[] };
    expect(fc.type).toBe('FeatureCollection');
    const pts = fc.features.filter((f) => f.properties.kind === 'position');
    expect(pts.map((f) => f.properties.time)).toEqual(taken.map((t) => t.time));
    for (const f of pts) {
      const src = nmea.get(f.properties.time as string)!;
      expect(src, `fix ${String(f.properties.time)} in geostream nmea`).toBeDefined();
      const [lon, lat] = f.geometry!.coordinates as [number, number];
      expect(Math.abs(lat - src.lat)).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(lon - src.lon)).toBeLessThanOrEqual(1e-7);
      expect(f.properties.lat).toBe(lat);
    }
    expect(pts.length).toBeGreaterThan(300);
    expect(taken.length).toBeLessThanOrEqual(nmea.size);
    console.log(`export round trip: ${nmea.size} fixes in the file, ${taken.length} taken by the agent, ${pts.length} exported`);
  });

  it('CSV: a header row, then one parsable row per taken fix with the same values; GPX: one trkpt each, in one segment', async () => {
    const c = await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--format', 'csv', '--from', taken[0]!.time, '--to', '2106-01-01']);
    expect(c.code).toBe(0);
    const lines = c.stdout.split('\r\n').filter((l) => l !== '');
    expect(csvFields(lines[0]!)).toEqual([...CSV_COLUMNS]);
    const rows = lines.slice(1).map(csvFields);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    expect(rows.map((r) => r[col('time')])).toEqual(taken.map((t) => t.time));
    rows.forEach((r) => {
      const src = nmea.get(r[col('time')]!)!;
      expect(Math.abs(Number(r[col('lat')]) - src.lat)).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(Number(r[col('lon')]) - src.lon)).toBeLessThanOrEqual(1e-7);
    });

    const out = join(fleet.dir, 'track.gpx');
    const g = await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--format', 'gpx', '--out', out]);
    expect(g.code).toBe(0);
    expect(g.stdout).toBe('');
    const gpx = readFileSync(out, 'utf8');
    expect(gpx).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<gpx [^>]*version="1.1"/);
    expect(gpx).toMatch(/xmlns="http:\/\/www.topografix.com\/GPX\/1\/1"/);
    expect(gpx.match(/<trkseg>/g)).toHaveLength(1); // no gap in this drive
    const pts = [...gpx.matchAll(/<trkpt lat="([^"]+)" lon="([^"]+)">(?:<ele>[^<]*<\/ele>)?<time>([^<]+)<\/time>/g)];
    expect(pts.map((m) => m[3])).toEqual(taken.map((t) => t.time));
    for (const m of pts) {
      const src = nmea.get(m[3]!)!;
      expect(Math.abs(Number(m[1]) - src.lat)).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(Number(m[2]) - src.lon)).toBeLessThanOrEqual(1e-7);
    }
  });

  it('refuses bad options with the option named, an unknown vehicle with exit 1, and [from, to) bounds the output', async () => {
    expect(await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--from', '2009-02-30'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--from: .*not a real date/) });
    expect(await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--format', 'kml'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--format: expected one of geojson, csv, gpx/) });
    expect(await runCli(['export', '--db', db, '--vehicle', "x' OR 1=1 --"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--vehicle: .* is not a vehicle id/) });
    expect(await runCli(['export', '--db', db, '--vehicle', 'truck-9'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/no vehicle 'truck-9'/) });
    expect(await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--from', '2009-07-08', '--to', '2009-07-07'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--from .* must be before --to/) });
    const from = taken[10]!.time;
    const to = taken[20]!.time;
    const part = await runCli(['export', '--db', db, '--vehicle', 'truck-1', '--from', from, '--to', to]);
    const times = (JSON.parse(part.stdout) as { features: { properties: { time: string } }[] }).features.map((f) => f.properties.time);
    expect(times).toEqual(taken.slice(10, 20).map((t) => t.time));
  });
});
