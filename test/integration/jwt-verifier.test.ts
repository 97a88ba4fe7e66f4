import { findFreePort } from '../../local/ports';
import { startTokenIssuer, type TokenIssuer } from '../../local/token-issuer';
import { JwtVerifier } from '../../shared/adapters/jwt-verifier';
import { isTriageError } from '../../shared/domain/errors';
import { roles } from '../../shared/domain/identity/principal';
import { badTokens } from '../support/bad-tokens';

/** The app's token verifier (jose) against the local issuer over HTTP, as it runs against Entra ID. */
let issuer: TokenIssuer;
let verifier: JwtVerifier;
let bad: Record<string, string>;
beforeAll(async () => {
  issuer = await startTokenIssuer({ port: 0 });
  bad = await badTokens(issuer, ['a']);
  verifier = new JwtVerifier({
    issuers: [issuer.url],
    audiences: ['00000000-0000-0000-0000-0000000000aa', issuer.audience],
    jwksUri: issuer.jwksUri,
    clockToleranceInSeconds: 60,
  });
});
afterAll(async () => issuer?.close());

async function refusal(token: string, with_ = verifier): Promise<{ code?: string; message?: string }> {
  try {
    await with_.verify(token);
    return {};
  } catch (err: unknown) {
    return isTriageError(err) ? { code: err.code, message: err.message } : { message: String(err) };
  }
}

describe('JwtVerifier', () => {
  test('a valid token gives its claims', async () => {
    const claims = await verifier.verify(
      await issuer.mint({ roles: [roles.requester], orgs: ['a'], subject: 's' }),
    );
    expect(claims).toMatchObject({
      iss: issuer.url,
      aud: issuer.audience,
      oid: 's',
      roles: [roles.requester],
    });
  });

  test('a token expired by less than the clock tolerance still passes', async () => {
    const now = Date.now();
    const justExpired = await issuer.mint({
      roles: [roles.operator],
      issuedAt: new Date(now - 600_000),
      expiresAt: new Date(now - 20_000),
    });
    expect(await refusal(justExpired)).toEqual({});
  });

  test.each([
    ['expired', 'the token has expired'],
    ['not yet valid', 'the token is not valid yet'],
    ['wrong audience', 'the token\'s "aud" claim is not accepted'],
    ['wrong issuer', 'the token\'s "iss" claim is not accepted'],
    ["another issuer's key", 'the token was not signed by a key of the issuer'],
    ['tampered payload', 'the token signature is not valid'],
    ['tampered signature', 'the token signature is not valid'],
    ['alg none', 'the token signature algorithm is not accepted'],
    ['alg HS256 with the public key', 'the token signature algorithm is not accepted'],
    ['no expiry', 'the token signature is not valid'],
    ['malformed', 'the token is malformed'],
  ])('%s: unauthenticated (%s)', async (kind, message) => {
    expect(await refusal(bad[kind]!)).toEqual({ code: 'unauthenticated', message });
  });

  test('a token without exp is refused even when properly signed', async () => {
    const { SignJWT, generateKeyPair, exportJWK } = await import('jose');
    // A second verifier over a key this test controls: sign a well-formed token that simply lacks exp.
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const own = new JwtVerifier({
        issuers: ['https://i.example'],
        audiences: ['aud'],
        jwksUri: `http://127.0.0.1:${port}/keys`,
        clockToleranceInSeconds: 0,
      });
      const token = await new SignJWT({ roles: [roles.admin] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer('https://i.example')
        .setAudience('aud')
        .setSubject('s')
        .sign(privateKey);
      expect(await refusal(token, own)).toEqual({
        code: 'unauthenticated',
        message: 'the token\'s "exp" claim is not accepted',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('keys that cannot be fetched are a dependency outage (503), not a bad token (401)', async () => {
    const nowhere = new JwtVerifier({
      issuers: [issuer.url],
      audiences: [issuer.audience],
      jwksUri: `http://127.0.0.1:${await findFreePort()}/keys`,
      clockToleranceInSeconds: 60,
      jwksTimeoutInMs: 2_000,
    });
    const token = await issuer.mint({ roles: [roles.operator] });
    expect(await refusal(token, nowhere)).toMatchObject({ code: 'dependency-unavailable' });
  });
});
