import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { MailboxClaimStore } from '../app/ports/mailbox-claims';
import type { MailboxClaim } from '../domain/duplicate-work';
import { mapLimit } from '../domain/map-limit';
import { isNotFound, storageStatus } from './storage-errors';

/**
 * Partitions per organisation. One partition serves about 2,000 entities a second and a large inventory
 * claims 20,000 a chunk, so one would hold a chunk to 10 s; and Azurite 3.35 (the last that supports Node 20;
 * 3.36 and later find a key by its RowKey, but need Node 21 or later) finds a key by scanning its whole
 * partition, so a 2.1-million-mailbox organisation in 16 buckets (131,000 claims each) made every chunk slower
 * than the last (13 s a chunk at 200,000 claims, against 2 s in 256 buckets; see the README). A chunk of
 * 20,000 costs about as many transactions either way (~260 in 256 buckets, ~210 in 16); a request of
 * a few hundred mailboxes costs about one transaction per mailbox instead of 16 in all.
 */
const buckets = 256;
/** Transactions in flight at once while a chunk is claimed. */
const parallelTransactions = 8;

/** The partition of one mailbox: its organisation and a bucket from a hash of its key (FNV-1a). */
function partitionOf(orgId: string, key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return `${encodeURIComponent(orgId)}-${String((hash >>> 0) % buckets).padStart(3, '0')}`;
}

/**
 * Mailbox claims in Table Storage: PartitionKey = organisation and one of 256 buckets (a hash of the mailbox
 * key), RowKey = the mailbox key (URI-encoded: an address may hold `/`, `#` or `?`, which keys may not),
 * `RequestId` = the holder. The common case — no mailbox of the chunk claimed before — costs one entity-group
 * transaction per 100 mailboxes of a bucket, 8 at once over 256 partitions (see `buckets`); a transaction
 * refused because one of its keys exists falls back to a create per key and a read of those that exist.
 */
export class TableMailboxClaimStore implements MailboxClaimStore {
  constructor(private readonly table: TableClient) {}

  async claimFree(orgId: string, requestId: string, keys: readonly string[]): Promise<MailboxClaim[]> {
    const byPartition = new Map<string, string[]>();
    for (const key of keys) {
      const partitionKey = partitionOf(orgId, key);
      const group = byPartition.get(partitionKey) ?? [];
      group.push(key);
      byPartition.set(partitionKey, group);
    }
    const transactions = [...byPartition].flatMap(([partitionKey, group]) =>
      Array.from({ length: Math.ceil(group.length / 100) }, (_, i) => ({
        partitionKey,
        slice: group.slice(i * 100, i * 100 + 100),
      })),
    );
    const existing = new Map<string, MailboxClaim>();
    await mapLimit(transactions, parallelTransactions, async ({ partitionKey, slice }) => {
      const actions: TransactionAction[] = slice.map((key) => [
        'create',
        { partitionKey, rowKey: encodeURIComponent(key), RequestId: requestId },
      ]);
      try {
        await this.table.submitTransaction(actions);
      } catch (err: unknown) {
        if (storageStatus(err) !== 409) throw err;
        for (const claim of await this.claimOneByOne(partitionKey, requestId, slice)) {
          existing.set(claim.key, claim);
        }
      }
    });
    return keys.flatMap((key) => existing.get(key) ?? []); // in the order asked
  }

  async takeOver(orgId: string, requestId: string, claims: readonly MailboxClaim[]): Promise<string[]> {
    const changed = new Set<string>();
    await mapLimit(claims, 16, async (claim) => {
      try {
        await this.table.updateEntity(
          {
            partitionKey: partitionOf(orgId, claim.key),
            rowKey: encodeURIComponent(claim.key),
            RequestId: requestId,
          },
          'Replace',
          { etag: claim.etag ?? '*' },
        );
      } catch (err: unknown) {
        const status = storageStatus(err);
        if (status !== 412 && status !== 404) throw err;
        changed.add(claim.key);
      }
    });
    return claims.map((c) => c.key).filter((key) => changed.has(key)); // in the order asked
  }

  private async claimOneByOne(
    partitionKey: string,
    requestId: string,
    keys: readonly string[],
  ): Promise<MailboxClaim[]> {
    const existing = new Map<string, MailboxClaim>();
    await mapLimit(keys, 16, async (key) => {
      const rowKey = encodeURIComponent(key);
      // A claim deleted between the create and the read (none are deleted today) is created on the next turn.
      for (let turn = 0; turn < 3; turn++) {
        try {
          await this.table.createEntity({ partitionKey, rowKey, RequestId: requestId });
          return;
        } catch (err: unknown) {
          if (storageStatus(err) !== 409) throw err;
        }
        try {
          const row = await this.table.getEntity<{ RequestId?: string }>(partitionKey, rowKey);
          existing.set(key, { key, requestId: row.RequestId ?? '', ...(row.etag ? { etag: row.etag } : {}) });
          return;
        } catch (err: unknown) {
          if (!isNotFound(err)) throw err;
        }
      }
      throw new Error(`mailbox claim ${key} kept changing`);
    });
    return keys.flatMap((key) => existing.get(key) ?? []); // in the order asked
  }
}
