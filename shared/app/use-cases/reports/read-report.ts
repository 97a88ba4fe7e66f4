import { TriageError } from '../../../domain/errors';
import { parseOrThrow, requestIdSchema } from '../../../domain/requests';
import type { AppContext } from '../../context';

/**
 * GET /api/requests/{id}/report — the CSV written when the request finished, as a byte stream.
 * @throws TriageError `validation` for a malformed id; `not-found` when there is no such request or no
 *   report yet (it is written once the request is final).
 */
export async function readReport(ctx: AppContext, id: unknown): Promise<AsyncIterable<Uint8Array>> {
  const requestId = parseOrThrow(requestIdSchema, id, 'request id', 'id');
  const report = await ctx.ports.artifacts.readReport(requestId);
  if (report) return report;
  const request = await ctx.ports.requests.get(requestId);
  throw new TriageError(
    'not-found',
    request
      ? `request "${requestId}" has no report yet: it is written once the request is final (now ${request.status})`
      : `no request "${requestId}"`,
  );
}
