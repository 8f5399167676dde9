import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/commands/command.js';

/** A CliIO on in-memory streams, with what was written to stdout/stderr. */
export function captureIo(): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => out.join(''), err: () => err.join('') };
}
