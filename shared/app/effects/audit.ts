import { authorize, mayAttempt, type Action } from '../../domain/identity/authorization';
import type { Principal } from '../../domain/identity/principal';
import type { AppContext } from '../context';

export interface AuditedChange {
  /** The organisation concerned; none for actions on the deployment itself. */
  orgId?: string;
  target?: string;
  detail?: string;
}

/**
 * Records a change of state in the audit log with the principal who made it and the role that allowed it.
 * Called after the change succeeded; a failure to record surfaces to the caller (who may retry the
 * idempotent change) rather than leaving a change silently unaudited.
 * @throws TypeError when the principal was not allowed the action (a use-case audited before authorising).
 */
export async function recordAudit(
  ctx: AppContext,
  caller: Principal,
  action: Action,
  change: AuditedChange,
): Promise<void> {
  const decision =
    change.orgId === undefined ? mayAttempt(caller, action) : authorize(caller, action, change.orgId);
  if (!decision.allowed) throw new TypeError(`audit of ${action} by ${caller.id}, who was not allowed it`);
  await ctx.ports.audit.append({
    at: ctx.now(),
    action,
    ...change,
    principalId: caller.id,
    principalName: caller.name,
    role: decision.role,
    scope: decision.scope,
    source: caller.source,
  });
}
