/**
 * Counts back out of summarised log lines (src/base/log-summary.ts): the first line of a
 * reason counts 1, each 'N more in the last S s' line N. Gives reason -> count.
 */
export function summaryCounts(output: string, what: string): Map<string, number> {
  const counts = new Map<string, number>();
  const esc = what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const more = new RegExp(`${esc}: (.*): (\\d+) more in the last \\d+ s \\(latest .*\\)$`);
  const first = new RegExp(`${esc}: (.*) \\((?:.*, )?from [^()]*\\)$`);
  for (const line of output.split('\n')) {
    const m = more.exec(line);
    const f = m ? null : first.exec(line);
    const reason = m?.[1] ?? f?.[1];
    if (reason !== undefined) counts.set(reason, (counts.get(reason) ?? 0) + (m ? Number(m[2]) : 1));
  }
  return counts;
}

export const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
