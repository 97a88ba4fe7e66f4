// @ts-check
import tseslint from 'typescript-eslint';

/**
 * The folder rules of the project layout (README, "Project layout"). ESLint applies only the last matching
 * `no-restricted-imports` per file, so each folder gets one rule with all its patterns.
 */
const restrict = (files, patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

const noSdks = { group: ['@azure/*'], message: 'shared/app works against ports, not SDKs.' };
const noIo = {
  group: [
    'node:fs',
    'node:net',
    'node:http',
    'node:https',
    'node:child_process',
    'fs',
    'net',
    'http',
    'https',
  ],
  message: 'shared/app does no I/O of its own: it comes through a port.',
};
const noWiring = {
  regex: '/(adapters|functions)/|/(composition|config)$',
  message: 'shared/app receives adapters through createApp(deps).',
};
const appRule = (files, ...extra) => restrict(files, [noSdks, noIo, noWiring, ...extra]);
const functionsRules = [
  { regex: '/shared/app/(?!index$)', message: 'functions/ import shared/app through its index only.' },
  {
    regex: '/shared/adapters/',
    message: 'functions/ never import adapters: shared/composition.ts wires them.',
  },
];
const noCompositionOutsideRuntime = {
  regex: '/shared/composition$',
  message: 'only functions/runtime.ts imports the composition root.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // One use-case or one decision per file: a file that outgrows this is doing two things.
    files: ['shared/app/**/*.ts', 'shared/domain/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] },
  },
  // Decisions stay pure: the domain imports no SDK, no I/O, nothing outside itself.
  ...[
    ['shared/domain/*.ts', '^\\.\\./'],
    ['shared/domain/*/*.ts', '^\\.\\./\\.\\./'],
  ].map(([files, outside]) =>
    restrict(
      [files],
      [
        { group: ['@azure/*'], message: 'shared/domain is pure: no Azure SDKs.' },
        {
          group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process'],
          message: 'shared/domain is pure: no I/O.',
        },
        { regex: outside, message: 'shared/domain imports nothing outside itself.' },
      ],
    ),
  ),
  appRule(['shared/app/*.ts', 'shared/app/ports/**/*.ts']),
  // Effects are the shared machinery: they never call a use-case, and do not depend on read models.
  appRule(['shared/app/effects/**/*.ts'], {
    regex: '/(use-cases|views)/',
    message: 'effects never import use-cases or views.',
  }),
  // Views are read models: they never write (no effects) and never run a use-case.
  appRule(['shared/app/views/**/*.ts'], {
    regex: '/(effects|use-cases)/',
    message: 'views read; they never write or run a use-case.',
  }),
  // A use-case uses effects, views, the context, ports and the domain — and the use-cases of its own area.
  appRule(
    ['shared/app/use-cases/**/*.ts'],
    {
      regex: '^\\.\\./[^.]',
      message: "a use-case never calls another area's use-cases: share the machinery through effects.",
    },
    {
      regex: '/(create-app|index)$',
      message: 'use-cases are bound by create-app, never the other way round.',
    },
  ),
  // Adapters implement ports (as types) on the SDKs; they never reach into the rest of the application layer.
  restrict(
    ['shared/adapters/**/*.ts'],
    [
      {
        regex: '/app/(?!ports/)',
        message: 'adapters implement ports; they never import the application layer.',
      },
      { regex: '/app/ports/', allowTypeImports: true, message: 'adapters import ports as types only.' },
      { regex: '/(composition|functions/)', message: 'adapters are wired by shared/composition.ts.' },
    ],
  ),
  // Functions are thin: the app through its index, settings, topology, domain errors and schemas;
  // only runtime.ts wires the composition root.
  restrict(['functions/**/*.ts'], [...functionsRules, noCompositionOutsideRuntime]),
  restrict(['functions/runtime.ts'], functionsRules),
  // The CLI talks to the HTTP API only: never to storage, adapters or the application layer.
  restrict(
    ['cli/**/*.ts'],
    [
      { group: ['@azure/*'], message: 'cli/ talks to the HTTP API, never to storage or Service Bus.' },
      {
        regex: '/(shared/(app|adapters|composition|config)|functions|local)(/|$)',
        message: 'cli/ may import shared/domain (schemas, types) only.',
      },
    ],
  ),
);
