/**
 * Runs inside the VM (see test/vm/can.test.ts) with vcan0 up: the real SocketCAN path
 * (socketcan addon, LinuxCan, the J1939 vehicle source) against frames sent by can-utils.
 * Prints one JSON line per check.
 *   node --import tsx test/vm/guest/can.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { LinuxCan } from '../../../src/hal/linux/can.js';
import type { CanRxFrame } from '../../../src/hal/can.js';
import { silentLogger } from '../../../src/base/log.js';
import { systemClock } from '../../../src/base/clock.js';
import { CanVehicleSource } from '../../../src/vehicle/source.js';

const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) return false;
    await sleep(20);
  }
  return true;
}
const attempt = async (t: string, fn: () => Promise<Record<string, unknown>>): Promise<void> => {
  try {
    out({ t, ...(await fn()) });
  } catch (e) {
    out({ t, error: (e as Error).message });
  }
};

const can = new LinuxCan();
const board = { iface: 'vcan0', protocol: 'j1939', bitrate: 250_000, transmit: false, staleMs: 60_000, controller: undefined } as const;
const src = new CanVehicleSource(can, board, systemClock, silentLogger());
await src.start();
const raw: CanRxFrame[] = [];
const tap = await can.open({ iface: 'vcan0', transmit: true }, { frame: (f) => raw.push(f), error: () => undefined });

await attempt('cansend', async () => {
  const before = Date.now();
  sh('cansend', 'vcan0', '0CF00400#F07D82401F00F082');
  await until(() => src.snapshot().engineRpm !== undefined && raw.length > 0, 5000);
  return { rpm: src.snapshot().engineRpm, tsLagMs: raw[0] ? raw[0].tsMs - before : null, ext: raw[0]?.ext };
});

await attempt('canplayer', async () => {
  // A candump -L log: VI and a two-code DM1 by TP.BAM, interleaved, and a CCVS.
  const vin = Buffer.from('YS2R4X20005399401*').toString('hex').toUpperCase().padEnd(42, 'F');
  const log = [
    '(1700000000.000000) vcan0 1CECFF00#201200030FECFE00',
    '(1700000000.001000) vcan0 1CECFF03#200A000203CAFE00',
    `(1700000000.050000) vcan0 1CEBFF00#01${vin.slice(0, 14)}`,
    '(1700000000.051000) vcan0 1CEBFF03#0104FFBE000203FF',
    `(1700000000.100000) vcan0 1CEBFF00#02${vin.slice(14, 28)}`,
    '(1700000000.101000) vcan0 1CEBFF03#02FFE581FFFFFFFF',
    `(1700000000.150000) vcan0 1CEBFF00#03${vin.slice(28, 42)}`,
    '(1700000000.200000) vcan0 18FEF117#F7005A1CFFFFFFFF',
  ];
  writeFileSync('/tmp/truck.log', log.join('\n') + '\n');
  sh('canplayer', '-I', '/tmp/truck.log');
  await until(() => src.snapshot().speedKmh !== undefined && src.snapshot().vin !== undefined, 5000);
  const v = src.snapshot();
  return { vin: v.vin, dtcs: v.dtcs?.map((d) => d.code), speedKmh: v.speedKmh };
});

await attempt('write', async () => {
  const dump = spawn('candump', ['-L', '-n', '1', 'vcan0,7DF:7FF'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  dump.stdout.on('data', (d: Buffer) => (text += d.toString()));
  await sleep(300);
  await tap.write({ id: 0x7df, ext: false, data: Uint8Array.of(2, 1, 0x0c, 0, 0, 0, 0, 0) });
  await until(() => text.includes('#'), 3000);
  dump.kill();
  return { candump: text.trim().split(' ').pop() };
});

await attempt('down-up', async () => {
  sh('ip', 'link', 'set', 'vcan0', 'down');
  await sleep(200);
  sh('ip', 'link', 'set', 'vcan0', 'up');
  sh('cansend', 'vcan0', '0CF00400#F07D82C012FFF082');
  await until(() => src.snapshot().engineRpm === 600, 5000);
  return { rpm: src.snapshot().engineRpm, reopens: src.stats.reopens };
});

await attempt('remove-recreate', async () => {
  sh('ip', 'link', 'del', 'vcan0');
  await sleep(300);
  sh('ip', 'link', 'add', 'vcan0', 'type', 'vcan');
  sh('ip', 'link', 'set', 'vcan0', 'up');
  await until(() => src.stats.reopens > 0, 8000);
  await sleep(300);
  sh('cansend', 'vcan0', '0CF00400#F07D82A00FFFF082');
  await until(() => src.snapshot().engineRpm === 500, 8000);
  return { rpm: src.snapshot().engineRpm, reopens: src.stats.reopens };
});

await attempt('dump', async () => {
  const dump = spawn('node', ['--import', 'tsx', 'src/cli.ts', 'can', 'dump', 'vcan0', '--count', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  dump.stdout.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((res) => dump.on('exit', res));
  // Started under emulation: keep sending until the dump has printed its reading.
  for (let i = 0; i < 100 && !text.includes('\n'); i++) {
    sh('cansend', 'vcan0', '18FEF117#F7005A1CFFFFFFFF');
    await sleep(300);
  }
  const code = await exited;
  return { code, line: text.trim() ? (JSON.parse(text.trim().split('\n')[0]!) as Record<string, unknown>) : null };
});

await attempt('flood', async () => {
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  const f0 = src.stats.frames;
  // 20,000 random extended frames as fast as cangen sends them, TP PGNs among them.
  // Spawned, not run synchronously: the event loop must keep reading while cangen sends.
  await new Promise((res) => spawn('cangen', ['vcan0', '-i', '-e', '-g', '0', '-n', '20000', '-I', 'r', '-L', 'r', '-D', 'r'], { stdio: 'ignore' }).on('exit', res));
  await sleep(1000);
  sh('cansend', 'vcan0', '0CF00400#F07D82801FFFF082');
  const alive = await until(() => src.snapshot().engineRpm === 1008, 5000);
  return { frames: src.stats.frames - f0, ms: Date.now() - t0, readings: src.stats.readings, rssGrowthMb: Math.round((process.memoryUsage().rss - rss0) / 1e5) / 10, alive };
});

await tap.close();
await src.stop();
process.exit(0);
