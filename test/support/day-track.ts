import { encodeRecord } from '../../src/codec/index.js';
import type { Store } from '../../src/server/store/store.js';
import { recordFromFix } from '../../src/telemetry/fix-record.js';
import { allDrives, withSyntheticSensors } from './codec-drive.js';

export const DAY_RECORDS = 86_400;
export const DAY_T0 = Date.UTC(2026, 4, 1, 0, 0, 0);

/**
 * Stores one vehicle-day at 1 Hz from DAY_T0: the fixes of the real drives in
 * ../shared/data/drive replayed in a loop on a 1 s grid (each replay a new drive with a
 * full tank), with SYNTHETIC engine, tyre and cabin values (codec-drive.ts).
 */
export function storeDay(store: Store, device: string, spool = 'a1b2c3d4e5f60718'): void {
  const fixes = allDrives().flatMap(([, f]) => f);
  for (let i = 0; i < DAY_RECORDS; i += 1000) {
    const entries = [];
    for (let k = i; k < Math.min(DAY_RECORDS, i + 1000); k++) {
      const r = withSyntheticSensors({ ...recordFromFix(fixes[k % fixes.length]!, k + 1), timeMs: DAY_T0 + k * 1000 }, k % fixes.length);
      entries.push({ seq: r.seq, timeMs: r.timeMs, payload: encodeRecord(r) });
    }
    store.enqueue(device, spool, entries, [], () => {});
    store.flush();
  }
}
