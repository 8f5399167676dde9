import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

/** packaging/geostream.service, the unit the agent runs under on a vehicle. */
export const UNIT_FILE = join(repoRoot, 'packaging', 'geostream.service');

/**
 * The environment a systemd unit gives its service: every `Environment=` line, with
 * systemd's quoting (`Environment="A=b c" D=e`: a double-quoted assignment keeps its
 * spaces, unquoted ones are split on whitespace). Later assignments win.
 */
export function unitEnvironment(file = UNIT_FILE): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const t of m[1]!.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
      const word = t[1] !== undefined ? t[1].replace(/\\(.)/g, '$1') : t[2]!;
      const eq = word.indexOf('=');
      if (eq <= 0) throw new Error(`${file}: "${line.trim()}": "${word}" is not NAME=VALUE`);
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}
