// The SocketCAN addon's loader in the bundle: its literal path becomes the table's row.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';
// @ts-expect-error plain JavaScript build script
import { addonPlugin } from '../../scripts/package/bundle.mjs';
// @ts-expect-error plain JavaScript build script
import { ADDONS } from '../../scripts/package/addons.mjs';

describe('SocketCAN addon in the bundle', () => {
  it('src/hal/linux/can-addon.ts loads socketcan through the addon table, nothing else of the package', async () => {
    const r = await build({ entryPoints: [join(repoRoot, 'src', 'hal', 'linux', 'can.ts')], bundle: true, write: false, metafile: true, platform: 'node', format: 'cjs', logLevel: 'silent', plugins: [addonPlugin('arm64', [{ name: 'socketcan' }])] });
    const text = r.outputFiles[0]!.text;
    expect(text).toMatch(/load\("socketcan"\)/);
    expect(text).toMatch(/case "socketcan":\s*return require\("\.\/addons\/socketcan\.node"\)/);
    expect(text).not.toMatch(/socketcan\/build|can_signals|xml2js/);
    expect(Object.keys(r.metafile.inputs).filter((p) => p.includes('node_modules/socketcan'))).toEqual([]);
  });

  it('the package build has a row that cross-compiles it with node-gyp', () => {
    expect(ADDONS).toContainEqual({ name: 'socketcan', pkg: 'socketcan', how: 'gyp', output: 'build/Release/can.node' });
  });
});
