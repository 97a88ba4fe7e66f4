/**
 * Who may do what: one policy row per action, and the pure decisions every route and use-case asks.
 * A role grants an action either over every organisation (`anyOrg`) or over the organisations bound to
 * the principal (`ownOrgs`, the Requester's binding). Nothing else grants anything.
 *
 * A new route declares its action here (one row), names it in its handler (`authorized('…', handler)`
 * in functions/http-common.ts), and the role × route matrix test gets the row of expected answers.
 */
import { TriageError } from '../errors';
import { coversOrg, hasRole, roles, type Principal, type Role } from './principal';

export interface ActionPolicy {
  /** Roles that may take the action for any organisation. */
  anyOrg: readonly Role[];
  /** Roles that may take it for the organisations bound to the principal only. */
  ownOrgs: readonly Role[];
  /** Whether a successful call is recorded in the audit log with its principal (every change of state). */
  audited: boolean;
}

const { admin, operator, requester } = roles;

export const actionPolicies = {
  'requests:submit': { anyOrg: [], ownOrgs: [requester], audited: true },
  'requests:list': { anyOrg: [operator], ownOrgs: [requester], audited: false },
  'requests:read': { anyOrg: [operator], ownOrgs: [requester], audited: false },
  'requests:cancel': { anyOrg: [operator], ownOrgs: [requester], audited: true },
  'requests:retry': { anyOrg: [operator], ownOrgs: [requester], audited: true },
  'requests:release': { anyOrg: [operator], ownOrgs: [], audited: true },
  'inventories:import': { anyOrg: [], ownOrgs: [requester], audited: true },
  'orgs:read': { anyOrg: [admin, operator], ownOrgs: [requester], audited: false },
  'orgs:write': { anyOrg: [admin], ownOrgs: [], audited: true },
  'orgs:audit': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'orgs:import': { anyOrg: [admin], ownOrgs: [], audited: true },
  'readiness:read': { anyOrg: [admin, operator], ownOrgs: [requester], audited: false },
  'readiness:write': { anyOrg: [], ownOrgs: [requester], audited: true },
  'members:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'members:write': { anyOrg: [admin], ownOrgs: [], audited: true },
  'pools:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'pools:write': { anyOrg: [admin], ownOrgs: [], audited: true },
  'calendar:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'calendar:write': { anyOrg: [admin], ownOrgs: [], audited: true },
  'plan:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'plan:what-if': { anyOrg: [operator], ownOrgs: [], audited: false },
  // The operator's views across organisations: the registry listing and the status page's data.
  'orgs:list': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'status:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'dead-letters:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  // Hold and drain: stopping a tier's or an organisation's work is an operator's call (and an admin's).
  'holds:read': { anyOrg: [admin, operator], ownOrgs: [], audited: false },
  'holds:write': { anyOrg: [admin, operator], ownOrgs: [], audited: true },
} as const satisfies Record<string, ActionPolicy>;

export type Action = keyof typeof actionPolicies;
export const allActions = Object.keys(actionPolicies) as Action[];

/** Every role that may take the action for some organisation (what OpenAPI lists per route). */
export function rolesFor(action: Action): Role[] {
  const policy: ActionPolicy = actionPolicies[action];
  return [...new Set([...policy.anyOrg, ...policy.ownOrgs])];
}

export type Decision =
  | { allowed: true; role: Role; scope: 'any-org' | 'own-org' }
  | { allowed: false; reason: 'no-role' | 'not-own-org' };

/**
 * Whether the principal holds a role that could take the action at all: the check every route makes
 * before it reads its input. An any-organisation role is preferred when the principal holds both.
 */
export function mayAttempt(principal: Principal, action: Action): Decision {
  const policy: ActionPolicy = actionPolicies[action];
  const anyOrg = policy.anyOrg.find((role) => hasRole(principal, role));
  if (anyOrg) return { allowed: true, role: anyOrg, scope: 'any-org' };
  const ownOrgs = policy.ownOrgs.find((role) => hasRole(principal, role));
  if (ownOrgs) return { allowed: true, role: ownOrgs, scope: 'own-org' };
  return { allowed: false, reason: 'no-role' };
}

/** Whether the principal may take the action for this organisation. */
export function authorize(principal: Principal, action: Action, orgId: string): Decision {
  const attempt = mayAttempt(principal, action);
  if (!attempt.allowed || attempt.scope === 'any-org' || coversOrg(principal, orgId)) return attempt;
  return { allowed: false, reason: 'not-own-org' };
}

/** Which organisations a listing may cover: all of them, or the principal's own. */
export type OrgScope = { kind: 'all' } | { kind: 'orgs'; orgIds: readonly string[] };

/**
 * What a listing covers: an any-organisation role sees everything (or the one organisation asked for);
 * a Requester sees its own organisations, or the one asked for if it is its own.
 * @throws TriageError `forbidden` when the principal may not list, or asks for an organisation not its own.
 */
export function listScope(principal: Principal, action: Action, requestedOrgId?: string): OrgScope {
  if (requestedOrgId !== undefined) {
    assertAuthorized(principal, action, requestedOrgId, 'orgId');
    return { kind: 'orgs', orgIds: [requestedOrgId] };
  }
  const attempt = requireAttempt(principal, action);
  if (attempt.scope === 'any-org' || principal.unrestricted) return { kind: 'all' };
  return { kind: 'orgs', orgIds: principal.orgIds };
}

/**
 * Throws unless the principal holds a role for the action.
 * @throws TriageError `forbidden` naming the roles that would do.
 */
export function requireAttempt(principal: Principal, action: Action): Decision & { allowed: true } {
  const decision = mayAttempt(principal, action);
  if (decision.allowed) return decision;
  throw new TriageError('forbidden', `${action} needs one of the roles ${rolesFor(action).join(', ')}`);
}

/**
 * Throws unless the principal may take the action for the organisation it names.
 * @param field where the caller named the organisation (`orgId` in a body, query or path).
 * @throws TriageError `forbidden`: without the role, or for an organisation not bound to the principal.
 */
export function assertAuthorized(principal: Principal, action: Action, orgId: string, field = 'orgId'): void {
  const decision = authorize(principal, action, orgId);
  if (decision.allowed) return;
  if (decision.reason === 'no-role') requireAttempt(principal, action);
  throw new TriageError('forbidden', `organisation "${orgId}" is not one of the caller's`, {
    fields: [{ field, message: 'not one of the organisations your Triage.Requester role is bound to' }],
  });
}

/**
 * Whether the principal may see a stored thing of this organisation. Callers answer `not-found` when it
 * may not, so a requester cannot learn that another organisation's request exists.
 */
export function canSee(principal: Principal, action: Action, orgId: string): boolean {
  return authorize(principal, action, orgId).allowed;
}
