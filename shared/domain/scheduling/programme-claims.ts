/**
 * A migration request under the programme's calendar, as stored: one row per request (keyed by its
 * organisation, so one organisation's claims are one range read), with what its inventory holds, what
 * waves have already materialised, its organisation's readiness, and its planned days. Pure.
 */
import { etaMovedEnough } from './eta-change';
import { startOfLocalDay, type LocalDate } from './local-date';
import type { MigrationClaim, RequestSchedule, UnplannedReason } from './plan-types';

export interface StoredSchedule {
  days: Array<{ date: LocalDate; mailboxes: number; bytes: number }>;
  start: LocalDate | null;
  finish: LocalDate | null;
  /** Why some mailboxes have no day (`not-ready`, `no-capacity`, `beyond-horizon`), or null. */
  reason: UnplannedReason | null;
  /** The reason in words (the failing checks, when not ready). */
  reasonText: string | null;
}

export interface ProgrammeClaimRecord {
  requestId: string;
  orgId: string;
  /** The organisation's verified tier. */
  tier: string;
  /** The request's intake time: its place in the line. */
  arrivedAtMs: number;
  /** The inventory's totals. */
  mailboxes: number;
  bytes: number;
  /** What waves have handed to batches so far (the head of the inventory, in order). */
  materializedMailboxes: number;
  materializedBytes: number;
  /** Its organisation passes every required check. */
  ready: boolean;
  readinessReason?: string;
  schedule?: StoredSchedule;
  /** What the requester was last told: that it is scheduled, and the start and finish it was told. */
  notifiedScheduled?: boolean;
  notifiedStart?: LocalDate | null;
  notifiedFinish?: LocalDate | null;
  etag?: string;
}

/** The claim as the planner sees it: only the work no wave has taken yet. */
export function toMigrationClaim(row: ProgrammeClaimRecord): MigrationClaim {
  return {
    requestId: row.requestId,
    orgId: row.orgId,
    tier: row.tier,
    arrivedAtMs: row.arrivedAtMs,
    mailboxes: Math.max(0, row.mailboxes - row.materializedMailboxes),
    bytes: Math.max(0, row.bytes - row.materializedBytes),
    ready: row.ready,
  };
}

/** The planned days of one request, as stored and shown (frozen days included). */
export function toStoredSchedule(schedule: RequestSchedule, reasonText: string | null): StoredSchedule {
  return {
    days: schedule.days.map((d) => ({ date: d.date, mailboxes: d.mailboxes, bytes: d.bytes })),
    start: schedule.start,
    finish: schedule.finish,
    reason: schedule.reason,
    reasonText,
  };
}

export type ScheduleNotice = 'request.scheduled' | 'request.deferred' | 'request.eta-changed';

/**
 * What a new schedule means for the requester: told when it is first scheduled (or deferred, when none of
 * its mailboxes has a day), and again when its start or finish moves by more than the threshold (the
 * larger of one hour and 10 % of the wait, on the instants the local days start).
 */
export function scheduleNotice(
  row: Pick<ProgrammeClaimRecord, 'notifiedScheduled' | 'notifiedStart' | 'notifiedFinish'>,
  schedule: StoredSchedule,
  timeZone: string,
  nowMs: number,
): ScheduleNotice | null {
  const scheduled = schedule.start !== null;
  if (!row.notifiedScheduled) return scheduled ? 'request.scheduled' : 'request.deferred';
  const at = (date: LocalDate | null | undefined): number | null =>
    date === null || date === undefined ? null : startOfLocalDay(date, timeZone);
  const moved =
    etaMovedEnough(at(row.notifiedStart), at(schedule.start), nowMs) ||
    etaMovedEnough(at(row.notifiedFinish), at(schedule.finish), nowMs);
  return moved ? 'request.eta-changed' : null;
}

/**
 * Whether a re-plan must rewrite a claim: its start, finish or reason moved. Days shifting underneath an
 * unchanged start and finish are left as they were — every re-plan would otherwise rewrite every claim
 * (25,000 at national scale); `GET /api/plan` always has the day-by-day plan.
 */
export function scheduleChanged(a: StoredSchedule | undefined, b: StoredSchedule): boolean {
  return (
    !a ||
    a.start !== b.start ||
    a.finish !== b.finish ||
    a.reason !== b.reason ||
    a.reasonText !== b.reasonText
  );
}
