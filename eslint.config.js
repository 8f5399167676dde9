import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'native/build/**', 'var/**', 'node_modules/**'] },
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
  { files: ['test/**', 'scripts/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-restricted-imports': 'off' } },
);
