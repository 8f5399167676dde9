import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/commands/command.js';
import { main } from '../../src/cli.js';

/** A CliIO on in-memory streams, with what was written to stdout/stderr. */
export function captureIo(stdin?: Buffer | string): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  const input = new PassThrough();
  if (stdin !== undefined) input.end(stdin);
  return { io: { stdout, stderr, stdin: input }, out: () => out.join(''), err: () => err.join('') };
}

/** Runs the CLI in-process with captured stdout/stderr (and optional stdin bytes). */
export async function runCli(argv: string[], stdin?: Buffer | string): Promise<{ code: number; stdout: string; stderr: string }> {
  const t = captureIo(stdin ?? '');
  const code = await main(argv, t.io);
  return { code, stdout: t.out(), stderr: t.err() };
}
