import type { CheckOutcome } from './runner.js';

export interface SelftestReport {
  ok: boolean;
  vehicle: string | null;
  board: string | null;
  durationMs: number;
  counts: Record<'PASS' | 'WARN' | 'FAIL' | 'SKIP', number>;
  checks: CheckOutcome[];
}

export function makeReport(checks: CheckOutcome[], durationMs: number, vehicle: string | null, board: string | null): SelftestReport {
  const counts = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.FAIL === 0, vehicle, board, durationMs: Math.round(durationMs), counts, checks };
}

/** The PASS/FAIL table a technician reads over SSH; reason and fix under each WARN/FAIL. */
export function formatReport(r: SelftestReport, color = false): string {
  const paint = (s: string, status: string): string => {
    if (!color) return s;
    const code = status === 'PASS' ? 32 : status === 'FAIL' ? 31 : status === 'WARN' ? 33 : 90;
    return `\x1b[${code}m${s}\x1b[0m`;
  };
  const w = Math.max(5, ...r.checks.map((c) => c.title.length)) + 2;
  const pad = ' '.repeat(w + 8);
  const lines = [`geostream selftest${r.vehicle ? `: ${r.vehicle}` : ''}${r.board ? ` on board ${r.board}` : ''}`, '', `${'CHECK'.padEnd(w)}RESULT  DETAIL`];
  for (const c of r.checks) {
    lines.push(`${c.title.padEnd(w)}${paint(c.status.padEnd(6), c.status)}  ${c.summary}`);
    if (c.reason) lines.push(`${pad}reason: ${c.reason}`);
    if (c.fix) lines.push(`${pad}fix:    ${c.fix}`);
  }
  const n = r.counts;
  lines.push('', `${r.checks.length} checks: ${n.PASS} PASS, ${n.WARN} WARN, ${n.FAIL} FAIL, ${n.SKIP} SKIP in ${(r.durationMs / 1000).toFixed(1)} s: ${r.ok ? 'OK' : 'FAILED'}`);
  return lines.join('\n');
}
