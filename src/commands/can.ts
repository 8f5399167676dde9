import { createInterface } from 'node:readline';
import { type Command, numberOption, parseCommandArgs, withSubcommands } from './command.js';
import { formatFrame } from '../hal/can.js';
import { openLinuxCan } from '../hal/open.js';
import { openInput } from './nmea.js';
import { UsageError } from '../base/errors.js';
import { LogDecoder, parseCandumpLine, type LogReading } from '../vehicle/candump.js';

function readingJson(r: LogReading): string {
  const o = { time: new Date(r.tsMs).toISOString(), iface: r.iface, ...(r.pgn !== undefined ? { pgn: r.pgn, name: r.what, sa: r.sa } : { obd: r.what, ecu: r.ecu }), values: r.values };
  return `${JSON.stringify(o)}\n`;
}

const decodeUsage = `Usage: geostream can decode FILE|-

Decodes a candump -L log (FILE, or - for stdin; lines "(seconds.micros) iface ID#DATA")
into one JSON object per line for each decoded J1939 parameter group (multi-packet
ones reassembled from TP.BAM / TP.CM) and each OBD-II answer (0x7E8-0x7EF), values in
physical units; "not available" and "error" values are left out:
  {"time":"2023-11-14T22:13:20.000Z","iface":"can0","pgn":61444,"name":"EEC1","sa":0,
   "values":{"engineTorquePct":5,"engineRpm":1000}}
Lines that are not candump -L frames are counted and skipped; a summary goes to stderr.`;

const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode a candump -L log into JSON lines (J1939 and OBD-II)',
  usage: decodeUsage,
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, {});
    if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one FILE, got ${positionals.length}` : 'missing FILE (or - for stdin)');
    const input = await openInput(positionals[0]!, io.stdin);
    const dec = new LogDecoder();
    let lines = 0;
    let bad = 0;
    let firstBad = '';
    let readings = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      lines++;
      const l = parseCandumpLine(line);
      if (typeof l === 'string') {
        if (bad++ === 0) firstBad = `line ${lines}: ${l}`;
        continue;
      }
      const r = dec.push(l);
      if (!r) continue;
      readings++;
      if (!io.stdout.write(readingJson(r))) await new Promise((res) => io.stdout.once('drain', res));
    }
    const s = dec.stats;
    io.stderr.write(
      `${lines} lines: ${bad} not frames${bad ? ` (first: ${firstBad})` : ''}; ${readings} readings; J1939: ${s.decoded} decoded, ${s.unknown} of groups not decoded, ` +
        `${s.tp.completed} transport sessions completed, ${s.tp.dropped} dropped, ${s.tp.bad} bad transport frames\n`,
    );
    return 0;
  },
};

const dumpUsage = `Usage: geostream can dump IFACE [--raw] [--count N]

Listens on a SocketCAN interface (can0, vcan0) and prints what it decodes, live, one JSON
object per line as \`can decode\` does. Listen-only: it never transmits. Stops on Ctrl-C
(or after N readings with --count).
  --raw        also print every frame, candump style (ID#DATA)
  --count N    exit after N decoded readings`;

const dumpCommand: Command = {
  name: 'dump',
  summary: 'print decoded frames from a live CAN interface (listen-only)',
  usage: dumpUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { raw: { type: 'boolean' }, count: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('expected one IFACE, e.g. can0');
    const iface = positionals[0]!;
    const count = numberOption('count', values.count, 1);
    const dec = new LogDecoder();
    let n = 0;
    return await new Promise<number>((resolve, reject) => {
      let done = false;
      const finish = (code: number): void => {
        if (done) return;
        done = true;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void port.then((p) => p.close()).finally(() => resolve(code));
      };
      const onSignal = (): void => finish(0);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const port = openLinuxCan().open(
        { iface },
        {
          frame: (frame) => {
            if (values.raw) io.stdout.write(`${formatFrame(frame)}\n`);
            const r = dec.push({ iface, frame });
            if (!r) return;
            io.stdout.write(readingJson(r));
            if (count !== undefined && ++n >= count) finish(0);
          },
          state: (state, detail) => io.stderr.write(`geostream can dump: ${iface}: ${state} (${detail})\n`),
          error: (err) => {
            io.stderr.write(`geostream can dump: ${err.message}\n`);
            finish(1);
          },
        },
      );
      port.catch((err: unknown) => {
        done = true;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        reject(err instanceof Error ? new UsageError(err.message) : err);
      });
    });
  },
};

export const canCommand = withSubcommands('can', 'read the vehicle CAN bus: J1939 and OBD-II', [decodeCommand, dumpCommand]);
