// Every native addon the executable holds, one row each, and how to get it for an
// architecture and the pinned Node. The bundler (bundle.mjs) routes each package's own
// loader (`bindings`, `node-gyp-build`, @matrixai/quic's quiche.js) to the one addon
// table generated from these rows, so addons are loaded through one place.
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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
  // SocketCAN raw sockets (Node-API); src/hal/linux/can-addon.ts loads only its can.node.
  { name: 'socketcan', pkg: 'socketcan', how: 'gyp', output: 'build/Release/can.node' },
  // No linux-arm64 build of @matrixai/quic exists on the npm registry: x64 only.
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

// What node-gyp and make would take from the caller's environment and that changes the
// binary: npm's config (npm_config_nodedir=/usr builds against the host's headers),
// node-gyp's own variables and the compiler and its flags.
const GYP_UNSAFE = /^(npm_|node_gyp_|nodedir$|cc$|cxx$|link$|ar$|cflags$|cxxflags$|cppflags$|ldflags$|python$)/i;

/** The environment node-gyp runs in: the caller's, without anything that changes the binary. */
export function gypEnv(arch, base = process.env) {
  const { cross } = checkArch(arch);
  const env = Object.fromEntries(Object.entries(base).filter(([k]) => !GYP_UNSAFE.test(k)));
  env.npm_config_loglevel = 'error';
  const prefix = cross ?? '';
  Object.assign(env, { CC: `${prefix}gcc`, CXX: `${prefix}g++`, LINK: `${prefix}g++`, AR: `${prefix}ar` });
  return env;
}

/** NODE_MODULE_VERSION of the headers in `node` (a directory with include/node). */
export function moduleVersion(node) {
  const h = readFileSync(join(node, 'include', 'node', 'node_version.h'), 'utf8');
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(h);
  if (!m) throw new Error(`${node}: no NODE_MODULE_VERSION in include/node/node_version.h`);
  return Number(m[1]);
}

/**
 * Cache folder for addons built by node-gyp: everything that changes the binary is in its
 * name (Node version and ABI, arch and triplet, compiler version, this package's version).
 */
export function gypCacheKey(arch, node) {
  const { cross, triplet } = checkArch(arch);
  const cc = run(`${cross ?? ''}g++`, ['-dumpfullversion']).trim();
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  return `node-v${NODE_VERSION}-abi${moduleVersion(node)}-${triplet}-gcc${cc}-geostream${version}`;
}

/** node-gyp rebuild of a package copy against the pinned Node's headers for `arch`. */
function gypBuild(addon, arch, tools, node, buildNodeBin, fresh = false) {
  const version = pkgVersion(addon.pkg);
  const root = join(cacheDir, 'addons', gypCacheKey(arch, node));
  const cached = join(root, `${addon.name}-${version}.node`);
  if (existsSync(cached) && !fresh) return cached;
  rmSync(cached, { force: true });
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
    env: { ...gypEnv(arch), PATH: `${dirname(buildNodeBin)}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  });
  const built = join(src, addon.output);
  checkElf(built, arch);
  const strip = `${checkArch(arch).cross ?? ''}strip`;
  run(strip, ['--strip-unneeded', '-o', cached, built]);
  step(`built ${addon.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return cached;
}

/**
 * Loads `file` under the pinned Node of `arch` (arm64 under qemu, scripts/package/run-arch.sh).
 * Returns null when it loads, else the line of Node's error that says why.
 */
export function loadError(file, arch, node) {
  const probe = `process.dlopen({ exports: {} }, ${JSON.stringify(file)})`;
  const r = spawnSync(join(repoRoot, 'scripts', 'package', 'run-arch.sh'), [arch, join(node, 'bin', 'node'), '-e', probe], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) return null;
  const text = `${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  const abi = /using\s+NODE_MODULE_VERSION (\d+)\.\s+This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(text);
  if (abi) return `it was built for NODE_MODULE_VERSION ${abi[1]}, this Node needs ${abi[2]}`;
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error/.test(l)) ?? lines[0] ?? `exit ${r.status ?? r.signal}`;
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
      // A cached build that the pinned Node refuses (stale, or built against other headers)
      // is rebuilt once, not trusted.
      const stale = loadError(file, arch, node);
      if (stale) {
        step(`${file} does not load (${stale}): rebuilding`);
        file = gypBuild(addon, arch, tools, node, buildNodeBin, true);
      }
    } else if (addon.how === 'native') {
      file = nativeBuild(addon, arch);
    }
    if (!file) continue;
    checkElf(file, arch);
    const err = loadError(file, arch, node);
    if (err) throw new Error(`addon ${addon.name} (${file}) does not load under Node ${NODE_VERSION} linux-${arch} (needs NODE_MODULE_VERSION ${moduleVersion(node)}): ${err}`);
    copyFileSync(file, join(dest, `${addon.name}.node`));
    staged.push({ ...addon, bytes: statSync(file).size });
  }
  return staged;
}
