import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../base/log.js';
import { errorMessage } from '../base/errors.js';
import { VERSION } from '../base/version.js';
import type { StatusBoard } from '../base/status-board.js';
import { StatusServer, statusSocketPath } from './socket.js';
import { ServiceNotifier } from './watchdog.js';
import { envVar, processEnv, type Env } from '../base/env.js';

/** The agent's face to its operators: the status socket and systemd's notify/watchdog. */
export interface AgentService {
  /** READY=1; watchdog pings start. */
  ready(): Promise<void>;
  /** STOPPING=1; pings stop (call before flushing on SIGTERM). */
  stopping(): Promise<void>;
  /** Closes the status socket. */
  close(): Promise<void>;
}

export async function startAgentService(o: { status: StatusBoard; log: Logger; vehicle: string; env?: Env }): Promise<AgentService> {
  const env = o.env ?? processEnv();
  const log = o.log.child({ component: 'service' });
  const notifier = new ServiceNotifier({ env, log });
  let server: StatusServer | undefined;
  const path = statusSocketPath(env);
  const asked = Boolean(envVar('GEOSTREAM_STATUS_SOCKET', env) || envVar('STATE_DIRECTORY', env));
  if (asked || existsSync(dirname(path))) {
    try {
      const startedAt = new Date().toISOString();
      server = await StatusServer.listen({ path, board: o.status, agent: () => ({ version: VERSION, pid: process.pid, startedAt, vehicle: o.vehicle }), log });
    } catch (err) {
      // The agent runs without it: `geostream status` then says no agent answers.
      log.warn(`status socket ${path}: ${errorMessage(err)}`);
    }
  } else {
    log.debug(`no status socket (${dirname(path)} does not exist; set GEOSTREAM_STATUS_SOCKET)`);
  }
  const describe = (): string => `GNSS ${o.status.gnss}, link ${o.status.link}${o.status.faulted ? ', FAULT' : ''}`;
  const onChange = (part: string): void => {
    if (part === 'gnss' || part === 'link' || part === 'faults') notifier.status(describe());
  };
  return {
    async ready() {
      await notifier.ready(describe());
      o.status.on('change', onChange);
    },
    async stopping() {
      o.status.off('change', onChange);
      await notifier.stopping();
    },
    async close() {
      await server?.close();
    },
  };
}
