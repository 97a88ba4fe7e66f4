import type { AuditEntry } from '../../domain/identity/audit';
import type { Page } from './stores';

/** Bearer token validation (signature through the issuer's published keys, issuer, audience, expiry). */
export interface TokenVerifier {
  /**
   * @returns the token's claims once every check passed.
   * @throws TriageError `unauthenticated` naming what is wrong with the token; `dependency-unavailable`
   *   when the issuer's keys cannot be fetched (a retry can help; the token may be fine).
   */
  verify(token: string): Promise<Record<string, unknown>>;
}

/** One binding of a principal's Requester role to an organisation. */
export interface Membership {
  orgId: string;
  principalId: string;
  addedAt: string;
  /** The principal id of the admin who added it. */
  addedBy: string;
}

/**
 * Which organisations a principal acts for, keyed by its object id (the hot path: one partition per
 * principal), and the reverse index an admin reads.
 */
export interface MembershipStore {
  orgsOf(principalId: string): Promise<string[]>;
  put(membership: Membership): Promise<Membership>;
  /** @returns false when there was no such membership. */
  delete(orgId: string, principalId: string): Promise<boolean>;
  listMembers(orgId: string): Promise<Membership[]>;
}

/** The append-only audit log. */
export interface AuditStore {
  append(entry: Omit<AuditEntry, 'auditId'>): Promise<AuditEntry>;
  /** One partition (an orgId, or the deployment's), oldest first. */
  list(partition: string, limit: number, continuationToken?: string): Promise<Page<AuditEntry>>;
}
