import { isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Infer, Spec } from '../base/spec.js';
import { loadJson } from '../base/json-file.js';
import { packageRoot } from '../base/paths.js';
import { ConfigError } from '../base/errors.js';
import { canSpec, gpioSpec, i2cSpec, uartSpec } from './board-spec.js';
import { envVar } from '../base/env.js';

export const boardSpec = {
  type: 'object',
  fields: {
    name: { type: 'string', pattern: /^[a-z0-9][a-z0-9-]*$/, patternHint: 'a lowercase name like pi4-fleet' },
    description: { type: 'string', optional: true },
    simulated: { type: 'boolean', default: false, doc: 'true: every bus is simulated (runs on any machine)' },
    uart: uartSpec,
    i2c: i2cSpec,
    gpio: gpioSpec,
    can: canSpec,
  },
} as const satisfies Spec;

export type Board = Infer<typeof boardSpec> & { file: string };

/** Directories searched for a board given by name. */
export function boardDirs(): string[] {
  const dirs = [];
  const first = envVar('GEOSTREAM_BOARD_DIR');
  if (first) dirs.push(first);
  dirs.push('/etc/geostream/board', resolve(packageRoot(), 'board'));
  return dirs;
}

/**
 * A board is named (`sim`, `pi4-fleet`: looked up in boardDirs()) or given as a path
 * to a JSON file (relative to `relativeTo`, the config file's directory).
 */
export function loadBoard(ref: string, relativeTo: string, referrer = 'config'): Board {
  let file: string;
  if (ref.includes('/') || ref.endsWith('.json')) {
    file = isAbsolute(ref) ? ref : resolve(relativeTo, ref);
  } else {
    const found = boardDirs()
      .map((d) => resolve(d, `${ref}.json`))
      .find((f) => existsSync(f));
    if (!found) throw new ConfigError(referrer, 'board', `no board named "${ref}" (looked in ${boardDirs().join(', ')})`);
    file = found;
  }
  return { ...loadJson(file, boardSpec), file };
}
