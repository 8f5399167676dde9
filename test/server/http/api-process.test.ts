import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { makeFleet, useFleet } from '../../support/link-fixture.js';
import { MemSpool } from '../../support/mem-spool.js';
import { startServerProcess, type ServerProc } from '../../support/server-proc.js';
import { waitFor } from '../../support/wait.js';
import { childrenMatching } from '../../support/proc-tree.js';
import { runCli } from '../../support/cli-io.js';
import { get, httpBaseOf, httpsGet, openSse, produceTelemetry, rawRequest } from '../../support/http-api.js';
import { DeviceLink } from '../../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../../src/quic/engines.js';
import { deviceTls } from '../../../src/tls/material.js';
import { silentLogger } from '../../../src/base/log.js';
import { systemClock } from '../../../src/base/clock.js';
import { StatusBoard } from '../../../src/base/status-board.js';
import { Store } from '../../../src/server/store/store.js';
import { decodeColumns, type ColumnsDocument } from '../../../src/server/formats/columns-decode.js';

const T0 = Date.UTC(2026, 4, 1, 6, 0, 0);
const RANGE = `from=2026-05-01T00:00:00Z&to=2026-05-03T00:00:00Z`;

describe('HTTP API of a real server process while a vehicle streams into it', () => {
  const fleet = useFleet(['truck-1']);
  let srv: ServerProc;
  let base: string;
  let token: string;
  let db: string;
  let link: DeviceLink;
  let spool: MemSpool;
  let producer: ReturnType<typeof produceTelemetry>;

  beforeAll(async () => {
    db = join(fleet.dir, 'ingest.db');
    token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
    srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0'] });
    base = httpBaseOf(srv.output());
    spool = new MemSpool();
    link = new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port: srv.port }, tls: deviceTls(fleet.ca, 'truck-1'), clock: systemClock, log: silentLogger(), status: new StatusBoard(), device: 'truck-1', random: () => 0, livenessMs: 3000 });
    producer = produceTelemetry(spool, () => link.notify(), T0);
    link.start();
    await waitFor(() => spool.ackedSeq > 500, 30_000, '500 records acked');
  }, 60_000);

  afterAll(async () => {
    producer?.stop();
    await link?.stop();
    await srv?.stop();
  });

  it('no token, a wrong one, a malformed header: 401 and nothing else; the right one: the vehicle list', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer gst_${'A'.repeat(43)}` }, { authorization: `Basic ${token}` }, { authorization: `Bearer ${token}x` }]) {
      const r = await get(`${base}/api/v1/vehicles`, undefined, headers);
      expect(r.status).toBe(401);
      expect(r.text).toBe('{"error":"unauthorized"}\n');
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="geostream"');
    }
    // an unknown path under /api/ is 401 too: without a token nothing says which endpoints exist
    expect((await get(`${base}/api/v1/secret`)).status).toBe(401);
    const r = await get(`${base}/api/v1/vehicles`, token);
    expect(r.status).toBe(200);
    const v = JSON.parse(r.text).vehicles;
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ id: 'truck-1', online: true, handshakes: 1, duplicates: 0, gaps: 0, lost: 0 });
    expect(v[0].records).toBeGreaterThan(500);
    expect(v[0].latest).toMatchObject({ lon: 13.405, speedMps: 10, ignition: true, mode: 3 });
    expect(Date.parse(v[0].latest.time)).toBeGreaterThanOrEqual(T0 + 500_000);
  });

  it('positions as GeoJSON, CSV and GPX: every stored record of the range, in time order', async () => {
    const stored = spool.ackedSeq;
    const g = await get(`${base}/api/v1/vehicles/truck-1/positions?${RANGE}`, token);
    expect(g.status).toBe(200);
    expect(g.type).toBe('application/geo+json');
    const fc = JSON.parse(g.text);
    expect(fc.features.length).toBeGreaterThanOrEqual(stored);
    const seqs = fc.features.map((f: { properties: { seq: number } }) => f.properties.seq);
    expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(fc.features[0]).toMatchObject({ geometry: { type: 'Point', coordinates: [13.405, 52.52, 34.5] }, properties: { time: '2026-05-01T06:00:00.000Z', fuelPct: 50 } });
    const csv = await get(`${base}/api/v1/vehicles/truck-1/positions?${RANGE}&format=csv`, token);
    expect(csv.type).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]!.split(',')[0]).toBe('kind');
    expect(lines.length - 1).toBeGreaterThanOrEqual(stored);
    const gpx = await get(`${base}/api/v1/vehicles/truck-1/positions?${RANGE}&format=gpx`, token);
    expect(gpx.type).toBe('application/gpx+xml');
    expect(gpx.text.match(/<trkpt /g)!.length).toBeGreaterThanOrEqual(stored);
    // columns with fields (read in the server's reader process): the key fields and those fields only, the values of the whole document
    const cols = async (q: string) => decodeColumns(JSON.parse((await get(`${base}/api/v1/vehicles/truck-1/positions?from=2026-05-01T06:00:00Z&to=2026-05-01T06:05:00Z&format=columns${q}`, token)).text) as ColumnsDocument);
    const whole = await cols('');
    const part = await cols('&fields=speedMps,lat,seq');
    expect(Object.keys(part.columns)).toEqual(['spool', 'seq', 'timeMs', 'receivedMs', 'lat', 'speedMps']);
    expect(part.n).toBe(300);
    expect(whole.n).toBe(300);
    for (const k of Object.keys(part.columns)) expect(part.columns[k]).toEqual(whole.columns[k]);
    // a narrower window: exactly its records, [from, to)
    const w = JSON.parse((await get(`${base}/api/v1/vehicles/truck-1/positions?from=2026-05-01T06:01:40Z&to=2026-05-01T06:01:50Z`, token)).text);
    expect(w.features.map((f: { properties: { seq: number } }) => f.properties.seq)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
  });

  it('trips: the drive so far is one trip under way', async () => {
    const r = await get(`${base}/api/v1/vehicles/truck-1/trips?${RANGE}`, token);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.trips).toHaveLength(1);
    expect(body.trips[0]).toMatchObject({ start: { time: '2026-05-01T06:00:00.000Z', lat: 52.52, lon: 13.405 }, maxSpeedMps: 10, fuelUsedPct: 0, ongoing: true });
    expect(body.trips[0].durationS).toBeGreaterThan(500);
    expect(body.stops).toEqual([]);
  });

  it("link: the session's connect event (server time) with the device's address, spool and backlog", async () => {
    const r = await get(`${base}/api/v1/vehicles/truck-1/link`, token);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body).toMatchObject({ vehicle: 'truck-1', before: null, truncated: false });
    expect(body.events).toHaveLength(1);
    const [e] = body.events;
    expect(e).toMatchObject({ n: 1, kind: 'connect', count: null });
    expect(e.detail).toMatch(/^from 127\.0\.0\.1:\d+, firmware \S+, spool [0-9a-f]{16}, backlog \d+ \(head \d+, acked 0\)$/);
    expect(Math.abs(Date.parse(e.time) - Date.now())).toBeLessThan(120_000);
  });

  it('hostile input: each a clear 4xx naming the parameter, and the vehicle keeps being acked throughout', async () => {
    const ackedBefore = spool.ackedSeq;
    const p = `${base}/api/v1/vehicles`;
    const cases: [string, number, RegExp][] = [
      [`${p}/truck-1/positions?from=2026-05-01'%20OR%201=1--`, 400, /^from: expected an ISO 8601/],
      [`${p}/truck-1'%20OR%20'1'='1/positions`, 400, /^id: .* is not a vehicle id/],
      [`${p}/truck-1%3B%20DROP%20TABLE%20records/positions`, 400, /^id: /],
      [`${p}/truck-9/positions`, 404, /unknown vehicle "truck-9"/],
      [`${p}/truck-1/positions?from=1970-01-01&to=2106-01-01`, 400, /^to: the range from\.\.to is \d+ days; at most 92/],
      [`${p}/truck-1/positions?from=2026-02-30`, 400, /^from: "2026-02-30" is not a real date/],
      [`${p}/truck-1/positions?from=2026-05-02&to=2026-05-01`, 400, /^from: .* must be before to/],
      [`${p}/truck-1/positions?from=yesterday`, 400, /^from: /],
      [`${p}/truck-1/positions?to=99999-01-01T00:00:00Z`, 400, /^to: /],
      [`${p}/truck-1/positions?format=kml`, 400, /^format: expected one of geojson, csv, gpx/],
      [`${p}/truck-1/positions?limit=10`, 400, /^limit: unknown parameter/],
      [`${p}/truck-1/positions?fields=lat`, 400, /^fields: only with format=columns, not geojson/],
      [`${p}/truck-1/positions?format=columns&fields=lat,lat);DROP%20TABLE%20records`, 400, /^fields: unknown field "lat\);DROP TABLE records" \(known: spool, seq, timeMs, receivedMs, lat, lon, /],
      [`${p}/truck-1/positions?format=columns&fields=`, 400, /^fields: unknown field ""/],
      [`${p}/truck-1/positions?from=2026-05-01&from=2026-05-02`, 400, /^from: given more than once/],
      [`${p}/truck-1/trips?from=2026-13-01`, 400, /^from: /],
      [`${p}/truck-1/link?limit=0`, 400, /^limit: expected a whole number 1\.\.10000, got "0"/],
      [`${p}/truck-1/link?limit=1e3`, 400, /^limit: /],
      [`${p}/truck-9/link`, 404, /unknown vehicle "truck-9"/],
      [`${p}/%E0%A4%A/positions`, 400, /^id: bad percent-encoding/],
      [`${base}/api/v1/live?vehicle=..%2F..`, 400, /^vehicle: /],
      [`${base}/api/v1/nothing`, 404, /no such endpoint/],
      [`${p}/truck-1/positions/extra`, 404, /no such endpoint/],
      [`${base}/api/v1/basemap.pmtiles`, 404, /serves no PMTiles archive \(start it with --http-pmtiles FILE\)/],
    ];
    for (const [url, status, msg] of cases) {
      const r = await get(url, token);
      expect({ url, status: r.status }).toEqual({ url, status });
      const body = JSON.parse(r.text);
      expect(body.error).toMatch(msg);
      if (status === 400) expect(body.parameter).toBe(body.error.split(':')[0]);
    }
    const port = Number(new URL(base).port);
    const post = await rawRequest(port, `POST /api/v1/vehicles HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-length: 2\r\n\r\n{}`);
    expect(post).toMatch(/^HTTP\/1.1 405 /);
    expect(post).toMatch(/allow: GET, HEAD\r\n/i);
    const body = await rawRequest(port, `GET /api/v1/vehicles HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-length: 5\r\n\r\nhello`);
    expect(body).toMatch(/^HTTP\/1.1 413 /);
    const longUrl = await get(`${p}?${'a'.repeat(3000)}`, token);
    expect(longUrl.status).toBe(414);
    const bigHeader = await rawRequest(port, `GET /api/v1/vehicles HTTP/1.1\r\nhost: x\r\nx-junk: ${'j'.repeat(20_000)}\r\n\r\n`);
    expect(bigHeader).toMatch(/^HTTP\/1.1 431 /);
    const garbage = await rawRequest(port, '\x16\x03\x01\x00\xa5garbage\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1.1 400 /);
    await waitFor(() => spool.ackedSeq > ackedBefore + 200, 20_000, 'ingest acking on after the hostile requests');
  });

  it('HEAD: the status and headers GET gets, no body, the token still needed; the live stream ends at once', async () => {
    const port = Number(new URL(base).port);
    const head = async (path: string, auth = true) => {
      const raw = await rawRequest(port, `HEAD ${path} HTTP/1.1\r\nhost: x\r\n${auth ? `authorization: Bearer ${token}\r\n` : ''}connection: close\r\n\r\n`);
      const [top = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
    };
    const p = '/api/v1/vehicles';
    expect(await head(p, false)).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="geostream"' }, body: '' });
    const list = await head(p);
    expect(list).toMatchObject({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '' });
    expect(Number(list.headers['content-length'])).toBeGreaterThan(20);
    const unknown = await get(`${base}${p}/truck-9`, token);
    expect(await head(`${p}/truck-9`)).toMatchObject({ status: 404, headers: { 'content-length': String(Buffer.byteLength(unknown.text)) }, body: '' });
    expect(await head(`${p}/truck-1/positions?${RANGE}&format=csv`)).toMatchObject({ status: 200, headers: { 'content-type': expect.stringMatching(/^text\/csv/) }, body: '' });
    expect(await head(`${p}/truck-1/positions?format=kml`)).toMatchObject({ status: 400, body: '' });
    for (const what of ['trips', 'link']) expect(await head(`${p}/truck-1/${what}?${RANGE}`), what).toMatchObject({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '' });
    const page = await get(`${base}/`);
    expect(await head('/', false)).toMatchObject({ status: 200, headers: { 'content-length': page.headers.get('content-length'), etag: page.headers.get('etag') }, body: '' });
    const t0 = performance.now();
    expect(await head('/api/v1/live')).toMatchObject({ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: '' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a revoked token gets 401 on its next request (revoked by another process while the server runs)', async () => {
    const second = (await runCli(['server', 'token', 'add', 'temp', '--db', db])).stdout.trim();
    expect((await get(`${base}/api/v1/vehicles`, second)).status).toBe(200);
    expect((await runCli(['server', 'token', 'revoke', 'temp', '--db', db])).code).toBe(0);
    const r = await get(`${base}/api/v1/vehicles`, second);
    expect(r.status).toBe(401);
    expect(r.text).toBe('{"error":"unauthorized"}\n');
  });

  it('live: an event per record after its COMMIT, filtered by vehicle; another vehicle filter gets none', async () => {
    const live = await openSse(`${base}/api/v1/live?vehicle=truck-1`, token);
    const other = await openSse(`${base}/api/v1/live?vehicle=truck-2`, token);
    expect(live.status).toBe(200);
    try {
      await waitFor(() => live.events.length >= 100, 20_000, '100 live events');
      const seqs = live.events.map((e) => JSON.parse(e.data).properties.seq as number);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
      expect(live.events[0]!.event).toBe('position');
      expect(live.events[0]!.id).toBe(`truck-1/${spool.spoolId}/${seqs[0]}`);
      // each event's record is in the database (it was sent after the COMMIT)
      const store = Store.openReadOnly(db);
      const inDb = new Set(store.seqs('truck-1'));
      store.close();
      for (const s of seqs.slice(0, 50)) expect(inDb.has(s)).toBe(true);
      expect(other.events).toEqual([]);
    } finally {
      live.close();
      other.close();
    }
  });

  it('tracks are read in a reader process; SIGKILLed, it is replaced, the API answers throughout and ingest goes on', async () => {
    expect(srv.output()).toMatch(/1 of 1 track reader process up/);
    const reader = readerOf(srv.pid);
    expect(reader, 'the server has a `server reader` child').not.toBeNull();
    const before = (await get(`${base}/api/v1/vehicles/truck-1/positions?${RANGE}&format=csv`, token)).text.split('\n').length;
    const acked = spool.ackedSeq;
    process.kill(reader!, 'SIGKILL');
    await waitFor(() => /track reader \(pid \d+\) exited \(SIGKILL\)/.test(srv.output()), 10_000, 'the server to see its reader die');
    // whether a new reader is up yet or not, the request is answered, and in full
    const r = await get(`${base}/api/v1/vehicles/truck-1/positions?${RANGE}&format=csv`, token);
    expect(r.status).toBe(200);
    expect(r.text.split('\n').length).toBeGreaterThanOrEqual(before);
    await waitFor(() => readerOf(srv.pid) !== null && readerOf(srv.pid) !== reader, 20_000, 'a new reader process');
    const trips = await get(`${base}/api/v1/vehicles/truck-1/trips?${RANGE}`, token);
    expect(trips.status).toBe(200);
    await waitFor(() => spool.ackedSeq > acked + 20, 20_000, 'records acked after the reader died');
  });
});

describe('HTTP API over HTTPS (--http-tls) with the server certificate', () => {
  it('a client that checks the certificate against the fleet CA gets the vehicle list', async () => {
    const fleet = await makeFleet([]);
    const db = join(fleet.dir, 'ingest.db');
    const token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
    const srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', '--http-tls'] });
    try {
      const base = httpBaseOf(srv.output());
      expect(base).toMatch(/^https:/);
      const r = await httpsGet(`${base}/api/v1/vehicles`, readFileSync(join(fleet.ca, 'ca.pem'), 'utf8'), token);
      expect(r).toEqual({ status: 200, text: '{"vehicles":[]}\n' });
      await expect(fetch(`${base.replace('https', 'http')}/api/v1/vehicles`)).rejects.toThrow();
    } finally {
      await srv.stop();
      fleet.cleanup();
    }
  });
});

/** The pid of the `geostream server reader` child of `server`, or null. */
const readerOf = (server: number): number | null => childrenMatching(server, / server reader$/)[0] ?? null;
