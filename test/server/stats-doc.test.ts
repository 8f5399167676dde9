import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { Store } from '../../src/server/store/store.js';
import { encodeRecord } from '../../src/codec/index.js';

/** `geostream server stats` prints exactly the keys docs/PROTOCOL.md lists, in its shape. */
const repoRoot = join(import.meta.dirname, '..', '..');

function documentedKeys(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs', 'PROTOCOL.md'), 'utf8');
  const start = doc.indexOf('### `geostream server stats --db FILE`');
  expect(start).toBeGreaterThan(0);
  const section = doc.slice(start, doc.indexOf('Values not yet known', start));
  const keys: string[] = [];
  for (const line of section.split('\n')) {
    const cell = /^\| (`[^|]+`) \|/.exec(line)?.[1];
    if (cell && !cell.startsWith('`key')) for (const m of cell.matchAll(/`([A-Za-z0-9]+)`/g)) keys.push(m[1]!);
  }
  return keys;
}

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += String(d)));
  stdin.end('');
  const code = await main(argv, { stdout, stderr, stdin });
  return { code, out };
}

describe('geostream server stats against docs/PROTOCOL.md', () => {
  it('prints {"devices": [...]} with exactly the documented keys, counters as documented', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-stats-doc-'));
    try {
      const file = join(dir, 'ingest.db');
      const store = Store.open(file);
      const rec = (seq: number) => encodeRecord({ seq, timeMs: 1460384357000 + seq * 1000, lat7: 600215338, lon7: 302329375, altDm: null, speedCms: null, courseCdeg: null, mode: 3, sats: null, hdopC: null });
      store.noteHandshake('truck-1', 'fw-9');
      store.notePathChange('truck-1');
      const entries = [1, 2, 3].map((seq) => ({ seq, timeMs: 1460384357000 + seq * 1000, payload: rec(seq) }));
      store.enqueue('truck-1', 'abcdef0123456789', entries, [{ type: 'GAP' as const, seq: 4, fromSeq: 5, toSeq: 6, fromTimeMs: 1, toTimeMs: 2, lost: 2 }], () => {});
      store.flush();
      store.enqueue('truck-1', 'abcdef0123456789', entries.slice(0, 1), [], () => {});
      store.noteClose('truck-1', 'peer: normal (0x00) stopping');
      store.flush();
      store.close();

      const r = await cli(['server', 'stats', '--db', file]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.out) as { devices: Record<string, unknown>[] };
      expect(Object.keys(out)).toEqual(['devices']);
      expect(Object.keys(out.devices[0]!).sort()).toEqual(documentedKeys().sort());
      expect(out.devices[0]).toMatchObject({ device: 'truck-1', records: 3, duplicates: 1, gaps: 1, lost: 2, handshakes: 1, pathChanges: 1, firmware: 'fw-9', lastSeq: 3, lastLat7: 600215338, lastLon7: 302329375, lastClose: 'peer: normal (0x00) stopping' });
      expect(out.devices[0]!.lastTime).toBe(new Date(1460384360000).toISOString());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
