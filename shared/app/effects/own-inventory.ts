import { TriageError } from '../../domain/errors';
import { inventoryUseProblem } from '../../domain/identity/inventory-ownership';
import type { AppContext } from '../context';

/**
 * Checks, before every read of a request's inventory, that its blob metadata names the request's
 * organisation (and, for an inline list, the request itself): the stored name alone is not trusted.
 * @throws TriageError `not-found` when the inventory is missing; `validation` (field `inventory`) when it
 *   is not the request's own — permanent: no redelivery can make it so.
 */
export async function assertOwnInventory(
  ctx: AppContext,
  request: { id: string; orgId: string },
  blobName: string,
): Promise<void> {
  const owner = await ctx.ports.artifacts.inventoryOwner(blobName);
  if (owner === null) throw new TriageError('not-found', `inventory ${blobName} is missing`);
  const problem = inventoryUseProblem(blobName, owner, { orgId: request.orgId, requestId: request.id });
  if (problem !== undefined) {
    throw new TriageError('validation', `inventory ${blobName}: ${problem}`, {
      fields: [{ field: 'inventory', message: problem }],
    });
  }
}
