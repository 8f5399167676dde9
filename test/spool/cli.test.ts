import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  input.end(stdin);
  const code = await main(argv, { stdout, stderr, stdin: input });
  return { code, out, err };
}

const fix = (i: number) => JSON.stringify({ time: new Date(Date.UTC(2020, 6, 11, 22, 37, i)).toISOString(), lat: Number((48.1 + i * 1e-5).toFixed(7)), lon: 11.5, alt: 545.4, speed: 12.3, course: 84.4, mode: 3, quality: 1, sats: 9, hdop: 0.9 });

describe('geostream spool', () => {
  it('append assigns seqs, prints "committed SEQ", and dump prints every record with its seq', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const lines = Array.from({ length: 50 }, (_, i) => fix(i));
    const a = await run(['spool', 'append', '--dir', t.dir, '--commit-ms', '5'], lines.join('\n') + '\n');
    expect(a.code).toBe(0);
    const committed = [...a.out.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
    expect(committed[committed.length - 1]).toBe(50);
    const d = await run(['spool', 'dump', '--dir', t.dir]);
    expect(d.code).toBe(0);
    const got = d.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got.map((o) => o.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // the fixes come back at the codec's resolution (quality is not stored)
    expect(got.map(({ seq: _seq, ...rest }) => JSON.stringify(rest))).toEqual(lines.map((l) => JSON.stringify({ ...JSON.parse(l), quality: null })));
    const from = await run(['spool', 'dump', '--dir', t.dir, '--from', '48']);
    expect(from.out.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([48, 49, 50]);
  });

  it('a bad line is reported with its line number and skipped; the others are kept (exit 1)', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const bad = (patch: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(fix(9)), ...patch });
    const a = await run(['spool', 'append', '--dir', t.dir], [fix(0), 'not json', bad({ time: 'yesterday' }), bad({ lat: 91 }), bad({ extra: 1 }), fix(1)].join('\n'));
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/stdin line 2: not JSON/);
    expect(a.err).toMatch(/stdin line 3: key 'time': expected ISO-8601/);
    expect(a.err).toMatch(/stdin line 4: key 'lat': 91 is out of range/);
    expect(a.err).toMatch(/stdin line 5: key 'extra': unknown key/);
    expect(a.out).toMatch(/committed 2/);
  });

  it('ack deletes what is acknowledged and stats reports it as JSON', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    await run(['spool', 'append', '--dir', t.dir], Array.from({ length: 20 }, (_, i) => fix(i)).join('\n'));
    const k = await run(['spool', 'ack', '--dir', t.dir, '15']);
    expect(k.out.trim()).toBe('acked 15');
    const s = await run(['spool', 'stats', '--dir', t.dir]);
    const st = JSON.parse(s.out) as Record<string, unknown>;
    expect(st).toMatchObject({ records: 5, ackedSeq: 15, oldestSeq: 16, newestSeq: 20, gaps: 0, dropped: 0, thinned: 0, oldestTime: '2020-07-11T22:37:15.000Z' });
    expect(typeof st.bytesWritten).toBe('number');
    expect(st.spoolId).toMatch(/^[0-9a-f]{32}$/);
    const d = await run(['spool', 'dump', '--dir', t.dir]);
    expect(d.out.trim().split('\n')).toHaveLength(5);
  });

  it('dump and stats read a spool another process holds, without taking it over', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const { Spool } = await import('../../src/spool/index.js');
    const agent = await Spool.open({ dir: t.dir });
    agent.append(Buffer.from('opaque'), Date.UTC(2020, 6, 11, 22, 37, 1));
    await agent.flush();
    const d = await run(['spool', 'dump', '--dir', t.dir]);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/"seq":1,.*"payloadHex":"6f7061717565"/); // not a codec record: shown as bytes
    const st = JSON.parse((await run(['spool', 'stats', '--dir', t.dir])).out) as { records: number; bytesWritten: number };
    expect(st).toMatchObject({ records: 1, bytesWritten: 0 });
    await agent.close();
    expect((await run(['spool', 'stats', '--dir', join(t.dir, 'nope')])).err).toMatch(/no spool at/);
  });

  it('usage errors name the problem and exit 2', async () => {
    expect((await run(['spool', 'dump'])).err).toMatch(/--dir is required/);
    expect((await run(['spool', 'ack', '--dir', '/tmp'])).code).toBe(2);
    expect((await run(['spool', 'append', '--dir', '/tmp/x', '--fsync', 'sometimes'])).err).toMatch(/--fsync: expected "group" or "always"/);
    expect((await run(['spool', 'frob'])).err).toMatch(/unknown subcommand/);
    for (const sub of ['append', 'dump', 'stats', 'ack']) {
      const h = await run(['spool', sub, '--help']);
      expect(h.code).toBe(0);
      expect(h.out).toMatch(new RegExp(`Usage: geostream spool ${sub}`));
    }
  });
});

describe('spool config section', () => {
  it('defaults every key, maps 1:1 to SpoolOptions, and names a bad key', async () => {
    const { validate } = await import('../../src/base/spec.js');
    const { spoolSpec } = await import('../../src/spool/config-spec.js');
    const { spoolOptionsFromConfig, resolveOptions } = await import('../../src/spool/options.js');
    const c = validate(spoolSpec, { dir: '/tmp/sp' }, 'vehicle.json', 'spool');
    expect(c).toEqual({ dir: '/tmp/sp', segmentBytes: 4194304, capacityBytes: 67108864, commitIntervalMs: 500, commitBytes: 262144, fsync: 'group', ringBytes: 2097152 });
    expect(() => resolveOptions(spoolOptionsFromConfig(c))).not.toThrow();
    expect(() => validate(spoolSpec, { fsync: 'sometimes' }, 'vehicle.json', 'spool')).toThrow(/vehicle.json: key 'spool.fsync': expected one of "group", "always"/);
    expect(() => validate(spoolSpec, { capcity: 1 }, 'vehicle.json', 'spool')).toThrow(/key 'spool.capcity': unknown key/);
    expect(() => resolveOptions({ dir: '/x', segmentBytes: 16384, capacityBytes: 20000 })).toThrow(/capacityBytes must be at least 4 segments/);
  });
});
