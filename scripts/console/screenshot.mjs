#!/usr/bin/env node
// Takes the README's screenshot (docs/img/console.png) of the real operator console: a
// fleet CA, certificates and an operator token in a temporary directory, `geostream
// server` with --http, two agents (`geostream run`) on the simulated board streaming
// their generated delivery round at 20x over QUIC (TRUCK-001 is stopped and started
// again midway, so its link lane has two sessions), then Debian's chromium
// (playwright-core) on TRUCK-001's vehicle view. Needs `make build` (dist/ and the
// bundled page). Usage: node scripts/console/screenshot.mjs [OUT.png]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = resolve(process.argv[2] ?? join(root, 'docs', 'img', 'console.png'));
const cli = join(root, 'dist', 'cli.js');
const CHROMIUM = process.env.GEOSTREAM_CHROMIUM ?? '/usr/bin/chromium';
const VEHICLES = ['TRUCK-001', 'TRUCK-002'];
const dir = mkdtempSync(join(tmpdir(), 'gs-screenshot-'));
const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function geostream(...args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`geostream ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Starts `geostream ARGS` in the background; resolves once its output matches every pattern. */
function start(args, patterns = []) {
  const p = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  let text = '';
  const exited = new Promise((r) => p.on('exit', (code) => (children.delete(p), r(code))));
  const ready = !patterns.length ? Promise.resolve([]) : new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`geostream ${args[0]} not ready in 30 s:\n${text.slice(-2000)}`)), 30_000);
    const check = (d) => {
      text += String(d);
      if (text.length > 1e6) text = text.slice(-1e5);
      const m = patterns.map((re) => re.exec(text));
      if (m.every(Boolean)) {
        clearTimeout(t);
        res(m);
      }
    };
    p.stdout.on('data', check);
    p.stderr.on('data', check);
    void exited.then((code) => rej(new Error(`geostream ${args[0]} exited (${code}):\n${text.slice(-2000)}`)));
  });
  return { p, ready, exited, stop: () => (p.kill('SIGTERM'), exited) };
}

function agentConfig(id, port) {
  const file = join(dir, `${id}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({
      vehicle: { id },
      board: 'sim',
      log: { level: 'warn' },
      sampling: { minPeriodS: 1 },
      spool: { dir: join(dir, `spool-${id}`) },
      server: { address: `127.0.0.1:${port}`, serverName: 'localhost', ca: 'ca/ca.pem', cert: `ca/devices/${id}.pem`, key: `ca/devices/${id}.key` },
    })}\n`,
  );
  return file;
}

try {
  geostream('ca', 'init', '--dir', 'ca');
  geostream('ca', 'issue', '--dir', 'ca', '--server', 'localhost', '--alt', '127.0.0.1');
  for (const id of VEHICLES) geostream('ca', 'issue', '--dir', 'ca', id);
  const db = join(dir, 'ingest.db');
  const token = geostream('server', 'token', 'add', 'screenshot', '--db', db).trim();
  const server = start(['server', '--listen', '127.0.0.1:0', '--db', db, '--ca', 'ca', '--http', '127.0.0.1:0'], [/listening on [^ ]+:(\d+)/, /HTTP API on (https?:\/\/[^/\s]+)\/api\/v1\//]);
  const [listen, http] = await server.ready;
  const port = Number(listen[1]);
  const base = http[1];
  const run = (id) => start(['run', '--config', agentConfig(id, port), '--speed', '20x']);
  let first = run(VEHICLES[0]);
  await sleep(15_000);
  const second = run(VEHICLES[1]);
  await sleep(15_000);
  await first.stop();
  await sleep(5_000);
  first = run(VEHICLES[0]);
  await sleep(20_000);

  const profile = mkdtempSync(join(tmpdir(), 'gs-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 960 },
  });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
    await page.locator(`#vehicle-list tbody tr[data-vehicle="${VEHICLES[0]}"]`).click();
    await page.waitForSelector('#track-summary[data-points]');
    await page.waitForSelector('#link-lane .uplot');
    // the cursor part-way along the drive, its record beside the map
    await page.evaluate(() => {
      const s = globalThis.document.querySelector('#slider');
      s.value = String(Math.round(Number(s.min) + (Number(s.max) - Number(s.min)) * 0.6));
      s.dispatchEvent(new globalThis.Event('input'));
    });
    await sleep(500);
    if (errors.length) throw new Error(`the page reported errors: ${errors.join('; ')}`);
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    console.log(`${out}: ${await page.textContent('#track-summary')}; ${await page.textContent('#link-summary')}`);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
  await Promise.all([first.stop(), second.stop()]);
  await server.stop();
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
