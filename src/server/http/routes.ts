import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LinkEvent, StoreQueries, VehicleSummary } from '../store/query.js';
import { LINK_EVENTS_PER_VEHICLE } from '../store/events.js';
import type { LatestProperties, LinkDocument, LinkEventDocument, VehicleDocument } from './documents.js';
import { tripsDocument } from './trip-documents.js';
import { FORMATS, TRACK_FORMATS } from '../formats/index.js';
import { positionProperties } from '../formats/geojson.js';
import type { TrackReads } from '../reads/track-reads.js';
import { badParam, HttpError } from './errors.js';
import { notFound, parseEnum, parseFields, parseRange, parseVehicleId, Query } from './params.js';
import { JSON_TYPE, sendJson, sentHead, streamText } from './respond.js';
import type { LiveFeed } from './live.js';
import { PMTILES_PATH, sendConsole, type ConsoleAsset, type ConsoleOptions } from '../console/page.js';
import { sendRange, type RangeSource } from './send-range.js';

export interface ApiLimits {
  /** Longest from..to of one positions or trips request, days (default 92). */
  maxRangeDays: number;
  /** Positions/trips requests running at once; more get 503 (default 4): each reads the database. */
  maxStreams: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = { maxRangeDays: 92, maxStreams: 4 };

/** What the routes read: the store's queries, the ingest process's live sessions, the live feed. */
export interface ApiContext {
  queries: StoreQueries;
  /** Tracks and trips (long reads, perhaps in reader processes). */
  reads: TrackReads;
  online: () => ReadonlySet<string>;
  live: LiveFeed;
  clock: () => number;
  limits: ApiLimits;
  /** Positions/trips requests running now. */
  running: { streams: number };
  /** The operator console page's base map. */
  console: ConsoleOptions;
  /** The PMTiles archive served at PMTILES_PATH (--http-pmtiles), or null. */
  basemap: RangeSource | null;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path segments the route's pattern captured (still percent-encoded). */
  params: string[];
  api: ApiContext;
}

interface Route {
  path: RegExp;
  handle: (c: RequestContext) => Promise<void>;
}

const isoAt = (ms: number): string => new Date(ms).toISOString();
const iso = (ms: number | null) => (ms === null ? null : isoAt(ms));
const DAY = 86_400_000;

function vehicleJson(v: VehicleSummary, online: ReadonlySet<string>): VehicleDocument {
  let latest: LatestProperties | null = null;
  if (v.latest) {
    const { kind: _k, device: _d, ...rest } = positionProperties(v.latest);
    latest = rest;
  }
  return {
    id: v.device,
    online: online.has(v.device),
    lastSeen: iso(v.lastSeenMs),
    handshakes: v.handshakes,
    pathChanges: v.pathChanges,
    lastClose: v.lastClose,
    firmware: v.firmware,
    records: v.records,
    duplicates: v.duplicates,
    gaps: v.gaps,
    lost: v.lost,
    latest,
  };
}

async function knownVehicle(c: RequestContext): Promise<string> {
  const id = parseVehicleId(c.params[0]!);
  if (!(await c.api.queries.vehicle(id))) throw notFound(`unknown vehicle ${JSON.stringify(id)}`);
  return id;
}

/**
 * Runs a database-reading request within the concurrency limit; a HEAD request gets
 * the headers of a `contentType` response without the reads (and takes no slot).
 */
async function limited(c: RequestContext, contentType: string, f: () => Promise<void>): Promise<void> {
  if (sentHead(c.res, 200, { 'content-type': contentType })) return;
  const r = c.api.running;
  if (r.streams >= c.api.limits.maxStreams) throw new HttpError(503, `${r.streams} position or trip requests are running; retry shortly`, undefined, { 'retry-after': '5' });
  r.streams++;
  try {
    await f();
  } finally {
    r.streams--;
  }
}

function linkEventJson(e: LinkEvent): LinkEventDocument {
  return { n: e.n, time: isoAt(e.atMs), kind: e.kind, count: e.count, detail: e.detail, ...(e.untilMs !== null ? { until: isoAt(e.untilMs) } : {}) };
}

/** `limit` of a link request: 1..LINK_EVENTS_PER_VEHICLE (the most a vehicle has), that by default. */
function parseLimit(v: string | undefined): number {
  if (v === undefined) return LINK_EVENTS_PER_VEHICLE;
  if (!/^\d{1,6}$/.test(v) || +v < 1 || +v > LINK_EVENTS_PER_VEHICLE) throw badParam('limit', `expected a whole number 1..${LINK_EVENTS_PER_VEHICLE}, got ${JSON.stringify(v.slice(0, 40))}`);
  return +v;
}

const consoleRoute = (path: RegExp, which: ConsoleAsset): Route => ({
  path,
  async handle(c) {
    new Query(c.url.searchParams, []);
    await sendConsole(c.res, c.req.headers['if-none-match'], which, c.api.console);
  },
});

export const ROUTES: readonly Route[] = [
  consoleRoute(/^\/$/, 'html'),
  consoleRoute(/^\/console\.js$/, 'js'),
  consoleRoute(/^\/console\.css$/, 'css'),
  {
    path: /^\/api\/v1\/vehicles$/,
    async handle(c) {
      new Query(c.url.searchParams, []);
      const online = c.api.online();
      const all = await c.api.queries.vehicles();
      sendJson(c.res, 200, { vehicles: all.map((v) => vehicleJson(v, online)) });
    },
  },
  {
    path: /^\/api\/v1\/vehicles\/([^/]+)$/,
    async handle(c) {
      new Query(c.url.searchParams, []);
      const id = parseVehicleId(c.params[0]!);
      const v = await c.api.queries.vehicle(id);
      if (!v) throw notFound(`unknown vehicle ${JSON.stringify(id)}`);
      sendJson(c.res, 200, vehicleJson(v, c.api.online()));
    },
  },
  {
    path: /^\/api\/v1\/vehicles\/([^/]+)\/positions$/,
    async handle(c) {
      const q = new Query(c.url.searchParams, ['from', 'to', 'format', 'fields']);
      const format = parseEnum('format', q.get('format'), TRACK_FORMATS, 'geojson');
      const fields = parseFields(q.get('fields'), format);
      const range = parseRange(q, c.api.clock(), { defaultMs: DAY, maxDays: c.api.limits.maxRangeDays });
      const id = await knownVehicle(c);
      await limited(c, FORMATS[format].contentType, async () => {
        await streamText(c.res, 200, FORMATS[format].contentType, c.api.reads.document(id, range.fromMs, range.toMs, format, fields));
      });
    },
  },
  {
    path: /^\/api\/v1\/vehicles\/([^/]+)\/trips$/,
    async handle(c) {
      const q = new Query(c.url.searchParams, ['from', 'to']);
      const range = parseRange(q, c.api.clock(), { defaultMs: 7 * DAY, maxDays: c.api.limits.maxRangeDays });
      const id = await knownVehicle(c);
      await limited(c, JSON_TYPE, async () => {
        const segs = await c.api.reads.trips(id, range.fromMs, range.toMs);
        if (c.res.destroyed) return;
        sendJson(c.res, 200, tripsDocument(id, range.fromMs, range.toMs, segs));
      });
    },
  },
  {
    path: /^\/api\/v1\/vehicles\/([^/]+)\/link$/,
    async handle(c) {
      const q = new Query(c.url.searchParams, ['from', 'to', 'limit']);
      const range = parseRange(q, c.api.clock(), { defaultMs: DAY, maxDays: c.api.limits.maxRangeDays });
      const limit = parseLimit(q.get('limit'));
      const id = await knownVehicle(c);
      await limited(c, JSON_TYPE, async () => {
        const a = await c.api.queries.linkEvents(id, range.fromMs, range.toMs, limit);
        if (c.res.destroyed) return;
        const doc: LinkDocument = { vehicle: id, from: isoAt(range.fromMs), to: isoAt(range.toMs), before: a.before ? linkEventJson(a.before) : null, truncated: a.truncated, events: a.events.map(linkEventJson) };
        sendJson(c.res, 200, doc);
      });
    },
  },
  {
    path: new RegExp(`^${PMTILES_PATH.replace(/\./g, '\\.')}$`),
    async handle(c) {
      new Query(c.url.searchParams, []);
      if (!c.api.basemap) throw notFound('this server serves no PMTiles archive (start it with --http-pmtiles FILE)');
      // Map tiles, not fleet data: the browser may keep them (for this operator only).
      await sendRange(c.req, c.res, c.api.basemap, { 'cache-control': 'private, max-age=3600', 'x-content-type-options': 'nosniff' });
    },
  },
  {
    path: /^\/api\/v1\/live$/,
    async handle(c) {
      const q = new Query(c.url.searchParams, ['vehicle'], ['vehicle']);
      const ids = q.all('vehicle').flatMap((v) => v.split(','));
      if (ids.length > 100) throw new HttpError(400, 'vehicle: at most 100 vehicles per live stream', 'vehicle');
      const vehicles = ids.length ? new Set(ids.map((v) => parseVehicleId(v, 'vehicle'))) : null;
      if (c.api.live.full) throw new HttpError(503, `${c.api.live.size} live streams are open (the limit); retry later`, undefined, { 'retry-after': '30' });
      c.api.live.add(c.res, vehicles);
    },
  },
];

/** The route for a path and what its pattern captured, or null. */
export function route(path: string): { route: Route; params: string[] } | null {
  for (const r of ROUTES) {
    const m = r.path.exec(path);
    if (m) return { route: r, params: m.slice(1) };
  }
  return null;
}
