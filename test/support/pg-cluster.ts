import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Where Debian's `postgresql` package puts the server programs (one directory per major version). */
const PG_LIB = '/usr/lib/postgresql';

/** The newest installed server's bin directory, or null. */
function pgBinDir(): string | null {
  if (!existsSync(PG_LIB)) return null;
  const versions = readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, 'bin', 'initdb')) && existsSync(join(PG_LIB, v, 'bin', 'pg_ctl')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(PG_LIB, versions[0], 'bin') : null;
}

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export function pgUnavailable(): string | null {
  return pgBinDir() ? null : `PostgreSQL server programs not found under ${PG_LIB}/*/bin (Debian package postgresql, scripts/apt/store.txt)`;
}

/** uid/gid of a system user from /etc/passwd. */
function userIds(name: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/** The kernel's clock ticks per second, the unit of /proc/PID/stat's times. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** [pid, parent pid, utime + stime in clock ticks] of every process /proc shows. */
function procTimes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // after "pid (comm) ": state, ppid, ..., utime, stime at 0, 1, ..., 11, 12
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push([Number(d), Number(f[1]), Number(f[11]) + Number(f[12])]);
  }
  return out;
}

/** A backend serving a connection on the Unix socket: its title is "postgres: USER DB [local] ...". */
function isClientBackend(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('[local]');
  } catch {
    return false; // exited meanwhile
  }
}

export interface PgCluster {
  /** A connection URL for a new empty database `name` (Unix socket, trust auth). */
  database(name: string): Promise<string>;
  /**
   * CPU time (user + system) the backends of client connections have used, ms, as /proc
   * shows it: each counted from when it was first seen alive (what one used after the last
   * call and before it exited is missed). The cluster's own background processes
   * (checkpointer, writers, autovacuum) are not counted.
   */
  cpuMs(): number;
  /** SIGKILL-free stop (immediate shutdown) and removal of the cluster's files. */
  stop(): Promise<void>;
  dir: string;
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl) in a temp directory, listening
 * only on a Unix socket there. PostgreSQL refuses to run as root: as root the
 * cluster belongs to the `postgres` user of the Debian package (else `nobody`).
 * fsync and synchronous_commit stay at their defaults (a COMMIT is durable) unless
 * `settings` (postgresql.conf parameters, given as -c options) say otherwise.
 */
export async function startPgCluster(settings: Record<string, string | number> = {}): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error(pgUnavailable()!);
  const dir = mkdtempSync(join(tmpdir(), 'gs-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  let ids: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    ids = userIds('postgres') ?? userIds('nobody') ?? undefined;
    if (!ids) throw new Error('running as root and no postgres or nobody user to run PostgreSQL as');
    chmodSync(dir, 0o755);
    chownSync(dir, ids.uid, ids.gid);
    chownSync(sock, ids.uid, ids.gid);
  }
  const opts = { ...(ids ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C', PGTZ: 'UTC' } };
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], opts);
  const extra = Object.entries(settings).map(([k, v]) => ` -c ${k}=${v}`).join('');
  const pgOpts = `-c listen_addresses= -c unix_socket_directories=${sock} -p ${port} -c max_connections=50${extra}`;
  try {
    await run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', pgOpts, 'start'], opts);
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_ctl start failed: ${(err as Error).message}\n${log}`, { cause: err });
  }
  const url = (db: string) => `postgres://postgres@localhost/${db}?host=${encodeURIComponent(sock)}&port=${port}`;
  const seen = new Map<number, number>();
  let total = 0;
  return {
    dir,
    cpuMs() {
      const master = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      for (const [pid, ppid, ticks] of procTimes()) {
        if (ppid !== master || !isClientBackend(pid)) continue;
        total += ticks - (seen.get(pid) ?? 0);
        seen.set(pid, ticks);
      }
      return (total * 1000) / CLOCK_TICKS;
    },
    async database(name) {
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async stop() {
      await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], opts).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
