import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '../../local/ports';
import { startTokenIssuer, type TokenIssuer } from '../../local/token-issuer';
import { JwtVerifier } from '../../shared/adapters/jwt-verifier';

/** `npm run -s token -- …` as a script uses it: the token alone on stdout, accepted by the app's verifier. */
const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'local', 'token-cli.js');

let issuer: TokenIssuer;
beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('run `npm run build` first (npm test does)');
  issuer = await startTokenIssuer({ port: 0 });
});
afterAll(async () => issuer?.close());

const payload = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the token CLI', () => {
  test('prints one token and nothing else; several roles and organisations, a lifetime', async () => {
    const { stdout, stderr } = await run(process.execPath, [
      cli,
      '--issuer',
      issuer.url,
      '--role',
      'operator,requester',
      '--org',
      'royal-infirmary,city-council',
      '--ttl',
      '15m',
      '--subject',
      'alice',
    ]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const token = stdout.trim();
    const claims = payload(token);
    expect(claims).toMatchObject({
      iss: issuer.url,
      aud: issuer.audience,
      sub: 'alice',
      oid: 'alice',
      roles: ['Triage.Operator', 'Triage.Requester'],
      triage_orgs: ['royal-infirmary', 'city-council'],
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    const verifier = new JwtVerifier({
      issuers: [issuer.url],
      audiences: [issuer.audience],
      jwksUri: issuer.jwksUri,
      clockToleranceInSeconds: 0,
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' });
  });

  test('through npm run -s, stdout is still the token alone', async () => {
    const { stdout } = await run(
      'npm',
      ['run', '-s', 'token', '--', '--issuer', issuer.url, '--role', 'admin'],
      {
        cwd: root,
      },
    );
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    expect(payload(stdout.trim()).roles).toEqual(['Triage.Admin']);
  });

  test('a bad role, a bad lifetime or no issuer: a message on stderr, nothing on stdout, exit 1', async () => {
    const fails = async (args: string[]) => {
      const result = await run(process.execPath, [cli, ...args]).then(
        () => undefined,
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      expect(result).toMatchObject({ code: 1, stdout: '' });
      return result!.stderr;
    };
    expect(await fails(['--issuer', issuer.url, '--role', 'superuser'])).toMatch(/unknown role "superuser"/);
    expect(await fails(['--issuer', issuer.url, '--role', 'admin', '--ttl', '3d'])).toMatch(/at most 24h/);
    const nowhere = `http://127.0.0.1:${await findFreePort()}`;
    expect(await fails(['--issuer', nowhere, '--role', 'admin'])).toMatch(/no token issuer .*`npm start`/);
  });
});
