// Partition table of a disk image (MBR or GPT), read from its first sectors: where the
// FAT boot partition and the ext4 root partition start, without loop devices.
import { closeSync, openSync, readSync } from 'node:fs';

const SECTOR = 512;
const FAT_MBR_TYPES = new Set([0x0b, 0x0c, 0x0e, 0x06, 0x04, 0x01]);
const GPT_TYPES = {
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'fat', // EFI system
  'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'fat', // basic data
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'linux',
};

export class ImageError extends Error {
  name = 'ImageError';
}

function readAt(fd, pos, len) {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

function guid(b) {
  const h = b.toString('hex');
  const le = (s) => s.match(/../g).reverse().join('');
  return `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Partitions as { index (1-based), kind: 'fat'|'linux'|'other', type, start, size } in bytes. */
export function readPartitions(file, imageSize) {
  const fd = openSync(file, 'r');
  try {
    const mbr = readAt(fd, 0, SECTOR);
    if (mbr.length < SECTOR || mbr.readUInt16LE(510) !== 0xaa55) {
      throw new ImageError(`${file} is not a disk image: no partition table (MBR signature 55 AA missing at byte 510)`);
    }
    const parts = [];
    for (let i = 0; i < 4; i++) {
      const e = mbr.subarray(446 + 16 * i, 462 + 16 * i);
      const type = e[4];
      const lba = e.readUInt32LE(8);
      const count = e.readUInt32LE(12);
      if (type === 0 || count === 0) continue;
      if (type === 0xee) return readGpt(fd, file, imageSize);
      parts.push({ index: i + 1, type: `0x${type.toString(16).padStart(2, '0')}`, kind: FAT_MBR_TYPES.has(type) ? 'fat' : type === 0x83 ? 'linux' : 'other', start: lba * SECTOR, size: count * SECTOR });
    }
    return check(parts, file, imageSize);
  } finally {
    closeSync(fd);
  }
}

function readGpt(fd, file, imageSize) {
  const hdr = readAt(fd, SECTOR, 92);
  if (hdr.subarray(0, 8).toString('latin1') !== 'EFI PART') throw new ImageError(`${file}: protective MBR but no GPT header at LBA 1`);
  const entriesLba = Number(hdr.readBigUInt64LE(72));
  const count = Math.min(hdr.readUInt32LE(80), 256);
  const size = hdr.readUInt32LE(84);
  if (size < 128 || size > 4096) throw new ImageError(`${file}: GPT entry size ${size} is not plausible`);
  const table = readAt(fd, entriesLba * SECTOR, count * size);
  const parts = [];
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * size, (i + 1) * size);
    if (e.length < 128 || e.subarray(0, 16).every((b) => b === 0)) continue;
    const type = guid(e.subarray(0, 16));
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    parts.push({ index: i + 1, type, kind: GPT_TYPES[type] ?? 'other', start: first * SECTOR, size: (last - first + 1) * SECTOR });
  }
  return check(parts, file, imageSize);
}

function check(parts, file, imageSize) {
  for (const p of parts) {
    if (p.start + p.size > imageSize) {
      throw new ImageError(`${file}: partition ${p.index} ends at byte ${p.start + p.size}, beyond the image (${imageSize} bytes): truncated download?`);
    }
  }
  return parts;
}

/** The Raspberry Pi OS layout: the first FAT partition boots, the first Linux one is root. */
export function piLayout(parts, file) {
  const boot = parts.find((p) => p.kind === 'fat');
  const root = parts.find((p) => p.kind === 'linux');
  if (!boot || !root) {
    const have = parts.map((p) => `${p.index}: ${p.kind} (${p.type})`).join(', ') || 'none';
    throw new ImageError(`${file} is not a Raspberry Pi OS image: expected a FAT boot partition and a Linux root partition, found ${have}`);
  }
  return { boot, root };
}
