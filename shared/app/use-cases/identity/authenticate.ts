import { TriageError } from '../../../domain/errors';
import { bearerToken, type Credentials } from '../../../domain/identity/credentials';
import { claimsFromEasyAuthHeader } from '../../../domain/identity/easy-auth';
import {
  authOffPrincipal,
  hasRole,
  principalFromClaims,
  roles,
  type Principal,
} from '../../../domain/identity/principal';
import type { AppContext } from '../../context';

/**
 * Who is asking: the principal behind a call's credentials, by the deployment's mode — a bearer token
 * validated by the token verifier, EasyAuth's forwarded principal, or everyone when authentication is
 * off. A Requester's organisations are the token's claim plus its rows in the membership table.
 * @throws TriageError `unauthenticated` naming what is missing or wrong; `dependency-unavailable` when
 *   the issuer's keys or the membership table cannot be read.
 */
export async function authenticate(ctx: AppContext, credentials: Credentials): Promise<Principal> {
  const { mode, orgsClaim } = ctx.settings.auth;
  if (mode === 'off') return authOffPrincipal;
  let claims: Record<string, unknown>;
  if (mode === 'easyauth') {
    if (!credentials.clientPrincipal) {
      throw new TriageError('unauthenticated', 'no principal from App Service Authentication');
    }
    const decoded = claimsFromEasyAuthHeader(credentials.clientPrincipal);
    if (!decoded) throw new TriageError('unauthenticated', 'the forwarded principal is not readable');
    claims = decoded;
  } else {
    claims = await ctx.ports.tokens.verify(bearerToken(credentials.authorization));
  }
  const source = mode === 'easyauth' ? 'easyauth' : 'token';
  const principal = principalFromClaims(claims, { orgsClaim }, source);
  if (!principal) throw new TriageError('unauthenticated', 'the token names no subject (oid or sub)');
  // Only a Requester acts for organisations: no one else pays for the membership read.
  if (!hasRole(principal, roles.requester)) return principal;
  const memberOrgs = await ctx.ports.memberships.orgsOf(principal.id);
  return memberOrgs.length === 0
    ? principal
    : (principalFromClaims(claims, { orgsClaim }, source, memberOrgs) ?? principal);
}
