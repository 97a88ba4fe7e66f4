/**
 * `npm run infra:build`: compiles infra/main.bicep with the Bicep CLI (`az bicep build`, or a standalone
 * `bicep`) on machines that have one, to catch the semantic errors the offline syntax checks in `npm test` cannot.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const mainFile = path.join(root, 'infra', 'main.bicep');

function available(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function main(): void {
  // The ARM JSON is only a by-product here: what matters is that the compiler accepts every file.
  const outdir = mkdtempSync(path.join(tmpdir(), 'triage-bicep-'));
  try {
    let command: [string, string[]] | undefined;
    if (available('bicep', ['--version'])) {
      command = ['bicep', ['build', mainFile, '--outdir', outdir]];
    } else if (available('az', ['bicep', 'version'])) {
      command = ['az', ['bicep', 'build', '--file', mainFile, '--outdir', outdir]];
    }
    if (!command) {
      console.error(
        'npm run infra:build needs the Bicep CLI: install it (`az bicep install`, or see ' +
          'https://learn.microsoft.com/azure/azure-resource-manager/bicep/install) and run again.\n' +
          '`npm test` already checks the Bicep offline (syntax, and consistency with the topology and the code).',
      );
      process.exitCode = 1;
      return;
    }
    const [program, args] = command;
    console.log(`${program} ${args.join(' ')}`);
    const result = spawnSync(program, args, { stdio: 'inherit' });
    process.exitCode = result.status ?? 1;
    if (result.status === 0) console.log('infra/main.bicep and its modules compile.');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main();
