/**
 * Runs inside `unshare -m --propagation private` (a private mount namespace, so the mount
 * vanishes with the process): mounts a 256 KiB tmpfs on argv[2], fills it with a ballast file,
 * runs a spool into real ENOSPC, frees the ballast, and prints a JSON verdict on stdout.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spool } from '../../src/spool/index.js';
import { StatusBoard } from '../../src/base/status-board.js';
import { T0, memoryLogger, payloadFor, sleep } from './helpers.js';

async function main(): Promise<void> {
  const mnt = process.argv[2]!;
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'geostream-spool-enospc', mnt]);
  const ballast = join(mnt, 'ballast');
  writeFileSync(ballast, Buffer.alloc(200 * 1024));
  const dir = join(mnt, 'spool');
  const status = new StatusBoard();
  const { log, lines } = memoryLogger();
  const faults: (string | null)[] = [];
  const s = await Spool.open({ dir, status, log, segmentBytes: 16384, capacityBytes: 1 << 20, commitIntervalMs: 5, retryMinMs: 10, retryMaxMs: 80 });
  s.on('fault', (w: string | null) => faults.push(w));
  const bySeq = new Map<number, number>();
  let n = 0;
  let threw = 0;
  const deadline = Date.now() + 10000;
  while (s.fault === null && Date.now() < deadline) {
    for (let i = 0; i < 50; i++, n++) bySeq.set(s.append(payloadFor(n), T0 + n * 100), n);
    await sleep(2);
  }
  const faultWhy = s.fault;
  const statusFault = status.snapshot().faults.storage ?? null;
  for (let k = 0; k < 20; k++) {
    try {
      for (let i = 0; i < 20; i++, n++) bySeq.set(s.append(payloadFor(n), T0 + n * 100), n);
    } catch {
      threw++;
    }
    await sleep(5);
  }
  const readableWhileFull = s.read(0, 1e9).length;
  rmSync(ballast);
  const healDeadline = Date.now() + 10000;
  while ((s.fault !== null || s.durableSeq < n) && Date.now() < healDeadline) await sleep(5);
  const cleared = s.fault === null;
  await s.close();
  const s2 = await Spool.open({ dir, segmentBytes: 16384, capacityBytes: 1 << 20 });
  const all = s2.read(0, 1e9);
  let intact = true;
  let prev = 0;
  for (const e of all) {
    if (e.seq <= prev) intact = false;
    prev = e.seq;
    if (e.kind === 'data' && !Buffer.from(e.payload).equals(Buffer.from(payloadFor(bySeq.get(e.seq)!)))) intact = false;
  }
  const gapLost = all.filter((e) => e.kind === 'gap').reduce((k, e) => k + (e.gap?.lost ?? 0), 0);
  await s2.close();
  execFileSync('umount', [mnt]);
  process.stdout.write(
    JSON.stringify({
      appended: n, faultWhy, statusFault, faults, threw, readableWhileFull, cleared,
      data: all.filter((e) => e.kind === 'data').length, gapLost, intact,
      storageLogLines: lines.filter((l) => l.startsWith('storage')),
    }) + '\n',
  );
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ error: String((err as Error)?.stack ?? err) }) + '\n');
  process.exit(1);
});
