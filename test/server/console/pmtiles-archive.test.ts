// The --http-pmtiles archive check: a raster v3 archive opens and reads back through
// the pmtiles package (which also checks the test writer); every other file is refused
// with what is wrong with it, and leaves no file open.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PMTiles, zxyToTileId, type Source } from 'pmtiles';
import { PmtilesArchive } from '../../../src/server/console/pmtiles-archive.js';
import { colourPyramid, COMPRESSION, solidPng, tileId, TILE_TYPE, writePmtiles } from '../../support/pmtiles-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'gs-pmtiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const file = (bytes: Buffer): string => {
  const p = join(dir, `a${n++}.pmtiles`);
  writeFileSync(p, bytes);
  return p;
};

const bufferSource = (b: Buffer): Source => ({
  getKey: () => 'buffer',
  getBytes: async (offset, length) => ({ data: new Uint8Array(b.subarray(offset, offset + length)).buffer }),
});

/** Files that are not a raster PMTiles v3 archive (written anew each call), each with why it is refused. */
function refusedArchives(): [string, RegExp][] {
  const tiles = [{ z: 0, x: 0, y: 0, data: solidPng([1, 2, 3], 8) }];
  const good = writePmtiles({ tiles });
  const cut = good.subarray(0, good.length - 10);
  const farRoot = writePmtiles({ tiles: [{ z: 0, x: 0, y: 0, data: Buffer.alloc(30_000, 7) }] });
  farRoot.writeBigUInt64LE(17_000n, 8);
  const v2 = Buffer.concat([Buffer.from('PM'), Buffer.from([2, 0]), Buffer.alloc(200)]);
  const brotli = Buffer.from(good);
  brotli[97] = COMPRESSION.brotli;
  const badRoot = Buffer.from(good);
  badRoot.fill(0xff, 127, 127 + Number(good.readBigUInt64LE(16)));
  mkdirSync(join(dir, 'folder.pmtiles'), { recursive: true });
  return [
    [file(writePmtiles({ tiles, tileType: TILE_TYPE.mvt })), /holds vector tiles \(MVT\); the console draws raster tiles/],
    [file(writePmtiles({ tiles, tileType: TILE_TYPE.unknown })), /tile type is unknown \(0\)/],
    [file(Buffer.from('{"type":"FeatureCollection","features":[]}'.padEnd(200))), /not a PMTiles archive \(it does not start with "PMTiles"\)/],
    [file(v2), /PMTiles version 2 archive; only version 3 is read/],
    [file(writePmtiles({ tiles, specVersion: 4 })), /spec version 4; only version 3 is read/],
    [file(Buffer.from('PMTiles')), /7 bytes, less than a PMTiles header/],
    [file(cut), /tile data \(bytes \d+\.\.\d+\) runs past the end of the file/],
    [file(farRoot), /root directory \(bytes 17000\.\.\d+\) is not within the first 16384 bytes/],
    [file(brotli), /internal compression is brotli, which the console's reader cannot decompress/],
    [file(badRoot), /root directory does not decode/],
    [join(dir, 'missing.pmtiles'), /cannot open it \(ENOENT/],
    [join(dir, 'folder.pmtiles'), /not a regular file/],
  ];
}

describe('PMTiles archive', () => {
  it('the test writer: TileIds as the pmtiles package computes them, tiles read back by it', async () => {
    for (const [z, x, y] of [[0, 0, 0], [1, 1, 0], [2, 3, 1], [5, 17, 9], [12, 2047, 1365]] as const) expect(tileId(z, x, y)).toBe(zxyToTileId(z, x, y));
    for (const internalCompression of [COMPRESSION.gzip, COMPRESSION.none]) {
      const tiles = colourPyramid(0, 2);
      const p = new PMTiles(bufferSource(writePmtiles({ tiles, internalCompression, metadata: { attribution: '© test' } })));
      const h = await p.getHeader();
      expect([h.tileType, h.minZoom, h.maxZoom, h.numTileEntries]).toEqual([TILE_TYPE.png, 0, 2, 21]);
      expect(await p.getMetadata()).toEqual({ attribution: '© test' });
      for (const t of tiles) expect(Buffer.from((await p.getZxy(t.z, t.x, t.y))!.data)).toEqual(Buffer.from(t.data));
      expect(await p.getZxy(3, 0, 0)).toBeUndefined();
    }
  });

  it('a raster archive opens: its format, zooms, size, a strong ETag, positioned reads', async () => {
    const bytes = writePmtiles({ tiles: colourPyramid(0, 1) });
    const a = await PmtilesArchive.open(file(bytes));
    try {
      expect([a.tileFormat, a.header.minZoom, a.header.maxZoom, a.size]).toEqual(['PNG', 0, 1, bytes.length]);
      expect(a.etag).toMatch(/^"[\w-]{22}"$/);
      const buf = Buffer.alloc(40);
      expect(await a.read(buf, 100)).toBe(40);
      expect(buf).toEqual(bytes.subarray(100, 140));
    } finally {
      await a.close();
    }
  });

  it('refuses, saying why: vector tiles, no tile type, not PMTiles, v2, cut short, compression, not a file', async () => {
    for (const [path, why] of refusedArchives()) await expect(PmtilesArchive.open(path), path).rejects.toThrow(why);
  });

  it('a refused archive leaves no file open, whichever check refuses it', async () => {
    const cases = refusedArchives();
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let round = 0; round < 5; round++) for (const [path, why] of cases) await expect(PmtilesArchive.open(path), path).rejects.toThrow(why);
    expect(openFds()).toBe(before);
  });
});
