// The bundler's addon routing, without pkg (fast): what scripts/package/bundle.mjs
// rewrites so every addon loads through the one generated table.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';
// @ts-expect-error plain JavaScript build script
import { addonPlugin } from '../../scripts/package/bundle.mjs';
// @ts-expect-error plain JavaScript build script
import { ADDONS } from '../../scripts/package/addons.mjs';
// @ts-expect-error plain JavaScript build script
import { buildConsole } from '../../scripts/console/build.mjs';

async function bundleText(entry: string, arch: string, staged: { name: string }[]): Promise<string> {
  const r = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'cjs', logLevel: 'silent', plugins: [addonPlugin(arch, staged)] });
  return r.outputFiles[0]!.text;
}

describe('addon routing in the bundle', () => {
  it("the ngtcp2 engine's literal addon paths become the table's ngtcp2 row", async () => {
    const text = await bundleText(join(repoRoot, 'test', 'fixtures', 'package', 'native-entry.ts'), 'arm64', [{ name: 'ngtcp2' }]);
    expect(text.match(/load\("ngtcp2"\)/g)).toHaveLength(2);
    expect(text).not.toMatch(/geostream_quic\.node/);
    expect(text).toMatch(/case "ngtcp2":\s*return require\("\.\/addons\/ngtcp2\.node"\)/);
  });

  it('serialport, i2c-bus, onoff/epoll and better-sqlite3 loaders all go through the table', async () => {
    const text = await bundleText(join(repoRoot, 'test', 'fixtures', 'package', 'addons-entry.ts'), 'x64', [{ name: 'serialport' }, { name: 'i2c' }, { name: 'epoll' }, { name: 'better_sqlite3' }, { name: 'quic' }]);
    for (const n of ['serialport', 'i2c', 'epoll', 'better_sqlite3', 'quic']) expect(text).toMatch(new RegExp(`load\\)?\\("${n}"\\)`));
    // No package's own addon lookup survives (bindings walks the stack, node-gyp-build scans dirs).
    expect(text).not.toMatch(/require\("bindings"\)|require\("node-gyp-build"\)|prebuilds\/linux/);
  });

  it('an addon without an arm64 build fails clearly when used, not when imported', async () => {
    const text = await bundleText(join(repoRoot, 'test', 'fixtures', 'package', 'addons-entry.ts'), 'arm64', [{ name: 'serialport' }]);
    expect(text).toContain('@matrixai/quic (QUIC engine "matrixai") is not available in this executable: it has no linux-arm64 build; use the ngtcp2 engine');
    expect(text).toMatch(/native addon "' \+ name \+ '" is not built into this executable for linux-arm64/);
  });
});

describe('what `geostream run` evaluates (agent RSS)', () => {
  it('the agent reaches the server, SQLite, the X.509 CA code and @matrixai/quic only through dynamic imports', async () => {
    await buildConsole(); // the console page module the server imports must exist to bundle
    const r = await build({ entryPoints: [join(repoRoot, 'src', 'cli.ts')], bundle: true, write: false, metafile: true, platform: 'node', format: 'cjs', logLevel: 'silent', plugins: [addonPlugin('x64', ADDONS)] });
    const inputs = r.metafile.inputs;
    // A bundled module runs at start when a static import or require chain reaches it from
    // the entry or from the command's module; a dynamic import defers it to first use.
    const eager = new Set<string>();
    const visit = (path: string): void => {
      if (eager.has(path) || !inputs[path]) return;
      eager.add(path);
      for (const i of inputs[path]!.imports) if (i.kind !== 'dynamic-import') visit(i.path);
    };
    visit('src/cli.ts');
    expect(eager.has('src/commands/run.ts')).toBe(false);
    visit('src/commands/run.ts');
    expect(eager.has('src/agent/agent.ts')).toBe(true);
    const heavy = [...eager].filter((p) => /node_modules\/(better-sqlite3|@matrixai\/quic|@peculiar\/x509)\/|^src\/(server\/|tls\/ca\.ts|quic\/matrixai\.ts|selftest\/)/.test(p));
    expect(eager.has('src/server/console/assets.gen.js')).toBe(false);
    // ...and the executable carries the page, for `geostream server --http` to serve.
    expect(r.outputFiles[0]!.text).toContain('<meta name="geostream-config"');
    expect(heavy).toEqual([]);
  });
});
