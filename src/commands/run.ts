import { type Command, integerOption, parseCommandArgs } from './command.js';
import { UsageError } from '../base/errors.js';
import { loadConfig } from '../agent/config.js';
import { createLogger } from '../base/log.js';
import { Agent } from '../agent/agent.js';
import { startAgentService } from '../status/service.js';
import { isSimUart } from '../agent/gnss-source.js';
import { existsSync } from 'node:fs';

const usage = `Usage: geostream run --config FILE [--nmea CAPTURE] [--speed N[x]] [--rate HZ]

Runs the agent: reads the GNSS receiver on the board's UART, filters fixes like a
commercial tracker and logs one line per record taken. Stops cleanly on SIGTERM/SIGINT.

Options:
  -c, --config FILE   vehicle config (JSON; see examples/sim.json)
  --nmea CAPTURE      sim board only: replay this raw NMEA capture with its real timing
  --speed N[x]        sim board only: replay/generate N times faster (e.g. 10x)
  --rate HZ           sim board only: route generator rate, 1-10 epochs per second
  -h, --help          show this help`;

export function parseSpeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0.1 && n <= 1000)) throw new UsageError(`--speed: expected a factor like 10x (0.1 to 1000), got "${text}"`);
  return n;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent (GNSS to filtered records)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { config: { type: 'string', short: 'c' }, nmea: { type: 'string' }, speed: { type: 'string' }, rate: { type: 'string' } },
      false,
    );
    void positionals;
    if (!values.config) throw new UsageError('missing --config FILE');
    const config = loadConfig(values.config);
    const speed = parseSpeed(values.speed);
    const rateHz = integerOption('rate', values.rate, 1, 10);
    const simOnly = values.nmea !== undefined || speed !== undefined || rateHz !== undefined;
    if (simOnly && !isSimUart(config.boardInfo)) throw new UsageError(`--nmea, --speed and --rate need the simulated board; ${config.file} uses board "${config.boardInfo.name}" (UART ${config.boardInfo.uart.path})`);
    if (values.nmea !== undefined && !existsSync(values.nmea)) throw new UsageError(`--nmea: no such file ${values.nmea}`);
    const log = createLogger({ level: config.log.level, destination: io.stdout });
    const agent = new Agent({ config, log, sim: { capture: values.nmea, speed, rateHz } });
    await agent.openLink();
    agent.start();
    const service = await startAgentService({ status: agent.status, log, vehicle: config.vehicle.id });
    await service.ready();
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals): void => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        log.child({ component: 'agent' }).info(`${sig}: stopping`);
        resolve();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    await service.stopping();
    await agent.stop();
    await service.close();
    return 0;
  },
};
