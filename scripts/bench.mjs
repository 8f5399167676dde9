#!/usr/bin/env node
// Runs every benchmark in test/bench/*.bench.ts (or those whose name contains an
// argument) one after the other, each in its own process so they don't disturb
// each other's memory. Each prints its measurements and ratios against a baseline
// measured in the same run. Each runs with --expose-gc, for benchmarks that read the
// live heap after a full collection.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'bench');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(dir, f)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    failed++;
    console.log(`=== ${f}: FAILED (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
