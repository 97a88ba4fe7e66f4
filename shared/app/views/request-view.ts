import { batchLabel } from '../../domain/batches';
import { holdOn, type Hold } from '../../domain/holds';
import {
  progressOf,
  type BatchRecord,
  type Progress,
  type RequestEvent,
  type RequestRecord,
} from '../../domain/records';
import type { DuplicateSummary } from '../../domain/duplicate-work';
import { operationView } from '../../domain/long-running';
import { isTerminal, type RequestStatus } from '../../domain/status';
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
  holdUntil?: string;
  poolId?: string;
  /** Where a deferred provisioning waits: its place in its pool's line, its ETA and why it waits. */
  queue?: QueueView;
  /** A migration under the programme's calendar: its planned days (local dates), or why it has none. */
  schedule?: ScheduleView;
  inventory?: string;
  progress: Progress;
  batchCount?: number;
  /** While a large inventory is planned chunk by chunk: what is planned so far. */
  planning?: { batchesPlanned: number; mailboxesPlanned: number };
  /**
   * Mailboxes left out because other requests in flight migrate them: how many, the first few, the requests
   * holding them, and where the full list is (`GET /api/requests/{id}/duplicates`, CSV).
   */
  duplicates?: DuplicateSummary & { list: string };
  batchesCompleted: number;
  processedBy?: string;
  reason?: string;
  deadLettered: boolean;
  retryCount: number;
  /** Once the request is final: its CSV report (`reports/{blobName}`), served at `url`. */
  report?: { blobName: string; url: string; writtenAt: string };
  /** A provisioning's executor calls so far (an attempt is one executor call). */
  attempts?: number;
  /** A provisioning the back-end runs as a long-running operation: since when, its next poll, its deadline. */
  operation?: { startedAt: string; nextPollAt: string; deadlineAt: string; polls: number };
  /** Its tier or organisation is held: who held it, why and since when (nothing of it starts meanwhile). */
  hold?: Hold;
  batches?: Array<Omit<BatchRecord, 'etag' | 'requestId'> & { name: string }>;
  history?: Array<Omit<RequestEvent, 'requestId'>>;
}

export interface QueueView {
  poolId: string;
  state: 'waiting' | 'admitted' | 'started';
  position: number | null;
  aheadByTier: Record<string, number>;
  eta: string | null;
  etaComputedAt: string | null;
  reason: string | null;
}

export interface ScheduleView {
  days: Array<{ date: string; mailboxes: number; bytes: number }>;
  start: string | null;
  finish: string | null;
  reason: string | null;
}

const iso = (ms: number | null | undefined): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();

/** Reads (never writes) what the view needs beyond the record: batches and history when `detail` is set. */
export async function toRequestView(
  ctx: AppContext,
  record: RequestRecord,
  options: { detail: boolean; holds?: readonly Hold[] },
): Promise<RequestView> {
  // Views read the holds as they are (the work's cached view may lag by a couple of seconds).
  const holds = options.holds ?? (options.detail ? await ctx.ports.holds.listHolds() : []);
  const hold = isTerminal(record.status) ? undefined : holdOn(holds, record);
  const base: RequestView = {
    id: record.id,
    kind: record.kind,
    orgId: record.orgId,
    tier: record.tier,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.resource ? { resource: record.resource } : {}),
    ...(record.holdUntil ? { holdUntil: record.holdUntil } : {}),
    ...(record.poolId ? { poolId: record.poolId } : {}),
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
    ...(record.duplicates
      ? { duplicates: { ...record.duplicates, list: `/api/requests/${record.id}/duplicates` } }
      : {}),
    batchesCompleted: record.batchesCompleted,
    ...(record.processedBy ? { processedBy: record.processedBy } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    deadLettered: record.deadLettered ?? false,
    retryCount: record.retryCount,
    ...(record.attempts !== undefined ? { attempts: record.attempts } : {}),
    ...(record.operation ? { operation: operationView(record.operation) } : {}),
    ...(hold ? { hold } : {}),
  };
  if (!options.detail) return base;
  const [batches, history, claim, planned] = await Promise.all([
    record.kind === 'migrate' ? ctx.ports.requests.listBatches(record.id) : Promise.resolve([]),
    ctx.ports.events.list(record.id),
    record.poolId && (record.status === 'deferred' || record.status === 'queued')
      ? ctx.ports.pools.getClaim(record.poolId, record.id)
      : Promise.resolve(null),
    record.programme ? ctx.ports.programme.getClaim(record.orgId, record.id) : Promise.resolve(null),
  ]);
  if (planned?.schedule) {
    base.schedule = {
      days: planned.schedule.days,
      start: planned.schedule.start,
      finish: planned.schedule.finish,
      reason: planned.schedule.reasonText,
    };
  }
  if (claim && record.poolId) {
    base.queue = {
      poolId: record.poolId,
      state: claim.state,
      position: claim.state === 'waiting' ? (claim.position ?? null) : null,
      aheadByTier: claim.state === 'waiting' ? (claim.aheadByTier ?? {}) : {},
      eta: claim.state === 'waiting' ? iso(claim.etaMs) : null,
      etaComputedAt: iso(claim.etaComputedAtMs),
      reason: claim.state === 'waiting' ? (claim.reason ?? null) : null,
    };
  }
  if (batches.some((b) => b.deadLettered)) base.deadLettered = true;
  const inProgress = batches.reduce((sum, b) => sum + (b.inProgress ?? 0), 0);
  if (inProgress > 0) base.progress = { ...base.progress, inProgress };
  if (record.operation) base.progress = { ...base.progress, inProgress: 1 };
  const report = history.filter((e) => e.type === 'report').at(-1);
  if (report?.message)
    base.report = {
      blobName: report.message,
      url: `/api/requests/${record.id}/report`,
      writtenAt: report.at,
    };
  return {
    ...base,
    batches: batches.map(({ etag: _etag, requestId: _requestId, ...rest }) => ({
      name: batchLabel(rest.batchNumber),
      ...rest,
    })),
    history: history.map(({ requestId: _requestId, ...rest }) => rest),
  };
}
