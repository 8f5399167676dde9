import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'vitest';

interface Body {
  records: { key: string }[];
  gaps: { key: string }[];
  outboxDropped: number;
}

/**
 * A real webhook receiver (HTTP on 127.0.0.1) that can go down and come back on the
 * same port. Keeps every delivered key in arrival order, every body of each key, and
 * each POST's outboxDropped.
 */
export class WebhookReceiver {
  /** Record and gap keys in the order they arrived, repeats included. */
  readonly keys: string[] = [];
  /** Each record key's bodies as delivered (more than one: delivered again). */
  readonly deliveries = new Map<string, string[]>();
  /** outboxDropped of each POST, in order. */
  readonly dropped: number[] = [];
  posts = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(public port = 0) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += String(d)));
      req.on('end', () => {
        this.posts++;
        const body = JSON.parse(b) as Body;
        for (const r of body.records) {
          this.keys.push(r.key);
          this.deliveries.set(r.key, [...(this.deliveries.get(r.key) ?? []), JSON.stringify(r)]);
        }
        for (const g of body.gaps) this.keys.push(g.key);
        this.dropped.push(body.outboxDropped);
        res.writeHead(200).end();
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /**
   * Every one of `stored` (record seqs of one vehicle) arrived, nothing else did, and a
   * record delivered more than once came with the same body each time. Returns how many
   * records came more than once.
   */
  expectEachOnceOrSame(stored: readonly number[]): number {
    const seqs = [...this.deliveries.keys()].map((k) => Number(k.split('/')[2]));
    expect(seqs.sort((a, b) => a - b)).toEqual(stored);
    let repeated = 0;
    for (const bodies of this.deliveries.values()) {
      if (bodies.length > 1) repeated++;
      expect(new Set(bodies).size).toBe(1);
    }
    return repeated;
  }

  /** Closes the listener and every open connection: later POSTs are refused. */
  async down(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    const closed = new Promise((r) => s.close(r));
    for (const sock of this.sockets) sock.destroy();
    await closed;
  }
}
