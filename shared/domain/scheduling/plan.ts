/**
 * The programme planner (issue 9, SCHEDULING.md "Migration plans at national scale"): assigns future
 * days to (organisation, request) at organisation granularity — counts and bytes, never mailbox by
 * mailbox — in waiting-line order. Pure and deterministic: re-run it on every change.
 *
 * Each day, tier by tier in serving order (after bounded-wait promotion, measured at the day's start):
 * the tier sees the day's caps minus what is already taken (frozen work, higher tiers) minus the unused
 * reserved shares of every tier above it (rule 2, nested); its organisations share that view max-min
 * fairly (fair-share.ts), each within the per-organisation daily maximum; each organisation's share
 * goes to its own claims in arrival order. A claim whose organisation is not ready is not eligible and
 * consumes nothing; it keeps its arrival time, so once eligible it is the longest waiting of its tier.
 *
 * Cost: O(days × organisations active that day × log) — an organisation is visited only on days its
 * tier has capacity left, and empty stretches between events are skipped.
 */
import { capOf, lastOverrideDate } from './calendar';
import { fairShares } from './fair-share';
import { addDays, daysBetween, startOfLocalDay } from './local-date';
import { checkInput, promotionDaysOf } from './plan-input';
import { buildPlanResult, type PlanState } from './plan-output';
import { byWaitingOrder, OrgQueue, type ClaimState } from './plan-queues';
import type { PlanInput, PlanResult } from './plan-types';
import { tiersInOrder } from './waiting-line';

/** How far ahead the planner looks by default (3 years): beyond it, work is `beyond-horizon`. */
export const defaultHorizonDays = 1096;
/** A week with work waiting and nothing placed, after the last event, repeats forever: stop there. */
const idleDaysMeaningNever = 7;

/**
 * Plans every claim onto days from `input.firstDay` on (see the file comment for the rules).
 * @throws RangeError on malformed input (a bad date, negative or fractional amounts, bytes without
 * mailboxes, a request id given twice, duplicate tier names or ranks) — the API validates user input
 * before it gets here.
 */
export function planProgramme(input: PlanInput): PlanResult {
  checkInput(input);
  const { calendar, firstDay } = input;
  const horizon = Math.max(1, Math.floor(input.horizonDays ?? defaultHorizonDays));
  const ordered = tiersInOrder(input.tiers);
  const tierCount = ordered.length; // bucket `tierCount` serves tiers the policies do not know, last
  const tierIndex = new Map(ordered.map((tier, i) => [tier.name, i]));
  const servedIndexOf = (tier: string): number => tierIndex.get(tier) ?? tierCount;
  const unknownTiers = [...new Set([...input.claims, ...input.frozen].map((c) => c.tier))]
    .filter((tier) => !tierIndex.has(tier))
    .sort();
  const tierKeys = [...ordered.map((tier) => tier.name), ...unknownTiers];
  const tierKeyOf = new Map(tierKeys.map((tier, i) => [tier, i]));
  const orgIds = [...new Set([...input.claims, ...input.frozen].map((c) => c.orgId))].sort();
  const orgIndexOf = new Map(orgIds.map((orgId, i) => [orgId, i]));
  const dayIndexOf = (date: string): number => daysBetween(firstDay, date);

  const state: PlanState = {
    input,
    tierKeys,
    claims: [],
    dayTotals: new Map(),
    stoppedBecause: 'done',
    lastDay: 0,
  };

  // Frozen work: counted against its day (caps, reservations under its tier, the organisation's maximum).
  const frozenByDay = new Map<
    number,
    { mailboxes: Float64Array; bytes: Float64Array; byOrg: Map<number, number> }
  >();
  for (const allocation of input.frozen) {
    const day = dayIndexOf(allocation.date);
    let frozen = frozenByDay.get(day);
    if (!frozen) {
      frozen = {
        mailboxes: new Float64Array(tierCount + 1),
        bytes: new Float64Array(tierCount + 1),
        byOrg: new Map(),
      };
      frozenByDay.set(day, frozen);
    }
    const served = servedIndexOf(allocation.tier);
    frozen.mailboxes[served] = frozen.mailboxes[served]! + allocation.mailboxes;
    frozen.bytes[served] = frozen.bytes[served]! + allocation.bytes;
    const org = orgIndexOf.get(allocation.orgId)!;
    frozen.byOrg.set(org, (frozen.byOrg.get(org) ?? 0) + allocation.mailboxes);
    addToTotals(state, day, tierKeyOf.get(allocation.tier)!, allocation.mailboxes, allocation.bytes);
  }

  // When each claim may first be planned, and when waiting promotes it (bounded wait, rule 5).
  const dayStarts = new Map<number, number>();
  const startOfDay = (day: number): number => {
    let start = dayStarts.get(day);
    if (start === undefined) {
      start = startOfLocalDay(addDays(firstDay, day), calendar.timeZone);
      dayStarts.set(day, start);
    }
    return start;
  };
  const events = new Map<number, Array<() => void>>();
  const addEvent = (day: number, event: () => void): void => {
    const list = events.get(day);
    if (list) list.push(event);
    else events.set(day, [event]);
  };
  const queues = new Map<number, OrgQueue>();
  const active: OrgQueue[][] = Array.from({ length: tierCount + 1 }, () => []);
  // A tier's active list may hold emptied queues (a claim finished or was promoted away) until compacted.
  const stale: boolean[] = new Array<boolean>(tierCount + 1).fill(false);
  const compact = (t: number): void => {
    active[t] = active[t]!.filter((queue) => (queue.active = queue.claims.length > 0));
    stale[t] = false;
  };
  const enqueue = (claim: ClaimState): void => {
    const key = claim.orgIndex * (tierCount + 1) + claim.servedTier;
    let queue = queues.get(key);
    if (!queue) {
      queue = new OrgQueue(claim.orgIndex, claim.servedTier);
      queues.set(key, queue);
    }
    queue.add(claim);
    if (!queue.active) {
      queue.active = true;
      active[claim.servedTier]!.push(queue);
    }
  };
  let pending = 0; // claims with work left that are or will become eligible within the horizon
  input.claims.forEach((claim, index) => {
    const from = Math.max(
      0,
      claim.arrivesOn === undefined ? 0 : dayIndexOf(claim.arrivesOn),
      claim.ready || claim.readyFrom === undefined ? 0 : dayIndexOf(claim.readyFrom),
    );
    const eligibleDay = claim.ready || claim.readyFrom !== undefined ? from : Infinity;
    const own = servedIndexOf(claim.tier);
    const claimState: ClaimState = {
      claim,
      index,
      orgIndex: orgIndexOf.get(claim.orgId)!,
      tierKey: tierKeyOf.get(claim.tier)!,
      servedTier: own,
      remainingMailboxes: claim.mailboxes,
      remainingBytes: claim.bytes,
      eligibleDay,
      days: [],
      queue: null,
    };
    state.claims.push(claimState);
    if (claim.mailboxes === 0 || eligibleDay >= horizon) return;
    pending++;
    const promotionDays = promotionDaysOf(claimState, ordered, own, startOfDay, horizon);
    claimState.servedTier = own - promotionDays.filter((day) => day <= eligibleDay).length;
    addEvent(eligibleDay, () => enqueue(claimState));
    for (const day of promotionDays) {
      if (day <= eligibleDay || day >= horizon) continue;
      addEvent(day, () => {
        const queue = claimState.queue;
        if (!queue || claimState.remainingMailboxes === 0) return;
        queue.remove(claimState);
        stale[queue.tierIndex] = true;
        claimState.servedTier--;
        enqueue(claimState);
      });
    }
  });

  const lastOverride = lastOverrideDate(calendar);
  const eventDays = [...events.keys()].sort((a, b) => a - b);
  const quietAfter = Math.max(
    eventDays[eventDays.length - 1] ?? 0,
    lastOverride === null ? 0 : dayIndexOf(lastOverride),
    ...[...frozenByDay.keys()],
  );
  const reserved = ordered.map((tier) => calendar.reserved[tier.name] ?? 0);
  const perOrgMax = calendar.perOrgDailyMax ?? Infinity;
  const orgUsed = new Float64Array(orgIds.length);
  const dates = (day: number): string => addDays(firstDay, day);

  const record = (claim: ClaimState, day: number, mailboxes: number, bytes: number): void => {
    claim.days.push(day, mailboxes, bytes);
    orgUsed[claim.orgIndex] = orgUsed[claim.orgIndex]! + mailboxes;
    addToTotals(state, day, claim.tierKey, mailboxes, bytes);
    if (claim.remainingMailboxes === 0) pending--;
  };

  const planDay = (day: number): number => {
    const cap = capOf(calendar, dates(day));
    const frozen = frozenByDay.get(day);
    const used = new Array<number>(tierCount + 1).fill(0);
    const usedBytes = new Array<number>(tierCount + 1).fill(0);
    let leftMailboxes = cap.mailboxes;
    let leftBytes = cap.bytes;
    orgUsed.fill(0);
    if (frozen) {
      for (let t = 0; t <= tierCount; t++) {
        used[t] = frozen.mailboxes[t]!;
        usedBytes[t] = frozen.bytes[t]!;
        leftMailboxes -= used[t]!;
        leftBytes -= usedBytes[t]!;
      }
      for (const [org, mailboxes] of frozen.byOrg) orgUsed[org] = mailboxes;
    }
    let heldMailboxes = 0; // unused reserved shares of the tiers above
    let heldBytes = 0;
    let placed = 0;
    for (let t = 0; t <= tierCount; t++) {
      if (t > 0 && t - 1 < reserved.length) {
        heldMailboxes += Math.max(0, Math.floor(reserved[t - 1]! * cap.mailboxes) - used[t - 1]!);
        heldBytes += Math.max(0, Math.floor(reserved[t - 1]! * cap.bytes) - usedBytes[t - 1]!);
      }
      const viewMailboxes = Math.max(0, leftMailboxes - heldMailboxes);
      const viewBytes = Math.max(0, leftBytes - heldBytes);
      if (active[t]!.length === 0 || viewMailboxes === 0) continue;
      if (stale[t]) compact(t); // a promotion may have emptied a queue since the last turn
      const list = active[t]!;
      // What each organisation can take today; a tier nothing fits (its bytes spent above) costs O(n).
      let lightestFirst = Infinity;
      for (const queue of list) {
        queue.demand = Math.min(queue.eligibleRemaining, Math.max(0, perOrgMax - orgUsed[queue.orgIndex]!));
        if (queue.demand > 0) lightestFirst = Math.min(lightestFirst, queue.bytesFor(1));
      }
      if (lightestFirst > viewBytes) continue;
      list.sort(byWaitingOrder); // nearly sorted from the day before: cheap
      const turns = list.filter((queue) => queue.demand > 0);
      const shares = fairShares(turns, viewMailboxes, viewBytes);
      const onTake = (claim: ClaimState, mailboxes: number, bytes: number): void => {
        record(claim, day, mailboxes, bytes);
        used[t] = used[t]! + mailboxes;
        usedBytes[t] = usedBytes[t]! + bytes;
        leftMailboxes -= mailboxes;
        leftBytes -= bytes;
        placed += mailboxes;
        if (claim.remainingMailboxes === 0) stale[t] = true; // its queue may be empty now
      };
      for (let i = 0; i < turns.length; i++) if (shares[i]! > 0) turns[i]!.take(shares[i]!, onTake);
      if (stale[t]) compact(t);
    }
    return placed;
  };

  let day = 0;
  let nextEvent = 0;
  let idle = 0;
  for (;;) {
    if (pending === 0) break;
    if (active.every((list) => list.length === 0)) {
      // Nothing eligible: jump to the next event (a claim arriving or becoming ready).
      const upcoming = eventDays[nextEvent];
      if (upcoming === undefined) break;
      day = Math.max(day, upcoming);
    }
    if (day >= horizon) {
      state.stoppedBecause = 'horizon';
      break;
    }
    while (nextEvent < eventDays.length && eventDays[nextEvent]! <= day) {
      for (const event of events.get(eventDays[nextEvent]!)!) event();
      nextEvent++;
    }
    const placed = planDay(day);
    state.lastDay = day;
    idle = placed === 0 && day > quietAfter ? idle + 1 : 0;
    if (idle >= idleDaysMeaningNever) {
      state.stoppedBecause = 'no-capacity';
      break;
    }
    day++;
  }
  return buildPlanResult(state);
}

function addToTotals(state: PlanState, day: number, tierKey: number, mailboxes: number, bytes: number): void {
  let totals = state.dayTotals.get(day);
  if (!totals) {
    totals = new Float64Array(state.tierKeys.length * 2);
    state.dayTotals.set(day, totals);
  }
  totals[tierKey * 2] = totals[tierKey * 2]! + mailboxes;
  totals[tierKey * 2 + 1] = totals[tierKey * 2 + 1]! + bytes;
}
