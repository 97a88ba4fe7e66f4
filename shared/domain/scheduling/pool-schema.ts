/**
 * The body of `PUT /api/pools/{poolId}` (issue 8), validated field by field:
 * `{"resourceType":"vm","region":"uksouth","capacity":10000,"reserved":{"health":2000},
 *   "policy":"strict"|"backfill","schedule":[{"at":"<ISO time>","capacity":12000}]}`.
 * A schedule entry already due is accepted; the caller applies it (`applyDueSchedule`) before storing.
 */
import { z } from 'zod';
import { parseOrThrow, resourceSchema } from '../requests';
import type { CapacityChange } from './capacity';
import { maxPoolCapacity, type PoolDefinition } from './pool';
import { maxReservingTiers } from './start-times';
import { formatCount } from './wait-reason';

/** Most schedule entries one pool keeps. */
export const maxScheduleEntries = 100;

/** Pool ids end up in Table keys and URLs: the request-id alphabet. */
export const poolIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "_" and "-" only');

const amount = z
  .number()
  .int()
  .min(0, 'must not be negative')
  .max(maxPoolCapacity, `at most ${formatCount(maxPoolCapacity)}`);

// Zod runs the cross-field checks even when a field failed: compare only amounts that are valid, so each
// problem is reported once, at its own field.
const validAmount = (x: number): boolean => amount.safeParse(x).success;

/**
 * The body schema; `tierNames` are the topology's tiers, the only names `reserved` may use.
 * Issues are reported at `capacity`, `reserved`, `reserved.<tier>`, `policy`, `schedule.<i>.at` and
 * `schedule.<i>.capacity`.
 */
export function poolBodySchema(tierNames: readonly string[]) {
  return z
    .strictObject({
      resourceType: resourceSchema.shape.type,
      region: resourceSchema.shape.region,
      capacity: amount,
      reserved: z.record(z.string(), amount).default({}),
      policy: z.enum(['strict', 'backfill']).default('strict'),
      schedule: z
        .array(
          z.strictObject({
            at: z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-03-01T09:00:00Z' }),
            capacity: amount,
          }),
        )
        .max(maxScheduleEntries)
        .default([]),
    })
    .superRefine((body, ctx) => {
      for (const name of Object.keys(body.reserved)) {
        if (!tierNames.includes(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['reserved', name],
            message: `"${name}" is not a tier (tiers: ${tierNames.join(', ')})`,
          });
        }
      }
      const reservedTotal = Object.values(body.reserved).reduce((sum, x) => sum + x, 0);
      if (Object.values(body.reserved).filter((x) => x > 0).length > maxReservingTiers) {
        ctx.addIssue({
          code: 'custom',
          path: ['reserved'],
          message: `at most ${maxReservingTiers} tiers may reserve headroom`,
        });
      }
      if (validAmount(body.capacity) && reservedTotal > body.capacity) {
        ctx.addIssue({
          code: 'custom',
          path: ['reserved'],
          message: `reservations total ${formatCount(reservedTotal)}, more than the capacity ${formatCount(body.capacity)}`,
        });
      }
      const seen = new Map<number, number>();
      body.schedule.forEach((entry, i) => {
        const atMs = Date.parse(entry.at);
        const first = seen.get(atMs);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedule', i, 'at'],
            message: `the same time as schedule.${first}.at: one capacity per moment`,
          });
        } else seen.set(atMs, i);
        if (validAmount(entry.capacity) && reservedTotal > entry.capacity) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedule', i, 'capacity'],
            message: `below the reservations' total ${formatCount(reservedTotal)}`,
          });
        }
      });
    });
}

export type PoolBody = z.infer<ReturnType<typeof poolBodySchema>>;

/**
 * Validates a `PUT /api/pools/{poolId}` and returns the pool to store (schedule sorted, times in epoch ms,
 * zero reservations dropped).
 * @throws TriageError `validation` naming each bad field (`poolId`, `capacity`, `reserved.gold`, `schedule.1.at`…).
 */
export function parsePoolBody(poolId: unknown, body: unknown, tierNames: readonly string[]): PoolDefinition {
  const id = parseOrThrow(poolIdSchema, poolId, 'pool id', 'poolId');
  const parsed = parseOrThrow(poolBodySchema(tierNames), body, 'pool');
  const reserved: Record<string, number> = {};
  for (const [name, value] of Object.entries(parsed.reserved)) if (value > 0) reserved[name] = value;
  const schedule: CapacityChange[] = parsed.schedule
    .map((entry) => ({ atMs: Date.parse(entry.at), capacity: entry.capacity }))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    poolId: id,
    resourceType: parsed.resourceType,
    region: parsed.region,
    capacity: parsed.capacity,
    reserved,
    policy: parsed.policy,
    schedule,
  };
}

/** The body shape back from a stored pool, as `GET` shows it (`schedule[].at` as ISO strings). */
export function poolToBody(pool: PoolDefinition): PoolBody {
  return {
    resourceType: pool.resourceType,
    region: pool.region,
    capacity: pool.capacity,
    reserved: { ...pool.reserved },
    policy: pool.policy,
    schedule: pool.schedule.map((c) => ({ at: new Date(c.atMs).toISOString(), capacity: c.capacity })),
  };
}
