import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { type Command, parseCommandArgs } from './command.js';
import { UsageError, errorCode } from '../base/errors.js';
import { NmeaDecoder, type DecoderStats } from '../gnss/decoder.js';
import { FIRST_ROLLOVER } from '../gnss/date.js';
import { fixToJson, type Fix } from '../gnss/fix.js';

const usage = `Usage: geostream nmea FILE|- [--all] [--not-before YYYY-MM-DD]

Decodes a raw NMEA 0183 receiver capture (FILE, or - for stdin) and prints one JSON
object per line for each epoch with a position:
  {"time":"2020-07-11T22:37:45.000Z","lat":38.110494,"lon":-122.626897,"alt":83.1,
   "speed":0.021,"course":null,"mode":3,"quality":2,"sats":12,"hdop":0.54}
time: GNSS UTC; lat/lon: degrees, every digit the receiver gave; alt: m above mean sea
level; speed: m/s; course: degrees true; mode: 2 = 2D, 3 = 3D; quality: GGA fix quality.
Unknown values are null. At the end one summary line goes to stderr.

Options:
  --all                  also print epochs without a fix (mode 1, no position)
  --not-before DATE      GPS week-rollover pivot: receiver dates before DATE get 1024
                         weeks added (default 1999-08-22, the first rollover)
  -h, --help             show this help`;

export function summaryLine(s: DecoderStats, lines: number): string {
  const malformed = s.malformed + s.truncated + s.overlong;
  return (
    `${lines} sentences read: ${s.badChecksum + s.noChecksum} bad checksum (${s.noChecksum} missing), ` +
    `${malformed} malformed (${s.truncated} truncated, ${s.overlong} over-long, ${s.malformed} bad fields), ` +
    `${s.unknown + s.proprietary} unknown/proprietary (${s.proprietary} proprietary); ` +
    `${s.epochs} epochs, ${s.fixes} fixes` +
    (s.undated ? `, ${s.undated} undated epochs skipped` : '') +
    (s.garbageBytes ? `; ${s.garbageBytes} garbage bytes skipped` : '')
  );
}

function parseDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== text) throw new UsageError(`--not-before: expected a date YYYY-MM-DD, got "${text}"`);
  return t;
}

/** FILE, or stdin for "-"; a file that cannot be read is a UsageError naming why. */
export async function openInput(file: string, stdin: NodeJS.ReadableStream): Promise<Readable> {
  if (file === '-') return stdin as Readable;
  const s = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    s.once('open', () => resolve());
    s.once('error', reject);
  }).catch((err: unknown) => {
    const code = errorCode(err);
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(err)}`);
  });
  return s;
}

export const nmeaCommand: Command = {
  name: 'nmea',
  summary: 'decode a raw NMEA receiver capture to JSON fixes, one per line',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      all: { type: 'boolean' },
      'not-before': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one FILE, got ${positionals.length}` : 'missing FILE (or - for stdin)');
    const notBefore = values['not-before'] === undefined ? FIRST_ROLLOVER : parseDate(values['not-before']);
    const input = await openInput(positionals[0]!, io.stdin);
    const dec = new NmeaDecoder(notBefore);
    const all = values.all === true;
    let out = '';
    const emit = (fix: Fix): void => {
      if (fix.mode === 1 && !all) return;
      out += `${JSON.stringify(fixToJson(fix))}\n`;
    };
    for await (const chunk of input) {
      dec.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Buffer), emit);
      if (out.length > 0) {
        if (!io.stdout.write(out)) await new Promise((r) => io.stdout.once('drain', r));
        out = '';
      }
    }
    dec.end(emit);
    if (out.length > 0) io.stdout.write(out);
    io.stderr.write(`${summaryLine(dec.stats, dec.lines)}\n`);
    return 0;
  },
};
