#!/usr/bin/env node
import { commands, loadCommand } from './commands/index.js';
import type { CliIO } from './commands/command.js';
import { ConfigError, UsageError, errorMessage } from './base/errors.js';
import { VERSION } from './base/version.js';
import { envVar } from './base/env.js';

/** The top-level usage (imports every command's module for its summary). */
async function usage(): Promise<string> {
  const all = await Promise.all(commands.map(loadCommand));
  const width = Math.max(...all.map((c) => c.name.length)) + 2;
  return [
    'Usage: geostream <command> [options]',
    '',
    'Vehicle telematics agent and fleet ingest server.',
    '',
    'Commands:',
    ...all.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'geostream <command> --help' for a command's options.",
    'Exit codes: 0 ok, 1 failure, 2 usage or config error.',
  ].join('\n');
}

/** Runs the CLI; resolves to the exit code. Exported for tests. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${await usage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const target = rest[0] ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(`${target ? (await loadCommand(target)).usage : await usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'`);
    const command = await loadCommand(cmd);
    if (rest[0] === '--help' || rest[0] === '-h') {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`geostream${cmd ? ` ${cmd.name}` : ''}: ${err.message}\nRun 'geostream ${cmd ? `${cmd.name} ` : ''}--help' for usage.\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`geostream: config error: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`geostream${cmd ? ` ${cmd.name}` : ''}: ${errorMessage(err)}\n`);
    if (envVar('GEOSTREAM_DEBUG')) io.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  // Built as dist/cli.js, bundled into the executable, or run through tsx.
  const arg = process.argv[1] ?? '';
  return /(^|[/\\])(cli\.(js|ts|mjs|cjs)|geostream[^/\\]*)$/.test(arg) || envVar('GEOSTREAM_ENTRY') === '1';
}

if (isEntryPoint()) {
  // Piping into `head` must not crash with EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`geostream: internal error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    },
  );
}
