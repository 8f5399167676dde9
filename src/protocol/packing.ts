import type { BatchEntry } from './messages.js';

/**
 * Turns a run of records into one compact blob and back (PACKED frames). The
 * protocol core knows nothing of record contents; the agent and the server plug
 * in a packer that does (codecBatchPacker in src/telemetry/record-codec.ts, over
 * the codec's columnar batches). The server lists the formats it unpacks in WELCOME; the device packs
 * only with one of those, and sends plain BATCH frames otherwise.
 */
export interface RecordPacker {
  /** Format number carried in PACKED frames and WELCOME.config.formats. */
  readonly format: number;
  /**
   * Packs entries (ascending seqs) into one blob, or returns null to send them as a
   * BATCH (e.g. a payload it cannot decode). Must be lossless: unpack(pack(x)) == x.
   */
  pack(entries: readonly BatchEntry[]): Uint8Array | null;
  /** Inverse of pack for the given seqs; throws (with the reason) on a blob that does not decode or count. */
  unpack(seqs: readonly number[], blob: Uint8Array): BatchEntry[];
}
