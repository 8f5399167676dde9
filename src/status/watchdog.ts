import { spawn } from 'node:child_process';
import type { Logger } from '../base/log.js';
import { errorMessage } from '../base/errors.js';
import { envVar, processEnv } from '../base/env.js';

/**
 * Sends one sd_notify message (`READY=1`, `WATCHDOG=1`, `STATUS=...`, `STOPPING=1`).
 * Resolves when the service manager has it; rejects with the reason otherwise.
 */
export interface Notifier {
  send(fields: string[]): Promise<void>;
}

/**
 * sd_notify through `systemd-notify`: Node has no AF_UNIX datagram sockets, and a native
 * addon for one datagram is not worth it. systemd-notify (systemd >= 246) waits until the
 * manager processed the message (a barrier), so the unit needs NotifyAccess=all, which
 * packaging/geostream.service sets.
 */
export class SystemdNotify implements Notifier {
  constructor(
    private readonly env: NodeJS.ProcessEnv = processEnv(),
    private readonly timeoutMs = 5000,
    private readonly command = 'systemd-notify',
  ) {}
  send(fields: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.command, fields, { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        if (err.length < 500) err += String(d);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${this.command}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${this.command} ${fields.join(' ')}: ${signal ? `killed (${signal}) after ${this.timeoutMs} ms` : `exit ${code}`}${err ? `: ${err.trim()}` : ''}`));
      });
    });
  }
}

export interface ServiceNotifierOptions {
  env?: NodeJS.ProcessEnv;
  notifier?: Notifier;
  log: Logger;
  /** Checked before every watchdog ping: false skips the ping, so systemd restarts a stuck agent. */
  healthy?: () => boolean;
}

/**
 * The agent's side of Type=notify and WatchdogSec: READY=1 once started, WATCHDOG=1
 * every WatchdogSec/2 from the event loop (a blocked loop or healthy() false means no
 * ping, and systemd restarts the service), STOPPING=1 on shutdown. Does nothing when not
 * started by systemd (no NOTIFY_SOCKET).
 */
export class ServiceNotifier {
  readonly enabled: boolean;
  /** Ping period in ms (half of WatchdogSec), or null without a watchdog. */
  readonly pingIntervalMs: number | null;
  private readonly notifier: Notifier;
  private readonly log: Logger;
  private readonly healthy: () => boolean;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private failing = false;
  pings = 0;

  constructor(opts: ServiceNotifierOptions) {
    const env = opts.env ?? processEnv();
    this.log = opts.log;
    this.notifier = opts.notifier ?? new SystemdNotify(env);
    this.healthy = opts.healthy ?? (() => true);
    this.enabled = Boolean(envVar('NOTIFY_SOCKET', env));
    const usec = Number(envVar('WATCHDOG_USEC', env));
    const forUs = envVar('WATCHDOG_PID', env) === undefined || Number(envVar('WATCHDOG_PID', env)) === process.pid;
    this.pingIntervalMs = this.enabled && forUs && Number.isFinite(usec) && usec > 0 ? Math.max(50, Math.floor(usec / 2000)) : null;
  }

  /** READY=1 (and the watchdog pings from now on). */
  async ready(status = 'running'): Promise<void> {
    if (!this.enabled) return;
    await this.sendLogged(['READY=1', `STATUS=${status}`]);
    this.startPings();
  }

  status(text: string): void {
    if (this.enabled) void this.sendLogged([`STATUS=${text}`]);
  }

  /** STOPPING=1 and no more pings (the spool flush may take a moment). */
  async stopping(): Promise<void> {
    this.stopPings();
    if (this.enabled) await this.sendLogged(['STOPPING=1']);
  }

  private startPings(): void {
    if (this.pingIntervalMs === null || this.timer) return;
    this.timer = setInterval(() => this.ping(), this.pingIntervalMs);
    this.timer.unref();
    this.log.info(`watchdog: pinging systemd every ${this.pingIntervalMs} ms`);
  }

  private stopPings(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private ping(): void {
    // One ping at a time: a slow systemd-notify must not pile up processes.
    if (this.inFlight || !this.healthy()) return;
    this.inFlight = true;
    this.sendLogged(['WATCHDOG=1']).finally(() => {
      this.inFlight = false;
      this.pings++;
    });
  }

  private async sendLogged(fields: string[]): Promise<void> {
    try {
      await this.notifier.send(fields);
      if (this.failing) this.log.info('watchdog: systemd notifications work again');
      this.failing = false;
    } catch (err) {
      // Logged once per failure streak, not every ping.
      if (!this.failing) this.log.warn(`watchdog: cannot notify systemd: ${errorMessage(err)}`);
      this.failing = true;
    }
  }
}
