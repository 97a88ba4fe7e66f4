import { parseOrThrow, orgIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';
import type { InventoryImportResult } from '../../ports/artifact-store';

export interface ImportInventoryOptions {
  maxBytes?: number;
}

/**
 * POST /api/inventories?orgId= — streams a CSV inventory into Blob, validating every row; nothing is
 * written when a row is bad.
 * @throws TriageError `validation` for a bad orgId; `payload-too-large` past `maxBytes`.
 */
export async function importInventory(
  ctx: AppContext,
  orgId: unknown,
  csv: AsyncIterable<Uint8Array>,
  options: ImportInventoryOptions = {},
): Promise<InventoryImportResult> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  return ctx.ports.artifacts.importInventoryCsv(id, csv, options);
}
