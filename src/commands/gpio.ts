import type { Command } from './command.js';
import { parseCommandArgs } from './command.js';
import { ConfigError, UsageError } from '../base/errors.js';
import { loadConfig } from '../agent/config.js';
import { openLinuxGpio } from '../hal/open.js';
import { SimGpio } from '../hal/sim/gpio.js';
import { PATTERNS, TICK_MS } from '../status/leds.js';
import { checkBoardWiring } from '../sensors/board-check.js';

const USAGE = `Usage: geostream gpio --config FILE led NAME on|off|blink

Bench work on the board's GPIO lines. NAME is a LED in the board file's gpio.leds
(gnss, link, fault). "on" and "off" set the line and exit, leaving it set; "blink"
blinks at 1 Hz until Ctrl-C, then turns it off and releases the line. Errors say
why a line could not be claimed (EINVAL: wrong sysfs numbering for this kernel;
EBUSY: in use by a driver or another process).

Options:
  --config FILE   agent config (its "board" names the wiring)`;

export const gpioCommand: Command = {
  name: 'gpio',
  summary: 'drive a board LED by name (bench work)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' } });
    if (!values.config) throw new UsageError('--config FILE is required');
    const [what, name, action, ...extra] = positionals;
    if (what !== 'led' || !name || !action || extra.length) throw new UsageError('expected: led NAME on|off|blink');
    if (!['on', 'off', 'blink'].includes(action)) throw new UsageError(`unknown action "${action}" (on, off, blink)`);
    const cfg = loadConfig(values.config);
    const board = cfg.boardInfo;
    checkBoardWiring(board);
    const leds = board.gpio?.leds ?? {};
    const led = (leds as Record<string, { line: number; activeLow: boolean } | undefined>)[name];
    if (!led) throw new ConfigError(board.file, `gpio.leds.${name}`, `no LED named "${name}" (known: ${Object.keys(leds).join(', ') || 'none'})`);
    const gpio = board.simulated ? new SimGpio() : openLinuxGpio(board);
    const out = gpio.output(led.line, { initial: action === 'on' ? 1 : 0, activeLow: led.activeLow });
    io.stdout.write(`LED ${name} (GPIO ${led.line}${board.simulated ? ', simulated' : ''}): ${action}\n`);
    if (action !== 'blink') return 0; // left claimed and set on purpose
    let n = 0;
    await new Promise<void>((resolve) => {
      const t = setInterval(() => out.write(PATTERNS.blink(++n)), TICK_MS);
      const stop = (): void => {
        clearInterval(t);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    out.write(0);
    out.close();
    return 0;
  },
};
