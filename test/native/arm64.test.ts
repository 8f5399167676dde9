/**
 * The arm64 build (`make native-arm64`) on an arm64 Node under qemu: the addon
 * loads through the one loader and completes a mutual-TLS handshake plus 1,000
 * records with an x64 server on loopback. Needs qemu-user-static, the cross
 * toolchain and Debian's arm64 packages (the make target installs or names them);
 * when something is missing or the arm64 Node cannot run here, the test fails and
 * says so.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from 'esbuild';
import { createNgtcp2Engine } from '../../src/quic/ngtcp2.js';
import type { QuicServer } from '../../src/quic/engine.js';
import { repoRoot } from '../support/shared.js';
import { makePki, type Pki } from '../support/native-pki.js';

const NODE_VERSION = process.env.ARM64_NODE_VERSION ?? '22.23.3';
const arm64Node = join(repoRoot, `out/node-arm64/node-v${NODE_VERSION}/bin/node`);
/**
 * -L gives the cross toolchain's sysroot (its ld.so). LD_LIBRARY_PATH makes that ld.so
 * take the same sysroot's libc: once Debian's arm64 multiarch libc6 is installed
 * (the arm64 -dev packages pull it in), ld.so otherwise finds /lib/aarch64-linux-gnu's
 * libc.so.6 of another build (2.36-9+deb12u14 vs the cross 2.36-8) and the mismatch
 * hangs the first pthread_create forever (Node never starts). libgnutls and its
 * dependencies still come from the multiarch directories.
 */
const qemu = ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', '-E', 'LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib'];
/** Seconds an arm64 Node may take to print its arch under qemu before we call qemu unusable here. */
const START_S = Number(process.env.ARM64_START_S ?? 90);

let pki: Pki;
let server: QuicServer;
const received: string[] = [];

beforeAll(async () => {
  pki = await makePki('native-arm64-');
  await pki.device('VH-ARM64');
  server = await createNgtcp2Engine().listen({ alpn: ['geostream/1.0'], tls: pki.server, idleTimeoutMs: 180_000, keepAliveMs: 20_000, host: '127.0.0.1', port: 0 });
  server.on('connection', (c) => {
    c.on('stream', (s) => {
      void (async () => {
        let text = '';
        for await (const chunk of s) text += Buffer.from(chunk).toString();
        const lines = text.split('\n').filter(Boolean);
        received.push(...lines);
        await s.write(Buffer.from(`got ${lines.length}\n`));
        await s.end();
      })().catch(() => undefined);
    });
  });
});

afterAll(async () => {
  await server?.close();
  pki?.cleanup();
});

it('cross-builds the addon, runs it on an arm64 Node under qemu, handshakes and delivers 1,000 records', async () => {
  execFileSync('make', ['-s', 'native-arm64', `ARM64_NODE_VERSION=${NODE_VERSION}`], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  expect(existsSync(join(repoRoot, 'native/build-arm64/Release/geostream_quic.node'))).toBe(true);
  const file = spawnSync('file', [join(repoRoot, 'native/build-arm64/Release/geostream_quic.node')], { encoding: 'utf8' });
  if (!file.error) expect(file.stdout).toMatch(/ARM aarch64/);

  const probe = spawnSync(qemu[0]!, [...qemu.slice(1), arm64Node, '-p', 'process.arch'], { encoding: 'utf8', timeout: START_S * 1000 });
  if (probe.error || probe.stdout.trim() !== 'arm64') {
    throw new Error(
      `an arm64 Node ${NODE_VERSION} does not start under ${qemu.join(' ')} within ${START_S} s on this machine ` +
        `(${probe.error?.message ?? `exit ${probe.status}: ${probe.stderr.trim()}`}); the addon itself cross-built fine`,
    );
  }

  // The loader's require('../../native/...') is bundled as written and resolved from
  // the bundle's directory: put the bundle as many levels below the clone as the loader.
  const loader = readFileSync(join(repoRoot, 'src/quic/native-loader.ts'), 'utf8');
  const ups = /require\('((?:\.\.\/)+)native\/build-arm64\//.exec(loader)![1]!.length / 3;
  const bundleDir = join(repoRoot, 'out', 'qemu-arm64', ...Array<string>(Math.max(0, ups - 2)).fill('t'));
  const bundle = join(bundleDir, 'client.mjs');
  mkdirSync(bundleDir, { recursive: true });
  await build({
    entryPoints: [join(repoRoot, 'test/rig/arm64-client.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile: bundle,
    external: ['*.node'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
  });
  const child = spawn(qemu[0]!, [...qemu.slice(1), arm64Node, bundle, '127.0.0.1', String(server.address.port), pki.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
    child.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  expect(code, `arm64 client: ${err}`).toBe(0);
  const res = JSON.parse(out.trim().split('\n').pop()!);
  expect(res.arch).toBe('arm64');
  expect(res.addon).toMatch(/^ngtcp2 0\.12/);
  expect(res.reply).toBe('got 1000');
  expect(received).toHaveLength(1000);
  expect(received[999]).toBe('1000 record from an arm64 device');
}, 30 * 60_000);
