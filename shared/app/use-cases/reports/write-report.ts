import { batchItems } from '../../../domain/item-listing';
import type { RequestRecord } from '../../../domain/records';
import { migrationReportHeader, migrationReportLines, provisionReport } from '../../../domain/report';
import { isTerminal } from '../../../domain/status';
import type { AppContext } from '../../context';
import { recordEvent } from '../../effects/history';

export type ReportResult = 'written' | 'current' | 'not-final' | 'unknown';

/**
 * Writes a finished request's report to the `reports` container (`{id}.csv`, linked from its view) and
 * records it in the history. Idempotent: a report already written since the request's last status change
 * is not written again; a request that is not final (a retry re-opened it) gets none yet. A migration's
 * report is streamed batch by batch (one item partition and one manifest at a time).
 */
export async function writeReport(ctx: AppContext, requestId: string): Promise<ReportResult> {
  const request = await ctx.ports.requests.get(requestId);
  if (!request) return 'unknown';
  if (!isTerminal(request.status)) return 'not-final';
  const types = (await ctx.ports.events.list(requestId)).map((e) => e.type);
  if (types.lastIndexOf('report') > types.lastIndexOf('status')) return 'current';
  const blobName = await ctx.ports.artifacts.writeReport(requestId, reportLines(ctx, request));
  await recordEvent(ctx, request, { type: 'report', message: blobName });
  return 'written';
}

async function* reportLines(ctx: AppContext, request: RequestRecord): AsyncIterable<string> {
  if (request.kind === 'provision') {
    yield provisionReport(request);
    return;
  }
  yield migrationReportHeader;
  for (const batch of await ctx.ports.requests.listBatches(request.id)) {
    const [manifest, rows] = await Promise.all([
      ctx.ports.artifacts.readBatchManifest(request.id, batch.batchNumber),
      ctx.ports.items.list(request.id, batch.batchNumber),
    ]);
    yield migrationReportLines(batchItems(batch.batchNumber, manifest, rows, undefined, 0));
  }
}
