/**
 * The body of `PUT /api/calendar`, validated field by field: each problem names its field
 * (`deadline`, `caps.weekday.mailboxes`, `holidays.2.date`, `reserved.healthh`, `timeZone`), so a refused
 * calendar can be fixed in one round-trip. The pieces are exported for the what-if overrides.
 */
import { z } from 'zod';
import { parseOrThrow } from '../requests';
import type { MigrationCalendar } from './calendar';
import { isLocalDate, isValidTimeZone } from './local-date';
import { checkNameSchema } from './readiness';

/**
 * Cross-field checks run even when another field is already wrong, so one response lists every problem
 * (zod skips them after an aborting issue by default). Their callbacks therefore check types themselves.
 */
export const alwaysCheck = { when: (): boolean => true };

export const localDateSchema = z
  .string()
  .refine(isLocalDate, { message: 'expected a calendar date YYYY-MM-DD' })
  .refine((date) => date >= '1970-01-01' && date <= '2999-12-31', { message: 'a date from 1970 to 2999' });

export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isValidTimeZone, { message: 'not an IANA time zone this runtime knows (e.g. Europe/London)' });

// `refine` rather than `.int()`: a failed `.int()` aborts, and would hide the cross-field problems.
/** A count or a byte total: a non-negative whole number JavaScript represents exactly. */
const amountSchema = z
  .number()
  .min(0, 'must not be negative')
  .max(Number.MAX_SAFE_INTEGER)
  .refine(Number.isInteger, 'a whole number');

export const dayCapsSchema = z.strictObject({ mailboxes: amountSchema, bytes: amountSchema });

export const capOverrideSchema = z
  .strictObject({
    date: localDateSchema,
    mailboxes: amountSchema.optional(),
    bytes: amountSchema.optional(),
    label: z.string().max(100).optional(),
  })
  .refine((holiday) => holiday.mailboxes !== undefined || holiday.bytes !== undefined, {
    message: 'give "mailboxes" and/or "bytes" (0 closes the day)',
    path: ['mailboxes'],
  });

/** Holidays and blackouts: one entry per date (a second entry for a date is refused, not merged). */
export const holidaysSchema = z
  .array(capOverrideSchema)
  .max(2000)
  .superRefine((holidays, ctx) => {
    const firstIndex = new Map<string, number>();
    (Array.isArray(holidays) ? holidays : []).forEach((holiday, index) => {
      if (typeof holiday?.date !== 'string') return;
      const earlier = firstIndex.get(holiday.date);
      if (earlier === undefined) firstIndex.set(holiday.date, index);
      else {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'date'],
          message: `${holiday.date} is already given as holidays.${earlier}`,
        });
      }
    });
  }, alwaysCheck);

export const perOrgDailyMaxSchema = z
  .number()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .refine(Number.isInteger, 'a whole number');

/** Shares (0–1) reserved per tier, for these tier names; together at most 1. */
export function reservedSchema(tierNames: readonly string[]): z.ZodType<Record<string, number>> {
  const known = new Set(tierNames);
  return z
    .record(z.string(), z.number().min(0, 'a share from 0 to 1').max(1, 'a share from 0 to 1'))
    .superRefine((reserved, ctx) => {
      let total = 0;
      for (const [tier, share] of Object.entries(
        typeof reserved === 'object' && reserved !== null ? reserved : {},
      )) {
        if (!known.has(tier)) {
          ctx.addIssue({
            code: 'custom',
            path: [tier],
            message: `not a tier: expected one of ${tierNames.join(', ')}`,
          });
        }
        if (typeof share === 'number' && share >= 0) total += share;
      }
      if (total > 1 + 1e-9) {
        ctx.addIssue({ code: 'custom', path: [], message: `the shares add up to ${total}, more than 1` });
      }
    }, alwaysCheck);
}

/** The calendar schema for a topology with these tier names (reservations must name one of them). */
export function calendarSchema(tierNames: readonly string[]): z.ZodType<MigrationCalendar> {
  return z
    .strictObject({
      timeZone: timeZoneSchema,
      start: localDateSchema,
      deadline: localDateSchema,
      caps: z.strictObject({ weekday: dayCapsSchema, weekend: dayCapsSchema }),
      holidays: holidaysSchema.default([]),
      perOrgDailyMax: perOrgDailyMaxSchema.optional(),
      reserved: reservedSchema(tierNames).default({}),
      requiredChecks: z
        .array(checkNameSchema)
        .max(50)
        .refine((names) => new Set(names).size === names.length, { message: 'each check once' })
        .default([]),
    })
    .superRefine((calendar, ctx) => {
      const { start, deadline } = calendar;
      if (
        typeof start === 'string' &&
        typeof deadline === 'string' &&
        isLocalDate(start) &&
        deadline < start
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['deadline'],
          message: `the deadline ${deadline} is before the start ${start}`,
        });
      }
    }, alwaysCheck);
}

/**
 * Parses a `PUT /api/calendar` body.
 * @throws TriageError `validation` naming each bad field.
 */
export function parseCalendar(body: unknown, tierNames: readonly string[]): MigrationCalendar {
  return parseOrThrow(calendarSchema(tierNames), body, 'calendar');
}
