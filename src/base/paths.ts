import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { envVar } from './env.js';

/**
 * The package root: two levels above this module in both layouts
 * (src/base/paths.ts under vitest/tsx, dist/base/paths.js when built).
 * The packaged executable sets GEOSTREAM_HOME instead.
 */
export function packageRoot(): string {
  const home = envVar('GEOSTREAM_HOME');
  if (home) return home;
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
