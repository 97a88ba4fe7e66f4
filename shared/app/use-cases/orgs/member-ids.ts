import { principalIdSchema } from '../../../domain/identity/audit';
import { assertAuthorized, type Action } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';

/**
 * The organisation and member a membership route names, once both are valid and the caller may take
 * `action` on that organisation's memberships.
 * @throws TriageError `validation` for a malformed id; `forbidden` without the role.
 */
export function memberIds(
  caller: Principal,
  action: Action,
  orgId: unknown,
  principalId: unknown,
): { orgId: string; principalId: string } {
  const org = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  const member = parseOrThrow(principalIdSchema, principalId, 'principal id', 'principalId');
  assertAuthorized(caller, action, org);
  return { orgId: org, principalId: member };
}
