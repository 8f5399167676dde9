import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { main } from '../src/cli.js';
import { commands } from '../src/commands/index.js';
import { VERSION } from '../src/base/version.js';
import { captureIo } from './support/cli-io.js';

const io = captureIo;

describe('cli', () => {
  it('version matches package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const t = io();
    expect(await main(['--version'], t.io)).toBe(0);
    expect(t.out().trim()).toBe(VERSION);
  });

  it('unknown command is a usage error on stderr with exit 2', async () => {
    const t = io();
    expect(await main(['frobnicate'], t.io)).toBe(2);
    expect(t.err()).toMatch(/unknown command 'frobnicate'/);
    expect(t.out()).toBe('');
  });

  it('no command prints usage to stderr with exit 2', async () => {
    const t = io();
    expect(await main([], t.io)).toBe(2);
    expect(t.err()).toMatch(/Usage: geostream/);
  });

  it.each(commands.map((c) => c.name))('%s --help prints usage and exits 0', async (name) => {
    const t = io();
    expect(await main([name, '--help'], t.io)).toBe(0);
    expect(t.out()).toMatch(/Usage: geostream/);
  });
});
