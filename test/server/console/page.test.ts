// The console page's files as the --http listener sends them: the base map the
// server was given reaches the page and its Content-Security-Policy; bad tile and
// PMTiles URLs are refused naming what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePmtilesUrl, parseTilesUrl, PMTILES_PATH, sendConsole, type ConsoleOptions } from '../../../src/server/console/page.js';
// @ts-expect-error plain JavaScript build script
import { buildConsole } from '../../../scripts/console/build.mjs';

describe('console page', () => {
  let http: Server;
  let base: string;
  let opts: ConsoleOptions = { tiles: null, pmtiles: null, attribution: null };
  beforeAll(async () => {
    await buildConsole();
    http = createServer((req, res) => void sendConsole(res, req.headers['if-none-match'], req.url === '/console.js' ? 'js' : 'html', opts));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  it('tile URL templates: http(s) with {z}, {x}, {y}; anything else refused with the reason', () => {
    expect(parseTilesUrl('https://{s}.tiles.example/{z}/{x}/{y}.png')).toBe('https://{s}.tiles.example/{z}/{x}/{y}.png');
    expect(() => parseTilesUrl('tiles/{z}/{x}/{y}.png')).toThrow(/not a URL/);
    expect(() => parseTilesUrl('file:///srv/{z}/{x}/{y}.png')).toThrow(/file: URLs are not supported/);
    expect(() => parseTilesUrl('https://tiles.example/{z}/{x}.png')).toThrow(/has no \{y\}/);
    expect(() => parseTilesUrl('https://tiles.example/{z}/{x}/{y}.png"><script>')).toThrow(/quote/);
  });

  it('no base map: the page says so in its config; images only from itself', async () => {
    opts = { tiles: null, pmtiles: null, attribution: null };
    const r = await fetch(`${base}/`);
    const html = await r.text();
    expect(html).toContain('<meta name="geostream-config" content="{&quot;tiles&quot;:null,&quot;pmtiles&quot;:null,&quot;attribution&quot;:null}">');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("img-src 'self' data: blob:;");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('a tile URL: in the page config, its origin (any subdomain for {s}) allowed for images; the ETag changes with it', async () => {
    opts = { tiles: null, pmtiles: null, attribution: null };
    const plain = (await fetch(`${base}/`)).headers.get('etag');
    opts = { tiles: 'https://{s}.tiles.example:8443/{z}/{x}/{y}.png', pmtiles: null, attribution: '© "OSM" <contributors>' };
    const r = await fetch(`${base}/`);
    const html = await r.text();
    expect(html).toContain('&quot;tiles&quot;:&quot;https://{s}.tiles.example:8443/{z}/{x}/{y}.png&quot;');
    expect(html).toContain('&quot;attribution&quot;:&quot;© \\&quot;OSM\\&quot; &lt;contributors&gt;&quot;');
    expect(r.headers.get('content-security-policy')).toContain("img-src 'self' data: blob: https://*.tiles.example:8443;");
    expect(r.headers.get('etag')).not.toBe(plain);
    expect((await fetch(`${base}/`, { headers: { 'if-none-match': r.headers.get('etag')! } })).status).toBe(304);
  });

  it('PMTiles URLs: an http(s) URL ending in .pmtiles; a template is none; credentials and other schemes refused', () => {
    expect(parsePmtilesUrl('https://maps.example:8443/fleet/region.pmtiles')).toBe('https://maps.example:8443/fleet/region.pmtiles');
    expect(parsePmtilesUrl('https://tiles.example/{z}/{x}/{y}.png')).toBeNull();
    expect(parsePmtilesUrl('region.pmtiles')).toBeNull();
    expect(() => parsePmtilesUrl('file:///srv/region.pmtiles')).toThrow(/file: URLs are not supported for a PMTiles archive/);
    expect(() => parsePmtilesUrl('https://ops:secret@maps.example/region.pmtiles')).toThrow(/user name or password/);
    expect(() => parsePmtilesUrl('https://maps.example/"x".pmtiles')).toThrow(/quote/);
  });

  it("a remote archive: the page may fetch from that origin and no other; the server's own: from itself only", async () => {
    opts = { tiles: null, pmtiles: 'https://maps.example:8443/region.pmtiles', attribution: null };
    let r = await fetch(`${base}/`);
    expect(await r.text()).toContain('&quot;pmtiles&quot;:&quot;https://maps.example:8443/region.pmtiles&quot;');
    let csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("connect-src 'self' https://maps.example:8443;");
    expect(csp).toContain("img-src 'self' data: blob:;");
    opts = { tiles: null, pmtiles: PMTILES_PATH, attribution: null };
    r = await fetch(`${base}/`);
    expect(await r.text()).toContain('&quot;pmtiles&quot;:&quot;/api/v1/basemap.pmtiles&quot;');
    csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("default-src 'none'");
  });
});
