import { TriageError } from '../../../domain/errors';
import type { AppContext } from '../../context';

/**
 * Uploaded inventories live under `{orgId}/`: one organisation cannot migrate another's list.
 * @throws TriageError `validation` (field `inventory`) unless it exists under the organisation's own prefix.
 */
export async function checkInventoryOwnership(
  ctx: AppContext,
  orgId: string,
  blobName: string,
): Promise<void> {
  if (blobName.startsWith(`${orgId}/`) && (await ctx.ports.artifacts.inventoryExists(blobName))) return;
  throw new TriageError('validation', 'inventory not found', {
    fields: [
      {
        field: 'inventory',
        message: 'no such inventory for this organisation; upload it with POST /api/inventories?orgId= first',
      },
    ],
  });
}
