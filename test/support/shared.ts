import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/shared.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A path inside ../shared/data beside the clone (real receiver captures and drives,
 * read in place, never copied into the repository). Throws a clear error when the
 * folder is missing, so a test never passes silently without its data.
 */
export function sharedData(...parts: string[]): string {
  const base = process.env.GEOSTREAM_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data');
  if (!existsSync(base)) {
    throw new Error(`shared data not found at ${base}: clone geostream beside shared/ (or set GEOSTREAM_SHARED_DATA)`);
  }
  return join(base, ...parts);
}

/**
 * A path inside data/ in the repository (small public captures committed with their source and
 * licence in a SOURCES.md beside them). Throws a clear error when the file is missing.
 */
export function repoData(...parts: string[]): string {
  const path = join(repoRoot, 'data', ...parts);
  if (!existsSync(path)) throw new Error(`repository data not found at ${path}`);
  return path;
}
