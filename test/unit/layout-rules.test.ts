import { execFileSync } from 'node:child_process';

// The folder rules are lint rules: prove each one fails on a deliberately wrong import, linted as if the code
// sat at that path (nothing is written). ESLint loads its ES-module config, which jest's VM cannot, so one
// child process lints every sample with the ESLint API.
type Sample = { filePath: string; code: string };
type Linted = Array<{ filePath: string; messages: Array<{ ruleId: string | null; message: string }> }>;

function lintAll(samples: Sample[]): Linted {
  const script = `
    const { ESLint } = require('eslint');
    const samples = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const s of samples) {
        const [r] = await eslint.lintText(s.code, { filePath: s.filePath });
        out.push({ filePath: s.filePath, messages: r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })) });
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script, JSON.stringify(samples)], { encoding: 'utf8' }),
  ) as Linted;
}

const cases: Array<[string, string, RegExp]> = [
  ['shared/domain/x.ts', "import { createApp } from '../app/index';", /imports nothing outside itself/],
  ['shared/domain/scheduling/x.ts', "import { loadConfig } from '../../config';", /nothing outside itself/],
  ['shared/domain/x.ts', "import { readFile } from 'node:fs';", /no I\/O/],
  ['shared/domain/x.ts', "import { TableClient } from '@azure/data-tables';", /no Azure SDKs/],
  [
    'shared/app/use-cases/work/x.ts',
    "import { BlobArtifactStore } from '../../../adapters/blob-artifact-store';",
    /createApp\(deps\)/,
  ],
  ['shared/app/use-cases/work/x.ts', "import { getRequest } from '../requests/get-request';", /another area/],
  [
    'shared/app/effects/x.ts',
    "import { processWork } from '../use-cases/work/process-work';",
    /never import use-cases/,
  ],
  ['shared/app/views/x.ts', "import { mutateRequest } from '../effects/mutate-request';", /never write/],
  [
    'shared/adapters/x.ts',
    "import { createApp } from '../app/create-app';",
    /never import the application layer/,
  ],
  ['shared/adapters/x.ts', "import { tierView } from '../app/ports/stores';", /as types only/],
  [
    'functions/x.ts',
    "import { mutateRequest } from '../shared/app/effects/mutate-request';",
    /through its index only/,
  ],
  ['functions/x.ts', "import { createRuntime } from '../shared/composition';", /only functions\/runtime.ts/],
  [
    'functions/x.ts',
    "import { TableRequestStore } from '../shared/adapters/table-stores';",
    /never import adapters/,
  ],
];

const allowed: Array<[string, string]> = [
  ['shared/domain/scheduling/x.ts', "import { TriageError } from '../errors';"],
  [
    'shared/app/use-cases/work/x.ts',
    "import { processBatch } from './process-batch';\nimport { mutateRequest } from '../../effects/mutate-request';",
  ],
  ['shared/adapters/x.ts', "import type { RequestStore } from '../app/ports/stores';"],
  [
    'functions/x.ts',
    "import type { TriageApp } from '../shared/app/index';\nimport { TriageError } from '../shared/domain/errors';",
  ],
  ['functions/runtime.ts', "import { createRuntime } from '../shared/composition';"],
];

describe('project layout rules (no-restricted-imports per folder, max-lines)', () => {
  const samples: Sample[] = [
    ...cases.map(([filePath, code]) => ({ filePath, code })),
    ...allowed.map(([filePath, code]) => ({ filePath, code })),
    { filePath: 'shared/app/x.ts', code: 'export const x = 1;\n'.repeat(301) },
  ];
  let linted: Linted;
  beforeAll(() => {
    linted = lintAll(samples);
  });
  const restricted = (i: number): string[] =>
    linted[i]!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map(
      (m) => m.message,
    );

  test.each(cases.map((c, i) => [...c, i] as const))('%s: %s is refused', (_path, _code, expected, i) => {
    expect(restricted(i)).toEqual([expect.stringMatching(expected)]);
  });

  test('what each folder may import passes', () => {
    allowed.forEach((_, i) => expect(restricted(cases.length + i)).toEqual([]));
  });

  test('a file over 300 lines in shared/app fails max-lines', () => {
    expect(linted.at(-1)!.messages.map((m) => m.ruleId)).toContain('max-lines');
  });
});
