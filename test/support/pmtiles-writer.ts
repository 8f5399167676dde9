// A small PMTiles v3 writer for tests, written from the specification
// (protomaps/PMTiles spec/v3/spec.md): the 127-byte header, one root directory of
// varint-encoded entries (no leaf directories), JSON metadata, then the tile data in
// TileId order. Also solid-colour PNG tiles, made with zlib.
import { crc32, deflateSync, gzipSync } from 'node:zlib';

/** One tile: its position and its bytes as stored. */
export interface PackedTile {
  z: number;
  x: number;
  y: number;
  data: Uint8Array;
}

/** The header's tile type numbers (spec section 3). */
export const TILE_TYPE = { unknown: 0, mvt: 1, png: 2, jpeg: 3, webp: 4, avif: 5 } as const;
/** The header's compression numbers. */
export const COMPRESSION = { unknown: 0, none: 1, gzip: 2, brotli: 3, zstd: 4 } as const;

export interface ArchiveOptions {
  tiles: PackedTile[];
  tileType?: number;
  /** Compression of the root directory and the metadata (default gzip, as most archives). */
  internalCompression?: number;
  metadata?: Record<string, unknown>;
  /** Written into the version byte (default 3). */
  specVersion?: number;
  /** [minLon, minLat, maxLon, maxLat] in degrees (default: the whole Web Mercator world). */
  bounds?: [number, number, number, number];
}

/** The Hilbert TileId of z/x/y: the tiles of all lower zooms, then the position on zoom z's Hilbert curve. */
export function tileId(z: number, x: number, y: number): number {
  let id = (4 ** z - 1) / 3;
  const n = 2 ** z;
  let d = 0;
  for (let s = n / 2; s >= 1; s /= 2) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      [x, y] = [y, x];
    }
  }
  id += d;
  return id;
}

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** A directory (spec section 4): count, TileId deltas, run lengths, lengths, offsets (0: right after the previous). */
export function encodeDirectory(entries: { tileId: number; offset: number; length: number; runLength: number }[]): Buffer {
  const out: number[] = [];
  varint(entries.length, out);
  let last = 0;
  for (const e of entries) {
    varint(e.tileId - last, out);
    last = e.tileId;
  }
  for (const e of entries) varint(e.runLength, out);
  for (const e of entries) varint(e.length, out);
  entries.forEach((e, i) => {
    const prev = entries[i - 1];
    varint(prev && e.offset === prev.offset + prev.length ? 0 : e.offset + 1, out);
  });
  return Buffer.from(out);
}

const compress = (b: Buffer, c: number) => (c === COMPRESSION.gzip ? gzipSync(b) : b);

/** The archive's bytes: header, root directory, metadata, tile data (clustered, no deduplication). */
export function writePmtiles(o: ArchiveOptions): Buffer {
  const internal = o.internalCompression ?? COMPRESSION.gzip;
  const tiles = [...o.tiles].sort((a, b) => tileId(a.z, a.x, a.y) - tileId(b.z, b.x, b.y));
  let offset = 0;
  const entries = tiles.map((t) => {
    const e = { tileId: tileId(t.z, t.x, t.y), offset, length: t.data.length, runLength: 1 };
    offset += t.data.length;
    return e;
  });
  const root = compress(encodeDirectory(entries), internal);
  const meta = compress(Buffer.from(JSON.stringify(o.metadata ?? {})), internal);
  const data = Buffer.concat(tiles.map((t) => t.data));
  const zooms = tiles.map((t) => t.z);
  const h = Buffer.alloc(127);
  h.write('PMTiles', 0, 'latin1');
  h[7] = o.specVersion ?? 3;
  const sections = [
    [127, root.length],
    [127 + root.length, meta.length],
    [127 + root.length + meta.length, 0],
    [127 + root.length + meta.length, data.length],
  ];
  sections.forEach(([off, len], i) => {
    h.writeBigUInt64LE(BigInt(off!), 8 + i * 16);
    h.writeBigUInt64LE(BigInt(len!), 16 + i * 16);
  });
  for (const [at, n] of [[72, tiles.length], [80, tiles.length], [88, tiles.length]]) h.writeBigUInt64LE(BigInt(n!), at!);
  h[96] = 1;
  h[97] = internal;
  h[98] = COMPRESSION.none;
  h[99] = o.tileType ?? TILE_TYPE.png;
  h[100] = Math.min(...zooms);
  h[101] = Math.max(...zooms);
  const e7 = (deg: number) => Math.round(deg * 1e7);
  (o.bounds ?? [-180, -85.0511287, 180, 85.0511287]).forEach((deg, i) => h.writeInt32LE(e7(deg), 102 + 4 * i));
  h[118] = h[100]!;
  h.writeInt32LE(0, 119);
  h.writeInt32LE(0, 123);
  return Buffer.concat([h, root, meta, data]);
}

function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(tb));
  return Buffer.concat([len, tb, crc]);
}

/** A `size`x`size` PNG of one RGB colour (8-bit truecolour, filter 0 on every row). */
export function solidPng(rgb: [number, number, number], size = 256): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.alloc(1 + size * 3);
  for (let i = 0; i < size; i++) row.set(rgb, 1 + i * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The colour the test pyramid gives tile z/x/y: every tile of zoom <= 2 differs from every other. */
export const tileColour = (z: number, x: number, y: number): [number, number, number] => [40 + 50 * x, 40 + 50 * y, 60 + 60 * z];

/** Every tile of zooms `minZoom`..`maxZoom`, each a solid PNG in tileColour. */
export function colourPyramid(minZoom: number, maxZoom: number): PackedTile[] {
  const out: PackedTile[] = [];
  for (let z = minZoom; z <= maxZoom; z++) for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) out.push({ z, x, y, data: solidPng(tileColour(z, x, y)) });
  return out;
}
