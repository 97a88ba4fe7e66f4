import type { MailboxClaim } from '../../domain/duplicate-work';

/**
 * Which request migrates each mailbox of an organisation (see `domain/duplicate-work.ts`). One partition per
 * organisation, one row per mailbox key, so a chunk's claims commit in entity-group transactions.
 */
export interface MailboxClaimStore {
  /**
   * Claims for `requestId` every key that has no claim yet, and returns the claims that already existed for
   * the others (whoever holds them, `requestId` included), with their ETags, in the order asked. Two requests claiming the same
   * key at once: exactly one creates it, the other gets it back as existing.
   */
  claimFree(orgId: string, requestId: string, keys: readonly string[]): Promise<MailboxClaim[]>;
  /**
   * Moves each claim to `requestId` if it has not changed since it was read (its ETag); returns the keys
   * that had changed (someone else took them over first, or the claim is gone), which the caller reads again.
   */
  takeOver(orgId: string, requestId: string, claims: readonly MailboxClaim[]): Promise<string[]>;
}
