/**
 * The programme's plan, re-run on every change (a claim, readiness, the calendar, a wave): the claims are
 * planned onto future days (the pure `planProgramme`), each request's days stored on its claim, its status
 * set (`scheduled` / `deferred`), and its requester told when first scheduled and when its start or finish
 * moves beyond the threshold. One worker at a time (a lease on the programme state, then a cooldown), so a
 * burst of changes costs one plan per cooldown; the programme's timer picks up what is left stale.
 */
import { isTriageError } from '../../domain/errors';
import { decideProgrammeStatus } from '../../domain/request-lifecycle';
import { firstPlannableDay } from '../../domain/scheduling/calendar';
import { localDateOf } from '../../domain/scheduling/local-date';
import { planProgramme } from '../../domain/scheduling/plan';
import { unplannedReasonText } from '../../domain/scheduling/plan-reason';
import type { FrozenAllocation, PlanInput, PlanResult } from '../../domain/scheduling/plan-types';
import {
  scheduleChanged,
  scheduleNotice,
  toMigrationClaim,
  toStoredSchedule,
  type ProgrammeClaimRecord,
} from '../../domain/scheduling/programme-claims';
import type { AppContext } from '../context';
import type { ProgrammeState } from '../ports/programme';
import { recordEvent } from './history';
import { mutateRequest } from './mutate-request';
import { retryOnConflict } from './retry-on-conflict';

const leaseInMs = 60_000;
const cooldownInMs = 1_000;

/** A change that the plan must follow: bumps the programme's plan version (the timer re-plans if no one does). */
export async function markPlanStale(ctx: AppContext): Promise<void> {
  await retryOnConflict(
    async () => {
      const state = await ctx.ports.programme.getState();
      if (state) await ctx.ports.programme.putState({ ...state, planVersion: state.planVersion + 1 });
    },
    // Every change of the programme bumps this one row: many at once (an import, readiness reports) collide.
    { what: 'the programme', maxAttempts: 100 },
  );
}

/** The planner's input as the programme stands now: remaining work of every claim, today's wave frozen. */
export async function currentPlanInput(
  ctx: AppContext,
  state: ProgrammeState,
): Promise<{ input: PlanInput; claims: ProgrammeClaimRecord[] }> {
  const nowMs = ctx.clock().getTime();
  const today = localDateOf(nowMs, state.calendar.timeZone);
  const [claims, wave] = await Promise.all([
    ctx.ports.programme.listClaims(),
    ctx.ports.programme.listWave(today),
  ]);
  const frozen: FrozenAllocation[] = wave.map((w) => ({
    date: w.date,
    requestId: w.requestId,
    orgId: w.orgId,
    tier: w.tier,
    mailboxes: w.mailboxes,
    bytes: w.bytes,
  }));
  return {
    input: {
      calendar: state.calendar,
      tiers: ctx.tierPolicies,
      firstDay: firstPlannableDay(state.calendar, nowMs),
      frozen,
      claims: claims.map(toMigrationClaim).filter((c) => c.mailboxes > 0),
    },
    claims,
  };
}

export type ReplanOutcome = 'no-calendar' | 'fresh' | 'leased-elsewhere' | 'replanned';

/** Re-plans when the plan is stale and no one else is at it. */
export async function replanProgramme(ctx: AppContext): Promise<ReplanOutcome> {
  const leased = await takeLease(ctx);
  if (typeof leased === 'string') return leased;
  const { input, claims } = await currentPlanInput(ctx, leased);
  const plan = planProgramme(input);
  await applyPlan(ctx, leased, plan, claims);
  await ctx.ports.programme.savePlan({
    computedAtMs: ctx.clock().getTime(),
    version: leased.planVersion,
    summary: summaryOf(plan, claims),
  });
  await retryOnConflict(
    async () => {
      const state = await ctx.ports.programme.getState();
      if (!state) return;
      await ctx.ports.programme.putState({
        ...state,
        plannedVersion: Math.max(state.plannedVersion, leased.planVersion),
        planLeaseUntilMs: ctx.clock().getTime() + cooldownInMs,
      });
    },
    { what: 'the programme' },
  );
  return 'replanned';
}

async function takeLease(ctx: AppContext): Promise<ProgrammeState | Exclude<ReplanOutcome, 'replanned'>> {
  for (;;) {
    const state = await ctx.ports.programme.getState();
    if (!state) return 'no-calendar';
    if (state.plannedVersion >= state.planVersion) return 'fresh';
    const nowMs = ctx.clock().getTime();
    if (state.planLeaseUntilMs > nowMs) return 'leased-elsewhere';
    try {
      return await ctx.ports.programme.putState({ ...state, planLeaseUntilMs: nowMs + leaseInMs });
    } catch (err: unknown) {
      if (!isTriageError(err, 'concurrency')) throw err;
    }
  }
}

/** Writes each claim's new days, sets its request's status, and tells its requester what changed. */
async function applyPlan(
  ctx: AppContext,
  state: ProgrammeState,
  plan: PlanResult,
  claims: ProgrammeClaimRecord[],
): Promise<void> {
  const nowMs = ctx.clock().getTime();
  const scheduleOf = new Map(plan.requests.map((r) => [r.requestId, r]));
  const updates: ProgrammeClaimRecord[] = [];
  const notices = new Map<
    string,
    { notice: NonNullable<ReturnType<typeof scheduleNotice>>; row: ProgrammeClaimRecord }
  >();
  for (const row of claims) {
    const planned = scheduleOf.get(row.requestId);
    if (!planned) continue; // nothing left to plan: every mailbox is in a wave
    const text =
      planned.reason === 'not-ready'
        ? (row.readinessReason ?? null)
        : unplannedReasonText(planned, { lastDayConsidered: plan.lastDayConsidered });
    const schedule = toStoredSchedule(planned, text);
    const notice = scheduleNotice(row, schedule, state.calendar.timeZone, nowMs);
    if (!notice && !scheduleChanged(row.schedule, schedule)) continue;
    const next: ProgrammeClaimRecord = { ...row, schedule };
    if (notice) {
      next.notifiedScheduled = true;
      next.notifiedStart = schedule.start;
      next.notifiedFinish = schedule.finish;
      notices.set(row.requestId, { notice, row: next });
    }
    updates.push(next);
  }
  const stale = new Set(await ctx.ports.programme.updateClaims(updates));
  for (const row of updates) {
    if (stale.has(row.requestId)) continue;
    const hasDays = row.schedule?.start !== null && row.schedule?.start !== undefined;
    const saved = await mutateRequest(ctx, row.requestId, (c) => decideProgrammeStatus(c, hasDays), {
      event: hasDays
        ? `planned from ${row.schedule!.start} to ${row.schedule!.finish ?? 'not yet known'}`
        : (row.schedule?.reasonText ?? 'waiting'),
      silent: true,
    });
    const told = notices.get(row.requestId);
    if (!told || !saved) continue;
    await recordEvent(ctx, saved, {
      type: 'eta',
      notification: told.notice,
      eta: row.schedule?.start ?? null,
      message: hasDays
        ? `scheduled from ${row.schedule!.start} to ${row.schedule!.finish ?? 'not yet known'}`
        : (row.schedule?.reasonText ?? 'waiting'),
    });
  }
}

/** What `GET /api/plan` serves between re-plans: the plan without its per-request days, and the totals. */
export function summaryOf(plan: PlanResult, claims: readonly ProgrammeClaimRecord[]): unknown {
  const mailboxesByTier: Record<string, number> = {};
  for (const c of claims) mailboxesByTier[c.tier] = (mailboxesByTier[c.tier] ?? 0) + c.mailboxes;
  const { requests: _requests, ...rest } = plan;
  return { ...rest, mailboxesByTier };
}
