import { execFile } from 'node:child_process';
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

export interface PgCluster {
  /** A connection URL for a new empty database `name` (Unix socket, trust auth). */
  database(name: string): Promise<string>;
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
  return {
    dir,
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
