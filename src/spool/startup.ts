import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../base/log.js';
import { CURSOR_FILE, TMP_SUFFIX } from './constants.js';
import type { SpoolFs } from './fs.js';
import { takeLock } from './lock.js';
import type { Losses } from './losses.js';
import { positions, recover } from './recovery.js';
import type { SegmentInfo } from './segment-info.js';
import type { SpoolState } from './state.js';
import type { SegmentWriter } from './writer.js';

export interface StartupDeps {
  fs: SpoolFs;
  dir: string;
  log: Logger;
  writer: SegmentWriter;
  losses: Losses;
}

/**
 * Opening for writing: creates the directory, takes the lock, recovers (see recovery.ts) and
 * acts on what it found: the spool id, the seqs, torn tails cut, corrupt blocks reported with
 * gap markers, empty segments and temp files deleted, the writer resumed at the end of the last
 * segment. A write failure here is a storage fault, not an error. Returns the lock's release
 * and the segments to repair; throws (lock released) when the directory cannot be listed or
 * holds another spool's segments.
 */
export function startUp(st: SpoolState, d: StartupDeps): { unlock: () => void; repairs: SegmentInfo[] } {
  const { fs, dir, log, losses } = d;
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') log.warn(`spool: cannot create ${dir} (${(err as NodeJS.ErrnoException).code})`);
  }
  const unlock = takeLock(fs, dir);
  try {
    const r = recover(fs, dir);
    for (const n of r.notes) log.warn(`spool: ${n}`);
    if (r.cursorProblem) log.warn(`spool: ${CURSOR_FILE} is unusable (${r.cursorProblem}); rebuilding it from the segments`);
    for (const u of r.unreadable) log.error(`spool: cannot read ${u.path} (${u.why}); skipped`);
    st.id = r.cursor?.spoolId ?? r.headerSpoolId ?? randomBytes(16).toString('hex');
    if (r.cursor && r.headerSpoolId && r.cursor.spoolId !== r.headerSpoolId) throw new Error(`spool ${dir}: ${CURSOR_FILE} has spool id ${r.cursor.spoolId} but the segments ${r.headerSpoolId}`);
    if (r.cursor) losses.totals = r.cursor.totals;
    st.segments = r.segments;
    const p = positions(r);
    st.acked = st.durableAcked = p.acked;
    st.committed = p.committed;
    st.next = p.next;
    st.lease = p.lease;
    // What recovery dropped: torn tails are writes a crash interrupted (never committed);
    // corrupt blocks are losses and get a gap marker.
    losses.totals.tornBytes += r.tornBytes;
    if (r.tornBytes > 0) log.warn(`spool: cut a torn tail of ${r.tornBytes} bytes (writes interrupted by a crash; everything committed is intact)`);
    for (const c of r.corrupt) losses.corrupt(c);
    const last = st.segments[st.segments.length - 1];
    try {
      for (const p of r.empty) fs.unlinkSync(p);
      for (const n of fs.readdirSync(dir)) if (n.endsWith(TMP_SUFFIX)) fs.unlinkSync(join(dir, n));
      if (last) d.writer.resume(last, r.tornBytes, r.tail);
      st.health.ok();
    } catch (err) {
      st.health.fail('recovery', err);
    }
    return { unlock, repairs: r.corrupt.map((c) => c.seg) };
  } catch (err) {
    unlock();
    throw err;
  }
}
