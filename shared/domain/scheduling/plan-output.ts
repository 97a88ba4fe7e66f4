/** Turns the planner's working state into its answer: per request, per day, per tier, and the totals. */
import { capOf } from './calendar';
import { addDays } from './local-date';
import type { ClaimState } from './plan-queues';
import type {
  FrozenAllocation,
  PlanDay,
  PlanInput,
  PlanResult,
  RequestSchedule,
  ScheduledDay,
  TierAmount,
  TierSummary,
  UnplannedReason,
} from './plan-types';

export interface PlanState {
  input: PlanInput;
  /** Tiers in serving order, then unknown ones: the keys totals are counted under. */
  tierKeys: string[];
  claims: ClaimState[];
  /** Day index → per tier key: mailboxes at 2k, bytes at 2k+1 (frozen and planned). */
  dayTotals: Map<number, Float64Array>;
  stoppedBecause: PlanResult['stoppedBecause'];
  /** The last day index the planner looked at. */
  lastDay: number;
}

function reasonOf(claim: ClaimState, state: PlanState): UnplannedReason | null {
  if (claim.remainingMailboxes === 0) return null;
  if (claim.eligibleDay === Infinity) return 'not-ready';
  if (state.stoppedBecause === 'no-capacity' && claim.eligibleDay <= state.lastDay) return 'no-capacity';
  return 'beyond-horizon';
}

function frozenDaysByRequest(frozen: readonly FrozenAllocation[]): Map<string, FrozenAllocation[]> {
  const byRequest = new Map<string, FrozenAllocation[]>();
  for (const allocation of frozen) {
    const list = byRequest.get(allocation.requestId);
    if (list) list.push(allocation);
    else byRequest.set(allocation.requestId, [allocation]);
  }
  for (const list of byRequest.values())
    list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return byRequest;
}

function toFrozenDays(allocations: readonly FrozenAllocation[]): ScheduledDay[] {
  return allocations.map((a) => ({ date: a.date, mailboxes: a.mailboxes, bytes: a.bytes, frozen: true }));
}

function scheduleOf(
  requestId: string,
  orgId: string,
  tier: string,
  days: ScheduledDay[],
  complete: boolean,
  unplanned: TierAmount,
  reason: UnplannedReason | null,
): RequestSchedule {
  // Frozen days come first (in date order), then planned ones (in date order); a planned day can share
  // a date with a frozen one, so the first and last dates are looked for, not assumed.
  let start: string | null = null;
  let finish: string | null = null;
  for (const { date } of days) {
    if (start === null || date < start) start = date;
    if (finish === null || date > finish) finish = date;
  }
  return {
    requestId,
    orgId,
    tier,
    days,
    start,
    finish: complete ? finish : null,
    unplanned,
    reason,
  };
}

export function buildPlanResult(state: PlanState): PlanResult {
  const { input, tierKeys } = state;
  const firstDay = input.firstDay;
  const dateCache = new Map<number, string>();
  const dateOf = (day: number): string => {
    let date = dateCache.get(day);
    if (date === undefined) {
      date = addDays(firstDay, day);
      dateCache.set(day, date);
    }
    return date;
  };

  const byTier: Record<string, TierSummary> = {};
  for (const tier of tierKeys) byTier[tier] = { frozen: 0, planned: 0, unplanned: 0, projectedFinish: null };
  const frozenByRequest = frozenDaysByRequest(input.frozen);
  for (const allocation of input.frozen) byTier[allocation.tier]!.frozen += allocation.mailboxes;

  const requests: RequestSchedule[] = [];
  const unplanned: PlanResult['unplanned'] = { requests: 0, mailboxes: 0, byReason: {} };
  const notReadyOrgs = new Set<string>();
  let notReadyMailboxes = 0;
  for (const claimState of state.claims) {
    const { claim } = claimState;
    const days = toFrozenDays(frozenByRequest.get(claim.requestId) ?? []);
    let planned = 0;
    for (let i = 0; i < claimState.days.length; i += 3) {
      const mailboxes = claimState.days[i + 1]!;
      planned += mailboxes;
      days.push({ date: dateOf(claimState.days[i]!), mailboxes, bytes: claimState.days[i + 2]! });
    }
    const reason = reasonOf(claimState, state);
    const summary = byTier[claim.tier]!;
    summary.planned += planned;
    summary.unplanned += claimState.remainingMailboxes;
    if (reason !== null) {
      unplanned.requests++;
      unplanned.mailboxes += claimState.remainingMailboxes;
      const counts = (unplanned.byReason[reason] ??= { requests: 0, mailboxes: 0 });
      counts.requests++;
      counts.mailboxes += claimState.remainingMailboxes;
    }
    if (!claim.ready) {
      notReadyOrgs.add(claim.orgId);
      notReadyMailboxes += claim.mailboxes;
    }
    const left = { mailboxes: claimState.remainingMailboxes, bytes: claimState.remainingBytes };
    requests.push(scheduleOf(claim.requestId, claim.orgId, claim.tier, days, reason === null, left, reason));
  }
  const claimed = new Set(input.claims.map((claim) => claim.requestId));
  for (const [requestId, allocations] of frozenByRequest) {
    if (claimed.has(requestId)) continue;
    const { orgId, tier } = allocations[0]!;
    const days = toFrozenDays(allocations);
    requests.push(scheduleOf(requestId, orgId, tier, days, true, { mailboxes: 0, bytes: 0 }, null));
  }

  const dayKeys = [...state.dayTotals.keys()].sort((a, b) => a - b);
  const days: PlanDay[] = [];
  let lastWithWork: number | null = null;
  if (dayKeys.length > 0) {
    for (let day = Math.min(0, dayKeys[0]!); day <= dayKeys[dayKeys.length - 1]!; day++) {
      const date = dateOf(day);
      const { dayType, mailboxes, bytes } = capOf(input.calendar, date);
      const totals = state.dayTotals.get(day);
      const planned: Record<string, TierAmount> = {};
      const total: TierAmount = { mailboxes: 0, bytes: 0 };
      tierKeys.forEach((tier, k) => {
        const amount = { mailboxes: totals?.[2 * k] ?? 0, bytes: totals?.[2 * k + 1] ?? 0 };
        planned[tier] = amount;
        total.mailboxes += amount.mailboxes;
        total.bytes += amount.bytes;
        if (amount.mailboxes > 0) byTier[tier]!.projectedFinish = date;
      });
      if (total.mailboxes > 0) lastWithWork = day;
      days.push({ date, dayType, cap: { mailboxes, bytes }, planned, total, frozen: day < 0 });
    }
  }

  return {
    firstDay,
    tiers: tierKeys,
    requests,
    days,
    projectedFinish: lastWithWork === null ? null : dateOf(lastWithWork),
    byTier,
    notReady: { organisations: notReadyOrgs.size, mailboxes: notReadyMailboxes },
    unplanned,
    stoppedBecause: state.stoppedBecause,
    lastDayConsidered: dateOf(state.lastDay),
  };
}
