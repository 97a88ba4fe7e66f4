/**
 * Who is asking: a principal with app roles and the organisations its `Triage.Requester` role covers.
 * Built from validated token claims (Entra ID access tokens, the local token issuer's) or from the claims
 * EasyAuth forwards; never from anything the caller merely asserts.
 */
import { orgIdSchema } from '../requests';

/** The app roles, as the Entra app registration declares them (`infra/entra/app-roles.json`). */
export const roles = {
  admin: 'Triage.Admin',
  operator: 'Triage.Operator',
  requester: 'Triage.Requester',
} as const;
export type Role = (typeof roles)[keyof typeof roles];
export const allRoles: readonly Role[] = Object.values(roles);

/** How the principal was established. */
export type PrincipalSource = 'token' | 'easyauth' | 'auth-off';

export interface Principal {
  /** Stable id: the Entra object id (`oid`), else the token's subject. Memberships are keyed by it. */
  id: string;
  /** For people reading logs and the audit: a display name, user name or client id. */
  name: string;
  roles: readonly Role[];
  /** The organisations the Requester role acts for (sorted, unique). */
  orgIds: readonly string[];
  source: PrincipalSource;
  /** Only `TRIAGE_AUTH_MODE=off`: every role over every organisation. No token can produce it. */
  unrestricted: boolean;
}

/** The principal of every call when authentication is off (`npm start -- --auth off`, never in Azure). */
export const authOffPrincipal: Principal = Object.freeze({
  id: 'auth-off',
  name: 'anyone (authentication is off)',
  roles: allRoles,
  orgIds: [],
  source: 'auth-off',
  unrestricted: true,
});

/** Whether the principal holds the role. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.unrestricted || principal.roles.includes(role);
}

/** Whether the principal's Requester binding covers the organisation. */
export function coversOrg(principal: Principal, orgId: string): boolean {
  return principal.unrestricted || principal.orgIds.includes(orgId);
}

/** How the principal reads in an audit entry: its name and, when that differs, its id. */
export function principalLabel(principal: Principal): string {
  return principal.name === principal.id ? principal.id : `${principal.name} (${principal.id})`;
}

/** Known role names among the values of a `roles` claim; unknown ones (other apps' roles) are ignored. */
export function rolesFrom(value: unknown): Role[] {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return allRoles.filter((role) => values.includes(role));
}

/**
 * Organisation ids from a claim or a membership list: an array of strings, or one string separated by
 * commas or spaces. Values that are not valid orgIds are dropped (they could never match a request).
 */
export function orgIdsFrom(...values: unknown[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    for (const item of items) {
      if (typeof item === 'string' && orgIdSchema.safeParse(item).success) found.add(item);
    }
  }
  return [...found].sort();
}

/** What the mapping from claims needs to know about the deployment. */
export interface ClaimMapping {
  /** The claim holding organisation ids, if any (`triage_orgs` by default). */
  orgsClaim: string;
}

/**
 * The principal named by validated claims: `oid` (else `sub`) as its id, app roles from `roles`,
 * organisations from the configured claim plus `memberOrgIds` (the membership table's rows for it).
 * @returns null when the claims name no subject at all (such a token identifies nobody).
 */
export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
  source: Exclude<PrincipalSource, 'auth-off'>,
  memberOrgIds: readonly string[] = [],
): Principal | null {
  const id = firstString(claims.oid, claims.sub);
  if (id === undefined) return null;
  return {
    id,
    name: firstString(claims.name, claims.preferred_username, claims.upn, claims.appid, claims.azp) ?? id,
    roles: rolesFrom(claims.roles),
    orgIds: orgIdsFrom(claims[mapping.orgsClaim], [...memberOrgIds]),
    source,
    unrestricted: false,
  };
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}
