// `npm start` / `npm run build`: compile only when a source is newer than the last build, then (for
// `start`) run the compiled stack in this same process. Plain JavaScript because it runs before there is
// a build. The build is TypeScript's incremental one (dist/.tsbuildinfo), so a change recompiles what it
// touches; an unchanged tree starts without running the compiler at all.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.tsbuildinfo');
// What tsconfig.build.json compiles, plus the files that change what it compiles.
const sourceFolders = [
  'cli',
  'functions',
  'shared',
  'local',
  'scripts',
  'test/bench',
  'test/fixtures',
  'test/support',
  'infra',
  'status-page',
];
const sourceFiles = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const skipped = new Set(['node_modules', 'dist', '.git']);

function newestSource(folder) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (skipped.has(entry.name)) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.(ts|json|html|css)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** True when dist/ was built after the newest source. */
export function isBuildCurrent() {
  if (!existsSync(stamp) || !existsSync(path.join(root, 'dist', 'local', 'start.js'))) return false;
  const built = statSync(stamp).mtimeMs;
  const newest = Math.max(
    ...sourceFolders.map((folder) => newestSource(path.join(root, folder))),
    ...sourceFiles.map((file) => statSync(path.join(root, file), { throwIfNoEntry: false })?.mtimeMs ?? 0),
  );
  return newest <= built;
}

/** Runs TypeScript's incremental build; exits the process when it fails. */
function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    console.error('The build failed (see the errors above).');
    process.exit(result.status ?? 1);
  }
  buildStatusPage();
  // An incremental build that found nothing to emit may leave the stamp as it was: mark this build.
  const now = new Date();
  if (existsSync(stamp)) utimesSync(stamp, now, now);
  return performance.now() - started;
}

/**
 * The status page's assets into dist/status-page/: its script bundled with Chart.js from node_modules
 * (esbuild; the page never loads anything from a CDN), its HTML and CSS copied.
 */
function buildStatusPage() {
  const source = path.join(root, 'status-page');
  const out = path.join(root, 'dist', 'status-page');
  mkdirSync(out, { recursive: true });
  createRequire(import.meta.url)('esbuild').buildSync({
    entryPoints: [path.join(source, 'app.ts')],
    outfile: path.join(out, 'app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(path.join(source, file), path.join(out, file));
}

const mode = process.argv[2] === '--build-only' ? 'build' : 'start';
if (mode === 'build') {
  build();
} else {
  if (isBuildCurrent()) {
    console.log('dist/ is up to date: starting without a build');
  } else {
    const ms = build();
    console.log(`Built in ${(ms / 1000).toFixed(1)} s`);
  }
  // The compiled entry reads process.argv like `node dist/local/start.js …` would.
  createRequire(import.meta.url)(path.join(root, 'dist', 'local', 'start.js'));
}
