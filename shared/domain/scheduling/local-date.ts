/**
 * Local dates (`YYYY-MM-DD`) in an IANA time zone, computed with `Intl` only (no I/O, no clock).
 * A local date is a calendar date as people in the zone write it; its start instant depends on the zone
 * and moves with daylight saving (a Europe/London spring-forward day lasts 23 hours, a fall-back day 25).
 * Calendar arithmetic (adding days, weekday or weekend) needs no zone: the date is already local.
 */

/** A calendar date `YYYY-MM-DD` in some time zone (which one is the context's, e.g. the calendar's). */
export type LocalDate = string;

/** Saturday and Sunday are the weekend, as in the UK programme the calendar was designed for. */
export type WeekDayType = 'weekday' | 'weekend';

const dayMs = 86_400_000;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `text` is a real calendar date `YYYY-MM-DD` (so `2027-02-29` is not). */
export function isLocalDate(text: string): boolean {
  const match = LOCAL_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = new Date(Date.UTC(year, month - 1, day));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day;
}

/** Midnight UTC of the date, the zone-free handle calendar arithmetic works on. @throws RangeError */
function utcMidnightOf(date: LocalDate): number {
  if (!isLocalDate(date)) throw new RangeError(`"${date}" is not a date YYYY-MM-DD`);
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

function formatUtcDate(ms: number): LocalDate {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The date `days` days after `date` (negative: before). @throws RangeError on a malformed date. */
export function addDays(date: LocalDate, days: number): LocalDate {
  return formatUtcDate(utcMidnightOf(date) + days * dayMs);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). @throws RangeError on a malformed date. */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((utcMidnightOf(to) - utcMidnightOf(from)) / dayMs);
}

/** Orders two dates: negative, zero or positive, like a sort comparator. */
export function compareLocalDates(a: LocalDate, b: LocalDate): number {
  // Four-digit years and zero padding make the text order the calendar order.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two dates. */
export function laterOf(a: LocalDate, b: LocalDate): LocalDate {
  return compareLocalDates(a, b) >= 0 ? a : b;
}

/** Weekday or weekend (Saturday, Sunday). @throws RangeError on a malformed date. */
export function weekDayTypeOf(date: LocalDate): WeekDayType {
  const weekday = new Date(utcMidnightOf(date)).getUTCDay();
  return weekday === 0 || weekday === 6 ? 'weekend' : 'weekday';
}

// Building a DateTimeFormat costs far more than using one; planners ask for the same zone thousands of times.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * True when `name` is an IANA time zone this runtime knows (`Europe/London`, `UTC`); offsets such as
 * `+01:00` are refused, because they have no daylight-saving rules to follow.
 */
export function isValidTimeZone(name: string): boolean {
  if (!/^[A-Za-z]/.test(name)) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `ms` in the zone, read back as if it were UTC (so `wall - ms` is the zone's offset). */
function wallClockAsUtc(ms: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const field = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value ?? NaN);
  const year = field('year');
  return Date.UTC(year, field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
}

/**
 * The local date of an instant in the zone.
 * @throws RangeError on an unknown time zone or a non-finite instant.
 */
export function localDateOf(ms: number, timeZone: string): LocalDate {
  if (!Number.isFinite(ms)) throw new RangeError(`${ms} is not an instant`);
  return formatUtcDate(wallClockAsUtc(ms, timeZone));
}

/**
 * The first instant (epoch ms) of a local date in the zone: local midnight, or — where a daylight-saving
 * change skips midnight — the first instant the date exists. Assumes, as every current zone rule does,
 * that clocks never go back across midnight.
 * @throws RangeError on an unknown time zone or a malformed date.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const midnight = utcMidnightOf(date);
  // Two rounds of "midnight minus the offset there" land on local midnight whenever it exists.
  const first = midnight - (wallClockAsUtc(midnight, timeZone) - midnight);
  const guess = midnight - (wallClockAsUtc(first, timeZone) - first);
  if (isFirstInstantOf(guess, date, timeZone)) return guess;
  // Midnight was skipped (or the guess straddled a change): search the instant the date begins.
  // Offsets lie within ±18 h of UTC, so the start lies within a day and a half of midnight UTC.
  let low = midnight - 1.5 * dayMs; // before the date begins
  let high = midnight + 1.5 * dayMs; // after it has begun
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (compareLocalDates(localDateOf(middle, timeZone), date) >= 0) high = middle;
    else low = middle;
  }
  return high;
}

function isFirstInstantOf(ms: number, date: LocalDate, timeZone: string): boolean {
  return localDateOf(ms, timeZone) === date && localDateOf(ms - 1, timeZone) !== date;
}

/** How long the local date lasts in the zone, in ms (23 or 25 hours on daylight-saving days). @throws RangeError */
export function lengthOfLocalDayInMs(date: LocalDate, timeZone: string): number {
  return startOfLocalDay(addDays(date, 1), timeZone) - startOfLocalDay(date, timeZone);
}

/** The day after the local date of `nowMs` in the zone. @throws RangeError on an unknown time zone. */
export function tomorrowIn(nowMs: number, timeZone: string): LocalDate {
  return addDays(localDateOf(nowMs, timeZone), 1);
}
