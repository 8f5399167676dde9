import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from '../../base/log.js';
import type { StoreQueries } from '../store/query.js';
import { HttpError } from './errors.js';
import { DEFAULT_LIVE_LIMITS, LiveFeed, type LiveLimits } from './live.js';
import { sendJson } from './respond.js';
import { DEFAULT_API_LIMITS, route, type ApiContext, type ApiLimits } from './routes.js';
import type { TokenVerifier } from './tokens.js';
import { NO_BASE_MAP, type ConsoleOptions } from '../console/page.js';
import type { RangeSource } from './send-range.js';
import { localReads, type TrackReads } from '../reads/track-reads.js';

export interface HttpLimits extends ApiLimits, LiveLimits {
  /** TCP connections at once; the kernel's next ones are closed at accept (default 64). */
  maxConnections: number;
  /** Request line + headers, bytes (default 8 KiB; more gets 431). */
  maxHeaderBytes: number;
  /** Request target, bytes (default 2 KiB; more gets 414). */
  maxUrlBytes: number;
  /** The whole request head must arrive within this (default 10 s): slowloris. */
  headersTimeoutMs: number;
  /** A socket idle this long is closed (default 60 s; live streams are exempt). */
  idleTimeoutMs: number;
  /** Keep-alive wait for the next request (default 5 s). */
  keepAliveMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  ...DEFAULT_API_LIMITS,
  ...DEFAULT_LIVE_LIMITS,
  maxConnections: 64,
  maxHeaderBytes: 8 * 1024,
  maxUrlBytes: 2048,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveMs: 5_000,
};

export interface HttpApiOptions {
  host: string;
  port: number;
  /** HTTPS with this certificate and key (PEM); plain HTTP without. */
  tls?: { cert: string; key: string };
  queries: StoreQueries;
  /** Where tracks and trips are read (default: on `queries`, in this process). */
  reads?: TrackReads;
  tokens: TokenVerifier;
  /** Vehicles with a live session now. */
  online: () => ReadonlySet<string>;
  log: Logger;
  limits?: Partial<HttpLimits>;
  clock?: () => number;
  /** The operator console's base map (default: none). */
  console?: ConsoleOptions;
  /** The PMTiles archive the console's base map reads (--http-pmtiles). */
  basemap?: RangeSource;
}

export interface HttpCounters {
  requests: number;
  /** Responses by status for refused requests (4xx, 5xx). */
  refused: Record<number, number>;
}

/**
 * The read-only HTTP API beside the ingest server. Every request under /api/ needs
 * an operator token (Authorization: Bearer); only GET and HEAD are served (HEAD
 * answers what GET would, without the body) and no request may carry a body.
 * Refusals are counted and logged as a summary at most once a minute, so a flood of
 * bad requests cannot flood the journal.
 */
export class HttpApi {
  private server: Server | null = null;
  private readonly limits: HttpLimits;
  private readonly live: LiveFeed;
  private readonly ctx: ApiContext;
  private readonly sockets = new Set<Socket>();
  readonly counters: HttpCounters = { requests: 0, refused: {} };
  private refusedSinceLog = 0;
  private lastRefusalLog = -Infinity;

  constructor(private readonly o: HttpApiOptions) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...o.limits };
    this.live = new LiveFeed((l) => o.queries.onCommit(l), this.limits);
    this.ctx = { queries: o.queries, reads: o.reads ?? localReads(o.queries), online: o.online, live: this.live, clock: o.clock ?? Date.now, limits: this.limits, running: { streams: 0 }, console: o.console ?? NO_BASE_MAP, basemap: o.basemap ?? null };
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('HTTP API not listening');
    return { host: a.address, port: a.port };
  }

  get scheme(): 'http' | 'https' {
    return this.o.tls ? 'https' : 'http';
  }

  async start(): Promise<void> {
    const l = this.limits;
    const opts = { maxHeaderSize: l.maxHeaderBytes, headersTimeout: l.headersTimeoutMs, requestTimeout: l.headersTimeoutMs * 2, keepAliveTimeout: l.keepAliveMs };
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.o.tls ? createHttps({ ...opts, cert: this.o.tls.cert, key: this.o.tls.key, handshakeTimeout: l.headersTimeoutMs }, handler) : createHttp(opts, handler);
    server.maxConnections = l.maxConnections;
    server.setTimeout(l.idleTimeoutMs, (s: Socket) => s.destroy());
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      this.refusal(status, `malformed request (${err.code ?? err.message})`);
      if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy();
    });
    if (this.o.tls) server.on('tlsClientError', () => this.refusal(400, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.requests++;
    try {
      const url = await this.check(req);
      const found = route(url.pathname);
      if (!found) throw new HttpError(404, `no such endpoint ${JSON.stringify(url.pathname.slice(0, 100))} (see /api/v1/vehicles, /api/v1/live)`);
      await found.route.handle({ req, res, url, params: found.params, api: this.ctx });
    } catch (err) {
      if (err instanceof HttpError) {
        this.refusal(err.status, err.message);
        if (!res.headersSent) sendJson(res, err.status, err.body, err.headers);
        return;
      }
      this.refusal(500, (err as Error).message);
      this.o.log.error(`HTTP ${req.method} ${(req.url ?? '').slice(0, 200)}: ${(err as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  }

  /** The cheap checks, before any database read: size, method, body, path, token. */
  private async check(req: IncomingMessage): Promise<URL> {
    const raw = req.url ?? '/';
    if (raw.length > this.limits.maxUrlBytes) throw new HttpError(414, `request target over ${this.limits.maxUrlBytes} bytes`);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${String(req.method).slice(0, 20)} is not allowed: the API is read-only (GET, HEAD)`, undefined, { allow: 'GET, HEAD' });
    if ((req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined)
      throw new HttpError(413, `a ${req.method} request carries no body`, undefined, { connection: 'close' });
    let url: URL;
    try {
      url = new URL(raw, 'http://api.invalid');
    } catch {
      throw new HttpError(400, 'malformed request target');
    }
    if (url.pathname.startsWith('/api/')) await this.authenticate(req);
    return url;
  }

  /** 401 for no token, a wrong or a revoked one; the response says nothing else. */
  private async authenticate(req: IncomingMessage): Promise<void> {
    const h = req.headers.authorization;
    const m = h !== undefined ? /^Bearer ([\x21-\x7e]{1,200})$/.exec(h) : null;
    if (!m || (await this.o.tokens.verify(m[1]!)) === null) throw new HttpError(401, 'unauthorized', undefined, { 'www-authenticate': 'Bearer realm="geostream"' });
  }

  private refusal(status: number, why: string): void {
    this.counters.refused[status] = (this.counters.refused[status] ?? 0) + 1;
    this.refusedSinceLog++;
    const now = performance.now();
    if (now - this.lastRefusalLog < 60_000) return;
    const n = this.refusedSinceLog;
    this.lastRefusalLog = now;
    this.refusedSinceLog = 0;
    const byStatus = Object.entries(this.counters.refused).map(([s, c]) => `${s}: ${c}`).join(', ');
    this.o.log.warn(`HTTP API refused ${n} request${n === 1 ? '' : 's'} since the last report (latest: ${status} ${why.slice(0, 120)}; totals ${byStatus})`);
  }

  async stop(): Promise<void> {
    this.live.close();
    const s = this.server;
    if (!s) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const sock of this.sockets) sock.destroy();
    await closed;
  }
}
