import type { EventEmitter } from 'node:events';
import { StateLog, type Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';

/**
 * Storage health: one state per failure kind, logged once per change, mirrored to the
 * StatusBoard as the 'storage' fault (FAULT LED), emitted as 'fault'(why | null), and the
 * retry backoff (doubling from minMs to maxMs while failures continue).
 */
export class StorageHealth {
  private readonly state: StateLog<string>;
  private why: string | null = null;
  private delay: number;
  failures = 0;

  constructor(
    log: Logger,
    private readonly status: StatusBoard | undefined,
    private readonly events: EventEmitter,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.state = new StateLog(log, 'storage');
    this.delay = minMs;
  }

  get fault(): string | null {
    return this.why;
  }

  /** Records a failed operation; returns how long to wait before the next attempt. */
  fail(op: string, err: unknown): number {
    const code = (err as NodeJS.ErrnoException)?.code ?? 'ERROR';
    this.failures++;
    // One state per failure kind: retries that fail the same way change nothing (no log, no event).
    const changed = this.state.set(`failed (${code})`, `${code} on ${op}; keeping records in memory and retrying`, 'error');
    const why = `${code} (${this.describe(code)})`;
    if (changed && this.why !== why) {
      this.why = why;
      this.status?.setFault('storage', why);
      this.events.emit('fault', why);
    }
    const wait = this.delay;
    this.delay = Math.min(this.maxMs, this.delay * 2);
    return wait;
  }

  private describe(code: string): string {
    return DESCRIPTIONS[code] ?? 'storage error';
  }

  ok(): void {
    this.delay = this.minMs;
    if (this.state.state === undefined) {
      this.state.set('ok', undefined, 'info');
      return;
    }
    if (this.why === null) return;
    this.why = null;
    this.state.set('ok', 'writes succeed again', 'info');
    this.status?.setFault('storage', null);
    this.events.emit('fault', null);
  }
}

const DESCRIPTIONS: Record<string, string> = {
  ENOSPC: 'storage full',
  EIO: 'storage I/O error',
  EROFS: 'storage read-only',
  EDQUOT: 'storage quota exceeded',
  EACCES: 'storage permission denied',
  EPERM: 'storage permission denied',
};
