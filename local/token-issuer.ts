/**
 * The local token issuer `npm start` runs beside the host: its own RS256 signing key (made at start, kept
 * in memory), an OpenID discovery document and a JWKS endpoint the app validates against exactly as it
 * validates Microsoft Entra ID, and `POST /token` to mint tokens shaped like Entra's v2 access tokens
 * (`roles`, `oid`, `tid`) with the organisations in `triage_orgs`. 127.0.0.1 only; never deployed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { settingNames } from '../shared/config';
import { allRoles, roles, type Role } from '../shared/domain/identity/principal';

/** Where `npm start` runs the issuer unless told otherwise. */
export const defaultIssuerPort = 7072;
/** The audience the local app accepts (the `api://…` identifier URI of an Entra app registration). */
export const localAudience = 'api://triage-local';
/** The claim the local tokens carry organisations in (the app's default `TRIAGE_AUTH_ORGS_CLAIM`). */
export const localOrgsClaim = 'triage_orgs';
/** Longest lifetime `POST /token` grants. */
export const maxTtlInSeconds = 24 * 60 * 60;

/** `admin`, `operator`, `requester` (any case) or the full role names. */
export function parseRole(name: string): Role {
  const wanted = name.trim().toLowerCase();
  const role = allRoles.find((r) => r.toLowerCase() === wanted || r.toLowerCase() === `triage.${wanted}`);
  if (!role) throw new RangeError(`unknown role "${name}" (one of admin, operator, requester)`);
  return role;
}

export interface MintOptions {
  roles: readonly Role[];
  orgs?: readonly string[];
  /** Lifetime from now. Default one hour. */
  ttlInSeconds?: number;
  /** `sub` and `oid`. Default a fresh `dev-…` id. */
  subject?: string;
  name?: string;
  /** For tests of tokens the app must refuse: another `aud`, another `iss`, a lifetime in the past. */
  audience?: string;
  issuer?: string;
  issuedAt?: Date;
  expiresAt?: Date;
}

export interface TokenIssuer {
  /** e.g. http://127.0.0.1:7072 — also the tokens' `iss`. */
  url: string;
  audience: string;
  jwksUri: string;
  /** The app settings that make the app trust this issuer. */
  settings: Record<string, string>;
  mint(options: MintOptions): Promise<string>;
  close(): Promise<void>;
}

const tokenRequestSchema = z.strictObject({
  roles: z.array(z.string()).max(10).default([roles.requester]),
  orgs: z.array(z.string().max(64)).max(1000).default([]),
  ttlInSeconds: z.number().int().min(1).max(maxTtlInSeconds).default(3600),
  subject: z.string().min(1).max(128).optional(),
  name: z.string().min(1).max(200).optional(),
});

/**
 * Starts the issuer on 127.0.0.1.
 * @throws Error when the port is taken.
 */
export async function startTokenIssuer(
  options: { port?: number; audience?: string } = {},
): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const audience = options.audience ?? localAudience;
  let url = '';

  const mint = (mintOptions: MintOptions): Promise<string> =>
    signToken(privateKey, kid, {
      ...mintOptions,
      issuer: mintOptions.issuer ?? url,
      audience: mintOptions.audience ?? audience,
    });

  const server = createServer((request, response) => {
    void route(request, response).catch((err: unknown) => {
      send(response, 500, { error: 'server_error', error_description: String(err) });
    });
  });
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', url).pathname;
    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      return send(response, 200, {
        issuer: url,
        jwks_uri: `${url}/keys`,
        token_endpoint: `${url}/token`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (request.method === 'GET' && path === '/keys') return send(response, 200, { keys: [jwk] });
    if (request.method === 'POST' && path === '/token') {
      const parsed = tokenRequestSchema.safeParse(await readJson(request));
      if (!parsed.success) {
        return send(response, 400, { error: 'invalid_request', error_description: parsed.error.message });
      }
      let requested: Role[];
      try {
        requested = parsed.data.roles.map(parseRole);
      } catch (err: unknown) {
        return send(response, 400, { error: 'invalid_request', error_description: String(err) });
      }
      const { ttlInSeconds, orgs, subject, name } = parsed.data;
      const token = await mint({
        roles: requested,
        orgs,
        ttlInSeconds,
        ...(subject ? { subject } : {}),
        ...(name ? { name } : {}),
      });
      return send(response, 200, { access_token: token, token_type: 'Bearer', expires_in: ttlInSeconds });
    }
    send(response, 404, { error: 'not_found' });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? defaultIssuerPort, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    audience,
    jwksUri: `${url}/keys`,
    settings: {
      [settingNames.authMode]: 'token',
      [settingNames.authIssuer]: url,
      [settingNames.authAudience]: audience,
      [settingNames.authJwksUri]: `${url}/keys`,
      [settingNames.authOrgsClaim]: localOrgsClaim,
    },
    mint,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function signToken(
  key: CryptoKey,
  kid: string,
  options: MintOptions & { issuer: string; audience: string },
): Promise<string> {
  const subject = options.subject ?? `dev-${randomUUID()}`;
  const issuedAt = options.issuedAt ?? new Date();
  const expiresAt = options.expiresAt ?? new Date(issuedAt.getTime() + (options.ttlInSeconds ?? 3600) * 1000);
  return new SignJWT({
    oid: subject,
    tid: 'local',
    ver: '2.0',
    azp: 'triage-local-cli',
    name: options.name ?? subject,
    roles: [...options.roles],
    [localOrgsClaim]: [...(options.orgs ?? [])],
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(subject)
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .setNotBefore(Math.floor(issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .setJti(randomUUID())
    .sign(key);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 64 * 1024) return undefined;
  }
  try {
    return text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** `--auth on|off` (commander argument parser). */
export function parseAuthOption(value: string): 'on' | 'off' {
  if (value === 'on' || value === 'off') return value;
  throw new InvalidArgumentError('expected on or off');
}

/** What `npm start` prints about identity: where tokens come from, or loudly that there are none. */
export function authBanner(issuer: TokenIssuer | undefined, hostUrl: string): string[] {
  if (!issuer) {
    return [
      '',
      '  !!! AUTHENTICATION IS OFF (--auth off): every caller acts as every role for every organisation.',
      '  !!! Open mode is for quick experiments only; tokens are not checked.',
    ];
  }
  return [
    `  Token issuer     ${issuer.url}   (audience ${issuer.audience}; keys ${issuer.jwksUri})`,
    `  A token:         TOKEN=$(npm run -s token -- --role requester --org royal-infirmary)`,
    `                   curl -H "Authorization: Bearer $TOKEN" ${hostUrl}/api/requests`,
  ];
}
