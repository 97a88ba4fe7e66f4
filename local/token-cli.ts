/**
 * `npm run -s token -- --role requester --org royal-infirmary [--ttl 1h] [--subject alice] [--name "Alice"]`
 * — asks the running local token issuer (`npm start`) for a token and prints it alone on stdout, so a
 * script can capture it: `TOKEN=$(npm run -s token -- --role operator)` (`-s` keeps npm's own banner off
 * stdout). Several roles or organisations: `--role operator,requester --org a,b`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ensureError } from '../shared/domain/errors';
import { defaultIssuerPort, maxTtlInSeconds, parseRole } from './token-issuer';

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `3600`, `90s`, `15m`, `8h`, `1d` → seconds (commander argument parser). */
export function parseTtl(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (units[match[2] || 's'] ?? 1) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > maxTtlInSeconds) {
    throw new InvalidArgumentError(`expected a lifetime such as 3600, 90s, 15m or 8h, at most 24h`);
  }
  return seconds;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function roleList(value: string): string[] {
  try {
    return list(value).map(parseRole);
  } catch (err: unknown) {
    throw new InvalidArgumentError(ensureError(err).message);
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run -s token --')
    .description('Mints a development token from the local token issuer that `npm start` runs.')
    .requiredOption('--role <roles>', 'admin, operator, requester (comma-separated)', roleList)
    .option('--org <orgIds>', "the Requester's organisations (comma-separated)", list, [])
    .option('--ttl <lifetime>', 'lifetime: 3600, 90s, 15m, 8h (at most 24h)', parseTtl, 3600)
    .option('--subject <id>', 'the principal id (sub and oid); default a fresh dev-… id')
    .option('--name <name>', 'display name')
    .option('--issuer <url>', 'the local issuer', `http://127.0.0.1:${defaultIssuerPort}`)
    .parse(process.argv);
  const options = program.opts<{
    role: string[];
    org: string[];
    ttl: number;
    subject?: string;
    name?: string;
    issuer: string;
  }>();
  let response: Response;
  try {
    response = await fetch(new URL('/token', options.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        roles: options.role,
        orgs: options.org,
        ttlInSeconds: options.ttl,
        ...(options.subject ? { subject: options.subject } : {}),
        ...(options.name ? { name: options.name } : {}),
      }),
    });
  } catch (err: unknown) {
    throw new Error(
      `no token issuer at ${options.issuer} (${ensureError(err).message}): start the stack with \`npm start\` (or pass --issuer)`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    error_description?: string;
  };
  if (!response.ok || !body.access_token) {
    throw new Error(`the issuer refused: ${response.status} ${body.error_description ?? ''}`.trim());
  }
  process.stdout.write(`${body.access_token}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(ensureError(err).message);
    process.exitCode = 1;
  });
}
