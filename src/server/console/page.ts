import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { BASE_HEADERS } from '../http/respond.js';
import { HttpError } from '../http/errors.js';

/**
 * The base map: none (a plain Web Mercator view with a scale bar), a raster tile URL
 * template, or a PMTiles archive of raster tiles (the server's own or a remote one).
 */
export interface ConsoleOptions {
  /** `https://host/{z}/{x}/{y}.png` (also {s}, {r}); null: no tile template. */
  tiles: string | null;
  /** The PMTiles archive the page reads: PMTILES_PATH (the server's, with the token) or an http(s) URL; null: none. */
  pmtiles: string | null;
  /** Attribution shown in the map's corner for the tiles (default for an archive: its metadata's). */
  attribution: string | null;
}

export const NO_BASE_MAP: ConsoleOptions = { tiles: null, pmtiles: null, attribution: null };

/** Where the HTTP API serves the --http-pmtiles archive (under /api/: it takes the operator token). */
export const PMTILES_PATH = '/api/v1/basemap.pmtiles';

/**
 * Checks a --http-tiles value that names a remote PMTiles archive (an http(s) URL whose
 * path ends in .pmtiles); returns it, or null when the value is no such URL. The page
 * may fetch from that origin only (connect-src), and sends it no token.
 */
export function parsePmtilesUrl(v: string): string | null {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return null;
  }
  if (!u.pathname.endsWith('.pmtiles') || /[{}]/.test(v)) return null;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${u.protocol} URLs are not supported for a PMTiles archive (http or https)`);
  if (u.username || u.password) throw new Error('the PMTiles URL carries a user name or password; the page would show it to every operator');
  if (/["<>\s]/.test(v)) throw new Error('the PMTiles URL contains a quote, angle bracket or space');
  return u.href;
}

/**
 * Checks a --http-tiles value: an absolute http(s) URL with {z}, {x} and {y}. The
 * page loads images from its origin only (the Content-Security-Policy names it).
 */
export function parseTilesUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v.replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D')));
  } catch {
    throw new Error(`${JSON.stringify(v.slice(0, 200))} is not a URL (expected e.g. https://tiles.example/{z}/{x}/{y}.png)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${u.protocol} URLs are not supported (http or https)`);
  for (const p of ['{z}', '{x}', '{y}']) if (!v.includes(p)) throw new Error(`${JSON.stringify(v.slice(0, 200))} has no ${p} (a tile URL template such as https://tiles.example/{z}/{x}/{y}.png)`);
  if (/["<>\s]/.test(v)) throw new Error('the tile URL contains a quote, angle bracket or space');
  return v;
}

const tileOrigin = (tiles: string) => new URL(tiles.replace(/\{s\}/g, 'a').replace(/[{}]/g, '')).origin.replace(/\/\/a\./, '//*.');

function csp(o: ConsoleOptions): string {
  const img = ["'self'", 'data:', 'blob:'];
  if (o.tiles) img.push(tileOrigin(o.tiles));
  const connect = ["'self'"];
  // The archive's tiles reach the map as blob: images; only its bytes are fetched.
  if (o.pmtiles && o.pmtiles !== PMTILES_PATH) connect.push(new URL(o.pmtiles).origin);
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Leaflet and uPlot position elements through style attributes.
    "style-src 'self' 'unsafe-inline'",
    `img-src ${img.join(' ')}`,
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

type Assets = typeof import('./assets.gen.js');
let assets: Promise<Assets> | null = null;

/** The bundled page, imported on first use (the ingest server without --http never loads it). */
function load(): Promise<Assets> {
  assets ??= import('./assets.gen.js').catch((err: Error) => {
    assets = null;
    throw new HttpError(503, `the console page is not built into this server (${err.message.split('\n')[0]}); build it with 'make build'`);
  });
  return assets;
}

export type ConsoleAsset = 'html' | 'js' | 'css';

const TYPES: Record<ConsoleAsset, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Sends one of the page's three files; the page itself holds no data (that needs a token). */
export async function sendConsole(res: ServerResponse, ifNoneMatch: string | undefined, which: ConsoleAsset, o: ConsoleOptions): Promise<void> {
  const a = await load();
  let body = a[which];
  if (which === 'html') {
    const cfg = escapeAttr(JSON.stringify({ tiles: o.tiles, pmtiles: o.pmtiles, attribution: o.attribution }));
    body = body.replace('<meta name="geostream-config" content="{}">', `<meta name="geostream-config" content="${cfg}">`);
  }
  const etag = `"${a.etag}-${createHash('sha256').update(JSON.stringify(o)).digest('base64url').slice(0, 12)}-${which}"`;
  const headers = { ...BASE_HEADERS, 'cache-control': 'no-cache', etag, 'content-security-policy': csp(o), 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };
  if (ifNoneMatch === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': TYPES[which], 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
