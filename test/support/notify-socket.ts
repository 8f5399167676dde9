import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export interface NotifySocket {
  path: string;
  /** Messages so far (fields joined by '|'), with the receiver's monotonic ms; BARRIER=1 left out. */
  messages(): { t: number; msg: string }[];
  close(): void;
}

/** A real AF_UNIX datagram socket standing in for systemd's (python: Node has none). */
export async function notifySocket(seconds: number): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-notify-'));
  const path = join(dir, 'notify');
  const child = spawn('python3', [join(repoRoot, 'test', 'fixtures', 'status', 'notify-receiver.py'), path, String(seconds)]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += String(d)));
  for (let i = 0; i < 100 && !out.startsWith('listening'); i++) await new Promise((r) => setTimeout(r, 20));
  const close = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  if (!out.startsWith('listening')) {
    close();
    throw new Error('notify receiver did not start (python3 missing?)');
  }
  const messages = () =>
    out
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => ({ t: Number(l.split(' ')[0]), msg: l.slice(l.indexOf(' ') + 1) }))
      .filter((m) => m.msg !== 'BARRIER=1');
  return { path, messages, close };
}
