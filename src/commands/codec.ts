import { createInterface } from 'node:readline';
import { parseCommandArgs, integerOption, withSubcommands, type CliIO, type Command } from './command.js';
import { CodecError, MAX_BATCH_RECORDS, TELEMETRY_V1, decodeMessage, encodeBatch, encodeRecord, encodeStreamHeader, type TelemetryRecord } from '../codec/index.js';
import { recordFromFix, recordToFixJson } from '../telemetry/fix-record.js';
import { FixJsonError, fixFromJson } from '../telemetry/fix-json.js';
import { MessageSplitter } from '../codec/stream.js';
import { errorMessage } from '../base/errors.js';

function batchOption(v: string | undefined): number | undefined {
  return integerOption('batch', v, 1, MAX_BATCH_RECORDS);
}

/** Writes and waits when the stream asks us to (large outputs through pipes). */
async function write(out: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  if (!out.write(data)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

/**
 * Reads fix JSON lines; a bad line is reported on stderr (with its number and the
 * key at fault) and skipped, the rest are still converted. Returns the records
 * and the number of bad lines.
 */
async function readFixLines(io: CliIO, onRecord: (r: TelemetryRecord, line: string) => Promise<void>): Promise<number> {
  let n = 0;
  let bad = 0;
  let seq = 1;
  for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    try {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch (err) {
        throw new CodecError(`line ${n}: not JSON (${errorMessage(err)})`);
      }
      await onRecord(recordFromFix(fixFromJson(o, `line ${n}`), seq++), line);
    } catch (err) {
      if (!(err instanceof CodecError) && !(err instanceof FixJsonError)) throw err;
      bad++;
      io.stderr.write(`geostream codec: skipped: ${err.message}\n`);
    }
  }
  return bad;
}

const encode: Command = {
  name: 'encode',
  summary: 'fix JSON lines on stdin -> binary telemetry on stdout',
  usage: `Usage: geostream codec encode [--batch N]

Reads fix JSON lines (the output of 'geostream nmea') on stdin and writes them in
the telemetry v1 encoding to stdout: a CBOR sequence (RFC 8742) of a stream
header, then one message per record, or with --batch one columnar batch per N
records (the last batch may be shorter). Records are numbered seq 1, 2, ...
Bad lines are reported on stderr and skipped (exit 1 at the end).
See docs/PROTOCOL.md.

Options:
  --batch N   records per batch, 1..${MAX_BATCH_RECORDS} (default: single records)`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { batch: { type: 'string' } }, false);
    const batch = batchOption(values.batch);
    await write(io.stdout, encodeStreamHeader());
    let pending: TelemetryRecord[] = [];
    const bad = await readFixLines(io, async (r) => {
      if (batch === undefined) return write(io.stdout, encodeRecord(r));
      pending.push(r);
      if (pending.length === batch) {
        await write(io.stdout, encodeBatch(pending));
        pending = [];
      }
    });
    if (pending.length > 0) await write(io.stdout, encodeBatch(pending));
    return bad ? 1 : 0;
  },
};

const decode: Command = {
  name: 'decode',
  summary: 'binary telemetry on stdin -> fix JSON lines on stdout',
  usage: `Usage: geostream codec decode [--all]

Reads what 'geostream codec encode' wrote (a CBOR sequence of telemetry v1
messages: single records, batches, gaps) on stdin and prints one JSON line per
record with the keys of 'geostream nmea', values at the schema's resolution
(quality is null: records do not carry it). Stops at the first malformed message
with an error naming its stream offset (exit 1), after printing everything before it.

Options:
  --all   print every record field (seq, timeMs, vehicle fields) and gaps instead`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { all: { type: 'boolean' } }, false);
    const splitter = new MessageSplitter();
    const print = async (r: TelemetryRecord) => write(io.stdout, `${JSON.stringify(values.all ? r : recordToFixJson(r))}\n`);
    try {
      for await (const chunk of io.stdin) {
        const { messages, error } = splitter.push(chunk as Uint8Array);
        for (const b of messages) {
          const m = decodeMessage(b);
          if (m.kind === 'record') await print(m.record);
          else if (m.kind === 'batch') for (const r of m.records) await print(r);
          else if (m.kind === 'gap') {
            if (values.all) await write(io.stdout, `${JSON.stringify({ gap: m.gap })}\n`);
            else io.stderr.write(`geostream codec: gap: seqs ${m.gap.fromSeq}..${m.gap.toSeq} lost (${m.gap.lost} records)\n`);
          } else if (m.header.schema !== TELEMETRY_V1.name) {
            // Any version of this schema reads (versions only add tags); another schema does not.
            throw new CodecError(`stream is ${m.header.schema} v${m.header.version}; this reader knows ${TELEMETRY_V1.name}`);
          }
        }
        if (error) throw error;
      }
      splitter.end();
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      io.stderr.write(`geostream codec decode: ${err.message}\n`);
      return 1;
    }
    return 0;
  },
};

const stats: Command = {
  name: 'stats',
  summary: 'bytes per record of fix JSON lines on stdin: JSON, single, batch',
  usage: `Usage: geostream codec stats [--batch N]

Reads fix JSON lines on stdin and prints how many bytes a record takes: as the
JSON line, as a single telemetry v1 record, and in batches of N (default 60).

Options:
  --batch N   records per batch, 1..${MAX_BATCH_RECORDS} (default 60)`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { batch: { type: 'string' } }, false);
    const batch = batchOption(values.batch) ?? 60;
    const records: TelemetryRecord[] = [];
    let jsonBytes = 0;
    let single = 0;
    const bad = await readFixLines(io, async (r, line) => {
      records.push(r);
      jsonBytes += Buffer.byteLength(line) + 1;
      single += encodeRecord(r).length;
    });
    if (records.length === 0) {
      io.stderr.write('geostream codec stats: no records on stdin\n');
      return 1;
    }
    let batched = 0;
    for (let i = 0; i < records.length; i += batch) batched += encodeBatch(records.slice(i, i + batch)).length;
    const n = records.length;
    const row = (what: string, bytes: number) => `${what.padEnd(24)}${(bytes / n).toFixed(2).padStart(8)} B/record${(jsonBytes / bytes).toFixed(1).padStart(8)}x smaller than JSON\n`;
    io.stdout.write(`records                 ${String(n).padStart(8)}\n`);
    io.stdout.write(row('JSON lines', jsonBytes));
    io.stdout.write(row('single records', single));
    io.stdout.write(row(`batches of ${batch}`, batched));
    return bad ? 1 : 0;
  },
};

export const codecCommand = withSubcommands('codec', 'encode, decode and measure the compact telemetry codec', [encode, decode, stats]);
