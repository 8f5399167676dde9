// The official Node binary and headers for one architecture, from the npm registry
// (`node-linux-<arch>@<version>` holds bin/node and include/node), cached by version.
// pkg --sea looks for its base binary under $HOME/.pkg-cache/sea; we seed a private
// HOME with it so pkg never tries nodejs.org.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_VERSION, cacheDir, checkArch } from './config.mjs';
import { run, step } from './run.mjs';

/** Directory with bin/node and include/node for NODE_VERSION on `arch`. */
export function ensureNode(arch) {
  checkArch(arch);
  const dir = join(cacheDir, 'node', `v${NODE_VERSION}-linux-${arch}`);
  if (existsSync(join(dir, '.ok'))) return dir;
  const pkg = `node-linux-${arch}@${NODE_VERSION}`;
  step(`fetching ${pkg} from the npm registry (once; cached in ${dir})`);
  mkdirSync(join(cacheDir, 'node'), { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, 'node', '.fetch-'));
  try {
    const tgz = run('npm', ['pack', pkg, '--silent', '--pack-destination', tmp]).trim().split('\n').pop();
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    run('tar', ['xzf', join(tmp, tgz), '-C', unpacked, '--strip-components=1', 'package/bin/node', 'package/include']);
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
    writeFileSync(join(dir, '.ok'), `${pkg}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** The x64 Node 22 that runs pkg and node-gyp (pkg needs node >= 22; the host's may be older). */
export function buildNode() {
  if (process.arch !== 'x64') throw new Error(`packaging runs on an x64 Linux host (this is ${process.arch})`);
  return join(ensureNode('x64'), 'bin', 'node');
}

/**
 * The official binary carries debug info (about 120 MB); the executable is built on a
 * stripped copy (same code, same SEA fuse), kept beside it in the cache.
 */
export function strippedNode(arch) {
  const dir = ensureNode(arch);
  const out = join(dir, 'bin', 'node-stripped');
  if (!existsSync(out)) {
    const tmp = `${out}.tmp`;
    run(`${checkArch(arch).cross ?? ''}strip`, ['--strip-all', '-o', tmp, join(dir, 'bin', 'node')]);
    renameSync(tmp, out);
  }
  return out;
}

/**
 * A HOME for pkg whose ~/.pkg-cache/sea holds node-v<version>-linux-<arch>/bin/node and
 * the sentinel files pkg checks, so it takes the cached binary instead of downloading.
 */
export function seedPkgHome(arches) {
  const home = join(cacheDir, 'pkg-home');
  const sea = join(home, '.pkg-cache', 'sea');
  mkdirSync(sea, { recursive: true });
  for (const arch of arches) {
    const name = `node-v${NODE_VERSION}-linux-${arch}`;
    const bin = join(sea, name, 'bin');
    mkdirSync(bin, { recursive: true });
    rmSync(join(bin, 'node'), { force: true });
    run('ln', ['-s', strippedNode(arch), join(bin, 'node')]);
    writeFileSync(join(bin, 'node.ok'), '');
    // pkg checks the archive and its sentinel before it looks at the extracted binary.
    writeFileSync(join(sea, `${name}.tar.gz`), '');
    writeFileSync(join(sea, `${name}.tar.gz.ok`), '');
  }
  return home;
}
