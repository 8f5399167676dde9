/**
 * On-disk format of the spool (the model is LevelDB's log format, doc/log_format.md).
 *
 * A spool directory holds segment files `seg-<16-digit first seq>.log` and one `cursor.json`.
 * A segment is a 32-byte header followed by frames packed into 4 KiB blocks:
 *
 *   segment header (32 bytes, at the start of block 0)
 *     magic "GSSP" | version u8 | thinK u8 | reserved u16 | spoolId 16 bytes | crc32c(bytes 0..23) LE | 4 zero bytes
 *   frame
 *     crc u32 LE (masked CRC-32C over everything after it) | type u8 | bodyLen uvarint (1-2 bytes) | body
 *   body
 *     [seq] [time] payload
 *       ABS frames:  seq = uvarint seq,        time = zigzag varint timeMs
 *       otherwise:   seq = uvarint (seq - prevSeq) unless SEQ_NEXT, time = zigzag varint
 *                    (timeMs - prevTimeMs) unless DT_SAME (then the previous frame's delta again)
 *
 * Why blocks, and why a frame never spans two blocks: resynchronisation after a corrupt frame
 * must be sound. A corrupt frame's length can't be trusted, so the reader drops the rest of its
 * block and restarts at the next block boundary, where a frame always begins (the writer pads
 * with zeros instead of splitting a frame). Scanning byte by byte for a magic number would be
 * unsound: an opaque payload may itself contain bytes that form a perfectly valid frame. The
 * first frame of each block is ABS, so a block decodes without its predecessors. The price:
 * a flipped bit loses at most one 4 KiB block (an SD card's page fails as a whole anyway),
 * padding wastes under one frame per block, and a payload is at most MAX_PAYLOAD bytes.
 * Deltas keep a typical 1 Hz/10 Hz record's frame overhead at 6 bytes.
 */
export const BLOCK_BYTES = 4096;
export const SEGMENT_HEADER_BYTES = 32;
export const SEGMENT_MAGIC = 0x50535347; // "GSSP" little-endian
export const FORMAT_VERSION = 1;

/** crc(4) + type(1) + len(1..2) */
export const FRAME_HEADER_MAX = 7;
/** A frame never starts where fewer bytes than this remain in its block (zero padding). */
export const FRAME_MIN_BYTES = 6;
/** Largest body: it must fit in an empty block after the header (the worst-case ABS prefix included). */
export const MAX_BODY = BLOCK_BYTES - SEGMENT_HEADER_BYTES - FRAME_HEADER_MAX;
/** ABS prefix worst case: seq uvarint (8 bytes for < 2^53) + time zigzag varint (8 bytes). */
export const MAX_ABS_PREFIX = 16;
/** Largest payload append() accepts. */
export const MAX_PAYLOAD = MAX_BODY - MAX_ABS_PREFIX;

/** Frame type byte: bits 0-1 kind, then flags; bits 5-7 must be zero. */
export const KIND_MASK = 0x03;
export const KIND_DATA = 1;
export const KIND_GAP = 2;
export const FLAG_ABS = 0x04;
export const FLAG_SEQ_NEXT = 0x08;
export const FLAG_DT_SAME = 0x10;
export const TYPE_RESERVED = 0xe0;

export const SEGMENT_RE = /^seg-(\d{16})\.log$/;
export const CURSOR_FILE = 'cursor.json';
export const TMP_SUFFIX = '.tmp';

/** Seqs handed out stay below a lease persisted in the cursor (see cursor.ts). */
export const SEQ_LEASE_STEP = 65536;
/** Thinning never keeps fewer than 1 record in THIN_MAX_K; beyond that the oldest segment is dropped. */
export const THIN_MAX_K = 16;

export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}
