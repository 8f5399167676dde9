import { numberOption, parseCommandArgs, type Command } from './command.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { parseHostPort } from '../link/device.js';
import { createEngine, DEFAULT_ENGINE, ENGINE_NAMES, type EngineName } from '../link/quic/engines.js';
import { serverTls } from '../link/tls/material.js';
import { vehicleIdFromCert } from '../link/tls/identity.js';
import { IngestServer } from '../server/server.js';
import { Store } from '../server/store.js';
import { codecBatchPacker, positionOf } from '../link/record-codec.js';
import { DEFAULT_UDP_BUFFER_BYTES } from '../link/quic/udp-buffers.js';

const runUsage = `Usage: geostream server --listen HOST:PORT --db FILE --ca DIR [options]
       geostream server stats --db FILE

Runs the ingest server: accepts vehicles over QUIC (ALPN geostream/1.0, mutual TLS
with certificates of the fleet CA in DIR), stores every record exactly once in the
SQLite database FILE (WAL) and acknowledges only what it has committed.
SIGINT/SIGTERM: commit, ack, close every connection, exit 0.

Options:
  --listen HOST:PORT   UDP address to listen on (e.g. 0.0.0.0:4433)
  --db FILE            SQLite database (created mode 0600 if missing)
  --ca DIR             CA directory from 'geostream ca init' (ca.pem, crl.pem,
                       servers/NAME.pem and .key)
  --name NAME          server certificate to use from DIR/servers/ (default: localhost)
  --engine NAME        QUIC engine: ${ENGINE_NAMES.join(' | ')} (default: ${DEFAULT_ENGINE})
  --udp-buffer BYTES   UDP socket receive/send buffer (default ${DEFAULT_UDP_BUFFER_BYTES},
                       capped by net.core.rmem_max/wmem_max; 0: kernel default)

Subcommands:
  stats                print per-device statistics as JSON`;

const statsUsage = `Usage: geostream server stats --db FILE

Prints one JSON object: per device, records stored, duplicates ignored, gaps and
records lost on the device, connections (handshakes), path changes seen, last
position and last seen.`;

export function engineOption(v: string | undefined): EngineName {
  const name = (v ?? DEFAULT_ENGINE) as EngineName;
  if (!ENGINE_NAMES.includes(name)) throw new UsageError(`--engine: unknown engine '${v}' (known: ${ENGINE_NAMES.join(', ')})`);
  return name;
}

async function runStats(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parseCommandArgs(argv, { db: { type: 'string' } }, false);
  if (values.help) {
    io.stdout.write(`${statsUsage}\n`);
    return 0;
  }
  if (!values.db) throw new UsageError('--db FILE is required');
  const store = Store.openReadOnly(values.db);
  try {
    io.stdout.write(`${JSON.stringify({ devices: store.stats() }, null, 2)}\n`);
  } finally {
    store.close();
  }
  return 0;
}

export const serverCommand: Command = {
  name: 'server',
  summary: 'run the ingest server (QUIC, mutual TLS, SQLite), or print its stats',
  usage: runUsage,
  async run(argv, io) {
    if (argv[0] === 'stats') return runStats(argv.slice(1), io);
    const { values } = parseCommandArgs(argv, { listen: { type: 'string' }, db: { type: 'string' }, ca: { type: 'string' }, name: { type: 'string' }, engine: { type: 'string' }, 'udp-buffer': { type: 'string' } }, false);
    if (values.help) {
      io.stdout.write(`${runUsage}\n`);
      return 0;
    }
    if (!values.listen) throw new UsageError('--listen HOST:PORT is required');
    if (!values.db) throw new UsageError('--db FILE is required');
    if (!values.ca) throw new UsageError('--ca DIR is required');
    let addr: { host: string; port: number };
    try {
      addr = parseHostPort(values.listen, true);
    } catch (err) {
      throw new UsageError(`--listen: ${(err as Error).message}`);
    }
    const engineName = engineOption(values.engine);
    const udpBufferBytes = numberOption('udp-buffer', values['udp-buffer'], 0, 2 ** 31 - 1);
    const log = createLogger({ destination: io.stdout }).child({ component: 'server' });
    const name = values.name ?? 'localhost';
    let tls;
    try {
      tls = serverTls(values.ca, name);
    } catch (err) {
      throw new UsageError(`--ca ${values.ca}: cannot read the CA or the server certificate '${name}' (${(err as Error).message}); make them with 'geostream ca init --dir ${values.ca}' and 'geostream ca issue --dir ${values.ca} --server ${name}'`);
    }
    const store = Store.open(values.db, { positionOf });
    const server = new IngestServer({ engine: createEngine(engineName, { log }), store, host: addr.host, port: addr.port, tls, log, identify: vehicleIdFromCert, packers: [codecBatchPacker], udpBufferBytes });
    await server.start();
    const b = server.udpBuffers;
    const buffers = b ? `, UDP buffers receive ${Math.round(b.recv / 1024)} KiB send ${Math.round(b.send / 1024)} KiB as the kernel reports them` : '';
    log.info(`listening on ${server.address.host}:${server.address.port} (engine ${engineName}, database ${values.db}${buffers})`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        log.info(`${sig}: committing and closing`);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        void server.stop().finally(resolve);
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    store.close();
    const c = server.counters;
    log.info(`stopped: ${c.committedRecords} records committed in ${c.commits} transactions (longest ${c.maxCommitMs.toFixed(0)} ms, ${c.slowCommits} over 100 ms); ${c.connections} connections, ${c.handshakeErrors} handshakes refused`);
    return 0;
  },
};
