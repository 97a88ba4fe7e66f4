// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Decisions stay pure: the domain never touches I/O, the SDKs or the adapters.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@azure/*'], message: 'shared/domain is pure: no Azure SDKs.' },
            {
              group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process'],
              message: 'shared/domain is pure: no I/O.',
            },
            {
              group: ['**/adapters/**', '**/app/**', '**/config'],
              message: 'shared/domain imports nothing outside itself.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@azure/*'], message: 'shared/app works against ports, not SDKs.' },
            { group: ['**/adapters/**'], message: 'shared/app receives adapters through createApp(deps).' },
          ],
        },
      ],
    },
  },
);
