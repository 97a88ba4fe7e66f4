/**
 * Tokens the app must refuse, made from a good one or from scratch: the attacker's toolbox for the
 * verifier tests and the role × route matrix. (No crypto of ours: jose signs; these only cut and paste.)
 */
import { createHmac } from 'node:crypto';
import { findFreePort } from '../../local/ports';
import { startTokenIssuer, type TokenIssuer } from '../../local/token-issuer';
import { allRoles } from '../../shared/domain/identity/principal';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString('utf8')) as Record<string, unknown>;

/** The kinds of bad token, by name. */
export const badTokenKinds = [
  'expired',
  'not yet valid',
  'wrong audience',
  'wrong issuer',
  "another issuer's key",
  'tampered payload',
  'tampered signature',
  'alg none',
  'alg HS256 with the public key',
  'no expiry',
  'malformed',
] as const;
export type BadTokenKind = (typeof badTokenKinds)[number];

/** Each kind of bad token, minted for `orgs` with every role (so only the flaw can refuse it). */
export async function badTokens(
  issuer: TokenIssuer,
  orgs: readonly string[],
): Promise<Record<BadTokenKind, string>> {
  const good = { roles: allRoles, orgs, subject: 'mallory' };
  const valid = await issuer.mint(good);
  const [header, , signature] = parts(valid);
  const now = Date.now();
  const elsewhere = await startTokenIssuer({ port: await findFreePort() });
  let foreign: string;
  try {
    // Another issuer's key, claiming to be ours.
    foreign = await elsewhere.mint({ ...good, issuer: issuer.url, audience: issuer.audience });
  } finally {
    await elsewhere.close();
  }
  const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Array<Record<string, unknown>> };
  const hsHeader = b64({ alg: 'HS256', typ: 'JWT', kid: jwks.keys[0]!.kid });
  const hsBody = b64(payloadOf(valid));
  // "alg confusion": HMAC with the published public key as the secret.
  const hsSignature = createHmac('sha256', JSON.stringify(jwks.keys[0]))
    .update(`${hsHeader}.${hsBody}`)
    .digest('base64url');
  return {
    expired: await issuer.mint({
      ...good,
      issuedAt: new Date(now - 2 * 3600_000),
      expiresAt: new Date(now - 3600_000),
    }),
    'not yet valid': await issuer.mint({ ...good, issuedAt: new Date(now + 3600_000) }),
    'wrong audience': await issuer.mint({ ...good, audience: 'api://someone-else' }),
    'wrong issuer': await issuer.mint({ ...good, issuer: 'https://login.example/other/v2.0' }),
    "another issuer's key": foreign,
    'tampered payload': `${header}.${b64({ ...payloadOf(valid), triage_orgs: ['victim-org'] })}.${signature}`,
    'tampered signature': `${header}.${parts(valid)[1]}.${signature.slice(0, -6)}${signature.slice(-6).split('').reverse().join('')}`,
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${parts(valid)[1]}.`,
    'alg HS256 with the public key': `${hsHeader}.${hsBody}.${hsSignature}`,
    'no expiry': `${header}.${b64({ ...payloadOf(valid), exp: undefined })}.${signature}`,
    malformed: 'not.a.jwt',
  };
}
