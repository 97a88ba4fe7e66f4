/**
 * `npm run start:func`: the same app with Microsoft's own tools, for machines that have them —
 * Docker (the official Service Bus emulator, its SQL database and Azurite, from infra/local/docker-compose.yml)
 * and Azure Functions Core Tools (`func start`). Same setting names as `npm start`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const composeFile = path.join(root, 'infra', 'local', 'docker-compose.yml');

function has(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

function main(): void {
  const missing: string[] = [];
  if (!has('docker', ['info'])) missing.push('a running Docker engine (`docker info` failed)');
  if (!has('func', ['--version'])) missing.push('Azure Functions Core Tools v4 (`func --version` failed)');
  if (missing.length > 0) {
    console.error(
      `npm run start:func needs ${missing.join(' and ')}.\n` +
        'Use `npm start` instead: it runs the same app on Azurite, the bundled Service Bus–compatible broker ' +
        'and the local Functions host, with nothing else installed.',
    );
    process.exitCode = 1;
    return;
  }
  const settingsFile = path.join(root, 'local.settings.json');
  if (!existsSync(settingsFile)) {
    // The example's values point at Azurite's and the emulator's default ports, which the compose file publishes.
    copyFileSync(path.join(root, 'local.settings.example.json'), settingsFile);
    console.log('Created local.settings.json from local.settings.example.json');
  }
  console.log(
    `Starting the Service Bus emulator, its database and Azurite (${path.relative(root, composeFile)})…`,
  );
  const up = spawnSync('docker', ['compose', '-f', composeFile, 'up', '-d', '--wait'], { stdio: 'inherit' });
  if (up.status !== 0) {
    process.exitCode = up.status ?? 1;
    return;
  }
  const func = spawn('func', ['start'], { cwd: root, stdio: 'inherit' });
  const down = (): void => {
    spawnSync('docker', ['compose', '-f', composeFile, 'down'], { stdio: 'inherit' });
  };
  process.on('SIGINT', () => func.kill('SIGINT'));
  process.on('SIGTERM', () => func.kill('SIGTERM'));
  func.on('exit', (code) => {
    down();
    process.exit(code ?? 0);
  });
}

main();
