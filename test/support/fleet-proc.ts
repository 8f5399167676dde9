/**
 * The load generator's fleet (fleet-child.ts) as a child process: the vehicles' event
 * loop is not the benchmark's, so a browser driven from the benchmark is not slowed by
 * thousands of QUIC connections in its own process. With `nice`, the fleet runs at that
 * scheduling priority (all its threads, through nice(1)): it stands in for vehicles on
 * other machines, and takes the CPU the server and the browser leave.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.js';
import { cpuMs } from './quic-junk.js';

export interface FleetSpec {
  ca: string;
  port: number;
  vehicles: number;
  ramp: number;
}
export type FleetOrder = { kind: 'drive'; lat: number; lon: number } | { kind: 'take' } | { kind: 'park' };
export type FleetReport =
  | { kind: 'online'; certS: number; onlineS: number; engine: string }
  | { kind: 'taken'; acked: number; p50: number; p99: number }
  | { kind: 'parked' }
  | { kind: 'failed'; message: string };

export interface FleetProc {
  pid: number;
  /** Seconds to issue the certificates and to bring every vehicle online, and the QUIC engine. */
  started: { certS: number; onlineS: number; engine: string };
  /** CPU time the fleet process has used, ms. */
  cpuMs(): number;
  /** Every vehicle sends one record per second, circling a grid around (lat, lon). */
  drive(lat: number, lon: number): void;
  /** The vehicles' fix->ack latencies since the last take. */
  take(): Promise<{ acked: number; p50: number; p99: number }>;
  /** Stops every link and waits for the process to end. */
  park(): Promise<void>;
}

/** Starts the fleet and resolves once every vehicle is online. */
export async function startFleetProcess(spec: FleetSpec, nice = 0): Promise<FleetProc> {
  const node = [process.execPath, '--import', 'tsx', join(repoRoot, 'test/support/fleet-child.ts')];
  const [cmd, ...args] = nice ? ['nice', '-n', String(nice), ...node] : node;
  const child: ChildProcess = spawn(cmd!, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, GS_FLEET: JSON.stringify(spec) } });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const next = (kind: FleetReport['kind']) =>
    new Promise<FleetReport>((resolve, reject) => {
      const onMessage = (m: FleetReport) => {
        if (m.kind !== kind && m.kind !== 'failed') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (m.kind === 'failed') reject(new Error(`fleet process: ${m.message}`));
        else resolve(m);
      };
      const onExit = (code: number | null, signal: string | null) => {
        child.off('message', onMessage);
        reject(new Error(`fleet process exited (${code ?? signal}) before '${kind}'`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const order = (o: FleetOrder) => child.send(o);
  let started: FleetReport;
  try {
    started = await next('online');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const s = started as Extract<FleetReport, { kind: 'online' }>;
  return {
    pid: child.pid!,
    started: { certS: s.certS, onlineS: s.onlineS, engine: s.engine },
    cpuMs: () => cpuMs(child.pid!),
    drive: (lat, lon) => order({ kind: 'drive', lat, lon }),
    take: async () => {
      const r = next('taken');
      order({ kind: 'take' });
      const t = (await r) as Extract<FleetReport, { kind: 'taken' }>;
      // NaN (no ack in the window) crosses the channel's JSON as null
      return { acked: t.acked, p50: t.p50 ?? NaN, p99: t.p99 ?? NaN };
    },
    park: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const r = next('parked');
      order({ kind: 'park' });
      await r.catch(() => {});
      await exited;
    },
  };
}
