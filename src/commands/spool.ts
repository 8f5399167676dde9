import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseCommandArgs, numberOption, withSubcommands, type CliIO, type Command } from './command.js';
import { UsageError } from '../base/errors.js';
import { createLogger } from '../base/log.js';
import { Spool, ReadOnlySpool, flushOnSignals, type SpoolEntry, type SpoolOptions } from '../spool/index.js';
import { spoolDefaults } from '../spool/options.js';
import { CodecError, decodeRecord, encodeRecord } from '../codec/index.js';
import { recordFromFix, recordToFixJson } from '../telemetry/fix-record.js';
import { fixFromJson, FixJsonError, type Fix } from '../gnss/fix.js';
import { envVar } from '../base/env.js';

/**
 * What the spool stores per record: the codec's single-record encoding (CBOR, TELEMETRY_V1)
 * of the fix, carrying the seq the spool gives it.
 */
function payloadFor(fix: Fix, seq: number): Uint8Array {
  return encodeRecord(recordFromFix(fix, seq));
}

/** A stored entry as a JSON line: the record as `geostream nmea` prints it, with its seq. */
function entryToJson(e: SpoolEntry): Record<string, unknown> {
  if (e.kind === 'gap') return { seq: e.seq, gap: e.gap ?? null };
  try {
    const r = decodeRecord(e.payload);
    return { seq: e.seq, ...recordToFixJson(r), ...(r.seq !== e.seq ? { recordSeq: r.seq } : {}) };
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
  return { seq: e.seq, time: new Date(e.timeMs).toISOString(), payloadHex: Buffer.from(e.payload).toString('hex') };
}

const dirOpt = { dir: { type: 'string' } } as const;

function needDir(dir: string | undefined): string {
  if (!dir) throw new UsageError('--dir is required');
  return dir;
}

function stderrLogger(io: CliIO) {
  return createLogger({ destination: io.stderr, level: envVar('GEOSTREAM_LOG_LEVEL') ?? 'warn' });
}

const append: Command = {
  name: 'append',
  summary: 'append JSON fix lines from stdin; print "committed SEQ" after each group commit',
  usage: `Usage: geostream spool append --dir D [--fsync group|always] [--commit-ms N] [--commit-bytes N]
                             [--segment-bytes N] [--capacity-bytes N]

Reads fixes as JSON lines on stdin (as printed by 'geostream nmea'), assigns each a seq, stores
it in the codec's record encoding, and prints "committed SEQ" (the highest durably committed
seq) after every completed group commit. A bad line is reported on stderr with its number and
skipped; the exit code is then 1. SIGTERM/SIGINT commit what is waiting before exiting.`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        ...dirOpt,
        fsync: { type: 'string' },
        'commit-ms': { type: 'string' },
        'commit-bytes': { type: 'string' },
        'segment-bytes': { type: 'string' },
        'capacity-bytes': { type: 'string' },
      },
      false,
    );
    if (values.fsync !== undefined && values.fsync !== 'group' && values.fsync !== 'always') throw new UsageError(`--fsync: expected "group" or "always", got "${values.fsync}"`);
    const opts: SpoolOptions = {
      dir: needDir(values.dir),
      fsync: values.fsync as 'group' | 'always' | undefined,
      commitIntervalMs: numberOption('commit-ms', values['commit-ms'], 1, 60000),
      commitBytes: numberOption('commit-bytes', values['commit-bytes'], 1),
      segmentBytes: numberOption('segment-bytes', values['segment-bytes'], 16384),
      capacityBytes: numberOption('capacity-bytes', values['capacity-bytes'], 65536),
      log: stderrLogger(io),
    };
    let spool: Spool;
    try {
      spool = await Spool.open(opts);
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    io.stderr.write(`spool ${spool.dir}: id ${spool.spoolId}, next seq ${spool.nextSeq}\n`);
    spool.on('durable', (seq: number) => io.stdout.write(`committed ${seq}\n`));
    const removeSignals = io.stdin === process.stdin ? flushOnSignals(spool, undefined) : () => {};
    let lineNo = 0;
    let bad = 0;
    const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
    for await (const line of rl) {
      lineNo++;
      if (line.trim() === '') continue;
      const fix = checkLine(line, `stdin line ${lineNo}`);
      if (typeof fix === 'string') {
        bad++;
        io.stderr.write(`${fix}; skipped\n`);
        continue;
      }
      const seq = spool.nextSeq;
      if (spool.append(payloadFor(fix, seq), fix.timeMs) !== seq) throw new Error('spool: seq mismatch');
    }
    await spool.close();
    removeSignals();
    if (bad) io.stderr.write(`${bad} line(s) rejected\n`);
    return bad ? 1 : 0;
  },
};

function checkLine(line: string, where: string): Fix | string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (err) {
    return `${where}: not JSON (${(err as Error).message})`;
  }
  try {
    return fixFromJson(o, where);
  } catch (err) {
    if (err instanceof FixJsonError) return err.message;
    throw err;
  }
}

function needSpool(dir: string): void {
  if (!existsSync(dir)) throw new Error(`no spool at ${dir} (no such directory)`);
}

/** dump and stats: the spool opened read-only (no lock, no repair), safe next to a running agent. */
function withReadOnly<T>(dir: string, io: CliIO, f: (s: ReadOnlySpool) => T): T {
  needSpool(dir);
  const spool = ReadOnlySpool.open({ dir, log: stderrLogger(io) });
  try {
    return f(spool);
  } finally {
    spool.close();
  }
}

const dump: Command = {
  name: 'dump',
  summary: 'print stored records as JSON lines with their seq',
  usage: `Usage: geostream spool dump --dir D [--from SEQ] [--all]

Prints each stored record not yet acknowledged (or from SEQ; --all: from the oldest kept) as a
JSON line with its "seq" and the fix at the codec's resolution (quality is not stored: null). Gap markers print as {"seq":N,"gap":{fromSeq,toSeq,fromTimeMs,toTimeMs,lost,reason}}.
Reads only (no lock, no repair): safe next to a running agent.`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...dirOpt, from: { type: 'string' }, all: { type: 'boolean' } }, false);
    const dir = needDir(values.dir);
    const from = numberOption('from', values.from, 0);
    return withReadOnly(dir, io, (s) => {
      let next = from ?? (values.all ? 0 : s.ackedSeq + 1);
      for (;;) {
        const batch = s.read(next, 1000);
        if (batch.length === 0) break;
        io.stdout.write(batch.map((e) => JSON.stringify(entryToJson(e))).join('\n') + '\n');
        next = batch[batch.length - 1]!.seq + 1;
      }
      return 0;
    });
  },
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const stats: Command = {
  name: 'stats',
  summary: 'print the spool statistics as JSON',
  usage: `Usage: geostream spool stats --dir D

Prints JSON: records, bytes, oldest/newest seq and time, acked seq, gaps, dropped and thinned
counts (life totals), bytes written since start (0: it opens the spool read-only, safe next to
a running agent), and more.`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, dirOpt, false);
    return withReadOnly(needDir(values.dir), io, (s) => {
      const st = s.stats();
      io.stdout.write(`${JSON.stringify({ ...st, oldestTime: iso(st.oldestTimeMs), newestTime: iso(st.newestTimeMs) }, null, 2)}\n`);
      return 0;
    });
  },
};

const ack: Command = {
  name: 'ack',
  summary: 'acknowledge every record up to SEQ (deletes fully acknowledged segments)',
  usage: `Usage: geostream spool ack --dir D SEQ

Cumulative acknowledgement, as the server's ack would do: records with seq <= SEQ are no longer
needed. Prints "acked N" (N is at most the newest committed seq).`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, dirOpt, true);
    if (positionals.length !== 1) throw new UsageError('expected exactly one SEQ');
    const seq = numberOption('SEQ', positionals[0], 0)!;
    if (!Number.isSafeInteger(seq)) throw new UsageError(`SEQ: expected an integer, got "${positionals[0]}"`);
    const dir = needDir(values.dir);
    needSpool(dir);
    const spool = await Spool.open({ dir, log: stderrLogger(io) });
    try {
      spool.ack(seq);
      io.stdout.write(`acked ${spool.ackedSeq}\n`);
    } finally {
      await spool.close();
    }
    return 0;
  },
};

export const spoolCommand: Command = withSubcommands('spool', `inspect and feed a crash-safe spool (defaults: ${spoolDefaults.segmentBytes / 1048576} MiB segments, ${spoolDefaults.capacityBytes / 1048576} MiB capacity)`, [append, dump, stats, ack]);
