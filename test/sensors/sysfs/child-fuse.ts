// Runs inside `unshare -m --propagation private` (root): serves /sys/class/gpio with
// gpiofs (FUSE: synchronous export with kernel errors, pollable value files), then
// drives the REAL onoff code through LinuxGpio, Ignition and Tach, edges included.
// argv: GPIOFS_BINARY. Prints one JSON object with what it saw.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { LinuxGpio } from '../../../src/hal/linux/gpio.js';
import { Ignition } from '../../../src/sensors/ignition.js';
import { Tach } from '../../../src/sensors/tach.js';
import { silentLogger } from '../../../src/base/log.js';
import { systemClock } from '../../../src/base/clock.js';
import { errorMessage } from '../../../src/base/errors.js';

const root = '/sys/class/gpio';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ctl = (num: number, level: 0 | 1) => writeFileSync(`${root}/.ctl`, `${num} ${level}`);

async function main(): Promise<Record<string, unknown>> {
  execFileSync('mount', ['-t', 'tmpfs', 'sensors-sysfs', '/sys/class']);
  mkdirSync(root);
  const fs = spawn(process.argv[2]!, [root, '-f', '-s'], {
    stdio: 'inherit',
    env: { ...process.env, GPIOFS_CHIPS: 'gpio-brcmstb@107d508500:512:32;gpio-brcmstb@107d517c00:544:15;pinctrl-rp1:571:54', GPIOFS_BUSY: '584', GPIOFS_REFUSE: '575' },
  });
  const out: Record<string, unknown> = {};
  try {
    for (let i = 0; i < 250 && !existsSync(`${root}/export`); i++) await sleep(20);
    const gpio = new LinuxGpio('pinctrl-rp1');
    const base = gpio.chipInfo().base;
    out.base = base;

    for (const [key, line] of [['busy', 13], ['refused', 4]] as const) {
      try {
        gpio.output(line);
        out[key] = 'claimed?!';
      } catch (err) {
        out[key] = { code: (err as { code?: string }).code, message: errorMessage(err) };
      }
    }

    // Edges on an input: watch() is epoll(EPOLLPRI) on the value file, as on a Pi.
    const seen: number[] = [];
    const inp = gpio.input(22, { edge: 'both' });
    inp.watch((v) => seen.push(v));
    for (const level of [1, 0, 1] as const) {
      ctl(base + 22, level);
      for (let i = 0; i < 100 && seen.length < [1, 0, 1].indexOf(level) + 1; i++) await sleep(5);
      await sleep(20);
    }
    out.edges = seen;

    // Tach: both edges, counted over a window.
    const tachIn = gpio.input(27, { edge: 'both' });
    let t = 0;
    const tach = new Tach(tachIn, 2, () => t);
    const settle = async (pulses: number) => {
      for (let w = 0; w < 100 && tach.count < pulses; w++) await sleep(2);
    };
    for (let i = 0; i < 40; i++) {
      ctl(base + 27, 1);
      await sleep(2);
      ctl(base + 27, 0);
      await settle(i + 1);
    }
    out.tachCount = tach.count;
    t = 1000;
    out.tachRpm = tach.sample(); // 40 pulses / 2 per rev in 1 s = 1200 rpm
    // Pulses shorter than the loop's latency: both edges land before onoff reads the
    // value (this thread writes both without yielding), so each gives one callback.
    const before = tach.count;
    let callbacks = 0;
    tachIn.watch(() => callbacks++);
    for (let i = 0; i < 20; i++) {
      ctl(base + 27, 1);
      ctl(base + 27, 0);
      await settle(before + i + 1);
    }
    out.shortPulses = tach.count - before;
    out.shortCallbacks = callbacks;

    // Ignition: active low behind an optocoupler, debounced 100 ms, a 30 ms dip ignored.
    ctl(base + 17, 1); // before export: key off (optocoupler not pulling low)
    const ignEvents: boolean[] = [];
    const ign = new Ignition(gpio, { line: 17, activeLow: true, debounceMs: 100 }, systemClock, silentLogger());
    ign.on('ignition', (on: boolean) => ignEvents.push(on));
    out.ignitionInitial = ign.state;
    ctl(base + 17, 0); // key on
    await sleep(250);
    ctl(base + 17, 1); // 30 ms dip
    await sleep(30);
    ctl(base + 17, 0);
    await sleep(250);
    ctl(base + 17, 1); // key off
    await sleep(250);
    out.ignition = ignEvents;
    ign.stop();
    gpio.close();
    out.journal = readFileSync(`${root}/.journal`, 'utf8').trim().split('\n');
    out.exportedAfterClose = readFileSync(`${root}/.journal`, 'utf8').includes('unexport 598');
  } catch (err) {
    out.error = `${errorMessage(err)}\n${(err as Error).stack ?? ''}`;
  } finally {
    try {
      execFileSync('fusermount3', ['-u', root]);
    } catch {
      // the namespace goes away with us anyway
    }
    fs.kill('SIGKILL');
  }
  return out;
}

main().then(
  (o) => {
    process.stdout.write(`${JSON.stringify(o)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: errorMessage(err) })}\n`);
    process.exit(0);
  },
);
