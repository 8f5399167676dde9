import type { Logger } from '../base/log.js';
import { CloseCode, closeCodeName, closeLabel } from '../protocol/close-codes.js';
import { ServerCore, type ServerOutput, type StoredView } from '../protocol/server-core.js';
import type { PushedConfig, Limits } from '../protocol/messages.js';
import type { QuicConnection, QuicStream } from '../quic/engine.js';
import type { IngestStore } from './store/ingest.js';
import type { RecordPacker } from '../protocol/packing.js';

export interface SessionHost {
  store: IngestStore;
  log: Logger;
  config: PushedConfig;
  limits: Limits;
  packers: readonly RecordPacker[];
  /** Reads the vehicle id from the leaf certificate; throws with a reason if it names none. */
  identify: (der: Uint8Array) => string;
  /** A store batch was queued: the host schedules the group commit. */
  queued: () => void;
  /** HELLO accepted: the host retires any older session of the same device. */
  hello: (s: Session) => void;
  gone: (s: Session) => void;
  /** A connection that sent no HELLO this long after the handshake is closed. */
  helloTimeoutMs: number;
  /** Resolves when the commit queue has room again (null: it has room now); data streams wait for it before reading on. */
  room: () => Promise<void> | null;
}

/**
 * One device connection on the server: the I/O shell around a ServerCore. Reads
 * the control and data streams into the core, carries its outputs out (control
 * writes in order, store batches to the group commit, close). Nothing thrown here
 * reaches the engine: every failure ends this connection only.
 */
export class Session {
  readonly core: ServerCore;
  private control: QuicStream | null = null;
  private early: Uint8Array[] = [];
  private writes: Promise<void> = Promise.resolve();
  private ended = false;
  private helloTimer: NodeJS.Timeout;
  readonly identity: string | null;
  stored = 0;

  constructor(
    readonly conn: QuicConnection,
    private readonly host: SessionHost,
  ) {
    let identity: string | null = null;
    let problem = 'no client certificate';
    const leaf = conn.peerCertificates()[0];
    if (leaf) {
      try {
        identity = host.identify(leaf);
      } catch (err) {
        problem = `client certificate names no vehicle: ${(err as Error).message}`;
      }
    }
    this.identity = identity;
    this.core = new ServerCore({
      identity,
      identityProblem: problem,
      config: host.config,
      limits: host.limits,
      packers: host.packers,
      lookup: (d, sp, a, h, m) => this.lookup(d, sp, a, h, m),
    });
    conn.on('stream', (st) => this.onStream(st));
    conn.on('path', (p) => {
      const d = this.core.device;
      host.log.info({ device: d }, `${d ?? 'device'} path changed ${p.from.host}:${p.from.port} -> ${p.to.host}:${p.to.port}`);
      if (d) {
        host.store.notePathChange(d, `${p.from.host}:${p.from.port} -> ${p.to.host}:${p.to.port}`);
        host.queued();
      }
    });
    conn.on('close', (info) => {
      this.ended = true;
      clearTimeout(this.helloTimer);
      const d = this.core.device;
      const why = `${info.by}: ${closeLabel(info.code, info.app)}${info.reason ? ` ${info.reason}` : ''}`;
      host.log.info({ device: d }, `${d ?? this.identity ?? 'unidentified peer'} disconnected (${why})`);
      if (d) {
        host.store.noteClose(d, why);
        host.queued();
      }
      host.gone(this);
    });
    this.apply(this.core.open());
    // A peer that completes the handshake but never says HELLO must not hold a slot.
    this.helloTimer = setTimeout(() => {
      if (!this.core.device && !this.core.isClosed) this.close(CloseCode.protocol, `no HELLO within ${host.helloTimeoutMs} ms`);
    }, host.helloTimeoutMs);
    this.helloTimer.unref();
  }

  get device(): string | null {
    return this.core.device;
  }

  /** Sends a CLOSE frame and closes the connection. */
  close(code: number, reason: string): void {
    this.apply(this.core.close(code, reason));
  }

  /** Resolves when every queued control write (ACKs) was handed to the engine. */
  drained(): Promise<void> {
    return this.writes;
  }

  /** A store answer that is a Promise reaches the core through welcome(); a failed one ends this session only. */
  private lookup(device: string, spool: string, acked: number, head: number, maxRanges: number): StoredView | null {
    let view: StoredView | Promise<StoredView>;
    try {
      view = this.host.store.lookup(device, spool, acked, head, maxRanges);
    } catch (err) {
      view = Promise.reject(err as Error);
    }
    if (!(view instanceof Promise)) return view;
    view.then(
      (v) => this.apply(this.core.welcome(Date.now(), v)),
      (err: Error) => {
        this.host.log.error({ device }, `${device}: database lookup for HELLO failed: ${err.message}`);
        this.close(CloseCode.storage, 'server could not read its database; retry later');
      },
    );
    return null;
  }

  private onStream(st: QuicStream): void {
    if (st.kind === 'bidi') {
      if (this.control) {
        this.close(CloseCode.protocol, 'second bidirectional stream (only one control stream per connection)');
        return;
      }
      this.control = st;
      for (const b of this.early.splice(0)) this.write(b);
      void this.pumpStream(st, (b) => this.core.controlBytes(Date.now(), b), () => []);
    } else {
      void this.pumpStream(st, (b) => this.core.dataBytes(st.id, b), () => this.core.dataEnd(st.id), true);
    }
  }

  private async pumpStream(st: QuicStream, feed: (b: Uint8Array) => ServerOutput[], end: () => ServerOutput[], data = false): Promise<void> {
    try {
      for await (const chunk of st) {
        if (this.core.isClosed) break;
        this.apply(feed(chunk));
        // a slow database: stop reading (QUIC flow control holds the device back) until the queue has room
        const wait = data ? this.host.room() : null;
        if (wait) await wait;
      }
      if (!this.core.isClosed) this.apply(end());
    } catch {
      // stream reset or connection gone: the 'close' event reports it
    }
  }

  private apply(outs: ServerOutput[]): void {
    for (const o of outs) {
      switch (o.kind) {
        case 'send':
          if (this.control) this.write(o.bytes);
          else this.early.push(o.bytes);
          break;
        case 'hello':
          this.host.log.info({ device: o.hello.device }, `${o.hello.device} connected from ${this.conn.remote.host}:${this.conn.remote.port} (firmware ${o.hello.firmware}, spool ${o.hello.spool} head ${o.hello.head}, acked ${o.hello.acked})`);
          this.host.store.noteHandshake(o.hello.device, o.hello.firmware, `from ${this.conn.remote.host}:${this.conn.remote.port}, firmware ${o.hello.firmware}, spool ${o.hello.spool}, backlog ${Math.max(0, o.hello.head - o.hello.acked)} (head ${o.hello.head}, acked ${o.hello.acked})`);
          this.host.queued();
          this.host.hello(this);
          break;
        case 'store': {
          const n = o.entries.length + o.gaps.length;
          this.host.store.enqueue(this.core.device!, o.spool, o.entries, o.gaps, (ranges, count) => {
            this.stored += count;
            if (!this.ended) this.apply(this.core.committed(ranges, count));
          });
          if (n > 0) this.host.queued();
          break;
        }
        case 'close':
          if (o.code !== CloseCode.normal && o.code !== CloseCode.shutdown && o.code !== CloseCode.superseded)
            this.host.log.warn({ device: this.core.device ?? this.identity }, `refused ${this.core.device ?? this.identity ?? 'peer'} from ${this.conn.remote.host}:${this.conn.remote.port}: ${closeCodeName(o.code)} ${o.reason}`);
          // let the CLOSE frame go out first, then close the connection
          this.writes = this.writes.then(() => this.conn.close(o.code, o.reason)).catch(() => {});
          break;
      }
    }
  }

  private write(b: Uint8Array): void {
    const st = this.control!;
    this.writes = this.writes.then(() => st.write(b)).catch(() => {});
  }

}
