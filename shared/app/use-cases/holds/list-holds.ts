import type { DrainReport } from '../../../domain/holds';
import type { AppContext } from '../../context';
import { drainReports } from '../../effects/holds';

/** GET /api/holds — every hold with its drain report, earliest first. */
export async function listHolds(ctx: AppContext): Promise<{ items: DrainReport[] }> {
  return { items: await drainReports(ctx) };
}
