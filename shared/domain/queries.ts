/** Schemas of the inputs that are not bodies: headers and query strings. */
import { z } from 'zod';
import { orgIdSchema, requestKinds } from './requests';
import { requestStatuses } from './status';

/** `Idempotency-Key`: visible ASCII, as HTTP header values are. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only');

export const continuationTokenSchema = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_=-]+$/, 'a continuationToken as returned by a previous page');

/** Page sizes: 50 by default, at most 200. */
export const pageLimitSchema = z.coerce.number().int().min(1).max(200);
export const defaultPageLimit = 50;

/** `GET /api/requests` query parameters; `tierNames` come from the topology. */
export function listRequestsQuerySchema(tierNames: readonly string[]) {
  return z.strictObject({
    orgId: orgIdSchema.optional(),
    tier: z.enum(tierNames as [string, ...string[]]).optional(),
    status: z.enum(requestStatuses).optional(),
    kind: z.enum(requestKinds).optional(),
    limit: pageLimitSchema.optional(),
    continuationToken: continuationTokenSchema.optional(),
  });
}

/** Query parameters without the absent ones (a strict schema would name an absent key as unknown). */
export function presentParameters(query: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = v;
  return out;
}
