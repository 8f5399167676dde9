import { FORMAT_VERSION, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC } from './constants.js';
import { crc32c, maskCrc, unmaskCrc } from './crc32c.js';

export interface SegmentHeader {
  spoolId: string; // 32 hex digits
  thinK: number; // 1 = never thinned; the segment holds about 1 in thinK of its original data records
}

export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const b = new Uint8Array(SEGMENT_HEADER_BYTES);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, SEGMENT_MAGIC, true);
  b[4] = FORMAT_VERSION;
  b[5] = h.thinK;
  b.set(Buffer.from(h.spoolId, 'hex'), 8);
  dv.setUint32(24, maskCrc(crc32c(b, 0, 24)), true);
  return b;
}

/** The header, or a reason why it is not one. */
export function decodeSegmentHeader(b: Uint8Array): SegmentHeader | string {
  if (b.length < SEGMENT_HEADER_BYTES) return `short header (${b.length} bytes)`;
  const dv = new DataView(b.buffer, b.byteOffset, SEGMENT_HEADER_BYTES);
  if (dv.getUint32(0, true) !== SEGMENT_MAGIC) return 'not a spool segment (bad magic)';
  if (unmaskCrc(dv.getUint32(24, true)) !== crc32c(b, 0, 24)) return 'header CRC mismatch';
  if (b[4] !== FORMAT_VERSION) return `unsupported format version ${b[4]}`;
  const thinK = b[5]!;
  if (thinK < 1) return `invalid thinning factor ${thinK}`;
  return { spoolId: Buffer.from(b.subarray(8, 24)).toString('hex'), thinK };
}
