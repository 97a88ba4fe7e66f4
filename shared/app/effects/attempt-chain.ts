import { ensureError } from '../../domain/errors';
import type { WorkMessage } from '../../domain/messages';
import type { AppContext } from '../context';
import { retryOnConflict } from './retry-on-conflict';

/**
 * Records on the work's record (its batch, or its request) that the chain has moved on to `attempt`, so the
 * message just completed, if delivered again, is recognised as a duplicate. Best effort: it runs after the
 * successor was scheduled (the successor must never depend on it), and a failure costs at most a duplicate
 * attempt, which the handlers absorb.
 */
export async function noteChainAttempt(
  ctx: AppContext,
  message: WorkMessage,
  attempt: number,
): Promise<void> {
  try {
    await retryOnConflict(
      async () => {
        if (message.kind === 'migrate-batch') {
          const batch = await ctx.ports.requests.getBatch(message.requestId, message.batchNumber);
          if (!batch || batch.status === 'completed' || (batch.chainAttempt ?? 0) >= attempt) return;
          await ctx.ports.requests.updateBatch({ ...batch, chainAttempt: attempt });
          return;
        }
        const request = await ctx.ports.requests.get(message.requestId);
        if (!request || (request.chainAttempt ?? 0) >= attempt) return;
        await ctx.ports.requests.update({ ...request, chainAttempt: attempt, updatedAt: ctx.now() });
      },
      { what: `attempt ${attempt} of ${message.requestId}`, maxAttempts: 5 },
    );
  } catch (err: unknown) {
    ctx.log('warn', `attempt ${attempt} of ${message.requestId} not noted: ${ensureError(err).message}`);
  }
}
