import { batchLabel } from '../../domain/batches';
import {
  progressOf,
  type BatchRecord,
  type Progress,
  type RequestEvent,
  type RequestRecord,
} from '../../domain/records';
import type { RequestStatus } from '../../domain/status';
import type { AppContext } from '../context';

/** A request as the API shows it: the record's public fields, and with `detail` its batches and history. */
export interface RequestView {
  id: string;
  kind: RequestRecord['kind'];
  orgId: string;
  tier: string;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  resource?: RequestRecord['resource'];
  inventory?: string;
  progress: Progress;
  batchCount?: number;
  /** While a large inventory is planned chunk by chunk: what is planned so far. */
  planning?: { batchesPlanned: number; mailboxesPlanned: number };
  batchesCompleted: number;
  processedBy?: string;
  reason?: string;
  deadLettered: boolean;
  retryCount: number;
  /** A provisioning's executor calls so far (an attempt is one executor call). */
  attempts?: number;
  batches?: Array<Omit<BatchRecord, 'etag' | 'requestId'> & { name: string }>;
  history?: Array<Omit<RequestEvent, 'requestId'>>;
}

/** Reads (never writes) what the view needs beyond the record: batches and history when `detail` is set. */
export async function toRequestView(
  ctx: AppContext,
  record: RequestRecord,
  options: { detail: boolean },
): Promise<RequestView> {
  const base: RequestView = {
    id: record.id,
    kind: record.kind,
    orgId: record.orgId,
    tier: record.tier,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.resource ? { resource: record.resource } : {}),
    ...(record.inventory ? { inventory: record.inventory } : {}),
    progress: progressOf(record),
    ...(record.batchCount !== undefined ? { batchCount: record.batchCount } : {}),
    ...(record.planning
      ? {
          planning: {
            batchesPlanned: record.planning.batches,
            mailboxesPlanned: record.planning.mailboxes,
          },
        }
      : {}),
    batchesCompleted: record.batchesCompleted,
    ...(record.processedBy ? { processedBy: record.processedBy } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    deadLettered: record.deadLettered ?? false,
    retryCount: record.retryCount,
    ...(record.attempts !== undefined ? { attempts: record.attempts } : {}),
  };
  if (!options.detail) return base;
  const [batches, history] = await Promise.all([
    record.kind === 'migrate' ? ctx.ports.requests.listBatches(record.id) : Promise.resolve([]),
    ctx.ports.events.list(record.id),
  ]);
  if (batches.some((b) => b.deadLettered)) base.deadLettered = true;
  return {
    ...base,
    batches: batches.map(({ etag: _etag, requestId: _requestId, ...rest }) => ({
      name: batchLabel(rest.batchNumber),
      ...rest,
    })),
    history: history.map(({ requestId: _requestId, ...rest }) => rest),
  };
}
