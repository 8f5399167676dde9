import { DeviceCore, type DeviceOutput } from '../../src/protocol/device-core.js';
import { ServerCore, type ServerOutput } from '../../src/protocol/server-core.js';
import { rangesOf, type SeqRange } from '../../src/protocol/ranges.js';
import type { PushedConfig } from '../../src/protocol/messages.js';
import { decodePayload } from '../../src/protocol/wire.js';
import { MemSpool } from './mem-spool.js';
import type { RecordPacker } from '../../src/protocol/packing.js';

/**
 * Joins a DeviceCore and ServerCores (one per connection) in memory with a fake
 * clock: the quiche test_utils Pipe idea. The "database" is a Map keyed by
 * (spool, seq); commits happen when the test calls commit() (or at once with
 * autoCommit), so tests decide when ACKs may flow.
 */
export class CorePipe {
  now = 0;
  readonly spool: MemSpool;
  readonly device: DeviceCore;
  readonly db = new Map<string, { seq: number; payload: Uint8Array }>();
  readonly gaps: { seq: number; fromSeq: number; toSeq: number; reason?: string }[] = [];
  duplicates = 0;
  server: ServerCore | null = null;
  gen = 0;
  connected = false;
  /** When false, connect attempts fail (server down). */
  serverUp = true;
  /** When false, bytes device->server are dropped and nothing comes back (black hole). */
  pathUp = true;
  autoCommit = true;
  identity: string | null = 'truck-1';
  readonly log: DeviceOutput[] = [];
  readonly serverClosed: { code: number; reason: string }[] = [];
  readonly sent: { stream: string; records: number; firstSeq: number | null }[] = [];
  private pending: { entries: { seq: number; payload: Uint8Array }[]; gaps: { seq: number; fromSeq: number; toSeq: number; reason?: string }[]; core: ServerCore }[] = [];
  private streamIds: Record<string, number> = { live: 2, backlog: 6 };
  random: () => number = () => 0.5;
  config: PushedConfig = { batchRecords: 256, batchBytes: 64 * 1024, windowRecords: 4096 };

  serverPackers: RecordPacker[] = [];

  constructor(opts: { device?: string; spool?: MemSpool; packer?: RecordPacker } = {}) {
    this.spool = opts.spool ?? new MemSpool();
    this.device = new DeviceCore({ device: opts.device ?? 'truck-1', firmware: 'test', schema: 1, spool: this.spool, random: () => this.random(), packer: opts.packer });
  }

  start(): void {
    this.apply(this.device.start(this.now));
  }

  /** Advances the fake clock in steps, firing device timers. */
  advance(ms: number, step = 100): void {
    const end = this.now + ms;
    while (this.now < end) {
      const next = this.device.nextTimeout();
      this.now = Math.min(end, next !== null && next > this.now ? next : this.now + step, this.now + step);
      this.apply(this.device.tick(this.now));
    }
  }

  append(n: number, size = 40): void {
    for (let i = 0; i < n; i++) this.spool.append(new Uint8Array(size).fill(i & 0xff), this.now);
    this.apply(this.device.notify(this.now));
  }

  commit(): void {
    const batch = this.pending;
    this.pending = [];
    for (const p of batch) {
      const seqs: number[] = [];
      for (const e of p.entries) {
        const k = `${this.spool.spoolId}/${e.seq}`;
        if (this.db.has(k)) this.duplicates++;
        else this.db.set(k, e);
        seqs.push(e.seq);
      }
      for (const g of p.gaps) {
        if (!this.gaps.some((x) => x.seq === g.seq)) this.gaps.push(g);
        seqs.push(g.seq);
      }
      seqs.sort((a, b) => a - b);
      if (p.core === this.server) this.applyServer(p.core, p.core.committed(rangesOf(seqs), seqs.length));
    }
  }

  /** Forgets records received but not committed (server process died). */
  discardPending(): void {
    this.pending = [];
  }

  /** Cuts the connection as a transport failure would (no close frames). */
  dropConnection(): void {
    if (!this.connected) return;
    this.connected = false;
    this.server = null;
    this.apply(this.device.closed(this.now, this.gen, 0, 'transport failure', 'error', false));
  }

  storedSeqs(): number[] {
    return [...this.db.values()].map((e) => e.seq).sort((a, b) => a - b);
  }

  private lookup = (_d: string, spool: string, acked: number, head: number) => {
    const seqs: number[] = [];
    let high = 0;
    for (const e of this.db.values()) high = Math.max(high, e.seq);
    for (const g of this.gaps) high = Math.max(high, g.seq);
    for (let s = acked + 1; s <= head; s++) if (this.db.has(`${spool}/${s}`) || this.gaps.some((g) => g.seq === s)) seqs.push(s);
    return { high, stored: rangesOf(seqs) as SeqRange[] };
  };

  apply(outs: DeviceOutput[]): void {
    for (const o of outs) {
      this.log.push(o);
      switch (o.kind) {
        case 'connect':
          this.gen = o.gen;
          if (!this.serverUp) {
            this.apply(this.device.connectFailed(this.now, o.gen, 'refused'));
            break;
          }
          this.server = new ServerCore({ identity: this.identity, lookup: this.lookup, config: this.config, packers: this.serverPackers });
          this.connected = true;
          this.applyServer(this.server, this.server.open());
          if (this.connected) this.apply(this.device.connected(this.now, o.gen));
          break;
        case 'send': {
          if (!this.connected || !this.server || !this.pathUp || o.gen !== this.gen) break;
          const first = o.stream === 'control' ? null : firstSeq(o.bytes);
          this.sent.push({ stream: o.stream, records: o.records, firstSeq: first });
          const srv = this.server;
          this.applyServer(srv, o.stream === 'control' ? srv.controlBytes(this.now, o.bytes) : srv.dataBytes(this.streamIds[o.stream]!, o.bytes));
          // delivered at once: the transport holds none of it (on a dark path it keeps it all)
          if (o.stream !== 'control') this.apply(this.device.transportBuffered(this.now, o.gen, { [o.stream]: 0 }));
          break;
        }
        case 'close':
          if (o.gen === this.gen && this.connected) {
            this.connected = false;
            this.server = null;
          }
          break;
        case 'ack':
          this.spool.ack(o.seq);
          break;
        default:
          break;
      }
    }
  }

  private applyServer(core: ServerCore, outs: ServerOutput[]): void {
    for (const o of outs) {
      switch (o.kind) {
        case 'send':
          if (core === this.server && this.connected && this.pathUp) this.apply(this.device.control(this.now, this.gen, o.bytes));
          break;
        case 'store':
          this.pending.push({ entries: o.entries, gaps: o.gaps.map((g) => ({ seq: g.seq, fromSeq: g.fromSeq, toSeq: g.toSeq, ...(g.reason ? { reason: g.reason } : {}) })), core });
          if (this.autoCommit) this.commit();
          break;
        case 'close':
          this.serverClosed.push({ code: o.code, reason: o.reason });
          if (core === this.server && this.connected) {
            this.connected = false;
            this.server = null;
            this.apply(this.device.closed(this.now, this.gen, o.code, o.reason, 'peer', true));
          }
          break;
        default:
          break;
      }
    }
  }
}

function firstSeq(bytes: Uint8Array): number | null {
  const f = decodePayload(bytes[0]!, bytes.subarray(5));
  if (f.type === 'BATCH') return f.entries[0]!.seq;
  if (f.type === 'GAP') return f.seq;
  if (f.type === 'PACKED') return f.seqs[0]![0];
  return null;
}
