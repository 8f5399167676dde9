// The --http-pmtiles archive served by a real server process: only with the operator
// token, whole or in one byte range (206, If-Range), HEAD answered as GET without the
// body, 416 past the end, 400 for lists and malformed ranges; and the start refused,
// naming the flag and the file, for a file that is not a raster PMTiles v3 archive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useFleet } from '../../support/link-fixture.js';
import { startServerProcess, type ServerProc } from '../../support/server-proc.js';
import { runCli } from '../../support/cli-io.js';
import { httpBaseOf } from '../../support/http-api.js';
import { colourPyramid, solidPng, TILE_TYPE, writePmtiles } from '../../support/pmtiles-writer.js';

const PATH = '/api/v1/basemap.pmtiles';

describe('PMTiles base map served by the server process', () => {
  const fleet = useFleet([], 'gs-basemap-');
  let srv: ServerProc;
  let base: string;
  let token: string;
  let db: string;
  // A tile of incompressible bytes makes the file span several read chunks (64 KiB).
  const bytes = writePmtiles({ tiles: [...colourPyramid(0, 2), { z: 3, x: 0, y: 0, data: randomBytes(200_000) }] });

  const fetchArchive = async (headers: Record<string, string>, withToken = true, method = 'GET') => {
    const r = await fetch(`${base}${PATH}`, { method, headers: { ...(withToken ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
  };

  beforeAll(async () => {
    db = join(fleet.dir, 'ingest.db');
    token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
    const archive = join(fleet.dir, 'region.pmtiles');
    writeFileSync(archive, bytes);
    srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', '--http-pmtiles', archive] });
    base = httpBaseOf(srv.output());
  }, 60_000);

  afterAll(async () => {
    await srv?.stop();
  });

  it('logs what it serves; without a token, or a wrong one, 401 and no byte of the archive', async () => {
    expect(srv.output()).toMatch(/PMTiles base map .*region\.pmtiles: PNG tiles, zoom 0-3, \d+ bytes, served at \/api\/v1\/basemap\.pmtiles/);
    for (const h of [{}, { authorization: `Bearer gst_${'A'.repeat(43)}` }] as Record<string, string>[]) {
      const r = await fetchArchive({ range: 'bytes=0-16383', ...h }, false);
      expect(r.status).toBe(401);
      expect(r.body.toString()).toBe('{"error":"unauthorized"}\n');
    }
  });

  it('whole (200) and in one range (206 with Content-Range), the bytes of the file', async () => {
    const all = await fetchArchive({});
    expect(all.status).toBe(200);
    expect(all.headers.get('accept-ranges')).toBe('bytes');
    expect(all.headers.get('content-type')).toBe('application/vnd.pmtiles');
    expect(all.headers.get('content-length')).toBe(String(bytes.length));
    expect(all.body.equals(bytes)).toBe(true);
    const etag = all.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const cases: [string, number, number][] = [
      ['bytes=0-16383', 0, 16_383],
      ['bytes=100-199', 100, 199],
      [`bytes=${bytes.length - 70_000}-`, bytes.length - 70_000, bytes.length - 1],
      ['bytes=-50', bytes.length - 50, bytes.length - 1],
      [`bytes=5-${bytes.length + 1000}`, 5, bytes.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await fetchArchive({ range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(r.headers.get('content-length'), range).toBe(String(end - start + 1));
      expect(r.headers.get('etag'), range).toBe(etag);
      expect(r.body.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
    expect((await fetchArchive({ range: 'bytes=10-19', 'if-range': etag })).status).toBe(206);
    const changed = await fetchArchive({ range: 'bytes=10-19', 'if-range': '"another"' });
    expect([changed.status, changed.body.length]).toEqual([200, bytes.length]);
  });

  it('HEAD: the status and headers GET gets (length, ranges, ETag), no body; without the token 401', async () => {
    const same = ['content-length', 'content-range', 'accept-ranges', 'etag', 'content-type', 'cache-control'];
    for (const range of [undefined, 'bytes=100-199', `bytes=${bytes.length - 70_000}-`, `bytes=${bytes.length}-`]) {
      const h: Record<string, string> = range ? { range } : {};
      const get = await fetchArchive(h);
      const head = await fetchArchive(h, true, 'HEAD');
      expect(head.status, range).toBe(get.status);
      for (const name of same) expect(head.headers.get(name), `${range} ${name}`).toBe(get.headers.get(name));
      expect(head.body.length, range).toBe(0);
    }
    expect((await fetchArchive({}, true, 'HEAD')).headers.get('content-length')).toBe(String(bytes.length));
    expect((await fetchArchive({}, false, 'HEAD')).status).toBe(401);
  });

  it('past the end: 416 with the size; lists of ranges and malformed ones: 400 naming Range', async () => {
    for (const range of [`bytes=${bytes.length}-`, 'bytes=-0']) {
      const r = await fetchArchive({ range });
      expect(r.status, range).toBe(416);
      expect(r.headers.get('content-range'), range).toBe(`bytes */${bytes.length}`);
      expect(JSON.parse(r.body.toString())).toMatchObject({ parameter: 'range' });
    }
    for (const range of ['bytes=0-9,20-29', 'bytes=9-0', 'pages=1-2', 'bytes=abc']) {
      const r = await fetchArchive({ range });
      expect(r.status, range).toBe(400);
      expect(JSON.parse(r.body.toString()).error, range).toMatch(/^Range: /);
    }
  });

  it('the start is refused, naming the flag and the file: vector tiles, not PMTiles, missing, two base maps, no --http', async () => {
    const vector = join(fleet.dir, 'vector.pmtiles');
    writeFileSync(vector, writePmtiles({ tiles: [{ z: 0, x: 0, y: 0, data: solidPng([0, 0, 0], 4) }], tileType: TILE_TYPE.mvt }));
    const geojson = join(fleet.dir, 'roads.geojson');
    writeFileSync(geojson, '{"type":"FeatureCollection","features":[]}'.padEnd(300));
    const args = ['server', '--listen', '127.0.0.1:0', '--db', db, '--ca', fleet.ca];
    const cases: [string[], RegExp][] = [
      [['--http', '127.0.0.1:0', '--http-pmtiles', vector], new RegExp(`--http-pmtiles ${vector}: it holds vector tiles \\(MVT\\); the console draws raster tiles`)],
      [['--http', '127.0.0.1:0', '--http-pmtiles', geojson], new RegExp(`--http-pmtiles ${geojson}: it is not a PMTiles archive`)],
      [['--http', '127.0.0.1:0', '--http-pmtiles', join(fleet.dir, 'none.pmtiles')], /--http-pmtiles .*none\.pmtiles: cannot open it \(ENOENT/],
      [['--http', '127.0.0.1:0', '--http-pmtiles', vector, '--http-tiles', 'https://t.example/{z}/{x}/{y}.png'], /--http-tiles and --http-pmtiles are two base maps: give one of them/],
      [['--http-pmtiles', vector], /--http-pmtiles and --http-attribution need --http HOST:PORT/],
      [['--http', '127.0.0.1:0', '--http-tiles', 'ftp://maps.example/region.pmtiles'], /--http-tiles: ftp: URLs are not supported for a PMTiles archive/],
    ];
    for (const [extra, why] of cases) {
      const r = await runCli([...args, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr, extra.join(' ')).toMatch(why);
    }
  });
});
