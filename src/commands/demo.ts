import { spawn, type ChildProcess } from 'node:child_process';
import { selfCommand } from '../base/self.js';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { numberOption, parseCommandArgs, type Command } from './command.js';
import { UsageError } from '../base/errors.js';
import { loadConfig } from '../agent/config.js';
import { createLogger } from '../base/log.js';
import { Agent } from '../agent/agent.js';
import { initCa, issueCert } from '../tls/ca.js';
import { Store } from '../server/store/store.js';
import { engineOption } from './server.js';
import { processEnv } from '../base/env.js';

const usage = `Usage: geostream demo [--duration S] [--nmea FILE] [--speed N] [--dir DIR] [--engine NAME]

Runs the whole chain on this machine: makes a fleet CA and certificates under
DIR (default ./var/demo), starts a local ingest server (a child process), and runs
the agent on the simulated board (its generated drive, or a capture with --nmea),
spooling every record and streaming it over QUIC. Shows a live progress line
(fixes taken, sent, acknowledged, backlog, link state) until Ctrl-C.

Options:
  --duration S   stop by itself after S seconds and print a JSON summary
                 (records taken, stored, duplicates, lost; for the generated drive in
                 real time also fixToStoredMs: p50/p99/max from a fix's GNSS time to
                 the server's database commit)
  --nmea FILE    replay this raw NMEA capture instead of the generated drive
  --speed N      replay/generate N times faster (default 1)
  --dir DIR      where the CA, certificates, spool and database go (default ./var/demo);
                 the spool and database are started afresh each run
  --engine NAME  QUIC engine: ngtcp2 | matrixai (default ngtcp2)`;

const VEHICLE = 'DEMO-001';

async function startServer(dir: string, engine: string): Promise<{ proc: ChildProcess; port: number; exited: Promise<number | null> }> {
  const self = selfCommand();
  const proc = spawn(self.cmd, [...self.args, 'server', '--listen', '127.0.0.1:0', '--db', join(dir, 'server.db'), '--ca', join(dir, 'ca'), '--engine', engine], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: processEnv(),
    // its own process group: Ctrl-C reaches only the demo, which stops the agent
    // first (so its last records get acked) and then the server
    detached: true,
  });
  const killOnExit = () => proc.kill('SIGTERM');
  process.on('exit', killOnExit);
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (c) => {
      process.off('exit', killOnExit);
      r(c);
    }),
  );
  let out = '';
  const port = await new Promise<number>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`the demo server did not start within 20 s:\n${out}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const m = /listening on [^ ]+:(\d+)/.exec(out);
      if (m && out.length < 1e5) {
        clearTimeout(t);
        res(Number(m[1]));
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += String(d)));
    void exited.then((c) => {
      clearTimeout(t);
      rej(new Error(`the demo server exited (${c}):\n${out}`));
    });
  });
  return { proc, port, exited };
}

async function prepareFleet(dir: string): Promise<void> {
  const ca = join(dir, 'ca');
  if (!existsSync(join(ca, 'ca.pem'))) await initCa(ca, { name: 'geostream demo fleet CA' });
  if (!existsSync(join(ca, 'servers', 'localhost.pem'))) await issueCert(ca, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1'] });
  if (!existsSync(join(ca, 'devices', `${VEHICLE}.pem`))) await issueCert(ca, { kind: 'device', vehicleId: VEHICLE });
}

/** Seconds until the next heartbeat of a parked truck (GNSS time), or null while it drives. */
function parkedFor(nextHeartbeatMs: number | null, lastFixMs: number | null): number | null {
  if (nextHeartbeatMs === null || lastFixMs === null) return null;
  return Math.max(0, (nextHeartbeatMs - lastFixMs) / 1000);
}

export interface ProgressState {
  elapsedS: number;
  taken: number;
  sent: number;
  acked: number;
  backlog: number;
  link: string;
  /** Parked (stationary, or ignition off): seconds to the next heartbeat record; null while driving. */
  nextHeartbeatInS: number | null;
}

/**
 * The demo's live line. While the truck stands at a delivery stop the filter takes only a
 * heartbeat now and then, so the counts stand still: the line says so, and when the next
 * record is due, instead of looking hung.
 */
export function progressLine(s: ProgressState): string {
  const counts = `${s.elapsedS.toFixed(0)} s  fixes taken ${s.taken}  sent ${s.sent}  acked ${s.acked}  backlog ${s.backlog}  link ${s.link}`;
  if (s.nextHeartbeatInS === null) return counts;
  return `${counts}  parked: next heartbeat record in ${Math.ceil(s.nextHeartbeatInS)} s`;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run agent (sim board) + local ingest server end to end, with live progress',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { duration: { type: 'string' }, nmea: { type: 'string' }, speed: { type: 'string' }, dir: { type: 'string' }, engine: { type: 'string' } }, false);
    const duration = numberOption('duration', values.duration, 1, 7 * 86400);
    const speed = numberOption('speed', values.speed, 0.1, 1000);
    const engine = engineOption(values.engine);
    if (values.nmea !== undefined && !existsSync(values.nmea)) throw new UsageError(`--nmea: no such file ${values.nmea}`);
    const dir = resolve(values.dir ?? join('var', 'demo'));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await prepareFleet(dir);
    for (const p of ['spool', 'server.db', 'server.db-wal', 'server.db-shm']) rmSync(join(dir, p), { recursive: true, force: true });

    const server = await startServer(dir, engine);
    const cfgFile = join(dir, 'agent.json');
    writeFileSync(
      cfgFile,
      `${JSON.stringify(
        {
          vehicle: { id: VEHICLE },
          board: 'sim',
          log: { level: 'warn' },
          sampling: { minPeriodS: 1 },
          spool: { dir: join(dir, 'spool') },
          server: { address: `127.0.0.1:${server.port}`, serverName: 'localhost', ca: 'ca/ca.pem', cert: `ca/devices/${VEHICLE}.pem`, key: `ca/devices/${VEHICLE}.key`, engine },
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    );
    const config = loadConfig(cfgFile);
    const log = createLogger({ level: 'warn', destination: io.stderr });
    const agent = new Agent({ config, log, sim: { capture: values.nmea, speed } });
    await agent.openLink();
    const p = agent.pipeline!;
    agent.start();
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    const t0 = Date.now();
    let lastFixMs: number | null = null;
    agent.receiver.on('fix', (f) => (lastFixMs = f.timeMs));
    const line = () => {
      const st = p.link!.stats;
      return progressLine({
        elapsedS: (Date.now() - t0) / 1000,
        taken: agent.taken,
        sent: st.sentRecords,
        acked: p.spool.ackedSeq,
        backlog: p.backlog,
        link: agent.status.link,
        nextHeartbeatInS: parkedFor(agent.filter.nextHeartbeatMs(), lastFixMs),
      });
    };
    let ticks = 0;
    const progress = setInterval(() => {
      if (tty) io.stderr.write(`\r${line()}\x1b[K`);
      else if (++ticks % 5 === 0) io.stderr.write(`${line()}\n`);
    }, 1000);
    await new Promise<void>((res) => {
      const done = () => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        res();
      };
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
      if (duration !== undefined) setTimeout(done, duration * 1000);
      void server.exited.then(done);
    });
    clearInterval(progress);
    if (tty) io.stderr.write(`\r${line()}\x1b[K\n`);
    await agent.stop(); // flushes the spool and waits up to 2 s for the last acks
    const counters = { ...p.counters };
    const backlog = p.backlog;
    server.proc.kill('SIGTERM');
    const code = await server.exited;
    const store = Store.openReadOnly(join(dir, 'server.db'));
    const st = store.stats().find((s) => s.device === VEHICLE);
    // A live drive (generated, real time): how old each fix was when the server committed it.
    const ages = values.nmea === undefined && (speed ?? 1) === 1 ? store.fixAges(VEHICLE) : [];
    store.close();
    const stored = st?.records ?? 0;
    const summary = {
      seconds: Math.round((Date.now() - t0) / 1000),
      taken: agent.taken,
      spooled: counters.spooled,
      stored,
      duplicates: st?.duplicates ?? 0,
      inSpool: backlog,
      lost: counters.spooled - stored - backlog,
      handshakes: st?.handshakes ?? 0,
      ...(ages.length > 0 ? { fixToStoredMs: { p50: ages[Math.floor(ages.length / 2)], p99: ages[Math.min(ages.length - 1, Math.floor(ages.length * 0.99))], max: ages[ages.length - 1] } } : {}),
      serverExit: code,
      dir,
    };
    if (duration !== undefined) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else io.stderr.write(`stored ${stored} of ${counters.spooled} records (${backlog} still in the spool); data in ${dir}\n`);
    return summary.lost === 0 && code === 0 ? 0 : 1;
  },
};
