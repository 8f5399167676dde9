import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { bytesToHeader, Compression, PMTiles, TileType, type Header, type RangeResponse, type Source } from 'pmtiles';
import type { RangeSource } from '../http/send-range.js';
import { RASTER_TILES } from './raster-tiles.js';

const HEADER_BYTES = 127;
/** The spec's bound: the header and the root directory lie in the first 16 KiB. */
const ROOT_WITHIN = 16_384;
const MAGIC = 'PMTiles';

const VECTOR: Partial<Record<TileType, string>> = { [TileType.Mvt]: 'MVT', [TileType.Mlt]: 'MLT' };
/** What the page's reader (the pmtiles package in the browser) decompresses. */
const READABLE = new Set([Compression.Unknown, Compression.None, Compression.Gzip]);
const COMPRESSION = ['unknown', 'none', 'gzip', 'brotli', 'zstd'];

/** The archive file as the pmtiles package reads it, to check the root directory. */
class HandleSource implements Source {
  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
  ) {}

  getKey(): string {
    return this.path;
  }

  async getBytes(offset: number, length: number): Promise<RangeResponse> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.fh.read(buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) };
  }
}

/** Why a header cannot be served to the console, or null: version, sections, tile type, compression. */
function headerProblem(h: Header, size: number): string | null {
  const sections: [string, number, number][] = [
    ['root directory', h.rootDirectoryOffset, h.rootDirectoryLength],
    ['metadata', h.jsonMetadataOffset, h.jsonMetadataLength],
    ['leaf directories', h.leafDirectoryOffset, h.leafDirectoryLength ?? 0],
    ['tile data', h.tileDataOffset, h.tileDataLength ?? 0],
  ];
  for (const [what, offset, length] of sections) if (offset + length > size) return `its ${what} (bytes ${offset}..${offset + length}) runs past the end of the file (${size} bytes): the file is cut short or not a PMTiles archive`;
  if (h.rootDirectoryOffset < HEADER_BYTES || h.rootDirectoryOffset + h.rootDirectoryLength > ROOT_WITHIN) return `its root directory (bytes ${h.rootDirectoryOffset}..${h.rootDirectoryOffset + h.rootDirectoryLength}) is not within the first ${ROOT_WITHIN} bytes after the header, as PMTiles v3 requires`;
  const vector = VECTOR[h.tileType];
  if (vector) return `it holds vector tiles (${vector}); the console draws raster tiles: use a raster archive (PNG, JPEG, WebP or AVIF tiles)`;
  if (!RASTER_TILES[h.tileType]) return `its tile type is ${h.tileType === TileType.Unknown ? 'unknown (0)' : `${h.tileType}, not one the spec names`}; the console draws raster tiles (PNG, JPEG, WebP or AVIF)`;
  for (const [what, c] of [['internal', h.internalCompression], ['tile', h.tileCompression]] as const)
    if (!READABLE.has(c)) return `its ${what} compression is ${COMPRESSION[c] ?? c}, which the console's reader cannot decompress (none or gzip)`;
  if (h.minZoom > h.maxZoom) return `its min zoom ${h.minZoom} is above its max zoom ${h.maxZoom}`;
  return null;
}

/** What is wrong with the archive's first bytes, or null when they start a PMTiles v3 header. */
function magicProblem(head: Buffer): string | null {
  if (head.length < HEADER_BYTES) return `it has ${head.length} bytes, less than a PMTiles header (${HEADER_BYTES})`;
  if (head.subarray(0, 7).toString('latin1') !== MAGIC) {
    if (head.subarray(0, 2).toString('latin1') === 'PM') return `it is a PMTiles version ${head.readUInt16LE(2)} archive; only version 3 is read (convert it with 'pmtiles convert')`;
    return 'it is not a PMTiles archive (it does not start with "PMTiles")';
  }
  if (head[7] !== 3) return `it is PMTiles spec version ${head[7]}; only version 3 is read`;
  return null;
}

/**
 * A local PMTiles v3 archive of raster tiles that the HTTP API serves to the console
 * in byte ranges. `open` checks it before the server starts: the magic and version,
 * that every section lies inside the file and the root directory in its first 16 KiB,
 * raster tiles, a compression the browser's reader handles, and that the root
 * directory decodes. The file stays open: the bytes served are those of the file checked.
 */
export class PmtilesArchive implements RangeSource {
  readonly contentType = 'application/vnd.pmtiles';

  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    readonly etag: string,
    readonly header: Header,
  ) {}

  /** Opens and checks `path`; an error says what is wrong with the file (the caller names the flag). */
  static async open(path: string): Promise<PmtilesArchive> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new Error(`cannot open it (${(err as Error).message})`, { cause: err });
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error('it is not a regular file');
      const head = Buffer.alloc(Math.min(ROOT_WITHIN, st.size));
      await fh.read(head, 0, head.length, 0);
      const bad = magicProblem(head);
      if (bad) throw new Error(bad);
      const header = bytesToHeader(head.buffer.slice(head.byteOffset, head.byteOffset + HEADER_BYTES));
      const problem = headerProblem(header, st.size);
      if (problem) throw new Error(problem);
      try {
        await new PMTiles(new HandleSource(fh, path)).getHeader();
      } catch (err) {
        throw new Error(`its root directory does not decode (${(err as Error).message})`, { cause: err });
      }
      const etag = `"${createHash('sha256').update(head).update(`${st.size}:${st.mtimeMs}:${st.ino}`).digest('base64url').slice(0, 22)}"`;
      return new PmtilesArchive(fh, st.size, etag, header);
    } catch (err) {
      // Closed on every refusal; a failing close does not hide why the file was refused.
      await fh.close().catch(() => {});
      throw err;
    }
  }

  /** The tile format in words (PNG, JPEG, WebP, AVIF). */
  get tileFormat(): string {
    return RASTER_TILES[this.header.tileType]!.name;
  }

  async read(buf: Buffer, position: number): Promise<number> {
    return (await this.fh.read(buf, 0, buf.length, position)).bytesRead;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
