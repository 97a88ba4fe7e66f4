import type { AppContext } from '../../context';
import type { DeadLetterEntry } from '../../ports/stores';

/** GET /api/dead-letters?limit= — the messages Triage refused or found dead-lettered, newest first (≤ 500). */
export async function listDeadLetters(ctx: AppContext, limit?: number): Promise<DeadLetterEntry[]> {
  const bounded = Number.isInteger(limit) ? Math.min(Math.max(1, limit as number), 500) : 100;
  return ctx.ports.deadLetters.list(bounded);
}
