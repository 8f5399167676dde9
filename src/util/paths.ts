import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/**
 * The package root: two levels above this module in both layouts
 * (src/util/paths.ts under vitest/tsx, dist/util/paths.js when built).
 * The packaged executable sets GEOSTREAM_HOME instead.
 */
export function packageRoot(): string {
  if (process.env.GEOSTREAM_HOME) return process.env.GEOSTREAM_HOME;
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
