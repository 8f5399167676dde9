import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Command, CliIO } from './command.js';
import { integerOption, parseCommandArgs } from './command.js';
import { UsageError } from '../base/errors.js';
import { envVar, processEnv, type Env } from '../base/env.js';

export const DEFAULT_LOG_FILE = '/var/log/geostream/geostream.log';

/** journald is there when the system runs systemd (its runtime dir) and journalctl exists. */
function haveJournald(env: Env): boolean {
  if (envVar('GEOSTREAM_JOURNALCTL', env)) return true;
  return existsSync('/run/systemd/system') && existsSync('/run/systemd/journal');
}

/** journalctl arguments for the service's journal, readable over SSH. */
export function journalctlArgs(o: { unit: string; follow: boolean; since?: string; lines?: number }): string[] {
  const args = ['--unit', o.unit, '--no-pager', '--output', 'short-iso'];
  if (o.since) args.push('--since', o.since);
  if (o.lines !== undefined) args.push('--lines', String(o.lines));
  else if (!o.since) args.push('--lines', '200');
  if (o.follow) args.push('--follow');
  return args;
}

function runJournalctl(args: string[], io: CliIO, env: Env): Promise<number> {
  const cmd = envVar('GEOSTREAM_JOURNALCTL', env) ?? 'journalctl';
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(io.stdout as NodeJS.WritableStream, { end: false });
    child.stderr.pipe(io.stderr as NodeJS.WritableStream, { end: false });
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      process.off('SIGINT', stop);
      resolve(code ?? 1);
    });
  });
}

/** The last `lines` lines of a file (reads backwards in blocks, never the whole file). */
export async function tailLines(file: string, lines: number): Promise<{ text: string; size: number }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    let pos = size;
    let text = '';
    while (pos > 0 && text.split('\n').length <= lines + 1) {
      const n = Math.min(65536, pos);
      pos -= n;
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, pos);
      text = buf.toString('utf8') + text;
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    const kept = all.slice(-lines);
    return { text: kept.length ? `${kept.join('\n')}\n` : '', size };
  } finally {
    await fh.close();
  }
}

/** Prints what is appended to `file` from `offset` on, following rotation/truncation, until SIGINT. */
async function follow(file: string, offset: number, io: CliIO, pollMs = 250): Promise<number> {
  let pos = offset;
  let ino = (await stat(file)).ino;
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      const st = await stat(file).catch(() => null);
      if (st && (st.size < pos || st.ino !== ino)) pos = 0; // rotated or truncated: start over
      if (st) ino = st.ino;
      if (st && st.size > pos) {
        const fh = await open(file, 'r');
        try {
          const buf = Buffer.alloc(Math.min(st.size - pos, 1 << 20));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          pos += bytesRead;
          io.stdout.write(buf.subarray(0, bytesRead));
        } finally {
          await fh.close();
        }
        continue;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}

export const logsCommand: Command = {
  name: 'logs',
  summary: "show the agent's log (journald, or the log file without it)",
  usage: `Usage: geostream logs [-f] [--since TIME] [-n LINES] [--unit NAME] [--file PATH]

Shows the geostream service's journal (journalctl -u geostream), readably, over SSH.
Where there is no journald, shows the log file instead (--file, $GEOSTREAM_LOG_FILE,
default ${DEFAULT_LOG_FILE}).

Options:
  -f, --follow     keep printing new lines (Ctrl-C stops)
  --since TIME     journal entries since TIME: "2026-11-27 10:00", "1 hour ago", today
  -n, --lines N    the last N lines (default 200)
  --unit NAME      another unit (default geostream)
  --file PATH      read this log file instead of the journal`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      follow: { type: 'boolean', short: 'f' },
      since: { type: 'string' },
      lines: { type: 'string', short: 'n' },
      unit: { type: 'string' },
      file: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const lines = integerOption('lines', values.lines, 0, 1_000_000);
    const env = processEnv();
    const file = values.file ?? (haveJournald(env) ? undefined : (envVar('GEOSTREAM_LOG_FILE', env) ?? DEFAULT_LOG_FILE));
    if (!file) {
      return runJournalctl(journalctlArgs({ unit: values.unit ?? 'geostream', follow: values.follow === true, since: values.since, lines }), io, env);
    }
    if (values.since) throw new UsageError(`--since needs journald; ${file} has no dates on its lines: use -n LINES`);
    if (!existsSync(file)) {
      throw new Error(`no journald here and no log file at ${file}: run the agent with its output going there (geostream run ... >> ${file} 2>&1), or pass --file`);
    }
    const { text, size } = await tailLines(file, lines ?? 200);
    io.stdout.write(text);
    return values.follow ? follow(file, size, io) : 0;
  },
};
