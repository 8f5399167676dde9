#!/usr/bin/env node
// make package-<arch>: one standalone executable, out/geostream-linux-<arch>, with
// `pkg --sea` on the official Node ${NODE_VERSION} from the npm registry. No download
// beyond the npm registry (Node tarballs, tools) and Debian packages (cross compiler).
//   node scripts/package/build.mjs x64|arm64
import { chmodSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NODE_VERSION, checkArch, outPaths, repoRoot } from './config.mjs';
import { buildNode, ensureNode, seedPkgHome } from './node-dist.mjs';
import { ensureTools } from './tools.mjs';
import { stageAddons, checkElf } from './addons.mjs';
import { bundle, resetStage } from './bundle.mjs';
import { run, step } from './run.mjs';

/**
 * Builds out/geostream-linux-<arch> (or, for tests, another entry: `entry` a .ts/.js
 * file, `name` its executable's base name under out/).
 */
export async function packageArch(arch, { entry, name = 'geostream' } = {}) {
  const { cross } = checkArch(arch);
  if (cross) {
    try {
      run('which', [`${cross}g++`]);
    } catch {
      throw new Error(`${cross}g++ not found: install the Debian package g++-aarch64-linux-gnu (scripts/apt/package.txt)`);
    }
  }
  const t0 = Date.now();
  const { stage, exe } = outPaths(arch, name);
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  const buildNodeBin = buildNode();
  const node = ensureNode(arch);
  const tools = ensureTools();
  resetStage(stage);
  const staged = stageAddons(arch, stage, { tools, node, buildNodeBin });
  step(`addons for linux-${arch}: ${staged.map((a) => `${a.name} (${(a.bytes / 1024).toFixed(0)} KiB)`).join(', ')}`);
  const b = await bundle(arch, stage, staged, version, entry && resolve(entry));
  step(`bundle: ${b.inputs} modules, ${(b.bytes / 1024).toFixed(0)} KiB`);
  const home = seedPkgHome(['x64', arch]);
  rmSync(exe, { force: true });
  step(`pkg --sea for node${NODE_VERSION}-linux-${arch}`);
  run(buildNodeBin, [tools.pkg, join(stage, 'package.json'), '--sea', '-t', `node${NODE_VERSION}-linux-${arch}`, '-o', exe], {
    cwd: stage,
    env: { ...process.env, HOME: home, PKG_CACHE_PATH: join(home, '.pkg-cache') },
  });
  if (!existsSync(exe)) throw new Error(`pkg finished but ${exe} is missing`);
  checkElf(exe, arch);
  chmodSync(exe, 0o755);
  step(`${exe}: ${(statSync(exe).size / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return exe;
}

const [arch, entry, name] = process.argv.slice(2);
if (!arch) {
  process.stderr.write('usage: node scripts/package/build.mjs x64|arm64 [ENTRY NAME]\n');
  process.exit(2);
}
packageArch(arch, { entry, name }).catch((err) => {
  process.stderr.write(`package: ${err.message}\n`);
  process.exit(1);
});
