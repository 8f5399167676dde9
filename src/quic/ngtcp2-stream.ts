/**
 * A QUIC stream of the ngtcp2 engine. Writes go into the addon's per-stream send
 * buffer (kept until acknowledged, as ngtcp2 requires); write() resolves while the
 * stream's unacknowledged bytes stay under HIGH_WATER, else when ACKs bring them
 * back under it. Reads: an async iterator over received chunks; flow-control credit
 * is returned to the peer only as the reader consumes (receive backpressure).
 */
import { QuicError, type QuicStream, type StreamKind } from './engine.js';

export const HIGH_WATER = 256 * 1024;

/** What a stream needs from its connection. */
export interface StreamHost {
  write(id: number, data: Uint8Array | null, fin: boolean): number;
  unacked(id: number): number;
  reset(id: number, code: number): void;
  consumed(id: number, bytes: number): void;
  readonly closedError: QuicError | null;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Ngtcp2Stream implements QuicStream {
  private readonly chunks: Uint8Array[] = [];
  private readEnded = false;
  private readError: Error | null = null;
  private reader: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: Error) => void } | null = null;
  private writeError: QuicError | null = null;
  private readonly writers: Waiter[] = [];

  constructor(
    readonly id: number,
    readonly kind: StreamKind,
    readonly local: boolean,
    private readonly host: StreamHost,
  ) {
    // A stream we opened one-way has nothing to read; one the peer opened one-way, nothing to write.
    if (kind === 'uni' && local) this.readEnded = true;
    if (kind === 'uni' && !local) this.writeError = new QuicError('closed', `stream ${id} is the peer's one-way stream`);
  }

  get bufferedBytes(): number {
    return this.host.unacked(this.id);
  }

  write(data: Uint8Array): Promise<void> {
    const err = this.writeError ?? this.host.closedError;
    if (err) return Promise.reject(err);
    if (data.byteLength === 0) return Promise.resolve();
    const unacked = this.host.write(this.id, data, false);
    if (unacked < 0) return Promise.reject(new QuicError('closed', `stream ${this.id} cannot take more data (ended or reset)`));
    if (unacked <= HIGH_WATER) return Promise.resolve();
    return new Promise((resolve, reject) => this.writers.push({ resolve, reject }));
  }

  end(): Promise<void> {
    const err = this.writeError ?? this.host.closedError;
    if (err) return Promise.reject(err);
    if (this.host.write(this.id, null, true) < 0) return Promise.reject(new QuicError('closed', `stream ${this.id} already ended`));
    this.writeError = new QuicError('closed', `stream ${this.id} was ended`);
    return Promise.resolve();
  }

  reset(code: number): void {
    this.host.reset(this.id, code);
    this.failWrites(new QuicError('closed', `stream ${this.id} was reset (code ${code})`));
    this.finishRead(new QuicError('closed', `stream ${this.id} was reset locally (code ${code})`));
  }

  // --- from the connection ---

  onData(data: Buffer, fin: boolean): void {
    if (data.byteLength) {
      if (this.reader) {
        const r = this.reader;
        this.reader = null;
        this.host.consumed(this.id, data.byteLength);
        r.resolve({ value: new Uint8Array(data), done: false });
      } else this.chunks.push(new Uint8Array(data));
    }
    if (fin) this.finishRead(null);
  }

  onAcked(): void {
    while (this.writers.length && this.host.unacked(this.id) <= HIGH_WATER) this.writers.shift()!.resolve();
  }

  onPeerReset(code: number): void {
    this.finishRead(new QuicError('closed', `stream ${this.id} was reset by the peer (code ${code})`, code));
  }

  onStopSending(code: number): void {
    this.failWrites(new QuicError('closed', `peer stopped reading stream ${this.id} (code ${code})`, code));
  }

  /** Stream closed in both directions (or the connection ended: err set). */
  onClosed(err: QuicError | null): void {
    this.failWrites(err ?? new QuicError('closed', `stream ${this.id} is closed`));
    // All writes were acknowledged if the stream closed cleanly.
    if (err) this.finishRead(err);
    else this.finishRead(null);
  }

  private failWrites(err: QuicError): void {
    if (!this.writeError) this.writeError = err;
    while (this.writers.length) this.writers.shift()!.reject(err);
  }

  private finishRead(err: Error | null): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.readError = err;
    if (this.reader && this.chunks.length === 0) {
      const r = this.reader;
      this.reader = null;
      if (err) r.reject(err);
      else r.resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        const c = this.chunks.shift();
        if (c) {
          this.host.consumed(this.id, c.byteLength);
          return Promise.resolve({ value: c, done: false });
        }
        if (this.readEnded) {
          if (this.readError) return Promise.reject(this.readError);
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          this.reader = { resolve, reject };
        });
      },
      return: () => {
        this.chunks.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
