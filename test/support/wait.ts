import { Writable } from 'node:stream';

/** Polls `cond` every 10-25 ms; throws naming `what` after `ms`. Resolves to the time waited. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

/** A stream that collects written text as lines (for a logger's destination). */
export function lineSink(lines: string[]): Writable {
  return new Writable({
    write(c: Buffer, _e, cb) {
      lines.push(...c.toString().trim().split('\n'));
      cb();
    },
  });
}
