import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';

/** Runs the CLI in-process with captured output. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}
