/**
 * The body of `POST /api/plan/what-if`: overrides of the calendar, the readiness and the demand, each
 * bad field named (`caps.weekday.mailboxes`, `readiness.notReadyShare`, `surge.3.arrivesOn`).
 *
 * `readiness` is one flat object, as issue 9 writes it: `{"<orgId>": true}` makes an organisation
 * ready, `false` not ready, a date `"2027-02-01"` ready from that day; `"notReadyShare": 0.3` makes a
 * deterministic 30 % of the organisations not ready and the rest ready; `"readyOver": {"weeks": 20}`
 * spreads the not-ready organisations' readiness evenly over 20 weeks (or `{"days": n}`, optionally
 * `"from": date`, default the first plannable day). The two reserved keys cannot be organisation ids.
 */
import { z } from 'zod';
import { orgIdSchema, parseOrThrow, requestIdSchema } from '../requests';
import type { CapOverride, DayCaps } from './calendar';
import {
  alwaysCheck,
  holidaysSchema,
  localDateSchema,
  perOrgDailyMaxSchema,
  reservedSchema,
} from './calendar-schema';
import type { LocalDate } from './local-date';

export interface ReadyOver {
  days: number;
  from?: LocalDate;
}

export interface ReadinessOverrides {
  notReadyShare?: number;
  readyOver?: ReadyOver;
  /** true: ready; false: not ready; a date: ready from that day. */
  orgs?: Record<string, boolean | LocalDate>;
}

export interface SurgeRequest {
  orgId: string;
  tier: string;
  mailboxes: number;
  bytes: number;
  arrivesOn: LocalDate;
  /** Default `surge-<n>` (n from 1, in the order given). */
  requestId?: string;
  /** Default: the organisation's readiness in the what-if (ready when it is not in the programme). */
  ready?: boolean;
}

export interface WhatIfOverrides {
  caps?: { weekday?: Partial<DayCaps>; weekend?: Partial<DayCaps> };
  /** Added to the calendar's holidays; an entry for a date the calendar has replaces it. */
  holidays?: CapOverride[];
  /** A new per-organisation daily maximum, or null for none. */
  perOrgDailyMax?: number | null;
  /** Replaces the shares of the tiers named (the merged shares must still add up to at most 1). */
  reserved?: Record<string, number>;
  readiness?: ReadinessOverrides;
  surge?: SurgeRequest[];
  /** How many of the requests whose finish moves most to list. Default 10. */
  top?: number;
}

export const defaultTopMoves = 10;
const maxSurge = 10_000;

const count = (min: number) =>
  z.number().min(min).max(Number.MAX_SAFE_INTEGER).refine(Number.isInteger, 'a whole number');
const partialCaps = z.strictObject({ mailboxes: count(0).optional(), bytes: count(0).optional() });
const readyOverSchema = z
  .strictObject({
    weeks: z.number().positive().max(520).optional(),
    days: count(1).max(3660).optional(),
    from: localDateSchema.optional(),
  })
  .refine((r) => (r.weeks === undefined) !== (r.days === undefined), {
    message: 'give exactly one of "weeks" or "days"',
  });

const readinessSchema = z
  .record(z.string(), z.unknown())
  .superRefine((readiness, ctx) => {
    for (const [key, value] of Object.entries(readiness)) {
      const problems =
        key === 'notReadyShare'
          ? z.number().min(0).max(1).safeParse(value)
          : key === 'readyOver'
            ? readyOverSchema.safeParse(value)
            : orgIdSchema.safeParse(key).success
              ? z.union([z.boolean(), localDateSchema]).safeParse(value)
              : {
                  success: false as const,
                  error: { issues: [{ path: [], message: 'not an organisation id' }] },
                };
      if (problems.success) continue;
      // An organisation's value fails both halves of its union: one problem is enough.
      const issues =
        key === 'notReadyShare' || key === 'readyOver'
          ? problems.error.issues
          : problems.error.issues.slice(0, 1);
      for (const issue of issues) {
        const message =
          key === 'notReadyShare' || key === 'readyOver' || issue.message === 'not an organisation id'
            ? issue.message
            : 'true (ready), false (not ready) or the date it becomes ready';
        ctx.addIssue({ code: 'custom', path: [key, ...issue.path.map(String)], message });
      }
    }
  }, alwaysCheck)
  .transform((readiness): ReadinessOverrides => {
    const { notReadyShare, readyOver, ...orgs } = readiness;
    const over = readyOver as { weeks?: number; days?: number; from?: string } | undefined;
    return {
      ...(notReadyShare === undefined ? {} : { notReadyShare: notReadyShare as number }),
      ...(over === undefined
        ? {}
        : {
            readyOver: {
              days: over.days ?? Math.round((over.weeks ?? 0) * 7),
              ...(over.from === undefined ? {} : { from: over.from }),
            },
          }),
      orgs: orgs as Record<string, boolean | LocalDate>,
    };
  });

/** The what-if schema for a topology with these tier names. */
export function whatIfSchema(tierNames: readonly string[]): z.ZodType<WhatIfOverrides> {
  const surgeSchema = z.strictObject({
    orgId: orgIdSchema,
    tier: z.enum(tierNames as [string, ...string[]]),
    mailboxes: count(1),
    bytes: count(0),
    arrivesOn: localDateSchema,
    requestId: requestIdSchema.optional(),
    ready: z.boolean().optional(),
  });
  return z.strictObject({
    caps: z.strictObject({ weekday: partialCaps.optional(), weekend: partialCaps.optional() }).optional(),
    holidays: holidaysSchema.optional(),
    perOrgDailyMax: perOrgDailyMaxSchema.nullable().optional(),
    reserved: reservedSchema(tierNames).optional(),
    readiness: readinessSchema.optional(),
    surge: z
      .array(surgeSchema)
      .max(maxSurge)
      .superRefine((surge, ctx) => {
        const seen = new Map<string, number>();
        (Array.isArray(surge) ? surge : []).forEach((request, index) => {
          const id = request?.requestId;
          if (typeof id !== 'string') return;
          const earlier = seen.get(id);
          if (earlier === undefined) seen.set(id, index);
          else
            ctx.addIssue({
              code: 'custom',
              path: [index, 'requestId'],
              message: `already used by surge.${earlier}`,
            });
        });
      }, alwaysCheck)
      .optional(),
    top: count(1).max(1000).optional(),
  });
}

/**
 * Parses a `POST /api/plan/what-if` body.
 * @throws TriageError `validation` naming each bad field.
 */
export function parseWhatIf(body: unknown, tierNames: readonly string[]): WhatIfOverrides {
  return parseOrThrow(whatIfSchema(tierNames), body, 'what-if');
}
