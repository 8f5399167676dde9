import { PassThrough } from 'node:stream';

/** CliIO on buffers, for running `main()` in tests and reading what it printed. */
export function cliIo() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => out.join(''), err: () => err.join('') };
}
