// The operator console in Debian's chromium against a real server process, fed over
// QUIC by real DeviceLinks: login (form, #token=, wrong token), the fleet on the map
// coloured by state, a live record moving a marker, a vehicle's track with its gap and
// trips, playback, the RPM chart, an export download; no console error anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeFleet } from '../../support/link-fixture.js';
import { MemSpool } from '../../support/mem-spool.js';
import { startServerProcess, type ServerProc } from '../../support/server-proc.js';
import { waitFor } from '../../support/wait.js';
import { runCli } from '../../support/cli-io.js';
import { get, httpBaseOf } from '../../support/http-api.js';
import { repoRoot } from '../../support/shared.js';
import { launchChromium, type HeadlessBrowser } from '../../support/browser.js';
import { DeviceLink } from '../../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../../src/quic/engines.js';
import { deviceTls } from '../../../src/tls/material.js';
import { silentLogger } from '../../../src/base/log.js';
import { systemClock } from '../../../src/base/clock.js';
import { StatusBoard } from '../../../src/base/status-board.js';
import { encodeRecord } from '../../../src/codec/index.js';
import { FAULT } from '../../../src/sensors/faults.js';
// @ts-expect-error plain JavaScript build script
import { buildConsole } from '../../../scripts/console/build.mjs';

/** Half an hour ago: the tracks end before the sessions that deliver them, on one time axis with the link events (server time). */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 1_800_000;
const OUT = join(repoRoot, 'out', 'console');

/** One record of a truck driving north at `speed` m/s (engine values that change with n). */
function record(seq: number, n: number, o: { lat7: number; speedCms: number; ignition: boolean; faults?: number }): Uint8Array {
  return encodeRecord({
    seq, timeMs: T0 + n * 1000, lat7: o.lat7, lon7: 134_050_000, altDm: 345, speedCms: o.speedCms, courseCdeg: 0, mode: 3, sats: 9, hdopC: 90,
    ignition: o.ignition, rpm: o.speedCms > 0 ? 1200 + (n % 60) * 10 : 0, coolantDc: 850, oilKpa: 300, fuelPm: 500 - Math.floor(n / 100), batteryMv: 13_800,
    tyresKpa: [820, 815, null, 830], ...(o.faults ? { faults: o.faults } : {}),
  });
}

/**
 * truck-1's history: 600 s driving at 10 m/s, 20 records lost on the device (a gap
 * marker with reason 'dropped'), 400 s more driving, 400 s parked with ignition off;
 * record 100 carries an out-of-range coolant flag.
 */
function history(spool: MemSpool): { points: number; lastN: number; lastLat7: number } {
  let n = 0;
  let lat7 = 525_200_000;
  let points = 0;
  const add = (speedCms: number, ignition: boolean) => {
    spool.append(record(spool.headSeq + 1, n, { lat7, speedCms, ignition, faults: n === 100 ? FAULT.coolantRange : 0 }), T0 + n * 1000);
    lat7 += Math.round(speedCms * 0.09);
    n++;
    points++;
  };
  for (let i = 0; i < 600; i++) add(1000, true);
  const fromSeq = spool.headSeq + 1;
  const fromTimeMs = T0 + n * 1000;
  spool.skip(20);
  n += 20;
  lat7 += 20 * 90;
  const seq = ++spool.headSeq;
  spool.entries.set(seq, { seq, timeMs: fromTimeMs, kind: 'gap', payload: new Uint8Array(0), gap: { fromSeq, toSeq: fromSeq + 19, fromTimeMs, toTimeMs: T0 + (n - 1) * 1000, lost: 20, reason: 'dropped' } });
  spool.committedSeq = seq;
  for (let i = 0; i < 400; i++) add(1000, true);
  for (let i = 0; i < 400; i++) add(0, false);
  return { points, lastN: n, lastLat7: lat7 };
}

/** Waits until the vehicle list shows exactly these rows, in this order (comma-separated). */
/** The page's document as the predicates below read it (the tests are typed without the DOM library). */
declare const document: {
  querySelector(sel: string): { textContent: string | null } | null;
  querySelectorAll(sel: string): Iterable<{ dataset: Record<string, string | undefined> }>;
};

/*
 * Predicates are functions, never strings: playwright evaluates a string predicate with
 * eval in the page, which the console's Content-Security-Policy (script-src 'self') refuses.
 */
const listIs = (p: Page, ids: string) =>
  p.waitForFunction((want) => [...document.querySelectorAll('#vehicle-list tbody tr')].map((r) => r.dataset.vehicle).join() === want, ids);

describe('operator console in chromium against a real server and vehicles', () => {
  let fleet: Awaited<ReturnType<typeof makeFleet>>;
  let srv: ServerProc;
  let base: string;
  let token: string;
  let b: HeadlessBrowser;
  const links: DeviceLink[] = [];
  const spools = { 'truck-1': new MemSpool('a1b2c3d4e5f60718'), 'truck-2': new MemSpool('b1b2c3d4e5f60718') };
  let h1: ReturnType<typeof history>;
  const errors: string[] = [];

  const startLink = (device: string, spool: MemSpool): DeviceLink => {
    const link = new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port: srv.port }, tls: deviceTls(fleet.ca, device), clock: systemClock, log: silentLogger(), status: new StatusBoard(), device, random: () => 0, livenessMs: 3000 });
    link.start();
    return link;
  };

  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${p.url()}: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
  };

  beforeAll(async () => {
    await buildConsole();
    mkdirSync(OUT, { recursive: true });
    fleet = await makeFleet(['truck-1', 'truck-2'], 'gs-console-');
    const db = join(fleet.dir, 'ingest.db');
    token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
    srv = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0'] });
    base = httpBaseOf(srv.output());
    h1 = history(spools['truck-1']);
    // truck-2: standing with the engine running.
    for (let n = 0; n < 30; n++) spools['truck-2'].append(record(n + 1, n, { lat7: 525_000_000, speedCms: 0, ignition: true }), T0 + n * 1000);
    for (const [device, spool] of Object.entries(spools)) links.push(startLink(device, spool));
    await waitFor(() => spools['truck-1'].ackedSeq === spools['truck-1'].headSeq && spools['truck-2'].ackedSeq === spools['truck-2'].headSeq, 30_000, 'both histories acked');
    b = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    for (const l of links) await l.stop();
    await srv?.stop();
    fleet?.cleanup();
  });

  it('serves the page without a token, with a Content-Security-Policy; the data still needs one', async () => {
    const r = await get(`${base}/`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.text).toContain('<script src="/console.js"');
    expect(r.text).not.toContain('truck-1');
    expect((await get(`${base}/console.js`)).text.length).toBeGreaterThan(100_000);
    expect((await get(`${base}/console.js`, undefined, { 'if-none-match': r.headers.get('etag')!.replace('-html"', '-js"') })).status).toBe(304);
    expect((await get(`${base}/api/v1/vehicles`)).status).toBe(401);
  });

  it('a wrong token shows the login again with the error, and nothing of the fleet', async () => {
    const p = await b.context.newPage();
    watch(p);
    await p.goto(`${base}/`);
    await p.fill('#token', `gst_${'A'.repeat(43)}`);
    await p.click('#login-form button[type=submit]');
    await p.waitForSelector('#login-error:not([hidden])');
    expect(await p.textContent('#login-error')).toContain('refused');
    expect(await p.isHidden('#app')).toBe(true);
    expect(await p.locator('[data-vehicle]').count()).toBe(0);
    await p.screenshot({ path: join(OUT, 'login-refused.png') });
    // chromium logs the refused request itself; that line is the refusal this test made
    const refused = errors.filter((e) => e.endsWith('status of 401 (Unauthorized)'));
    expect(refused).toHaveLength(1);
    errors.splice(errors.indexOf(refused[0]!), 1);
    await p.close();
  });

  it('signs in with the form; every vehicle is on the map coloured by state, and a live record moves its marker', async () => {
    const p = await b.context.newPage();
    watch(p);
    await p.setViewportSize({ width: 1400, height: 900 });
    await p.goto(`${base}/`);
    await p.fill('#token', token);
    await p.click('#login-form button[type=submit]');
    const m1 = p.locator('.leaflet-marker-icon [data-vehicle="truck-1"]');
    const m2 = p.locator('.leaflet-marker-icon [data-vehicle="truck-2"]');
    await m1.waitFor();
    await m2.waitFor();
    expect(await m1.getAttribute('data-state')).toBe('off');
    expect(await m2.getAttribute('data-state')).toBe('parked');
    expect(await p.locator('#vehicle-list tbody tr').count()).toBe(2);
    expect(await p.textContent('.leaflet-control-scale-line')).toMatch(/\d+ (m|km)/);
    await p.waitForSelector('#live-state.live-on');
    // Filter and sort the list.
    await p.fill('#filter', 'truck-2');
    await listIs(p, 'truck-2');
    await p.fill('#filter', '');
    await listIs(p, 'truck-1,truck-2');
    await p.click('#vehicle-list th[data-sort="id"]');
    await listIs(p, 'truck-2,truck-1');
    await p.selectOption('#state-filter', 'off');
    await listIs(p, 'truck-1');
    await p.selectOption('#state-filter', '');
    await p.screenshot({ path: join(OUT, 'fleet.png') });
    // truck-2 drives off: its next records arrive over the live feed.
    const before = await m2.boundingBox();
    const s2 = spools['truck-2'];
    for (let i = 0; i < 5; i++) s2.append(record(s2.headSeq + 1, 30 + i, { lat7: 525_000_000 + (i + 1) * 20_000, speedCms: 2000, ignition: true }), T0 + (30 + i) * 1000);
    links[1]!.notify();
    await p.waitForSelector(`.leaflet-marker-icon [data-vehicle="truck-2"][data-state="moving"][data-seq="${s2.headSeq}"]`, { timeout: 15_000 });
    const after = await m2.boundingBox();
    expect(after!.y).toBeLessThan(before!.y - 2); // moved north on screen
    expect(await p.textContent('#fleet-stats')).toMatch(/2 vehicles, 2 online, [\d.]+ records\/s/);
    await p.close();
  });

  it("a vehicle's view: every track point of the range, the gap with its reason and count, trips, playback, charts, export", async () => {
    // truck-1 reconnects: its first session ends, a second begins.
    await links[0]!.stop();
    links[0] = startLink('truck-1', spools['truck-1']);
    const linkDoc = async () => JSON.parse((await get(`${base}/api/v1/vehicles/truck-1/link`, token)).text) as { events: { kind: string; detail: string | null; count: number | null }[] };
    for (let i = 0; (await linkDoc()).events.filter((e) => e.kind === 'connect').length < 2; i++) {
      if (i > 200) throw new Error("truck-1's second session never began");
      await new Promise((r) => setTimeout(r, 50));
    }
    const events = (await linkDoc()).events;
    expect(events.map((e) => e.kind)).toEqual(['connect', 'gap', 'disconnect', 'connect']);
    const p = await b.context.newPage();
    watch(p);
    const requests: string[] = [];
    p.on('request', (r) => requests.push(r.url()));
    await p.setViewportSize({ width: 1400, height: 1000 });
    await p.goto(`${base}/#token=${encodeURIComponent(token)}`);
    expect(p.url()).not.toContain('token');
    await p.locator('#vehicle-list tbody tr[data-vehicle="truck-1"]').click();
    await p.waitForSelector('#track-summary[data-points]');
    // As many points as the API returns for the range the page shows.
    const from = new Date(await p.inputValue('#range-from')).toISOString();
    const to = new Date(await p.inputValue('#range-to')).toISOString();
    const api = JSON.parse((await get(`${base}/api/v1/vehicles/truck-1/positions?from=${from}&to=${to}`, token)).text);
    const apiPoints = api.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'position').length;
    expect(apiPoints).toBe(h1.points);
    expect(await p.getAttribute('#track-summary', 'data-points')).toBe(String(apiPoints));
    // the page reads the columnar format, not the GeoJSON: what it draws with first, then the rest of each record
    await p.waitForSelector('#track-summary[data-detail-ms]');
    const reads = requests.filter((u) => u.includes('/positions?')).map((u) => new URL(u).searchParams);
    expect(reads.map((q) => q.get('format'))).toEqual(['columns', 'columns']);
    expect(reads[0]!.get('fields')!.split(',')).toEqual(expect.arrayContaining(['lat', 'lon', 'speedMps', 'rpm', 'tyresKpa']));
    expect(reads[1]!.get('fields')!.split(',')).toEqual(expect.arrayContaining(['hdop', 'sats', 'altM', 'vin']));
    // the record under the cursor then has every field, in the record's own order
    const first = api.features.find((f: { properties: { kind: string } }) => f.properties.kind === 'position').properties as Record<string, unknown>;
    const shown = await p.locator('#record-table td').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { key: string } }).dataset.key));
    expect(shown).toEqual(Object.keys(first).filter((k) => k !== 'kind' && k !== 'device'));
    expect(await p.textContent('#record-table td[data-key="hdop"]')).toBe(String(first.hdop));
    expect(await p.textContent('#gaps')).toMatch(/20 lost, dropped/);
    expect(await p.locator('path.gs-gap').count()).toBe(0); // canvas renderer: the gap is drawn on the canvas
    // trips and stops found in the page from the track it holds: the API's, one for one
    const apiTrips = JSON.parse((await get(`${base}/api/v1/vehicles/truck-1/trips?from=${from}&to=${to}`, token)).text) as { trips: { start: { time: string } }[]; stops: { start: { time: string } }[] };
    expect(apiTrips.trips.length).toBeGreaterThanOrEqual(1);
    expect(apiTrips.stops.length).toBeGreaterThanOrEqual(1);
    const starts = (sel: string) => p.locator(sel).evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { from: string } }).dataset.from)));
    expect(await starts('#segments li.seg-trip')).toEqual(apiTrips.trips.map((s) => Date.parse(s.start.time) / 1000));
    expect(await starts('#segments li.seg-stop')).toEqual(apiTrips.stops.map((s) => Date.parse(s.start.time) / 1000));
    expect(requests.some((u) => u.includes('/trips?'))).toBe(false);
    expect(await p.textContent('#link-health')).toContain('records stored');
    // The link: both sessions, the gap marker as the server received it, on the charts' axis.
    expect(await p.locator('#link-events li').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { kind: string } }).dataset.kind))).toEqual(['connect', 'gap', 'disconnect', 'connect']);
    expect(await p.textContent('#link-events li[data-kind="gap"]')).toMatch(/gap marker: 20 lost: dropped, seqs 601-620$/);
    expect(await p.textContent('#link-events li[data-kind="connect"]')).toMatch(/connected: from 127\.0\.0\.1:\d+, firmware \S+, spool a1b2c3d4e5f60718, backlog 1421 \(head 1421, acked 0\)$/);
    expect(await p.textContent('#link-summary')).toBe('2 sessions begun, 1 ended, 0 path changes, 0 records resent, 1 gap markers; offline at the start');
    expect(await p.locator('#link-lane .uplot').count()).toBe(1);
    expect(await p.textContent('#link-lane')).toContain('session');
    // Charts: RPM is drawn with a point per driving record.
    await p.waitForSelector('#charts .uplot');
    expect(await p.locator('#charts .uplot').count()).toBe(5);
    expect(await p.textContent('#charts')).toContain('rpm');
    // The slider moves the playback marker and the record shown.
    const cursor = p.locator('.gs-cursor');
    const seq0 = await cursor.getAttribute('data-seq');
    // where the marker rests: the map may still be running the zoom animation of the view's fit
    const stableBox = async () => {
      let last = await cursor.boundingBox();
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const now = await cursor.boundingBox();
        if (now && last && now.x === last.x && now.y === last.y) return now;
        last = now;
      }
      throw new Error('the playback marker never came to rest');
    };
    const box0 = await stableBox();
    const mid = (T0 + 900_000) / 1000;
    await p.evaluate(`(() => { const s = document.querySelector('#slider'); s.value = '${mid}'; s.dispatchEvent(new Event('input')); })()`);
    expect(Number(await cursor.getAttribute('data-seq'))).toBeGreaterThan(Number(seq0));
    expect(await p.textContent('#record-table td[data-key="time"]')).toBe(new Date(mid * 1000).toISOString());
    expect(await p.textContent('#record-table td[data-key="rpm"]')).toMatch(/^1\d\d\d$/);
    const box1 = await stableBox();
    expect(box1.y).toBeLessThan(box0.y);
    // Playback at 600x runs the marker forward.
    const t0 = await p.textContent('#record-table td[data-key="time"]');
    await p.selectOption('#play-speed', '600');
    await p.click('#play');
    await p.waitForFunction((was) => document.querySelector('#record-table td[data-key="time"]')!.textContent !== was, t0);
    await p.click('#play');
    // A trip in the list jumps there.
    await p.locator('#segments li.seg-stop').first().click();
    expect(await p.textContent('#record-table td[data-key="ignition"]')).toBe('false');
    await p.screenshot({ path: join(OUT, 'vehicle.png') });
    // Export of the range shown.
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('[data-export="gpx"]')]);
    const file = await download.path();
    const gpx = readFileSync(file!, 'utf8');
    expect(gpx).toContain('<gpx');
    expect(gpx.match(/<trkpt /g)).toHaveLength(h1.points);
    expect(download.suggestedFilename()).toMatch(/^truck-1_.*\.gpx$/);
    // On charts too narrow for every record, each draws the few per pixel column that look
    // the same (fewer points than records); the cursor still picks the record at its time.
    await p.setViewportSize({ width: 420, height: 1000 });
    const rpmChart = p.locator('#charts .chart', { hasText: 'rpm' }).first();
    // a double click shows the whole range again (the trip's click zoomed to it)
    await rpmChart.locator('.u-over').dblclick();
    type ChartBox = { textContent: string; dataset: Record<string, string | undefined> };
    await p.waitForFunction((t0) => {
      const charts = [...(document.querySelectorAll('#charts .chart[data-points]') as unknown as Iterable<ChartBox>)];
      const rpm = charts.find((e) => e.textContent.includes('rpm'));
      return charts.every((e) => Number(e.dataset.xMin) <= t0) && rpm !== undefined && Number(rpm.dataset.points) < Number(rpm.dataset.records);
    }, T0 / 1000);
    const over = (await rpmChart.locator('.u-over').boundingBox())!;
    const xMin = Number(await rpmChart.getAttribute('data-x-min'));
    const xMax = Number(await rpmChart.getAttribute('data-x-max'));
    for (const at of [0.25, 0.75]) {
      await rpmChart.locator('.u-over').hover({ position: { x: over.width * at, y: over.height / 2 } });
      // the record at the time under the mouse, to a few pixels (1 s records, so at most one apart within a pixel)
      const want = xMin + (xMax - xMin) * at;
      const off = async () => Math.abs(Date.parse((await p.textContent('#record-table td[data-key="time"]'))!) / 1000 - want);
      await expect.poll(off, { timeout: 5000 }).toBeLessThan(((xMax - xMin) / over.width) * 3 + 1);
    }
    await p.setViewportSize({ width: 1400, height: 1000 });
    // While the view is open another vehicle's live record is counted, and its marker is
    // where that record puts it as soon as the fleet is shown again.
    const liveEvents = async () => Number(await p.getAttribute('#fleet-stats', 'data-events'));
    const e0 = await liveEvents();
    const s2 = spools['truck-2'];
    s2.append(record(s2.headSeq + 1, 40, { lat7: 525_300_000, speedCms: 1500, ignition: true }), T0 + 40_000);
    links[1]!.notify();
    await p.waitForFunction((n) => Number((document.querySelector('#fleet-stats') as unknown as { dataset: { events?: string } }).dataset.events) > n, e0);
    await p.click('#back');
    await p.waitForSelector(`.leaflet-marker-icon [data-vehicle="truck-2"][data-seq="${s2.headSeq}"]`, { timeout: 2000 });
    await p.close();
  });

  it('no console error on any page', () => {
    expect(errors).toEqual([]);
  });
});
