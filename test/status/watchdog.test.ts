import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { ServiceNotifier, type Notifier } from '../../src/status/watchdog.js';
import { createLogger, silentLogger } from '../../src/base/log.js';
import { notifySocket as openNotifySocket, type NotifySocket } from '../support/notify-socket.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function notifySocket(seconds: number): Promise<NotifySocket> {
  const sock = await openNotifySocket(seconds);
  cleanups.push(() => sock.close());
  return sock;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(fail = false): Notifier & { sent: string[][] } {
  const sent: string[][] = [];
  return {
    sent,
    async send(fields) {
      sent.push(fields);
      if (fail) throw new Error('connection refused');
    },
  };
}

describe('systemd watchdog (sd_notify through systemd-notify)', () => {
  it('sends READY=1, then WATCHDOG=1 every WatchdogSec/2 from the event loop, and none after STOPPING=1', async () => {
    const sock = await notifySocket(5);
    const n = new ServiceNotifier({ env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '400000' }, log: silentLogger() });
    expect(n.pingIntervalMs).toBe(200);
    await n.ready('streaming');
    await sleep(1100);
    await n.stopping();
    const afterStop = sock.messages().length;
    await sleep(500);
    const msgs = sock.messages();
    expect(msgs[0]!.msg).toBe('READY=1|STATUS=streaming');
    const pings = msgs.filter((m) => m.msg === 'WATCHDOG=1');
    expect(pings.length).toBeGreaterThanOrEqual(3);
    expect(pings.length).toBeLessThanOrEqual(6);
    expect(msgs[afterStop - 1]!.msg).toBe('STOPPING=1');
    expect(msgs.length).toBe(afterStop);
  });

  it('a blocked event loop sends no ping, so systemd would restart the agent', async () => {
    const sock = await notifySocket(5);
    const n = new ServiceNotifier({ env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '200000' }, log: silentLogger() });
    await n.ready();
    await sleep(400);
    const end = Date.now() + 900;
    while (Date.now() < end) {
      /* the loop is stuck */
    }
    await sleep(400);
    await n.stopping();
    const pings = sock.messages().filter((m) => m.msg === 'WATCHDOG=1');
    const gaps = pings.slice(1).map((p, i) => p.t - pings[i]!.t);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(800);
  });

  it('does nothing when not started by systemd (no NOTIFY_SOCKET)', async () => {
    const r = recorder();
    const n = new ServiceNotifier({ env: { WATCHDOG_USEC: '100000' }, notifier: r, log: silentLogger() });
    await n.ready();
    await sleep(150);
    await n.stopping();
    expect(n.enabled).toBe(false);
    expect(r.sent).toEqual([]);
  });

  it("does not ping a watchdog meant for another process (WATCHDOG_PID)", async () => {
    const r = recorder();
    const n = new ServiceNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid + 1) }, notifier: r, log: silentLogger() });
    expect(n.pingIntervalMs).toBeNull();
    await n.ready();
    await sleep(150);
    await n.stopping();
    expect(r.sent).toEqual([['READY=1', 'STATUS=running'], ['STOPPING=1']]);
  });

  it('skips pings while healthy() says the agent is stuck', async () => {
    const r = recorder();
    let ok = false;
    const n = new ServiceNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '100000' }, notifier: r, log: silentLogger(), healthy: () => ok });
    await n.ready();
    await sleep(200);
    expect(r.sent.filter((f) => f[0] === 'WATCHDOG=1')).toHaveLength(0);
    ok = true;
    await sleep(200);
    await n.stopping();
    expect(r.sent.filter((f) => f[0] === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(2);
  });

  it('a failing notification is logged once per failure streak, not on every ping', async () => {
    const r = recorder(true);
    const lines: string[] = [];
    const dest = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const n = new ServiceNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '60000' }, notifier: r, log: createLogger({ destination: dest }) });
    await n.ready();
    await sleep(250);
    await n.stopping();
    expect(r.sent.length).toBeGreaterThanOrEqual(4);
    expect(lines.filter((l) => l.includes('cannot notify systemd'))).toHaveLength(1);
  });
});
