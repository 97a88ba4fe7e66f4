/**
 * The migration calendar (issue 9): a rate of capacity per local day — caps by day type in the
 * calendar's time zone, holidays and blackouts overriding them, an optional per-organisation daily
 * maximum, shares of each day reserved per tier, and the readiness checks an organisation must pass.
 */
import { addDays, laterOf, localDateOf, weekDayTypeOf, type LocalDate, type WeekDayType } from './local-date';

/** What one day may carry: mailboxes and bytes, both enforced. */
export interface DayCaps {
  mailboxes: number;
  bytes: number;
}

/** A holiday or blackout: overrides one or both caps for its date (an omitted cap keeps the day type's). */
export interface CapOverride {
  date: LocalDate;
  mailboxes?: number;
  bytes?: number;
  /** What the day is ("Christmas Day", "change freeze"), for people reading the plan. */
  label?: string;
}

export interface MigrationCalendar {
  /** IANA time zone: day boundaries, weekends and holidays follow it. */
  timeZone: string;
  /** First day migrations may be planned on. */
  start: LocalDate;
  /** The day the programme should be finished by (`onTrack` compares the projected finish with it). */
  deadline: LocalDate;
  caps: { weekday: DayCaps; weekend: DayCaps };
  holidays: CapOverride[];
  /** Most mailboxes one organisation may move on one day; absent means no per-organisation limit. */
  perOrgDailyMax?: number;
  /** Share (0–1) of each day's caps withheld from every lower tier while the tier does not use it. */
  reserved: Record<string, number>;
  /** The readiness checks every organisation must pass before any of its mailboxes is planned. */
  requiredChecks: string[];
}

/** A day's type as plans show it: a date with an override is a `holiday`, whatever its weekday. */
export type DayType = WeekDayType | 'holiday';

export interface DayCap extends DayCaps {
  dayType: DayType;
}

// Plans look up every day of a horizon; an index per calendar object keeps that O(1) per day.
const overridesByCalendar = new WeakMap<MigrationCalendar, Map<LocalDate, CapOverride>>();

function overridesOf(calendar: MigrationCalendar): Map<LocalDate, CapOverride> {
  let index = overridesByCalendar.get(calendar);
  if (!index) {
    index = new Map(calendar.holidays.map((holiday) => [holiday.date, holiday]));
    overridesByCalendar.set(calendar, index);
  }
  return index;
}

/**
 * The caps of one local date: its day type's, with a holiday's or blackout's overrides applied.
 * Calendars are treated as immutable (the index is cached per object): edit a copy.
 * @throws RangeError on a malformed date.
 */
export function capOf(calendar: MigrationCalendar, date: LocalDate): DayCap {
  const weekDayType = weekDayTypeOf(date);
  const base = calendar.caps[weekDayType];
  const override = overridesOf(calendar).get(date);
  if (!override) return { dayType: weekDayType, mailboxes: base.mailboxes, bytes: base.bytes };
  return {
    dayType: 'holiday',
    mailboxes: override.mailboxes ?? base.mailboxes,
    bytes: override.bytes ?? base.bytes,
  };
}

/**
 * The first day a plan may put new work on: the later of the calendar's `start` and tomorrow in its
 * time zone — the day in progress is never newly planned into (its wave is already out).
 * @throws RangeError on an unknown time zone.
 */
export function firstPlannableDay(calendar: MigrationCalendar, nowMs: number): LocalDate {
  return laterOf(calendar.start, addDays(localDateOf(nowMs, calendar.timeZone), 1));
}

/** The last date a holiday or blackout overrides (after it, caps repeat week by week), or null. */
export function lastOverrideDate(calendar: MigrationCalendar): LocalDate | null {
  let last: LocalDate | null = null;
  for (const holiday of calendar.holidays) if (last === null || holiday.date > last) last = holiday.date;
  return last;
}

/**
 * The capacity lower bound of a programme: the first day from `from` by which the cumulative caps
 * cover both `mailboxes` and `bytes` (no plan can finish earlier); null if not within `maxDays`.
 * @throws RangeError on a malformed date.
 */
export function capacityLowerBound(
  calendar: MigrationCalendar,
  from: LocalDate,
  mailboxes: number,
  bytes: number,
  maxDays = 3660,
): LocalDate | null {
  let coveredMailboxes = 0;
  let coveredBytes = 0;
  for (let day = 0; day < maxDays; day++) {
    const date = addDays(from, day);
    const cap = capOf(calendar, date);
    coveredMailboxes += cap.mailboxes;
    coveredBytes += cap.bytes;
    if (coveredMailboxes >= mailboxes && coveredBytes >= bytes) return date;
  }
  return null;
}
