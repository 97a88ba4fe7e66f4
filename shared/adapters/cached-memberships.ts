import type { Membership, MembershipStore } from '../app/ports/identity';

export interface CachedMembershipsOptions {
  /** How long a principal's organisations are served from memory. 0 turns the cache off. */
  ttlInMs: number;
  /** Most principals kept; the oldest entry goes first. Default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * A principal's organisations, read from the membership table at most once per `ttlInMs` per process:
 * every authenticated call of a Requester needs them, and a status poller would otherwise read the table
 * on each poll. A change made through this process (put, delete) takes effect at once here; other
 * instances see it within `ttlInMs`.
 */
export class CachedMembershipStore implements MembershipStore {
  private readonly entries = new Map<string, { orgIds: string[]; expiresAtMs: number }>();

  constructor(
    private readonly inner: MembershipStore,
    private readonly options: CachedMembershipsOptions,
  ) {}

  async orgsOf(principalId: string): Promise<string[]> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.entries.get(principalId);
    if (cached && cached.expiresAtMs > now) return [...cached.orgIds];
    const orgIds = await this.inner.orgsOf(principalId);
    if (this.options.ttlInMs > 0) {
      this.entries.delete(principalId); // re-inserted last: the Map's order is the eviction order
      this.entries.set(principalId, { orgIds: [...orgIds], expiresAtMs: now + this.options.ttlInMs });
      const max = this.options.maxEntries ?? 10_000;
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= max) break;
        this.entries.delete(oldest);
      }
    }
    return orgIds;
  }

  async put(membership: Membership): Promise<Membership> {
    const saved = await this.inner.put(membership);
    this.entries.delete(membership.principalId);
    return saved;
  }

  async delete(orgId: string, principalId: string): Promise<boolean> {
    const deleted = await this.inner.delete(orgId, principalId);
    this.entries.delete(principalId);
    return deleted;
  }

  listMembers(orgId: string): Promise<Membership[]> {
    return this.inner.listMembers(orgId);
  }
}
