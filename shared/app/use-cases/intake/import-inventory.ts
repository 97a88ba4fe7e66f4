import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { parseOrThrow, orgIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import type { InventoryImportResult } from '../../ports/artifact-store';

export interface ImportInventoryOptions {
  maxBytes?: number;
}

/**
 * POST /api/inventories?orgId= — streams a CSV inventory into Blob for one of the caller's organisations,
 * validating every row; nothing is written when a row is bad. The blob records its organisation and
 * uploader; a stored upload is audited.
 * @throws TriageError `validation` for a bad orgId; `forbidden` for an organisation not the caller's;
 *   `payload-too-large` past `maxBytes`.
 */
export async function importInventory(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
  csv: AsyncIterable<Uint8Array>,
  options: ImportInventoryOptions = {},
): Promise<InventoryImportResult> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'inventories:import', id);
  const result = await ctx.ports.artifacts.importInventoryCsv(id, csv, { ...options, uploadedBy: caller.id });
  if (result.blobName !== null) {
    await recordAudit(ctx, caller, 'inventories:import', { orgId: id, target: result.blobName });
  }
  return result;
}
