import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli.js';

/** Runs the CLI in-process with captured stdout/stderr (and optional stdin bytes). */
export async function runCli(argv: string[], stdin?: Buffer | string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stdout += chunk.toString();
      cb();
    },
  });
  const err = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stderr += chunk.toString();
      cb();
    },
  });
  const input = new PassThrough();
  input.end(stdin ?? '');
  const code = await main(argv, { stdout: out, stderr: err, stdin: input });
  return { code, stdout, stderr };
}
