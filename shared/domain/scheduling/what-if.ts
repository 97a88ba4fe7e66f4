/**
 * What if (`POST /api/plan/what-if`): the planner run on an edited copy of its input — other caps or
 * holidays, other readiness, a surge of requests — next to the plan as it stands, with the requests
 * whose finish moves most. Pure: nothing stored changes, the caller's input is not mutated.
 */
import { TriageError } from '../errors';
import type { MigrationCalendar } from './calendar';
import { addDays, daysBetween, startOfLocalDay, type LocalDate } from './local-date';
import { planProgramme } from './plan';
import type { MigrationClaim, PlanInput, PlanResult } from './plan-types';
import { defaultTopMoves, type ReadinessOverrides, type WhatIfOverrides } from './what-if-schema';

export interface FinishMove {
  requestId: string;
  orgId: string;
  tier: string;
  before: LocalDate | null;
  after: LocalDate | null;
  /** Days later (positive) or earlier; null when the request gains or loses a finish. */
  movedDays: number | null;
}

export interface WhatIfResult {
  plan: PlanResult;
  /** The plan without the overrides (the one passed in, or computed). */
  baseline: PlanResult;
  /** The edited input the what-if plan was made from. */
  input: PlanInput;
  /** Requests of the baseline whose finish moves, most first (gaining or losing a finish counts most). */
  moves: FinishMove[];
}

/**
 * FNV-1a (32-bit) of an organisation id: the deterministic "random" order `notReadyShare` and
 * `readyOver` pick organisations in — independent of size, tier and name order, the same every run.
 */
export function organisationHash(orgId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < orgId.length; i++) {
    hash ^= orgId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Sorts organisation ids by their hash (then id), hashing each once. */
function inHashOrder(orgIds: Iterable<string>): string[] {
  const hashes = new Map([...orgIds].map((orgId) => [orgId, organisationHash(orgId)]));
  return [...hashes.keys()].sort((a, b) => hashes.get(a)! - hashes.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
}

/** The calendar with the overrides applied. @throws TriageError `validation` when the merged shares pass 1. */
export function calendarWithOverrides(
  calendar: MigrationCalendar,
  overrides: WhatIfOverrides,
): MigrationCalendar {
  const holidays = new Map(calendar.holidays.map((holiday) => [holiday.date, holiday]));
  for (const holiday of overrides.holidays ?? []) holidays.set(holiday.date, holiday);
  const reserved = { ...calendar.reserved, ...overrides.reserved };
  const share = Object.values(reserved).reduce((sum, s) => sum + s, 0);
  if (share > 1 + 1e-9) {
    throw new TriageError(
      'validation',
      `invalid what-if: reserved: with the calendar's, the shares add up to ${share}`,
      {
        fields: [
          { field: 'reserved', message: `with the calendar's, the shares add up to ${share}, more than 1` },
        ],
      },
    );
  }
  const { perOrgDailyMax: _dropped, ...rest } = calendar;
  const perOrgDailyMax =
    overrides.perOrgDailyMax === undefined ? calendar.perOrgDailyMax : overrides.perOrgDailyMax;
  return {
    ...rest,
    caps: {
      weekday: { ...calendar.caps.weekday, ...overrides.caps?.weekday },
      weekend: { ...calendar.caps.weekend, ...overrides.caps?.weekend },
    },
    holidays: [...holidays.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
    reserved,
    ...(perOrgDailyMax === null || perOrgDailyMax === undefined ? {} : { perOrgDailyMax }),
  };
}

/** Readiness per organisation after the overrides: ready now, or not ready (from a day, or never). */
function readinessWithOverrides(
  claims: readonly MigrationClaim[],
  overrides: ReadinessOverrides,
  firstDay: LocalDate,
): Map<string, { ready: boolean; readyFrom?: LocalDate }> {
  const state = new Map<string, { ready: boolean; readyFrom?: LocalDate }>();
  for (const claim of claims) {
    if (state.has(claim.orgId)) continue;
    state.set(claim.orgId, {
      ready: claim.ready,
      ...(claim.readyFrom ? { readyFrom: claim.readyFrom } : {}),
    });
  }
  if (overrides.notReadyShare !== undefined) {
    const orgIds = inHashOrder(state.keys());
    const notReady = Math.round(overrides.notReadyShare * orgIds.length);
    orgIds.forEach((orgId, i) => state.set(orgId, { ready: i >= notReady }));
  }
  for (const [orgId, value] of Object.entries(overrides.orgs ?? {})) {
    state.set(orgId, typeof value === 'boolean' ? { ready: value } : { ready: false, readyFrom: value });
  }
  if (overrides.readyOver) {
    // Evenly over the period: the i-th of n organisations still waiting becomes ready on day ⌊(i+1)·days/n⌋.
    const from = overrides.readyOver.from ?? firstDay;
    const waiting = inHashOrder(
      [...state.entries()].filter(([, s]) => !s.ready && s.readyFrom === undefined).map(([id]) => id),
    );
    waiting.forEach((orgId, i) => {
      const offset = Math.floor(((i + 1) * overrides.readyOver!.days) / waiting.length);
      state.set(orgId, { ready: false, readyFrom: addDays(from, offset) });
    });
  }
  return state;
}

/** The planner's input with the overrides applied (readiness, surge, calendar). @throws TriageError `validation` */
export function inputWithOverrides(base: PlanInput, overrides: WhatIfOverrides): PlanInput {
  const calendar = calendarWithOverrides(base.calendar, overrides);
  const readiness = overrides.readiness
    ? readinessWithOverrides(base.claims, overrides.readiness, base.firstDay)
    : null;
  const withReadiness = (claim: MigrationClaim, state = readiness?.get(claim.orgId)): MigrationClaim => {
    if (!state || (state.ready === claim.ready && state.readyFrom === claim.readyFrom)) return claim;
    // Built field by field: object rest/spread over 25,000 claims is what a what-if would spend its time on.
    const edited: MigrationClaim = {
      requestId: claim.requestId,
      orgId: claim.orgId,
      tier: claim.tier,
      arrivedAtMs: claim.arrivedAtMs,
      mailboxes: claim.mailboxes,
      bytes: claim.bytes,
      ready: state.ready,
    };
    if (state.readyFrom !== undefined) edited.readyFrom = state.readyFrom;
    if (claim.arrivesOn !== undefined) edited.arrivesOn = claim.arrivesOn;
    return edited;
  };
  const claims = base.claims.map((claim) => withReadiness(claim));
  const ids = new Set(claims.map((claim) => claim.requestId));
  const orgReadiness = new Map(claims.map((claim) => [claim.orgId, claim]));
  (overrides.surge ?? []).forEach((surge, i) => {
    const requestId = surge.requestId ?? `surge-${i + 1}`;
    if (ids.has(requestId)) {
      throw new TriageError(
        'validation',
        `invalid what-if: surge.${i}.requestId: ${requestId} already exists`,
        {
          fields: [
            { field: `surge.${i}.requestId`, message: `${requestId} is already a request of the programme` },
          ],
        },
      );
    }
    ids.add(requestId);
    // The organisation's readiness in the what-if: as overridden, else as its other requests, else ready.
    const known = readiness?.get(surge.orgId) ?? orgReadiness.get(surge.orgId) ?? { ready: true };
    const ready =
      surge.ready !== undefined
        ? { ready: surge.ready }
        : { ready: known.ready, ...(known.readyFrom ? { readyFrom: known.readyFrom } : {}) };
    claims.push({
      requestId,
      orgId: surge.orgId,
      tier: surge.tier,
      arrivedAtMs: startOfLocalDay(surge.arrivesOn, calendar.timeZone),
      mailboxes: surge.mailboxes,
      bytes: surge.bytes,
      arrivesOn: surge.arrivesOn,
      ...ready,
    });
  });
  return { ...base, calendar, claims };
}

/** Requests whose finish differs between two plans, most moved first, at most `top`. */
export function finishMoves(baseline: PlanResult, plan: PlanResult, top = defaultTopMoves): FinishMove[] {
  const after = new Map(plan.requests.map((request) => [request.requestId, request]));
  const epochDays = new Map<LocalDate, number>();
  const epochDay = (date: LocalDate): number => {
    let days = epochDays.get(date);
    if (days === undefined) epochDays.set(date, (days = daysBetween('1970-01-01', date)));
    return days;
  };
  const moves: FinishMove[] = [];
  for (const before of baseline.requests) {
    const now = after.get(before.requestId);
    if (!now || now.finish === before.finish) continue;
    const movedDays = before.finish && now.finish ? epochDay(now.finish) - epochDay(before.finish) : null;
    moves.push({
      requestId: before.requestId,
      orgId: before.orgId,
      tier: before.tier,
      before: before.finish,
      after: now.finish,
      movedDays,
    });
  }
  const size = (move: FinishMove): number => (move.movedDays === null ? Infinity : Math.abs(move.movedDays));
  moves.sort((a, b) => size(b) - size(a) || (a.requestId < b.requestId ? -1 : 1));
  return moves.slice(0, top);
}

/**
 * Plans the programme as it would be with the overrides, next to the baseline (pass it in when it is
 * already computed, to plan once instead of twice).
 * @throws TriageError `validation` for overrides that only fail against the programme (merged shares
 * over 1, a surge request id the programme already has).
 */
export function whatIf(base: PlanInput, overrides: WhatIfOverrides, baseline?: PlanResult): WhatIfResult {
  const input = inputWithOverrides(base, overrides);
  const plan = planProgramme(input);
  const reference = baseline ?? planProgramme(base);
  return {
    plan,
    baseline: reference,
    input,
    moves: finishMoves(reference, plan, overrides.top ?? defaultTopMoves),
  };
}
