import { TriageError } from '../../../domain/errors';
import { inventoryUseProblem } from '../../../domain/identity/inventory-ownership';
import type { AppContext } from '../../context';

/**
 * An uploaded inventory may be used by its own organisation only: its name is under `{orgId}/` and its
 * blob metadata names the organisation (checked here, and again when a worker plans the migration).
 * @throws TriageError `validation` (field `inventory`), the same whether the blob is another
 *   organisation's or does not exist.
 */
export async function checkInventoryOwnership(
  ctx: AppContext,
  orgId: string,
  blobName: string,
): Promise<void> {
  const owner = await ctx.ports.artifacts.inventoryOwner(blobName);
  const problem = inventoryUseProblem(blobName, owner, { orgId });
  if (problem === undefined) return;
  throw new TriageError('validation', 'inventory not found', {
    fields: [
      {
        field: 'inventory',
        message: `${problem}; upload it with POST /api/inventories?orgId= first`,
      },
    ],
  });
}
