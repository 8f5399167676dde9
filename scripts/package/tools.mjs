// Build tools pinned by scripts/package/tools/package-lock.json (@yao-pkg/pkg, node-gyp),
// installed into the cache keyed by the lock's hash: never into the repository.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './config.mjs';
import { run, step } from './run.mjs';

export function ensureTools() {
  const src = join(repoRoot, 'scripts', 'package', 'tools');
  const lock = readFileSync(join(src, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex').slice(0, 12);
  const dir = join(cacheDir, 'tools', hash);
  if (!existsSync(join(dir, '.ok'))) {
    step(`installing packaging tools (pkg, node-gyp) into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(src, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(src, 'package-lock.json'), join(dir, 'package-lock.json'));
    run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir });
    writeFileSync(join(dir, '.ok'), '');
  }
  return {
    pkg: join(dir, 'node_modules', '@yao-pkg', 'pkg', 'lib-es5', 'bin.js'),
    nodeGyp: join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  };
}
