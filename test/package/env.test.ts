// node-gyp's environment for the executable's addons: nothing from the caller's npm config
// or compiler settings may reach it (npm_config_nodedir=/usr built addons against the host's
// Node headers and the executable then refused them).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain ESM build script without types
import { gypEnv, moduleVersion } from '../../scripts/package/addons.mjs';

describe('addon build environment', () => {
  const caller = {
    PATH: '/usr/bin:/bin',
    HOME: '/home/u',
    npm_config_nodedir: '/usr',
    NPM_CONFIG_TARGET: '20.0.0',
    npm_config_arch: 'ia32',
    npm_package_name: 'geostream',
    NODE_GYP_FORCE_PYTHON: '/x/python',
    CC: 'clang',
    CXXFLAGS: '-O0',
    LDFLAGS: '-L/opt',
  };

  it('drops npm config, node-gyp variables and compiler settings of the caller', () => {
    const env = gypEnv('x64', caller) as Record<string, string>;
    expect(Object.keys(env).filter((k) => /^npm_/i.test(k) && k !== 'npm_config_loglevel')).toEqual([]);
    expect(env.NODE_GYP_FORCE_PYTHON).toBeUndefined();
    expect(env.CXXFLAGS).toBeUndefined();
    expect(env.LDFLAGS).toBeUndefined();
    expect(env.CC).toBe('gcc');
    expect(env.PATH).toBe('/usr/bin:/bin');
    expect(env.HOME).toBe('/home/u');
  });

  it('sets the cross compiler for arm64', () => {
    const env = gypEnv('arm64', caller) as Record<string, string>;
    expect([env.CC, env.CXX, env.LINK, env.AR]).toEqual(['aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++', 'aarch64-linux-gnu-g++', 'aarch64-linux-gnu-ar']);
  });

  it('reads NODE_MODULE_VERSION from the pinned headers', () => {
    const node = mkdtempSync(join(tmpdir(), 'gs-node-'));
    mkdirSync(join(node, 'include', 'node'), { recursive: true });
    writeFileSync(join(node, 'include', 'node', 'node_version.h'), '#define NODE_MODULE_VERSION 127 /* Node.js v22 */\n');
    expect(moduleVersion(node)).toBe(127);
  });
});
