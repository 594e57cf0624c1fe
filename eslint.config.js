// One lint configuration for every workspace; each package runs `eslint src` from its folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@stats-agent/*/src/*', '@stats-agent/*/dist/*'],
              message: 'Import a workspace package only through its exports.',
            },
            {
              group: [
                '@stats-agent/orchestration',
                '@stats-agent/research',
                '@stats-agent/synthesis',
                '@stats-agent/verification',
                '@stats-agent/cli',
              ],
              message: 'Apps import packages, never each other.',
            },
          ],
          paths: [{ name: 'url', importNames: ['parse'], message: 'Use WHATWG URL; url.parse() mis-reads hosts.' }],
        },
      ],
    },
  },
);
