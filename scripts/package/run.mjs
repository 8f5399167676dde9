// Child-process helpers for the packaging scripts: every failure names the command.
import { spawnSync } from 'node:child_process';

/** Runs a command; throws with its output tail when it fails. Returns stdout. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${tail}`);
  }
  return r.stdout ?? '';
}

/** Prints a progress line to stderr (stdout stays clean for results). */
export function step(msg) {
  process.stderr.write(`package: ${msg}\n`);
}
