/**
 * The conformance suite's second QUIC stack: test/e2e/peer/geopeer.py (aioquic +
 * cbor2, written from docs/PROTOCOL.md) run in the Debian trixie root that
 * scripts/e2e/aioquic-root.sh builds. A Bench is one fleet CA, one `geostream server`
 * child process and a work directory inside the root, so the peer (in the chroot) and
 * the server (outside) see the same CA files and SQLite database.
 */
import { execFileSync, spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { initCa, issueCert, revokeCert, type IssueOptions } from '../../src/tls/ca.js';
import { repoRoot } from '../support/shared.js';
import { startServerProcess, type ServerProc } from '../support/server-proc.js';

/** The root directory (built on first use: debootstrap of trixie, minutes; then cached). */
export function aioquicRoot(): string {
  const out = execFileSync('bash', [join(repoRoot, 'scripts/e2e/aioquic-root.sh')], { encoding: 'utf8', timeout: 20 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

export interface PeerEvent {
  ev: string;
  [k: string]: unknown;
}

export interface PeerRun {
  events: PeerEvent[];
  code: number | null;
  stderr: string;
  /** The one event named ev (throws with the whole run when absent). */
  one(ev: string): PeerEvent;
  all(ev: string): PeerEvent[];
}

export interface Bench {
  root: string;
  /** The work directory as the server sees it, and as the peer sees it (inside the root). */
  dir: string;
  inRoot(path: string): string;
  db: string;
  server: ServerProc;
  /** The fleet CA's directory (devices/, servers/, crl.pem). */
  ca: string;
  device(id: string, opts?: IssueOptions): Promise<void>;
  /** Revokes a vehicle's certificate in the fleet CA's CRL (the server re-reads it at the next handshake). */
  revoke(id: string): Promise<void>;
  /** A certificate for vehicle id from a second CA the server does not trust: its cert and key files. */
  foreignDevice(id: string): Promise<{ cert: string; key: string }>;
  /**
   * Runs the peer as vehicle `device` (default truck-1) with that vehicle's certificate
   * from the fleet CA, or `cert` (files as the server sees them), or none (`cert: null`).
   */
  peer(args: string[], o?: { device?: string; cert?: { cert: string; key: string } | null; timeoutMs?: number }): Promise<PeerRun>;
  stats(): { devices: Record<string, unknown>[] };
  /** Rows of a query on the server's SQLite file, opened read-only for this one query. */
  query<T>(sql: string, ...args: unknown[]): T[];
  /** The vehicle's last_close, once it matches `want` (the close is committed after the fact) or after 3 s. */
  lastClose(device: string, want: RegExp): Promise<string | null>;
  close(): Promise<void>;
}

export async function openBench(root: string, serverArgs: string[] = []): Promise<Bench> {
  const dir = mkdtempSync(join(root, 'tmp', 'geostream-e2e-'));
  const inRoot = (p: string) => '/' + relative(root, p);
  const ca = join(dir, 'ca');
  await initCa(ca, { name: 'e2e fleet CA' });
  await issueCert(ca, { kind: 'server', name: 'localhost', altNames: ['127.0.0.1'] });
  const peerSrc = join(repoRoot, 'test/e2e/peer');
  for (const f of readdirSync(peerSrc).filter((n) => n.endsWith('.py'))) copyFileSync(join(peerSrc, f), join(dir, f));
  const db = join(dir, 'ingest.sqlite');
  const server = await startServerProcess({ ca, db, args: serverArgs });
  const bench: Bench = {
    root,
    dir,
    inRoot,
    db,
    server,
    ca,
    device: async (id, opts) => {
      await issueCert(ca, { kind: 'device', vehicleId: id }, opts);
    },
    revoke: async (id) => {
      await revokeCert(ca, { kind: 'device', vehicleId: id });
    },
    foreignDevice: async (id) => {
      const other = join(dir, 'other-ca');
      if (!existsSync(join(other, 'ca.pem'))) await initCa(other, { name: 'another fleet CA' });
      await issueCert(other, { kind: 'device', vehicleId: id });
      return { cert: join(other, 'devices', `${id}.pem`), key: join(other, 'devices', `${id}.key`) };
    },
    peer: (args, o = {}) => {
      const device = o.device ?? 'truck-1';
      const cert = o.cert === undefined ? { cert: join(ca, 'devices', `${device}.pem`), key: join(ca, 'devices', `${device}.key`) } : o.cert;
      const argv = [root, '/usr/bin/python3', inRoot(join(dir, 'geopeer.py')), '--port', String(server.port), '--ca', inRoot(join(ca, 'ca.pem')), '--device', device, '--db', inRoot(db)];
      argv.push(...(cert ? ['--cert', inRoot(cert.cert), '--key', inRoot(cert.key)] : ['--no-cert']));
      argv.push(...args);
      return runPeer(argv, o.timeoutMs ?? 60_000);
    },
    stats: () => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'server', 'stats', '--db', db], { cwd: repoRoot, encoding: 'utf8' })),
    query: <T>(sql: string, ...args: unknown[]) => {
      const h = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return h.prepare(sql).all(...args) as T[];
      } finally {
        h.close();
      }
    },
    lastClose: async (device, want) => {
      const deadline = Date.now() + 3_000;
      for (;;) {
        const last = bench.query<{ last_close: string | null }>('SELECT last_close FROM devices WHERE device = ?', device)[0]?.last_close ?? null;
        if ((last !== null && want.test(last)) || Date.now() > deadline) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: async () => {
      if (server.proc.exitCode === null && server.proc.signalCode === null) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return bench;
}

function runPeer(argv: string[], timeoutMs: number): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn('chroot', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += String(d)));
    proc.stderr.on('data', (d: Buffer) => (err += String(d)));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`peer did not finish in ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PeerEvent);
      const dump = () => `peer exit ${code}\n${out}\n${err}`;
      resolve({
        events,
        code,
        stderr: err,
        all: (ev) => events.filter((e) => e.ev === ev),
        one: (ev) => {
          const found = events.filter((e) => e.ev === ev);
          if (found.length !== 1) throw new Error(`expected one '${ev}' event, got ${found.length}:\n${dump()}`);
          return found[0]!;
        },
      });
    });
  });
}
