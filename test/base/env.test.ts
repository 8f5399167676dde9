import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, envVar } from '../../src/base/env.js';
import { repoRoot } from '../support/shared.js';

describe('environment variables', () => {
  it('an empty value counts as unset; a set one is returned as it is', () => {
    expect(envVar('GEOSTREAM_LOG_LEVEL', {})).toBeUndefined();
    expect(envVar('GEOSTREAM_LOG_LEVEL', { GEOSTREAM_LOG_LEVEL: '' })).toBeUndefined();
    expect(envVar('GEOSTREAM_LOG_LEVEL', { GEOSTREAM_LOG_LEVEL: 'debug' })).toBe('debug');
  });

  it("README's table lists every variable the program reads, with the same words", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const missing = Object.entries(ENV_VARS).filter(([k, v]) => !readme.includes(`| \`${k}\` | ${v} |`));
    expect(missing).toEqual([]);
  });
});
