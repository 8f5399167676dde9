/**
 * Runs inside the VM (see test/vm/selftest-can.test.ts): the self-test's CAN row on a real
 * kernel interface, vcan0, read with the real `ip` and the socketcan addon. Prints one JSON
 * line per case.
 *   node --import tsx test/vm/guest/selftest-can.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { loadBoard } from '../../../src/hal/board.js';
import { configSpec, type Config } from '../../../src/agent/config.js';
import { validate } from '../../../src/base/spec.js';
import { systemClock } from '../../../src/base/clock.js';
import { canLinkInfo } from '../../../src/hal/linux/can-link.js';
import { canProbe } from '../../../src/selftest/probes/can.js';
import { judgeCan } from '../../../src/selftest/checks/can.js';
import { repoRoot } from '../../support/shared.js';

const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

// The fleet board with the MCP2515, its bus on vcan0 here.
const pi = loadBoard('pi4-mcp2515', repoRoot);
const board = { ...pi, can: { ...pi.can!, iface: 'vcan0' } };
const config: Config = { ...validate(configSpec, { vehicle: { id: 'VM-CAN' }, board: 'pi4-mcp2515' }, 'vm'), file: 'vm', boardInfo: board };
const probe = canProbe(config, systemClock, () => null)!;
const row = async (ms: number) => judgeCan(await probe.sample(ms, new AbortController().signal));

out({ t: 'missing', link: await canLinkInfo('vcan0'), row: await row(500) });
ip('link', 'add', 'vcan0', 'type', 'vcan');
out({ t: 'down', link: await canLinkInfo('vcan0'), row: await row(500) });
ip('link', 'set', 'vcan0', 'up');
out({ t: 'quiet', row: await row(1000) });
// The public truck capture (data/can/), looped by canplayer: one frame each 5 ms.
const player = spawn('canplayer', ['-I', 'data/can/nmfta_truck_2018.candump', '-l', 'i', '-t', '-g', '5', 'vcan0=can0'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 300));
out({ t: 'traffic', link: await canLinkInfo('vcan0'), row: await row(3000) });
player.kill();
