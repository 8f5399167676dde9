import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { watchRoute } from '../../src/quic/route-watch.js';
import { waitFor } from '../support/wait.js';

/** `ip monitor` children of this process (what each route watcher spawns). */
function ipMonitors(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 2).join(' ') === 'ip monitor') n++;
    } catch {
      /* the process ended meanwhile */
    }
  }
  return n;
}

describe('route watching shared by the connections of one process', () => {
  const stops: (() => void)[] = [];
  afterEach(() => {
    for (const s of stops.splice(0)) s();
  });

  it('300 connections to one server share one ip monitor, which goes with the last of them', async () => {
    const listener = { onChange: () => undefined };
    for (let i = 0; i < 300; i++) stops.push(watchRoute('127.0.0.1', undefined, { ...listener }));
    await waitFor(() => ipMonitors() === 1, 5000, 'one ip monitor');
    // a second server gets its own watcher
    stops.push(watchRoute('127.0.0.2', undefined, { ...listener }));
    await waitFor(() => ipMonitors() === 2, 5000, 'a second ip monitor for the second server');
    stops.pop()!();
    for (const s of stops.splice(0, 299)) s();
    await new Promise((r) => setTimeout(r, 300));
    expect(ipMonitors()).toBe(1); // one connection to the first server is still open
    stops.pop()!();
    await waitFor(() => ipMonitors() === 0, 5000, 'no ip monitor once every connection is gone');
  });

  it('unsubscribing twice does not stop a watcher that others still use', async () => {
    const a = watchRoute('127.0.0.1', undefined, { onChange: () => undefined });
    stops.push(watchRoute('127.0.0.1', undefined, { onChange: () => undefined }));
    a();
    a();
    await new Promise((r) => setTimeout(r, 300));
    expect(ipMonitors()).toBe(1);
  });
});
