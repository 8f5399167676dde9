import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { AgentStatus, StatusBoard } from '../base/status-board.js';
import type { Logger } from '../base/log.js';
import { errorCode, errorMessage } from '../base/errors.js';
import { envVar, processEnv, type Env } from '../base/env.js';

/** What `geostream status` gets: who answers, and the StatusBoard snapshot. */
export interface StatusReply {
  agent: { version: string; pid: number; startedAt: string; uptimeS: number; vehicle?: string };
  status: AgentStatus;
}

/** The agent's status socket: $GEOSTREAM_STATUS_SOCKET, else status.sock in the state dir. */
export function statusSocketPath(env: Env = processEnv()): string {
  const asked = envVar('GEOSTREAM_STATUS_SOCKET', env);
  if (asked) return asked;
  const state = envVar('STATE_DIRECTORY', env)?.split(':')[0] ?? '/var/lib/geostream';
  return join(state, 'status.sock');
}

const MAX_CLIENTS = 8;
const REPLY_LIMIT = 1 << 20;

/**
 * Serves the StatusBoard as one JSON line per connection on a Unix socket (mode 0660:
 * the agent's user and group, e.g. a technician in group geostream). Reads nothing from
 * clients, so nothing they send can hurt the agent.
 */
export class StatusServer {
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(opts: { path: string; board: StatusBoard; agent: () => Omit<StatusReply['agent'], 'uptimeS'>; log: Logger }): Promise<StatusServer> {
    const t0 = Date.now();
    const server = createServer((sock) => {
      sock.on('error', () => sock.destroy());
      const reply: StatusReply = { agent: { ...opts.agent(), uptimeS: Math.round((Date.now() - t0) / 1000) }, status: opts.board.snapshot() };
      let text = JSON.stringify(reply);
      if (text.length > REPLY_LIMIT) text = JSON.stringify({ ...reply, status: { ...reply.status, details: { truncated: true } } });
      sock.end(`${text}\n`);
      sock.resume();
    });
    server.maxConnections = MAX_CLIENTS;
    await removeStale(opts.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => opts.log.warn(`status socket: ${errorMessage(err)}`));
    await chmod(opts.path, 0o660);
    opts.log.info(`status on ${opts.path}`);
    return new StatusServer(server, opts.path);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await unlink(this.path).catch(() => undefined);
  }
}

/** A socket file left by a killed agent is removed; a live agent's is an error. */
async function removeStale(path: string): Promise<void> {
  try {
    await queryStatus(path, 1000);
  } catch (err) {
    if (err instanceof StatusError && (err.code === 'ECONNREFUSED' || err.code === 'ENOENT')) {
      if (err.code === 'ECONNREFUSED') {
        if (!(await lstat(path)).isSocket()) throw new Error(`${path} exists and is not a socket: remove it or set GEOSTREAM_STATUS_SOCKET`, { cause: err });
        await unlink(path);
      }
      return;
    }
    throw err;
  }
  throw new Error(`another agent answers on ${path}: stop it first (systemctl stop geostream)`);
}

export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Asks the running agent for its status; errors say what to do. */
export function queryStatus(path: string, timeoutMs = 3000): Promise<StatusReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let data = '';
    const done = (err: Error | null, reply?: StatusReply) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new StatusError(`the agent did not answer on ${path} within ${timeoutMs} ms (is it stuck? see geostream logs)`, 'ETIMEDOUT')), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      data += d;
      if (data.length > REPLY_LIMIT * 2) done(new StatusError(`oversized reply from ${path}`, 'EMSGSIZE'));
    });
    sock.on('end', () => {
      try {
        const reply = JSON.parse(data) as StatusReply;
        if (typeof reply !== 'object' || reply === null || !reply.status || !reply.agent) throw new Error('not a status reply');
        done(null, reply);
      } catch (err) {
        done(new StatusError(`bad reply from ${path}: ${errorMessage(err)}`, 'EPROTO'));
      }
    });
    sock.on('error', (err) => {
      const code = errorCode(err);
      const msg =
        code === 'ENOENT'
          ? `no agent running: ${path} does not exist (systemctl status geostream)`
          : code === 'ECONNREFUSED'
            ? `no agent running: nothing listens on ${path} (systemctl status geostream)`
            : code === 'EACCES'
              ? `permission denied on ${path}: use sudo, or add your user to the geostream group`
              : `cannot reach the agent on ${path}: ${errorMessage(err)}`;
      done(new StatusError(msg, code));
    });
  });
}
