import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../base/errors.js';

/** Where a command writes; tests pass buffers instead of the process streams. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  /** The word after `geostream`. */
  name: string;
  /** One line for `geostream --help`. */
  summary: string;
  /** The full text `geostream NAME --help` prints. */
  usage: string;
  /** Resolves to the process exit code. Throw UsageError/ConfigError for exit 2. */
  run(argv: string[], io: CliIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with our conventions: --help is always accepted, unknown
 * options and missing values become UsageError (exit 2) naming the option.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

/** Parses a number option with a clear error naming it. */
export function numberOption(name: string, value: string | undefined, min = -Infinity, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: expected a number${Number.isFinite(min) ? ` >= ${min}` : ''}${Number.isFinite(max) ? ` <= ${max}` : ''}, got "${value}"`);
  return n;
}

/** Parses a whole-number option in min..max with a clear error naming it. */
export function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name}: expected a whole number ${min}..${max}, got "${value}"`);
  return n;
}

/** Dispatches `geostream NAME SUB ...` to one of several subcommands. */
export function withSubcommands(name: string, summary: string, subs: Command[]): Command {
  const usage = `Usage: geostream ${name} <subcommand> [options]\n\n${summary}\n\nSubcommands:\n${subs
    .map((s) => `  ${s.name.padEnd(10)} ${s.summary}`)
    .join('\n')}\n\nRun 'geostream ${name} <subcommand> --help' for details.`;
  return {
    name,
    summary,
    usage,
    async run(argv, io) {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        io.stdout.write(`${usage}\n`);
        return sub === undefined ? 2 : 0;
      }
      const cmd = subs.find((s) => s.name === sub);
      if (!cmd) throw new UsageError(`unknown subcommand '${name} ${sub}' (known: ${subs.map((s) => s.name).join(', ')})`);
      if (rest.includes('--help') || rest.includes('-h')) {
        io.stdout.write(`${cmd.usage}\n`);
        return 0;
      }
      return cmd.run(rest, io);
    },
  };
}
