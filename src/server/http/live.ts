import type { ServerResponse } from 'node:http';
import type { TrackItem } from '../store/query.js';
import { featureText } from '../formats/geojson.js';
import { BASE_HEADERS, sentHead } from './respond.js';

export interface LiveLimits {
  /** Live clients at once; more get 503 (default 32). */
  maxClients: number;
  /** Bytes queued for one client before it counts as stalled and is dropped (default 1 MiB). */
  maxQueuedBytes: number;
  /** Comment line sent this often so proxies and clients see the stream alive (default 15 s). */
  heartbeatMs: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { maxClients: 32, maxQueuedBytes: 1 << 20, heartbeatMs: 15_000 };

interface Client {
  res: ServerResponse;
  /** Vehicles this client asked for; null = all. */
  vehicles: ReadonlySet<string> | null;
}

/**
 * Server-Sent Events of what the store commits: one event per stored record
 * ("position", data a GeoJSON Feature as the positions export writes it) or gap
 * ("gap"), sent after its COMMIT, in commit order. Each event is serialised once
 * for all clients. A client that does not read (its queue past maxQueuedBytes) is
 * dropped rather than buffered without bound; it reconnects and reads the
 * positions endpoint for what it missed.
 */
export class LiveFeed {
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  readonly counters = { events: 0, dropped: 0, refused: 0 };

  constructor(
    subscribe: (listener: (items: readonly TrackItem[]) => void) => () => void,
    private readonly limits: LiveLimits = DEFAULT_LIVE_LIMITS,
  ) {
    this.unsubscribe = subscribe((items) => this.publish(items));
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), limits.heartbeatMs).unref();
  }

  private readonly unsubscribe: () => void;

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.limits.maxClients;
  }

  /** Starts the event stream on `res` (the caller checked auth, parameters and `full`); a HEAD request gets its headers and the end. */
  add(res: ServerResponse, vehicles: ReadonlySet<string> | null): void {
    const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' };
    if (sentHead(res, 200, headers)) return;
    const c: Client = { res, vehicles };
    this.clients.add(c);
    res.writeHead(200, { ...BASE_HEADERS, ...headers, connection: 'keep-alive' });
    res.socket?.setTimeout(0);
    res.write(`retry: 5000\n: geostream live feed${vehicles ? ` for ${[...vehicles].join(',')}` : ''}\n\n`);
    res.on('close', () => this.clients.delete(c));
  }

  private publish(items: readonly TrackItem[]): void {
    if (this.clients.size === 0) return;
    for (const item of items) {
      let text: string | null = null;
      for (const c of this.clients) {
        if (c.vehicles && !c.vehicles.has(item.device)) continue;
        text ??= `event: ${item.kind}\nid: ${item.device}/${item.spool}/${item.seq}\ndata: ${featureText(item)}\n\n`;
        this.send(c, text);
      }
      if (text !== null) this.counters.events++;
    }
  }

  private broadcast(text: string): void {
    for (const c of this.clients) this.send(c, text);
  }

  private send(c: Client, text: string): void {
    if (c.res.writableLength > this.limits.maxQueuedBytes) {
      this.clients.delete(c);
      this.counters.dropped++;
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
