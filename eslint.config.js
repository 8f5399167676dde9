import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';
import { floorsRule } from './scripts/lint/floors.mjs';

const srcDir = fileURLToPath(new URL('./src', import.meta.url));
const geostream = { rules: { floors: floorsRule(srcDir) } };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'src/server/console/assets.gen.js', 'native/build/**', 'var/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { paths: [
        { name: 'serialport', message: 'Only src/hal/ may import serialport.' },
        { name: 'i2c-bus', message: 'Only src/hal/ may import i2c-bus.' },
        { name: 'onoff', message: 'Only src/hal/ may import onoff.' },
      ] }],
    },
  },
  { files: ['src/hal/**'], rules: { 'no-restricted-imports': 'off' } },
  // The floors of src/ (scripts/lint/floors.mjs, docs/ARCHITECTURE.md): imports run downwards.
  { files: ['src/**/*.ts'], plugins: { geostream }, rules: { 'geostream/floors': 'error' } },
  // Environment variables are read in one place (src/base/env.ts, the table of them all).
  { files: ['src/**/*.ts'], ignores: ['src/base/env.ts'], rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read environment variables through envVar() (src/base/env.ts)' }] } },
  { files: ['test/**', 'scripts/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-restricted-imports': 'off' } },
);
