/**
 * Identity for in-process tests: the local token issuer (the one `npm start` runs) on a free port, and
 * the app's real token verifier trusting it — tokens are signed, fetched-key-checked and refused exactly
 * as in a deployment.
 */
import { startTokenIssuer, type MintOptions, type TokenIssuer } from '../../local/token-issuer';
import { JwtVerifier } from '../../shared/adapters/jwt-verifier';
import { loadConfig, settingNames } from '../../shared/config';
import { allRoles } from '../../shared/domain/identity/principal';

export interface AuthFixture {
  issuer: TokenIssuer;
  verifier: JwtVerifier;
  /** `Bearer <token>` for a freshly minted token. */
  bearer(options: MintOptions): Promise<string>;
  /** Every role, acting for `orgs`: the principal of handler tests that are not about identity. */
  harness(orgs: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startAuthFixture(): Promise<AuthFixture> {
  const issuer = await startTokenIssuer({ port: 0 });
  const verifier = new JwtVerifier({
    issuers: [issuer.url],
    audiences: [issuer.audience],
    jwksUri: issuer.jwksUri,
    clockToleranceInSeconds: 60,
  });
  const bearer = async (options: MintOptions) => `Bearer ${await issuer.mint(options)}`;
  return {
    issuer,
    verifier,
    bearer,
    harness: (orgs) => bearer({ roles: allRoles, orgs, subject: 'test-harness' }),
    close: () => issuer.close(),
  };
}

/** The settings of an app that trusts the fixture's issuer (for a mocked `getConfig`). */
export function configTrusting(issuer: TokenIssuer, extra: Record<string, string> = {}) {
  return loadConfig({
    [settingNames.serviceBusConnection]: 'Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=v',
    [settingNames.storageConnection]: 'UseDevelopmentStorage=true',
    ...issuer.settings,
    ...extra,
  });
}
