// Pinned versions and cache locations for the packaged executable. One place to bump Node.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node 22 LTS: the newest major every mandated addon builds against (i2c-bus fails on 23+). */
export const NODE_VERSION = '22.23.3';

/** Architectures we ship, in Node's and the cross toolchain's words. */
export const ARCHES = {
  x64: { gyp: 'x64', triplet: 'x86_64-linux-gnu', cross: null },
  arm64: { gyp: 'arm64', triplet: 'aarch64-linux-gnu', cross: 'aarch64-linux-gnu-' },
};

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Downloads and builds that survive `make clean` (Node tarballs, tools, addons built
 * for a given Node and arch). GEOSTREAM_CACHE moves it (CI can cache this directory).
 */
export const cacheDir = process.env.GEOSTREAM_CACHE ?? join(homedir(), '.cache', 'geostream');

export function checkArch(arch) {
  if (!Object.hasOwn(ARCHES, arch)) {
    throw new Error(`unknown architecture "${arch}" (known: ${Object.keys(ARCHES).join(', ')})`);
  }
  return ARCHES[arch];
}

/** Output paths for one architecture. */
export function outPaths(arch, name = 'geostream') {
  const out = join(repoRoot, 'out');
  return { out, stage: join(out, 'stage', `${name}-linux-${arch}`), exe: join(out, `${name}-linux-${arch}`) };
}
