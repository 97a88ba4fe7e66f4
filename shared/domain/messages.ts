import { z } from 'zod';
import { blobNameSchema, orgIdSchema, requestIdSchema, resourceSchema } from './requests';
import { inlineInventoryNameSchema } from './identity/inventory-ownership';

/** Version of the message bodies below; bump on an incompatible change. */
export const schemaVersion = 1;

const common = {
  schemaVersion: z.literal(schemaVersion),
  requestId: requestIdSchema,
  orgId: orgIdSchema,
  tier: z.string().min(1).max(50),
  /** The attempt of this message's chain (a scheduled successor carries the next one); absent = 1. */
  attempt: z.number().int().min(1).max(100_000).optional(),
  /** When the chain's first attempt was delivered (ISO); absent on the first attempt. */
  firstAttemptAt: z.iso.datetime().optional(),
};

export const provisionMessageSchema = z.object({
  ...common,
  kind: z.literal('provision'),
  resource: resourceSchema,
});

export const migrateMessageSchema = z.object({
  ...common,
  kind: z.literal('migrate'),
  // An upload (`{orgId}/…`) or the request's inline list (`_requests/…`); whose it is, is checked on use.
  inventory: z.union([blobNameSchema, inlineInventoryNameSchema]),
});

export const migrateBatchMessageSchema = z.object({
  ...common,
  kind: z.literal('migrate-batch'),
  batchNumber: z.number().int().min(1),
  batchCount: z.number().int().min(1),
});

export const workMessageSchema = z.discriminatedUnion('kind', [
  provisionMessageSchema,
  migrateMessageSchema,
  migrateBatchMessageSchema,
]);

export type ProvisionMessage = z.infer<typeof provisionMessageSchema>;
export type MigrateMessage = z.infer<typeof migrateMessageSchema>;
export type MigrateBatchMessage = z.infer<typeof migrateBatchMessageSchema>;
export type WorkMessage = z.infer<typeof workMessageSchema>;

/** The topic a work message belongs on. */
export function topicFor(message: Pick<WorkMessage, 'kind'>): 'provisioning' | 'migration' {
  return message.kind === 'provision' ? 'provisioning' : 'migration';
}

/**
 * The work message that carries a stored request to its tier Function.
 * @throws TypeError when the record lacks what its kind needs (a bug, never caller input).
 */
export function requestMessage(record: {
  id: string;
  kind: 'provision' | 'migrate';
  orgId: string;
  tier: string;
  resource?: ProvisionMessage['resource'];
  inventory?: string;
}): ProvisionMessage | MigrateMessage {
  const common = { schemaVersion, requestId: record.id, orgId: record.orgId, tier: record.tier } as const;
  if (record.kind === 'provision') {
    if (!record.resource) throw new TypeError(`provision request ${record.id} has no resource`);
    return { ...common, kind: 'provision', resource: record.resource };
  }
  if (!record.inventory) throw new TypeError(`migrate request ${record.id} has no inventory`);
  return { ...common, kind: 'migrate', inventory: record.inventory };
}

/** The message of one batch of a planned migration. */
export function batchMessage(
  request: { id: string; orgId: string; tier: string; batchCount?: number },
  batchNumber: number,
): MigrateBatchMessage {
  return {
    schemaVersion,
    kind: 'migrate-batch',
    requestId: request.id,
    orgId: request.orgId,
    tier: request.tier,
    batchNumber,
    batchCount: request.batchCount ?? batchNumber,
  };
}
