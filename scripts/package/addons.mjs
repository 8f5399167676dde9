// Every native addon the executable holds, one row each, and how to get it for an
// architecture and the pinned Node. The bundler (bundle.mjs) routes each package's own
// loader (`bindings`, `node-gyp-build`, @matrixai/quic's quiche.js) to the one addon
// table generated from these rows, so addons are loaded through one place.
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE_VERSION, cacheDir, checkArch, repoRoot } from './config.mjs';
import { run, step } from './run.mjs';

// Real path: esbuild reports importers by real path, node_modules may be a symlink.
const nm = existsSync(join(repoRoot, 'node_modules')) ? realpathSync(join(repoRoot, 'node_modules')) : join(repoRoot, 'node_modules');

/**
 * name: file name in the executable (addons/<name>.node) and key of the addon table.
 * pkg: the package whose loader asks for it. how: 'prebuild' (a file the npm tarball
 * ships per arch), 'gyp' (node-gyp against the pinned Node's headers, cross-compiled
 * for arm64), 'native' (this repo's native/ addon, when present).
 */
export const ADDONS = [
  {
    name: 'serialport', pkg: '@serialport/bindings-cpp', how: 'prebuild',
    files: { x64: 'prebuilds/linux-x64/@serialport+bindings-cpp.glibc.node', arm64: 'prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node' },
  },
  { name: 'i2c', pkg: 'i2c-bus', how: 'gyp', output: 'build/Release/i2c.node' },
  { name: 'epoll', pkg: 'epoll', how: 'gyp', output: 'build/Release/epoll.node' },
  { name: 'better_sqlite3', pkg: 'better-sqlite3', how: 'gyp', output: 'build/Release/better_sqlite3.node' },
  // No linux-arm64 build of @matrixai/quic exists (../shared/notes/quic.md): x64 only.
  { name: 'quic', pkg: '@matrixai/quic', how: 'prebuild', from: '@matrixai/quic-linux-x64', files: { x64: 'node.napi.node' } },
  // This repo's ngtcp2 QUIC addon (Node-API), built by the native work's make targets.
  {
    name: 'ngtcp2', dir: 'native', how: 'native',
    make: { x64: 'native', arm64: 'native-arm64' },
    outputs: { x64: 'native/build/Release/geostream_quic.node', arm64: 'native/build-arm64/Release/geostream_quic.node' },
  },
];

const ELF_MACHINE = { x64: 0x3e, arm64: 0xb7 };

/** Throws unless `file` is an ELF shared object for `arch`. */
export function checkElf(file, arch) {
  const b = readFileSync(file);
  if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  const machine = b.readUInt16LE(18);
  if (machine !== ELF_MACHINE[arch]) throw new Error(`${file} is built for ELF machine 0x${machine.toString(16)}, not ${arch}`);
}

function pkgVersion(pkg) {
  return JSON.parse(readFileSync(join(nm, pkg, 'package.json'), 'utf8')).version;
}

function gypEnv(arch) {
  const { cross } = checkArch(arch);
  const env = { ...process.env, npm_config_loglevel: 'error' };
  if (cross) Object.assign(env, { CC: `${cross}gcc`, CXX: `${cross}g++`, LINK: `${cross}g++`, AR: `${cross}ar` });
  return env;
}

/** node-gyp rebuild of a package copy against the pinned Node's headers for `arch`. */
function gypBuild(addon, arch, tools, node, buildNodeBin) {
  const version = pkgVersion(addon.pkg);
  const root = join(cacheDir, 'addons', `node-v${NODE_VERSION}-linux-${arch}`);
  const cached = join(root, `${addon.name}-${version}.node`);
  if (existsSync(cached)) return cached;
  const work = join(root, 'build');
  const src = join(work, 'src', addon.pkg);
  rmSync(src, { recursive: true, force: true });
  mkdirSync(dirname(src), { recursive: true });
  cpSync(join(nm, addon.pkg), src, { recursive: true, filter: (p) => !p.startsWith(join(nm, addon.pkg, 'build')) });
  // binding.gyp files find nan / node-addon-api with `node -e "require(...)"` from the package dir.
  if (!existsSync(join(work, 'node_modules'))) symlinkSync(nm, join(work, 'node_modules'));
  step(`building ${addon.pkg}@${version} for linux-${arch} against Node ${NODE_VERSION}`);
  const t0 = Date.now();
  run(buildNodeBin, [tools.nodeGyp, 'rebuild', '--release', `--arch=${checkArch(arch).gyp}`, `--nodedir=${node}`, '-j', '2'], {
    cwd: src,
    env: { ...gypEnv(arch), PATH: `${dirname(buildNodeBin)}:${process.env.PATH}` },
  });
  const built = join(src, addon.output);
  checkElf(built, arch);
  const strip = `${checkArch(arch).cross ?? ''}strip`;
  run(strip, ['--strip-unneeded', '-o', cached, built]);
  step(`built ${addon.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return cached;
}

/** The repo's native/ addon (QUIC over ngtcp2), when the native work has landed. */
function nativeBuild(addon, arch) {
  if (!existsSync(join(repoRoot, addon.dir, 'binding.gyp'))) return null;
  const target = addon.make[arch];
  step(`make ${target} (${addon.name} addon for linux-${arch})`);
  run('make', ['-s', target], { cwd: repoRoot });
  const out = join(repoRoot, addon.outputs[arch]);
  if (!existsSync(out)) throw new Error(`make ${target} did not produce ${addon.outputs[arch]}`);
  return out;
}

/**
 * Builds or picks every addon for `arch` and copies it to <stage>/addons/<name>.node.
 * Returns the rows that made it in (an addon with no build for this arch is left out
 * and its loader throws a clear error if ever called).
 */
export function stageAddons(arch, stage, { tools, node, buildNodeBin }) {
  const dest = join(stage, 'addons');
  mkdirSync(dest, { recursive: true });
  const staged = [];
  for (const addon of ADDONS) {
    let file = null;
    if (addon.how === 'prebuild') {
      const rel = addon.files[arch];
      if (rel) file = join(nm, addon.from ?? addon.pkg, rel);
      if (file && !existsSync(file)) throw new Error(`${addon.pkg}: prebuilt addon missing at ${file} (run npm ci)`);
    } else if (addon.how === 'gyp') {
      file = gypBuild(addon, arch, tools, node, buildNodeBin);
    } else if (addon.how === 'native') {
      file = nativeBuild(addon, arch);
    }
    if (!file) continue;
    checkElf(file, arch);
    copyFileSync(file, join(dest, `${addon.name}.node`));
    staged.push({ ...addon, bytes: statSync(file).size });
  }
  return staged;
}
