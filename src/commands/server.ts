import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { integerOption, numberOption, parseCommandArgs, type Command } from './command.js';
import { selfCommand } from '../base/self.js';
import { ReaderPool, type ReaderProcess } from '../server/reads/pool.js';
import { localReads } from '../server/reads/track-reads.js';
import { UsageError } from '../base/errors.js';
import { createLogger } from '../base/log.js';
import { parseHostPort } from '../base/host-port.js';
import { createEngine, DEFAULT_ENGINE, ENGINE_NAMES, type EngineName } from '../quic/engines.js';
import { serverTls } from '../tls/material.js';
import { vehicleIdFromCert } from '../tls/identity.js';
import { IngestServer } from '../server/server.js';
import { dbLabel, openStore, openStoreReadOnly, retentionOf, type AnyStore } from '../server/store/open.js';
import { PgStore } from '../server/store/pg/store.js';
import type { Store } from '../server/store/store.js';
import { PgTokenStore } from '../server/http/tokens-pg.js';
import { scheduleRetention } from '../server/store/retention.js';
import { codecBatchPacker } from '../telemetry/record-codec.js';
import { DEFAULT_UDP_BUFFER_BYTES } from '../quic/udp-buffers.js';
import { DEFAULT_RETRY_MODE, RETRY_MODES, type RetryMode } from '../quic/ngtcp2-retry.js';
import { HttpApi } from '../server/http/api.js';
import { TokenStore } from '../server/http/tokens.js';
import type { Logger } from '../base/log.js';
import { Forwarder } from '../server/forward/forwarder.js';
import { DEFAULT_OUTBOX_MAX_ROWS, Outbox } from '../server/forward/outbox.js';
import { PgOutbox } from '../server/forward/pg-outbox.js';
import { parsePmtilesUrl, parseTilesUrl, PMTILES_PATH, type ConsoleOptions } from '../server/console/page.js';
import { PmtilesArchive } from '../server/console/pmtiles-archive.js';

/** Reader processes by default: one per core beyond the one ingest runs on, 1..MAX_DEFAULT_READERS. */
const MAX_DEFAULT_READERS = 4;
const DEFAULT_READERS = Math.max(1, Math.min(MAX_DEFAULT_READERS, availableParallelism() - 1));

const runUsage = `Usage: geostream server --listen HOST:PORT --db FILE|URL --ca DIR [options]
       geostream server stats --db FILE|URL
       geostream server token add|list|revoke ... --db FILE|URL

Runs the ingest server: accepts vehicles over QUIC (ALPN geostream/1.0, mutual TLS
with certificates of the fleet CA in DIR), stores every record exactly once in the
SQLite database FILE (WAL) or the PostgreSQL database URL, and acknowledges only
what the database has committed.
SIGINT/SIGTERM: commit, ack, close every connection, exit 0.

Options:
  --listen HOST:PORT   UDP address to listen on (e.g. 0.0.0.0:4433)
  --db FILE|URL        SQLite database FILE (created mode 0600 if missing), or a
                       PostgreSQL server: postgres://USER[:PASSWORD]@HOST[:PORT]/DB
                       (or ?host=/socket/dir); several ingest processes may share
                       one PostgreSQL database (with --forward, one of them forwards
                       at a time and another takes over when it stops)
  --ca DIR             CA directory from 'geostream ca init' (ca.pem, crl.pem,
                       servers/NAME.pem and .key)
  --name NAME          server certificate to use from DIR/servers/ (default: localhost)
  --engine NAME        QUIC engine: ${ENGINE_NAMES.join(' | ')} (default: ${DEFAULT_ENGINE})
  --udp-buffer BYTES   UDP socket receive/send buffer (default ${DEFAULT_UDP_BUFFER_BYTES},
                       capped by net.core.rmem_max/wmem_max; 0: kernel default)
  --quic-retry MODE    address validation by QUIC Retry (ngtcp2 engine): auto (default:
                       only while many handshakes are in progress, e.g. under a flood),
                       always (every connection, one more round trip), off
  --http HOST:PORT     also serve the read-only HTTP API (JSON, GeoJSON/CSV/GPX/columns,
                       live events) on this TCP address; clients need a token from
                       'geostream server token add NAME --db FILE'
  --http-tls           serve the API over HTTPS with the server certificate (--name)
  --http-readers N     processes that read tracks and trips for the API, each with its
                       own read-only database connection, so a long read never holds up
                       ingest (default ${DEFAULT_READERS}: one per core beyond the first, at most
                       ${MAX_DEFAULT_READERS}; 0: read in this process)
  --forward URL        POST every stored record to this webhook as JSON batches, at
                       least once, in commit order, each with its key vehicle/spool/seq
                       (a durable outbox in the database; ingest never waits for it).
                       On SQLite a start without --forward turns forwarding off (what
                       waits is kept); on PostgreSQL it stays on for the servers sharing it
  --forward-retry-max S  longest wait between retries to a failing receiver (default 60)
  --forward-outbox-max N  records the outbox keeps for a receiver that is down (default
                       ${DEFAULT_OUTBOX_MAX_ROWS}); past it each new record pushes out the
                       oldest, counted, logged, and sent as outboxDropped in every POST
  --keep-days N        remove records and gaps whose fix time is over N days old, in
                       small batches between commits (each vehicle's newest position is
                       kept); default: keep everything
  --http-tiles URL     base map of the operator console at / (raster tiles, e.g.
                       https://tiles.example/{z}/{x}/{y}.png, or a remote PMTiles
                       archive of raster tiles, https://maps.example/region.pmtiles);
                       without it the console draws the vehicles on a plain Web
                       Mercator grid with a scale bar
  --http-pmtiles FILE  base map from a local PMTiles v3 archive of raster tiles (PNG,
                       JPEG, WebP or AVIF), served to the console in byte ranges at
                       ${PMTILES_PATH} (with the operator token)
  --http-attribution TEXT  attribution shown for the tiles (default for an archive:
                       the attribution in its metadata)

Subcommands:
  stats                print per-device statistics as JSON
  token                operator tokens of the HTTP API (add NAME, list, revoke NAME)`;

const statsUsage = `Usage: geostream server stats --db FILE|URL

Prints one JSON object {"devices": [...]}, per vehicle: records stored,
duplicates ignored, gaps and records lost on the device, sessions begun
(handshakes: HELLOs accepted), pathChanges seen, firmware, last seq, time and
position, last seen and how the last session ended. docs/PROTOCOL.md ("geostream
server stats") says what each key counts.`;

export function engineOption(v: string | undefined): EngineName {
  const name = (v ?? DEFAULT_ENGINE) as EngineName;
  if (!ENGINE_NAMES.includes(name)) throw new UsageError(`--engine: unknown engine '${v}' (known: ${ENGINE_NAMES.join(', ')})`);
  return name;
}

/** --quic-retry: one of RETRY_MODES; only the ngtcp2 engine sees the datagrams to answer. */
export function retryModeOption(v: string | undefined, engine: EngineName): RetryMode {
  if (v === undefined) return DEFAULT_RETRY_MODE;
  if (!RETRY_MODES.includes(v as RetryMode)) throw new UsageError(`--quic-retry: unknown mode '${v}' (known: ${RETRY_MODES.join(', ')})`);
  if (engine !== 'ngtcp2' && v !== 'off') throw new UsageError(`--quic-retry: the ${engine} engine does not send Retry packets (use --engine ngtcp2, or --quic-retry off)`);
  return v as RetryMode;
}

async function runStats(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseCommandArgs(argv, { db: { type: 'string' } }, false);
  if (values.help) {
    io.stdout.write(`${statsUsage}\n`);
    return 0;
  }
  if (!values.db) throw new UsageError('--db FILE|URL is required');
  const store = await openStoreReadOnly(values.db);
  try {
    io.stdout.write(`${JSON.stringify({ devices: await store.stats() }, null, 2)}\n`);
  } finally {
    await store.close();
  }
  return 0;
}

/** The console's base map from --http-tiles, --http-pmtiles and --http-attribution; a bad value is a usage error naming its flag. */
function consoleOptions(values: { 'http-tiles'?: string; 'http-pmtiles'?: string; 'http-attribution'?: string }, http: boolean): ConsoleOptions {
  const tiles = values['http-tiles'];
  if ((tiles || values['http-pmtiles'] || values['http-attribution']) && !http) throw new UsageError('--http-tiles, --http-pmtiles and --http-attribution need --http HOST:PORT');
  if (tiles && values['http-pmtiles']) throw new UsageError('--http-tiles and --http-pmtiles are two base maps: give one of them');
  const o: ConsoleOptions = { tiles: null, pmtiles: values['http-pmtiles'] ? PMTILES_PATH : null, attribution: values['http-attribution']?.slice(0, 300) ?? null };
  if (!tiles) return o;
  try {
    o.pmtiles = parsePmtilesUrl(tiles);
    if (!o.pmtiles) o.tiles = parseTilesUrl(tiles);
  } catch (err) {
    throw new UsageError(`--http-tiles: ${(err as Error).message}`);
  }
  return o;
}

/** The --http-pmtiles archive, checked; what is wrong with it is a usage error naming the flag and the file. */
async function openArchive(file: string): Promise<PmtilesArchive> {
  try {
    return await PmtilesArchive.open(file);
  } catch (err) {
    throw new UsageError(`--http-pmtiles ${file}: ${(err as Error).message}`);
  }
}

/** A `geostream server reader` child with its IPC channel; its log lines go where the server's do. */
function spawnReader(): ReaderProcess {
  const self = selfCommand();
  return spawn(self.cmd, [...self.args, 'server', 'reader'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' }) as ReaderProcess;
}

/** The HTTP API's reads: in `readers` reader processes on `db`, or in this process (0). */
async function startReads(db: string, store: AnyStore, readers: number, log: Logger): Promise<ReaderPool | null> {
  if (readers === 0) return null;
  const pool = new ReaderPool({ db, processes: readers, spawn: spawnReader, log, fallback: localReads(store) });
  await pool.start();
  log.info(`${pool.ready} of ${readers} track reader process${readers === 1 ? '' : 'es'} up`);
  return pool;
}

/** The HTTP API beside the ingest server, on the ingest database (its token table made if missing). */
async function startHttpApi(o: { host: string; port: number; tls: { cert: string; key: string } | undefined; store: AnyStore; reads: ReaderPool | null; online: () => ReadonlySet<string>; log: Logger; console: ConsoleOptions; basemap: PmtilesArchive | undefined }): Promise<HttpApi> {
  let tokens: TokenStore | PgTokenStore;
  if (o.store instanceof PgStore) {
    await PgTokenStore.ensureTable(o.store.pool);
    tokens = new PgTokenStore(o.store.pool);
  } else {
    TokenStore.ensureTable(o.store.db);
    tokens = new TokenStore(o.store.db);
  }
  const api = new HttpApi({ host: o.host, port: o.port, tls: o.tls, queries: o.store, ...(o.reads ? { reads: o.reads } : {}), tokens, online: o.online, log: o.log, console: o.console, ...(o.basemap ? { basemap: o.basemap } : {}) });
  try {
    await api.start();
  } catch (err) {
    throw new UsageError(`--http ${o.host}:${o.port}: cannot listen (${(err as Error).message})`);
  }
  return api;
}

function forwardOption(v: string | undefined): string | null {
  if (v === undefined) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--forward: "${v}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--forward: expected an http:// or https:// URL, got ${u.protocol}`);
  return v;
}

/** What a running forwarder needs stopped: the delivery loop, then (PostgreSQL) its forwarding session. */
interface Forwarding {
  stop(): Promise<void>;
}

/**
 * Forwarding on (outbox triggers, the delivery loop) or off. Off on SQLite drops the
 * triggers and keeps what waits; on PostgreSQL, a database other servers may share,
 * it leaves the triggers as they are and only says what waits.
 */
async function startForwarding(url: string | null, store: Store | PgStore, log: Logger, retryMaxS: number | undefined, outboxMax: number | undefined): Promise<Forwarding | null> {
  if (!url) {
    const waiting = store instanceof PgStore ? await PgOutbox.waiting(store.pool) : Outbox.disable(store.db);
    if (waiting) log.warn(`forwarding is off (no --forward): ${waiting} stored records wait in the outbox for a later --forward`);
    return null;
  }
  const retry = retryMaxS !== undefined ? { retryMaxMs: retryMaxS * 1000 } : {};
  if (store instanceof PgStore) {
    const outbox = await PgOutbox.enable(store.pool, { maxRows: outboxMax });
    reportOutbox(log, await outbox.dropped, await outbox.pending, outbox.maxRows);
    const subscribe = (l: () => void) => {
      const a = store.onCommit(l);
      const b = outbox.onNotify(l);
      return () => (a(), b());
    };
    const f = new Forwarder({ url, outbox, subscribe, log, ...retry });
    f.start();
    return { stop: () => f.stop().finally(() => outbox.close()) };
  }
  const outbox = Outbox.enable(store.db, { maxRows: outboxMax });
  await reportOutbox(log, outbox.dropped, outbox.pending, outbox.maxRows);
  const f = new Forwarder({ url, outbox, subscribe: (l) => store.onCommit(l), log, ...retry });
  f.start();
  return f;
}

function reportOutbox(log: Logger, dropped: number, pending: number, maxRows: number): void {
  if (dropped) log.warn(`forwarding outbox: ${dropped} records were dropped undelivered by its bound so far (${pending} waiting, at most ${maxRows})`);
}

export const serverCommand: Command = {
  name: 'server',
  summary: 'run the ingest server (QUIC, mutual TLS, SQLite or PostgreSQL), or print its stats',
  usage: runUsage,
  async run(argv, io) {
    if (argv[0] === 'stats') return runStats(argv.slice(1), io);
    if (argv[0] === 'token') return (await import('./server-token.js')).tokenCommand.run(argv.slice(1), io);
    if (argv[0] === 'reader') return (await import('./server-reader.js')).runReader(argv.slice(1), io);
    const { values } = parseCommandArgs(argv, { listen: { type: 'string' }, db: { type: 'string' }, ca: { type: 'string' }, name: { type: 'string' }, engine: { type: 'string' }, 'udp-buffer': { type: 'string' }, 'quic-retry': { type: 'string' }, http: { type: 'string' }, 'http-tls': { type: 'boolean' }, 'http-readers': { type: 'string' }, forward: { type: 'string' }, 'forward-retry-max': { type: 'string' }, 'forward-outbox-max': { type: 'string' }, 'keep-days': { type: 'string' }, 'http-tiles': { type: 'string' }, 'http-pmtiles': { type: 'string' }, 'http-attribution': { type: 'string' } }, false);
    if (values.help) {
      io.stdout.write(`${runUsage}\n`);
      return 0;
    }
    if (!values.listen) throw new UsageError('--listen HOST:PORT is required');
    if (!values.db) throw new UsageError('--db FILE|URL is required');
    if (!values.ca) throw new UsageError('--ca DIR is required');
    let addr: { host: string; port: number };
    try {
      addr = parseHostPort(values.listen, true);
    } catch (err) {
      throw new UsageError(`--listen: ${(err as Error).message}`);
    }
    if (values['http-tls'] && !values.http) throw new UsageError('--http-tls needs --http HOST:PORT');
    let httpAddr: { host: string; port: number } | null = null;
    try {
      if (values.http) httpAddr = parseHostPort(values.http, true);
    } catch (err) {
      throw new UsageError(`--http: ${(err as Error).message}`);
    }
    const forwardUrl = forwardOption(values.forward);
    const retryMaxS = numberOption('forward-retry-max', values['forward-retry-max'], 1, 3600);
    const outboxMax = integerOption('forward-outbox-max', values['forward-outbox-max'], 1, 1e12);
    if ((retryMaxS !== undefined || outboxMax !== undefined) && !forwardUrl) throw new UsageError('--forward-retry-max and --forward-outbox-max need --forward URL');
    const consoleOpts = consoleOptions(values, !!values.http);
    const readers = integerOption('http-readers', values['http-readers'], 0, 64);
    if (readers !== undefined && !values.http) throw new UsageError('--http-readers needs --http HOST:PORT');
    const engineName = engineOption(values.engine);
    const retry = retryModeOption(values['quic-retry'], engineName);
    const udpBufferBytes = numberOption('udp-buffer', values['udp-buffer'], 0, 2 ** 31 - 1);
    const keepDays = numberOption('keep-days', values['keep-days'], 0.000_01, 100_000);
    const log = createLogger({ destination: io.stdout }).child({ component: 'server' });
    const name = values.name ?? 'localhost';
    let tls;
    try {
      tls = serverTls(values.ca, name);
    } catch (err) {
      throw new UsageError(`--ca ${values.ca}: cannot read the CA or the server certificate '${name}' (${(err as Error).message}); make them with 'geostream ca init --dir ${values.ca}' and 'geostream ca issue --dir ${values.ca} --server ${name}'`);
    }
    const basemap = values['http-pmtiles'] ? await openArchive(values['http-pmtiles']) : undefined;
    if (basemap) log.info(`PMTiles base map ${values['http-pmtiles']}: ${basemap.tileFormat} tiles, zoom ${basemap.header.minZoom}-${basemap.header.maxZoom}, ${basemap.size} bytes, served at ${PMTILES_PATH}`);
    const store = await openStore(values.db);
    const server = new IngestServer({ engine: createEngine(engineName, { log, retry }), store, host: addr.host, port: addr.port, tls, log, identify: vehicleIdFromCert, packers: [codecBatchPacker], udpBufferBytes });
    const reads = httpAddr ? await startReads(values.db, store, readers ?? DEFAULT_READERS, log.child({ component: 'http' })) : null;
    const http = httpAddr ? await startHttpApi({ ...httpAddr, tls: values['http-tls'] ? tls : undefined, store, reads, online: () => server.onlineDevices(), log: log.child({ component: 'http' }), console: consoleOpts, basemap }) : null;
    if (http) log.info(`HTTP API on ${http.scheme}://${http.address.host}:${http.address.port}/api/v1/, operator console at /`);
    const forwarder = await startForwarding(forwardUrl, store, log.child({ component: 'forward' }), retryMaxS, outboxMax);
    await server.start();
    const retention = keepDays === undefined ? null : retentionOf(store, { keepDays });
    const stopRetention = retention ? scheduleRetention(retention, { onError: (err) => log.error(`retention step failed (will retry): ${err.message}`) }) : () => Promise.resolve();
    const b = server.udpBuffers;
    const buffers = b ? `, UDP buffers receive ${Math.round(b.recv / 1024)} KiB send ${Math.round(b.send / 1024)} KiB as the kernel reports them` : '';
    log.info(`listening on ${server.address.host}:${server.address.port} (engine ${engineName}${engineName === 'ngtcp2' ? `, QUIC Retry ${retry}` : ''}, database ${dbLabel(values.db)}${buffers})`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        log.info(`${sig}: committing and closing`);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        void Promise.all([server.stop(), http?.stop(), forwarder?.stop()]).finally(resolve);
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    await stopRetention();
    await reads?.close();
    if (reads) log.info(`track reads: ${reads.counters.inReaders} in reader processes, ${reads.counters.inProcess} in this process (no reader up), ${reads.counters.readerExits} reader exits`);
    await basemap?.close();
    await store.close();
    if (retention) log.info(`retention (${keepDays} days): ${retention.totals.records} records, ${retention.totals.gaps} gaps and ${retention.totals.linkEvents} link events removed in ${retention.totals.steps} steps (longest ${retention.totals.maxStepMs.toFixed(1)} ms)`);
    const c = server.counters;
    log.info(`stopped: ${c.committedRecords} records committed in ${c.commits} transactions (longest ${c.maxCommitMs.toFixed(0)} ms, ${c.slowCommits} over 100 ms); ${c.connections} connections, ${c.handshakeErrors} handshakes refused, ${c.retries} Initials answered with a Retry`);
    return 0;
  },
};
