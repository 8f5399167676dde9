import { rangesOf } from '../../protocol/ranges.js';
import type { CommitListener, TrackItem } from './query.js';
import type { GapFrame } from '../../protocol/messages.js';
import type { Done, Pending, StoreEntry } from './tally.js';

/** A per-device note written with the next group commit (a reconnect storm must not cost one commit per vehicle). */
export type DeviceNote =
  | { kind: 'handshake'; device: string; firmware: string; detail: string; at: number }
  | { kind: 'path'; device: string; detail: string | null; at: number }
  | { kind: 'close'; device: string; why: string; at: number };

/** What one group commit writes: every batch and note queued since the previous one. */
export interface CommitWork {
  batch: Pending[];
  notes: DeviceNote[];
  /** Records and gaps in `batch`. */
  count: number;
}

/**
 * The part of an ingest store every backend shares: batches and notes queued for the
 * next group commit, the commit listeners, and the ACK callbacks after a COMMIT.
 */
export class IngestQueue {
  private pending: Pending[] = [];
  private count = 0;
  private notes: DeviceNote[] = [];
  private readonly listeners = new Set<CommitListener>();
  /** Exceptions thrown by commit listeners (caught: they never reach ingest). */
  listenerErrors = 0;

  /** Records (and gaps) waiting for the next commit. */
  get queued(): number {
    return this.count;
  }

  get notesQueued(): number {
    return this.notes.length;
  }

  get empty(): boolean {
    return this.pending.length === 0 && this.notes.length === 0;
  }

  /** True when some listener wants what the next commit stores. */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  enqueue(p: Pending): void {
    this.pending.push(p);
    this.count += p.entries.length + p.gaps.length;
  }

  note(n: DeviceNote): void {
    this.notes.push(n);
  }

  /** Hands everything queued to one commit; the queue starts empty again. */
  take(): CommitWork {
    const w = { batch: this.pending, notes: this.notes, count: this.count };
    this.discard();
    return w;
  }

  /** Drops what is queued (the connections it came from are gone and will resend). */
  discard(): void {
    this.pending = [];
    this.count = 0;
    this.notes = [];
  }

  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After a COMMIT: what it stored to the listeners, then each batch's ACK. */
  committed(batch: readonly Pending[], seqs: Map<Pending, number[]>, items: readonly TrackItem[] | null): void {
    if (items && items.length > 0) {
      for (const l of this.listeners) {
        try {
          l(items);
        } catch {
          this.listenerErrors++;
        }
      }
    }
    for (const p of batch) {
      const s = seqs.get(p)!;
      p.done(rangesOf(s), s.length);
    }
  }
}

/** What both stores do the same way before their COMMIT: queue batches and notes, hold the listeners. */
export abstract class QueuedStore {
  protected readonly q = new IngestQueue();

  protected constructor(protected readonly clock: () => number) {}

  /** Exceptions thrown by commit listeners (caught: they never reach ingest). */
  get listenerErrors(): number {
    return this.q.listenerErrors;
  }

  /** Records (and gaps) waiting for the next commit. */
  get queued(): number {
    return this.q.queued;
  }

  /** Notes waiting for the next commit. */
  get notesQueued(): number {
    return this.q.notesQueued;
  }

  enqueue(device: string, spool: string, entries: StoreEntry[], gaps: GapFrame[], done: Done): void {
    this.q.enqueue({ device, spool, entries, gaps, done });
  }

  discardQueued(): void {
    this.q.discard();
  }

  /*
   * Device notes are queued and written inside the next group commit: a reconnect
   * storm of a whole fleet must not cost one commit per vehicle.
   * Each is also a link event; `detail` is its text (address, backlog, ...).
   */
  noteHandshake(device: string, firmware: string, detail = `firmware ${firmware}`): void {
    this.q.note({ kind: 'handshake', device, firmware, detail, at: this.clock() });
  }

  notePathChange(device: string, detail: string | null = null): void {
    this.q.note({ kind: 'path', device, detail, at: this.clock() });
  }

  noteClose(device: string, why: string): void {
    this.q.note({ kind: 'close', device, why, at: this.clock() });
  }

  onCommit(listener: CommitListener): () => void {
    return this.q.onCommit(listener);
  }
}
