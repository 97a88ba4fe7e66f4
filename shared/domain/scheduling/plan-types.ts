/**
 * What the programme planner takes and gives (`planProgramme` in plan.ts). Times are epoch ms, dates
 * local `YYYY-MM-DD` in the calendar's time zone, amounts whole mailboxes and bytes.
 */
import type { DayCaps, DayType, MigrationCalendar } from './calendar';
import type { LocalDate } from './local-date';
import type { TierPolicy } from './waiting-line';

/** One migration request with work left, as the planner sees it. */
export interface MigrationClaim {
  requestId: string;
  orgId: string;
  /** The organisation's verified tier. */
  tier: string;
  /** When the intake accepted the request: its place in the line. */
  arrivedAtMs: number;
  /** Mailboxes not yet in any frozen day (neither materialised nor done). */
  mailboxes: number;
  /** Their bytes. */
  bytes: number;
  /** The organisation passes every required check now. */
  ready: boolean;
  /** What-if: a not-ready organisation becoming ready on this day (ignored when `ready`). */
  readyFrom?: LocalDate;
  /** What-if surge: the request only exists from this day on. */
  arrivesOn?: LocalDate;
}

/**
 * Work already materialised into waves (past days and the day in progress): never moved, but counted
 * against its day's caps, the organisation's daily maximum and — under `tier` — the reservations.
 */
export interface FrozenAllocation {
  date: LocalDate;
  requestId: string;
  orgId: string;
  tier: string;
  mailboxes: number;
  bytes: number;
}

export interface PlanInput {
  calendar: MigrationCalendar;
  tiers: readonly TierPolicy[];
  /** First day new work may go on: `firstPlannableDay(calendar, now)`. */
  firstDay: LocalDate;
  frozen: readonly FrozenAllocation[];
  claims: readonly MigrationClaim[];
  /** Days after `firstDay` the planner looks at before giving up with `beyond-horizon`. Default 1096 (3 years). */
  horizonDays?: number;
}

/**
 * Why (some of) a request's mailboxes have no day:
 * - `not-ready`: its organisation is not ready (the failing checks are the caller's to name);
 * - `no-capacity`: no future day can take them (caps are 0, every share is reserved above its tier,
 *   or one mailbox is bigger than a whole day's byte cap) — no capacity is expected to free up;
 * - `beyond-horizon`: capacity exists, but not within `horizonDays`.
 */
export type UnplannedReason = 'not-ready' | 'no-capacity' | 'beyond-horizon';

export interface ScheduledDay {
  date: LocalDate;
  mailboxes: number;
  bytes: number;
  /** Present (true) on materialised days, which re-planning never moves. */
  frozen?: true;
}

export interface RequestSchedule {
  requestId: string;
  orgId: string;
  tier: string;
  /** Frozen days first, then planned ones, in date order; one entry per date. */
  days: ScheduledDay[];
  /** First and last date with work; `finish` is null while any mailbox has no day. */
  start: LocalDate | null;
  finish: LocalDate | null;
  unplanned: { mailboxes: number; bytes: number };
  /** Why some mailboxes have no day; null when every mailbox has one. */
  reason: UnplannedReason | null;
}

export interface TierAmount {
  mailboxes: number;
  bytes: number;
}

export interface PlanDay {
  date: LocalDate;
  dayType: DayType;
  cap: DayCaps;
  /** By the requests' own tier (a promoted claim still counts under its tier), frozen work included. */
  planned: Record<string, TierAmount>;
  total: TierAmount;
  /** Before the first plannable day: materialised, never re-planned. */
  frozen: boolean;
}

export interface TierSummary {
  /** Mailboxes on frozen days and on planned days. */
  frozen: number;
  planned: number;
  unplanned: number;
  /** The tier's last day with work (frozen or planned); null when it has none. */
  projectedFinish: LocalDate | null;
}

export interface PlanResult {
  firstDay: LocalDate;
  /** The tiers in serving order, then any tier the policies do not know (served last). */
  tiers: string[];
  /** One per claim (input order), then one per request that only has frozen days. */
  requests: RequestSchedule[];
  /** Every date from the earliest frozen or first day to the last day with work, none skipped. */
  days: PlanDay[];
  /** The last day with work of any organisation (not-ready work has none, so it never makes this null). */
  projectedFinish: LocalDate | null;
  byTier: Record<string, TierSummary>;
  /** Claims whose organisation is not ready now (whether or not a what-if makes it ready later). */
  notReady: { organisations: number; mailboxes: number };
  unplanned: {
    requests: number;
    mailboxes: number;
    byReason: Partial<Record<UnplannedReason, { requests: number; mailboxes: number }>>;
  };
  /** Why planning stopped: everything placed, nothing more could ever be placed, or the horizon. */
  stoppedBecause: 'done' | 'no-capacity' | 'horizon';
  /** The last day the planner looked at. */
  lastDayConsidered: LocalDate;
}
