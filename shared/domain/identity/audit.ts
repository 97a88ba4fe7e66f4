/**
 * The audit log: every change of state a principal makes, with who made it and under which role.
 * Entries are partitioned by organisation (one organisation's audit is a single-partition read); actions on
 * the deployment itself go to a partition no orgId can take.
 */
import { z } from 'zod';
import type { Action } from './authorization';
import type { PrincipalSource, Role } from './principal';

/** The audit partition of actions that concern no single organisation. */
export const deploymentAuditPartition = '_deployment';

export interface AuditEntry {
  auditId: string;
  at: string;
  action: Action;
  /** The organisation concerned; absent for actions on the deployment itself. */
  orgId?: string;
  /** What was acted on: a request id, a member's principal id, a blob name. */
  target?: string;
  principalId: string;
  principalName: string;
  /** The role that allowed the action. */
  role: Role;
  /** Whether that role acted over every organisation or over the principal's own. */
  scope: 'any-org' | 'own-org';
  source: PrincipalSource;
  detail?: string;
}

/** The partition an entry is stored under. */
export function auditPartition(orgId: string | undefined): string {
  return orgId ?? deploymentAuditPartition;
}

/** A member's principal id: an Entra object id, or a local issuer's subject; safe as a Table key. */
export const principalIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]*$/, 'letters, digits, ".", "_", "@", ":" and "-" only');
