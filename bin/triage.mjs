#!/usr/bin/env node
// `triage` from a clone (`npx triage`, or `npm i -g` of the folder): the compiled CLI, built first if the
// clone has never been built. After pulling changes, `npm run build` (or `npm start`) brings it up to date.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('triage: first run in this clone, building it (npm run build)…\n');
  const built = spawnSync(process.execPath, [path.join(root, 'local', 'launch.mjs'), '--build-only'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const { run } = createRequire(import.meta.url)(entry);
process.exitCode = await run(process.argv.slice(2));
