import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { TokenVerifier } from '../app/ports/identity';
import { TriageError } from '../domain/errors';

export interface JwtVerifierOptions {
  /** Accepted `iss` values (Entra ID v2: `https://login.microsoftonline.com/<tenant>/v2.0`). */
  issuers: readonly string[];
  /** Accepted `aud` values (the API's client id, and/or its `api://…` identifier URI). */
  audiences: readonly string[];
  /** Where the issuer publishes its signing keys (Entra ID: `…/<tenant>/discovery/v2.0/keys`). */
  jwksUri: string;
  /** Clock skew tolerated on `exp` and `nbf`. */
  clockToleranceInSeconds: number;
  /** Signature algorithms accepted; Entra ID signs with RS256. Never `none`. */
  algorithms?: readonly string[];
  /** How long one fetch of the keys may take. */
  jwksTimeoutInMs?: number;
}

/** The keys could not be fetched: the token may be fine, so the caller hears "try again", not 401. */
class KeysUnavailable extends Error {
  override readonly name = 'KeysUnavailable';
}

/** jose's error codes, turned into what a caller reads in `WWW-Authenticate`'s error_description. */
const reasons: Record<string, string> = {
  ERR_JWT_EXPIRED: 'the token has expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'the token signature is not valid',
  ERR_JOSE_ALG_NOT_ALLOWED: 'the token signature algorithm is not accepted',
  ERR_JWKS_NO_MATCHING_KEY: 'the token was not signed by a key of the issuer',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'the token names no single key of the issuer',
  ERR_JWS_INVALID: 'the token is malformed',
  ERR_JWT_INVALID: 'the token is malformed',
  ERR_JOSE_NOT_SUPPORTED: 'the token uses a format that is not supported',
};

/**
 * Validates bearer tokens with `jose`: the signature against the issuer's published keys (fetched and
 * cached by jose, refetched when a token names an unknown key id), the algorithm, `iss`, `aud`, `exp`
 * (required) and `nbf`.
 */
export class JwtVerifier implements TokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  /** @throws TypeError for a `jwksUri` that is not a URL. */
  constructor(private readonly options: JwtVerifierOptions) {
    const remote = createRemoteJWKSet(new URL(options.jwksUri), {
      timeoutDuration: options.jwksTimeoutInMs ?? 5_000,
    });
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err: unknown) {
        const code = (err as { code?: unknown } | null)?.code;
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
        throw new KeysUnavailable(err instanceof Error ? err.message : String(err), { cause: err });
      }
    };
  }

  async verify(token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: [...this.options.issuers],
        audience: [...this.options.audiences],
        algorithms: [...(this.options.algorithms ?? ['RS256'])],
        clockTolerance: this.options.clockToleranceInSeconds,
        requiredClaims: ['exp'],
      });
      return payload as Record<string, unknown>;
    } catch (err: unknown) {
      if (err instanceof KeysUnavailable) {
        throw new TriageError(
          'dependency-unavailable',
          `the token issuer's keys are unavailable: ${err.message}`,
          {
            cause: err,
          },
        );
      }
      throw new TriageError('unauthenticated', reasonOf(err), { cause: err });
    }
  }
}

function reasonOf(err: unknown): string {
  const { code, claim } = (err ?? {}) as { code?: unknown; claim?: unknown };
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && typeof claim === 'string') {
    return claim === 'nbf' ? 'the token is not valid yet' : `the token's "${claim}" claim is not accepted`;
  }
  return (typeof code === 'string' ? reasons[code] : undefined) ?? 'the token is not valid';
}
