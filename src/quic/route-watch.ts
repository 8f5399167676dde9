/**
 * Tells the device when its way to the server changed (default route, source
 * address, interface), so the connection can migrate at once instead of waiting
 * for loss detection. Event-driven through `ip monitor` (netlink) when iproute2 is
 * there, plus a bounded poll of `ip route get SERVER` (or, without iproute2, of the
 * interface address list) as a safety net.
 *
 * `watchRoute` shares one watcher per server address among every connection of
 * the process (one `ip monitor` child and one poll, however many connections: a
 * fleet simulator or a test holds hundreds).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';

export interface RouteWatchOptions {
  server: string;
  /** Poll interval, ms (default 1000). */
  pollMs?: number;
  onChange: (why: string) => void | Promise<void>;
  /**
   * A netlink event arrived: the route may be changing right now. The connection
   * holds its packets until onSettled, so none leaves on the new route with the old
   * connection ID before the active migration (a passive and an active move in
   * quick succession trip a connection-ID accounting bug in ngtcp2 0.12.1, fixed
   * upstream in 1ffa646c).
   */
  onSuspect?: () => void;
  onSettled?: () => void;
}

export class RouteWatcher {
  private monitor: ChildProcess | null = null;
  private poll: NodeJS.Timeout | null = null;
  private last: string | null = null;
  private checking = false;
  private again = false;
  private stopped = false;
  private useIp = true;

  constructor(private readonly opts: RouteWatchOptions) {}

  start(): void {
    try {
      const m = spawn('ip', ['monitor', 'route', 'address', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
      m.on('error', () => {
        this.useIp = false;
        this.monitor = null;
      });
      m.stdout?.on('data', () => {
        this.opts.onSuspect?.();
        this.check();
      });
      m.unref();
      (m.stdout as unknown as { unref?: () => void } | null)?.unref?.();
      this.monitor = m;
    } catch {
      this.useIp = false;
    }
    this.poll = setInterval(() => this.check(), this.opts.pollMs ?? 1000);
    this.poll.unref();
    this.check();
  }

  stop(): void {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    if (this.monitor && this.monitor.exitCode === null) this.monitor.kill();
    this.monitor = null;
  }

  private check(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    this.signature()
      .then(async (sig) => {
        if (this.stopped) return;
        const prev = this.last;
        this.last = sig;
        if (prev !== null && sig !== prev) await this.opts.onChange(`route to ${this.opts.server} changed: ${prev} -> ${sig}`);
      })
      .catch(() => undefined)
      .finally(() => {
        this.checking = false;
        if (this.again) {
          this.again = false;
          this.check();
        } else this.opts.onSettled?.();
      });
  }

  private signature(): Promise<string> {
    if (!this.useIp) return Promise.resolve(addressSignature());
    return new Promise((resolve) => {
      execFile('ip', ['-o', 'route', 'get', this.opts.server], { timeout: 2000 }, (err, stdout) => {
        if (err) {
          // No route at all (e.g. every uplink down) is a state too.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            this.useIp = false;
            return resolve(addressSignature());
          }
          return resolve('unreachable');
        }
        const dev = /\bdev (\S+)/.exec(stdout)?.[1] ?? '?';
        const src = /\bsrc (\S+)/.exec(stdout)?.[1] ?? '?';
        const via = /\bvia (\S+)/.exec(stdout)?.[1] ?? '-';
        resolve(`${dev} ${src} via ${via}`);
      });
    });
  }
}

function addressSignature(): string {
  const parts: string[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal) parts.push(`${name}=${a.address}`);
  }
  return parts.sort().join(',');
}

export type RouteListener = Pick<RouteWatchOptions, 'onChange' | 'onSuspect' | 'onSettled'>;

const sharedWatchers = new Map<string, { watcher: RouteWatcher; listeners: Set<RouteListener> }>();

/** Subscribes to route changes towards `server` (one shared watcher per server and poll interval); returns the unsubscribe. */
export function watchRoute(server: string, pollMs: number | undefined, listener: RouteListener): () => void {
  const key = `${server} ${pollMs ?? ''}`;
  let entry = sharedWatchers.get(key);
  if (!entry) {
    const listeners = new Set<RouteListener>();
    const each = (f: (l: RouteListener) => unknown): void => {
      for (const l of [...listeners]) f(l);
    };
    const watcher = new RouteWatcher({
      server,
      pollMs,
      onChange: async (why) => {
        await Promise.all([...listeners].map((l) => l.onChange(why)));
      },
      onSuspect: () => each((l) => l.onSuspect?.()),
      onSettled: () => each((l) => l.onSettled?.()),
    });
    entry = { watcher, listeners };
    sharedWatchers.set(key, entry);
    watcher.start();
  }
  const e = entry;
  e.listeners.add(listener);
  return () => {
    if (!e.listeners.delete(listener) || e.listeners.size > 0) return;
    e.watcher.stop();
    if (sharedWatchers.get(key) === e) sharedWatchers.delete(key);
  };
}
