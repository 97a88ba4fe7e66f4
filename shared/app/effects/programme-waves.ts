/**
 * The day's wave: at the start of each local day (the calendar's time zone) the day's planned slots become
 * batches — manifests in Blob and `migrate-batch` messages at the organisation's tier, as without a
 * calendar. The day is frozen from then on; what an earlier day did not finish counts first against it.
 * Crash-safe by construction: the day is claimed on the programme state, each request's share is written
 * (its inventory range and batch numbers) before anything is created, and finishing a wave again only
 * completes what its entries say.
 */
import { messageIds, splitIntoBatches } from '../../domain/batches';
import { isTriageError, TriageError } from '../../domain/errors';
import type { MailboxEntry } from '../../domain/inventory';
import { batchMessage } from '../../domain/messages';
import { decideWaveStarted } from '../../domain/request-lifecycle';
import { compareLocalDates, localDateOf, type LocalDate } from '../../domain/scheduling/local-date';
import { planProgramme } from '../../domain/scheduling/plan';
import type { FrozenAllocation } from '../../domain/scheduling/plan-types';
import { toMigrationClaim, type ProgrammeClaimRecord } from '../../domain/scheduling/programme-claims';
import type { AppContext } from '../context';
import type { WaveEntry } from '../ports/programme';
import { mapLimit } from '../../domain/map-limit';
import { assertOwnInventory } from './own-inventory';
import { mutateRequest } from './mutate-request';
import { markPlanStale } from './programme-plan';
import { publishWork } from './publish';
import { retryOnConflict } from './retry-on-conflict';

export interface WaveReport {
  date: LocalDate;
  requests: number;
  mailboxes: number;
}

/** Materialises today's wave if it is due (once per local day; a second call the same day completes it). */
export async function materializeWaveIfDue(ctx: AppContext): Promise<WaveReport | null> {
  const state = await ctx.ports.programme.getState();
  if (!state) return null;
  const today = localDateOf(ctx.clock().getTime(), state.calendar.timeZone);
  if (compareLocalDates(today, state.calendar.start) < 0) return null;
  if (state.lastWaveDate !== null && compareLocalDates(state.lastWaveDate, today) > 0) return null;
  if (state.lastWaveDate !== today) {
    // Claim the day: whoever writes it first plans the wave; a concurrent tick finds it claimed.
    try {
      await ctx.ports.programme.putState({
        ...state,
        lastWaveDate: today,
        planVersion: state.planVersion + 1,
      });
    } catch (err: unknown) {
      if (isTriageError(err, 'concurrency')) return null;
      throw err;
    }
  }
  return completeWave(ctx, today);
}

/** Plans today's allocation for what has none yet, records it, then creates what the entries say. */
async function completeWave(ctx: AppContext, today: LocalDate): Promise<WaveReport> {
  const state = (await ctx.ports.programme.getState())!;
  const [claims, existing] = await Promise.all([
    ctx.ports.programme.listClaims(),
    ctx.ports.programme.listWave(today),
  ]);
  const done = new Set(existing.map((e) => e.requestId));
  const frozen: FrozenAllocation[] = [
    ...existing.map(toFrozen),
    ...(await rolledOver(ctx, claims, today, done)),
  ];
  const plan = planProgramme({
    calendar: state.calendar,
    tiers: ctx.tierPolicies,
    firstDay: today,
    frozen,
    claims: claims
      .filter((c) => !done.has(c.requestId))
      .map(toMigrationClaim)
      .filter((c) => c.mailboxes > 0),
  });
  const byId = new Map(claims.map((c) => [c.requestId, c]));
  const entries = [...existing];
  for (const request of plan.requests) {
    const day = request.days.find((d) => d.date === today && !d.frozen);
    const claim = byId.get(request.requestId);
    if (!day || !claim || day.mailboxes === 0) continue;
    const record = await ctx.ports.requests.get(claim.requestId);
    if (!record) continue;
    const firstBatch = (record.batchCount ?? 0) + 1;
    const count = Math.ceil(day.mailboxes / ctx.settings.batchSize);
    const entry: WaveEntry = {
      date: today,
      requestId: claim.requestId,
      orgId: claim.orgId,
      tier: claim.tier,
      firstIndex: claim.materializedMailboxes,
      mailboxes: day.mailboxes,
      bytes: day.bytes,
      batchNumbers: Array.from({ length: count }, (_, i) => firstBatch + i),
    };
    await ctx.ports.programme.putWaveEntry(entry);
    entries.push(entry);
  }
  await mapLimit(entries, 4, (entry) => materializeEntry(ctx, entry));
  await recordMaterialized(ctx, today, entries);
  await markPlanStale(ctx);
  return { date: today, requests: entries.length, mailboxes: entries.reduce((n, e) => n + e.mailboxes, 0) };
}

/** What earlier waves handed to batches and is still not final: it runs first today, and counts against today. */
async function rolledOver(
  ctx: AppContext,
  claims: readonly ProgrammeClaimRecord[],
  today: LocalDate,
  alreadyToday: ReadonlySet<string>,
): Promise<FrozenAllocation[]> {
  const out: FrozenAllocation[] = [];
  for (const claim of claims) {
    if (claim.materializedMailboxes === 0 || alreadyToday.has(claim.requestId)) continue;
    const record = await ctx.ports.requests.get(claim.requestId);
    if (!record) continue;
    const pending = claim.materializedMailboxes - record.succeeded - record.failed;
    if (pending <= 0) continue;
    const bytes = Math.round((claim.bytes / Math.max(1, claim.mailboxes)) * pending);
    out.push({
      date: today,
      requestId: claim.requestId,
      orgId: claim.orgId,
      tier: claim.tier,
      mailboxes: pending,
      bytes,
    });
  }
  return out;
}

const toFrozen = (e: WaveEntry): FrozenAllocation => ({
  date: e.date,
  requestId: e.requestId,
  orgId: e.orgId,
  tier: e.tier,
  mailboxes: e.mailboxes,
  bytes: e.bytes,
});

/** One request's share of the wave: manifests, batches, the request's batch count, the claim's progress, messages. Idempotent. */
async function materializeEntry(ctx: AppContext, entry: WaveEntry): Promise<void> {
  const request = await ctx.ports.requests.get(entry.requestId);
  if (!request?.inventory) return;
  await assertOwnInventory(ctx, request, request.inventory); // checked on every use, as at planning
  const mailboxes = await inventoryRange(ctx, request.inventory, entry.firstIndex, entry.mailboxes);
  const batches = splitIntoBatches(mailboxes, ctx.settings.batchSize);
  await mapLimit(batches, 8, async (b) => {
    const batchNumber = entry.batchNumbers[b.batchNumber - 1]!;
    const manifest = (await ctx.ports.artifacts.writeBatchManifest(request.id, batchNumber, b.items))
      .ndjsonBlob;
    await ctx.ports.requests.ensureBatches([
      {
        requestId: request.id,
        batchNumber,
        status: 'queued',
        total: b.items.length,
        succeeded: 0,
        failed: 0,
        manifest,
      },
    ]);
  });
  const last = entry.batchNumbers[entry.batchNumbers.length - 1] ?? request.batchCount ?? 0;
  const saved = await mutateRequest(
    ctx,
    request.id,
    (c) => decideWaveStarted(c, last, `wave ${entry.date}`),
    {
      event: `wave ${entry.date}: ${entry.mailboxes} mailbox(es) in ${entry.batchNumbers.length} batch(es)`,
    },
  );
  await retryOnConflict(
    async () => {
      const claim = await ctx.ports.programme.getClaim(entry.orgId, entry.requestId);
      if (!claim || claim.materializedMailboxes >= entry.firstIndex + entry.mailboxes) return;
      const stale = await ctx.ports.programme.updateClaims([
        {
          ...claim,
          materializedMailboxes: entry.firstIndex + entry.mailboxes,
          materializedBytes: claim.materializedBytes + entry.bytes,
        },
      ]);
      if (stale.length > 0) throw new TriageError('concurrency', `claim ${entry.requestId} changed`);
    },
    { what: `claim ${entry.requestId}` },
  );
  if (!saved || saved.status !== 'running') return;
  const current = saved;
  const open = (await ctx.ports.requests.listBatches(request.id)).filter(
    (b) => entry.batchNumbers.includes(b.batchNumber) && b.status !== 'completed',
  );
  await publishWork(
    ctx,
    open.map((b) => ({
      message: batchMessage(current, b.batchNumber),
      messageId: messageIds.batch(current.id, b.batchNumber),
    })),
  );
}

/** The mailboxes at positions [first, first + count) of an inventory, read in order. */
async function inventoryRange(
  ctx: AppContext,
  blobName: string,
  first: number,
  count: number,
): Promise<MailboxEntry[]> {
  const out: MailboxEntry[] = [];
  let index = 0;
  for await (const entry of ctx.ports.artifacts.readInventory(blobName)) {
    if (index >= first && out.length < count) out.push(entry);
    index++;
    if (out.length >= count) break;
  }
  return out;
}

/** The day's materialised totals per tier, for plan versus actual. */
async function recordMaterialized(
  ctx: AppContext,
  date: LocalDate,
  entries: readonly WaveEntry[],
): Promise<void> {
  const materialized: Record<string, number> = {};
  for (const e of entries) materialized[e.tier] = (materialized[e.tier] ?? 0) + e.mailboxes;
  await retryOnConflict(
    async () => {
      const day = await ctx.ports.programme.getDay(date);
      await ctx.ports.programme.putDay(
        day ? { ...day, materialized } : { date, materialized, done: {}, failed: {} },
      );
    },
    { what: `day ${date}` },
  );
}

/** Every batch of a day completes into one of these counter rows (`<date>~<k>`), so completions rarely collide. */
export const actualShards = 8;

/** A batch of a programme request completed: its counts join the day's actuals (the day it completed on). */
export async function recordActual(
  ctx: AppContext,
  tier: string,
  counts: { succeeded: number; failed: number },
): Promise<void> {
  const state = await ctx.ports.programme.getState();
  if (!state) return;
  const date = `${localDateOf(ctx.clock().getTime(), state.calendar.timeZone)}~${Math.floor(Math.random() * actualShards)}`;
  await retryOnConflict(
    async () => {
      const day = (await ctx.ports.programme.getDay(date)) ?? {
        date,
        materialized: {},
        done: {},
        failed: {},
      };
      await ctx.ports.programme.putDay({
        ...day,
        done: { ...day.done, [tier]: (day.done[tier] ?? 0) + counts.succeeded },
        failed: { ...day.failed, [tier]: (day.failed[tier] ?? 0) + counts.failed },
      });
    },
    { what: `day ${date}`, maxAttempts: 100 },
  );
}
