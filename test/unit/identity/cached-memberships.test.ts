import { CachedMembershipStore } from '../../../shared/adapters/cached-memberships';
import { MemoryMembershipStore } from '../../support/in-memory-ports';

/** The membership cache: fewer table reads on the hot path, never a stale answer for a change made here. */
function counted() {
  const inner = new MemoryMembershipStore();
  let reads = 0;
  const orgsOf = inner.orgsOf.bind(inner);
  inner.orgsOf = async (id) => {
    reads++;
    return orgsOf(id);
  };
  return { inner, reads: () => reads };
}
const member = (orgId: string, principalId: string) => ({
  orgId,
  principalId,
  addedAt: 't',
  addedBy: 'adam',
});

describe('CachedMembershipStore', () => {
  test('serves a principal from memory within the TTL and reads again after it', async () => {
    let now = 0;
    const { inner, reads } = counted();
    await inner.put(member('a', 'alice'));
    const cache = new CachedMembershipStore(inner, { ttlInMs: 10_000, now: () => now });
    expect(await cache.orgsOf('alice')).toEqual(['a']);
    expect(await cache.orgsOf('alice')).toEqual(['a']);
    expect(reads()).toBe(1);
    await inner.put(member('b', 'alice')); // another instance's change
    now = 9_999;
    expect(await cache.orgsOf('alice')).toEqual(['a']);
    now = 10_000;
    expect(await cache.orgsOf('alice')).toEqual(['a', 'b']);
    expect(reads()).toBe(2);
  });

  test('a put or delete through it applies at once; a TTL of 0 never caches; the oldest entry is evicted', async () => {
    const { inner, reads } = counted();
    const cache = new CachedMembershipStore(inner, { ttlInMs: 60_000, maxEntries: 2 });
    expect(await cache.orgsOf('bob')).toEqual([]);
    await cache.put(member('a', 'bob'));
    expect(await cache.orgsOf('bob')).toEqual(['a']);
    await cache.delete('a', 'bob');
    expect(await cache.orgsOf('bob')).toEqual([]);
    await cache.orgsOf('carol');
    await cache.orgsOf('dave'); // bob is now the oldest of three: evicted
    const before = reads();
    await cache.orgsOf('bob');
    expect(reads()).toBe(before + 1);

    const off = counted();
    const uncached = new CachedMembershipStore(off.inner, { ttlInMs: 0 });
    await uncached.orgsOf('x');
    await uncached.orgsOf('x');
    expect(off.reads()).toBe(2);
  });

  test('callers cannot change what it holds', async () => {
    const { inner } = counted();
    await inner.put(member('a', 'alice'));
    const cache = new CachedMembershipStore(inner, { ttlInMs: 60_000 });
    (await cache.orgsOf('alice')).push('victim-org');
    expect(await cache.orgsOf('alice')).toEqual(['a']);
  });
});
