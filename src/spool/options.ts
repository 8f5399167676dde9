import type { Logger } from '../base/log.js';
import type { StatusBoard } from '../base/status-board.js';
import type { Clock } from '../base/clock.js';
import { BLOCK_BYTES } from './constants.js';
import type { SpoolFs } from './fs.js';

export interface SpoolOptions {
  dir: string;
  /** segment file size (default 4 MiB, a multiple of 4 KiB) */
  segmentBytes?: number;
  /** bound of all segment files together (default 64 MiB, at least 4 segments) */
  capacityBytes?: number;
  /** records become durable, and the link may send them, at most this long after append (default 500 ms) */
  commitIntervalMs?: number;
  /** ... or as soon as this many bytes are waiting (default 256 KiB; at most ringBytes / 2) */
  commitBytes?: number;
  /** 'group' (default): commit every interval; 'always': fsync inside every append */
  fsync?: 'group' | 'always';
  /** memory bound for records not yet on disk, e.g. while storage fails (default 2 MiB) */
  ringBytes?: number;
  /** the ack cursor is persisted at most this often (default 30 s): after a crash at most this much acknowledged data is sent again (the server deduplicates); a longer interval saves flash writes */
  cursorIntervalMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  clock?: Clock;
  log?: Logger;
  status?: StatusBoard;
  fs?: SpoolFs;
}

export type ResolvedOptions = Required<Omit<SpoolOptions, 'clock' | 'log' | 'status' | 'fs'>>;

export const spoolDefaults = {
  segmentBytes: 4 * 1024 * 1024,
  capacityBytes: 64 * 1024 * 1024,
  commitIntervalMs: 500,
  commitBytes: 256 * 1024,
  fsync: 'group',
  ringBytes: 2 * 1024 * 1024,
  cursorIntervalMs: 30000,
  retryMinMs: 1000,
  retryMaxMs: 30000,
} as const;

/** Fills defaults and checks the combination; errors name the option. */
export function resolveOptions(o: SpoolOptions): ResolvedOptions {
  const r: ResolvedOptions = { ...spoolDefaults, ...stripUndefined(o) } as ResolvedOptions;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`spool: ${what}`);
  };
  need(typeof r.dir === 'string' && r.dir.length > 0, 'dir is required');
  need(Number.isInteger(r.segmentBytes) && r.segmentBytes >= 4 * BLOCK_BYTES && r.segmentBytes % BLOCK_BYTES === 0, `segmentBytes must be a multiple of ${BLOCK_BYTES} and >= ${4 * BLOCK_BYTES}, got ${r.segmentBytes}`);
  need(Number.isInteger(r.capacityBytes) && r.capacityBytes >= 4 * r.segmentBytes, `capacityBytes must be at least 4 segments (${4 * r.segmentBytes}), got ${r.capacityBytes}`);
  need(r.commitIntervalMs > 0, `commitIntervalMs must be > 0, got ${r.commitIntervalMs}`);
  need(r.commitBytes >= 1, `commitBytes must be >= 1, got ${r.commitBytes}`);
  need(r.fsync === 'group' || r.fsync === 'always', `fsync must be "group" or "always", got ${String(r.fsync)}`);
  need(r.ringBytes >= 16 * 1024, `ringBytes must be >= 16384, got ${r.ringBytes}`);
  // Records wait in the memory ring until their commit: a commit must come before the ring is full.
  r.commitBytes = Math.min(r.commitBytes, Math.floor(r.ringBytes / 2));
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The `spool` section of a validated config file, as SpoolOptions (the agent adds clock, log, status). */
export function spoolOptionsFromConfig(
  c: { dir: string; segmentBytes: number; capacityBytes: number; commitIntervalMs: number; commitBytes: number; fsync: 'group' | 'always'; ringBytes: number },
  deps: Pick<SpoolOptions, 'clock' | 'log' | 'status'> = {},
): SpoolOptions {
  return { ...c, ...deps };
}
