import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export interface ServerProc {
  proc: ChildProcess;
  port: number;
  pid: number;
  output: () => string;
  /** SIGTERM (graceful) and wait for exit; resolves to the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL and wait. */
  kill9: () => Promise<void>;
}

/** Runs `geostream server` (through tsx) as a real child process and waits for it to listen. */
export async function startServerProcess(o: { ca: string; db: string; port?: number; engine?: string; args?: string[]; nodeArgs?: string[] }): Promise<ServerProc> {
  const args = [...(o.nodeArgs ?? []), '--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'server', '--listen', `127.0.0.1:${o.port ?? 0}`, '--db', o.db, '--ca', o.ca];
  if (o.engine) args.push('--engine', o.engine);
  if (o.args) args.push(...o.args);
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GEOSTREAM_LOG_LEVEL: process.env.GEOSTREAM_LOG_LEVEL ?? 'info' } });
  let out = '';
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => {
      // A server that never said it listens is not left running behind the test.
      proc.kill('SIGKILL');
      reject(new Error(`server did not start in 20 s:\n${out}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /listening on [^ ]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out += String(d)));
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    proc,
    port,
    pid: proc.pid!,
    output: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
