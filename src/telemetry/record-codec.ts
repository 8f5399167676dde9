import { decodeBatch, decodeRecord, encodeBatch, encodeRecord } from '../codec/index.js';
import { recordFromFix } from './fix-record.js';
import type { Fix } from '../gnss/fix.js';
import type { VehicleFields } from '../sensors/fields.js';
import type { BatchEntry } from '../protocol/messages.js';
import type { RecordPacker } from '../protocol/packing.js';

/** Record schema version the agent writes and the server decodes (codec part 1). */
export const RECORD_SCHEMA = 1;

/**
 * The agent's encoder: a taken fix as the telemetry record stored under `seq`, with
 * the vehicle fields (SensorHub.latest(): absent when unknown or expired) if given.
 */
export function encodeFix(fix: Fix, seq: number, vehicle?: VehicleFields): Uint8Array {
  const r = recordFromFix(fix, seq);
  return encodeRecord(vehicle ? { ...r, ...vehicle } : r);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * PACKED format 1: the codec's columnar batch (delta/bit-packed columns), typically
 * a few bytes per record instead of ~56. Lossless by construction: a run is packed
 * only if every payload is a canonical telemetry record (re-encodes to the same
 * bytes) whose time is the entry's; anything else goes as a plain BATCH.
 */
export const codecBatchPacker: RecordPacker = {
  format: 1,
  pack(entries: readonly BatchEntry[]): Uint8Array | null {
    try {
      const rs = entries.map((e) => {
        const r = decodeRecord(e.payload);
        if (r.timeMs !== e.timeMs || !sameBytes(encodeRecord(r), e.payload)) throw new Error('not canonical');
        return r;
      });
      return encodeBatch(rs);
    } catch {
      return null;
    }
  },
  unpack(seqs: readonly number[], blob: Uint8Array): BatchEntry[] {
    const rs = decodeBatch(blob);
    if (rs.length !== seqs.length) throw new Error(`batch holds ${rs.length} records for ${seqs.length} seqs`);
    // The decoded record rides along, so the store does not decode the payload again.
    return rs.map((r, i) => ({ seq: seqs[i]!, timeMs: r.timeMs, payload: encodeRecord(r), record: r }));
  },
};
