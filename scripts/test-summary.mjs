#!/usr/bin/env node
// Prints the suite's closing line, "tests: N passed, N failed, N skipped", from
// vitest's JSON report, so CI logs end with one plain count whatever the reporter.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'out/vitest.json';
let r;
try {
  r = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`test-summary: cannot read ${file}: ${err.message}`);
  process.exit(1);
}
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
process.exit(r.numFailedTests > 0 || r.numTotalTests === 0 ? 1 : 0);
