/**
 * `npm run infra:emulator-config`: writes infra/local/config.json (the official Service Bus emulator's
 * entity declarations) from infra/topology.json. `--check` only reports whether the committed file is current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEmulatorConfig, formatEmulatorConfig } from '../infra/local/emulator-config';
import { topology } from '../shared/topology';

// Compiled to dist/scripts/, two levels below the project root.
const root = path.resolve(__dirname, '..', '..');
const target = path.join(root, 'infra', 'local', 'config.json');

function readCurrent(): string | undefined {
  try {
    return readFileSync(target, 'utf8');
  } catch {
    return undefined;
  }
}

function main(): void {
  const expected = formatEmulatorConfig(createEmulatorConfig(topology));
  const relative = path.relative(root, target);
  if (process.argv.includes('--check')) {
    if (readCurrent() === expected) {
      console.log(`${relative} matches infra/topology.json`);
    } else {
      console.error(`${relative} is out of date: run \`npm run infra:emulator-config\``);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(target, expected);
  console.log(`wrote ${relative} from infra/topology.json`);
}

main();
