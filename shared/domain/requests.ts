import { z } from 'zod';
import { TriageError, type FieldProblem } from './errors';
import { listedIssues, problemCount } from './bounded-validation';
import { mailboxEntrySchema, mailboxListSchema, type MailboxEntry } from './inventory';

/** What a caller can ask for. */
export const requestKinds = ['provision', 'migrate'] as const;
export type RequestKind = (typeof requestKinds)[number];

/** Most mailboxes accepted inline in one request body; larger inventories go through `POST /api/inventories`. */
export const maxInlineMailboxes = 50_000;
/** Largest provisioning quantity one request may ask for. */
export const maxQuantity = 100_000;

// Ids end up in Table keys, blob names and OData filters: a conservative alphabet keeps all three safe.
export const orgIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'letters, digits, ".", "_" and "-" only, starting with a letter or digit',
  );

export const requestIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "_" and "-" only');

export const blobNameSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a blob name as returned by POST /api/inventories')
  .refine((name) => !name.split('/').some((part) => part === '' || part === '.' || part === '..'), {
    message: 'no empty, "." or ".." path segments',
  });

/** One inline mailbox: the same rules as a CSV inventory row (`shared/domain/inventory.ts` is their one source). */
export const mailboxSchema = mailboxEntrySchema;

export const resourceSchema = z.strictObject({
  type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter'),
  quantity: z.number().int().min(1).max(maxQuantity),
  region: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'),
});

/** Strict objects: an unknown field (a caller trying to set `tier`, say) is a 400, not silently dropped. */
export const provisionRequestSchema = z.strictObject({
  kind: z.literal('provision'),
  orgId: orgIdSchema,
  resource: resourceSchema,
  /** When the requester expects to release it (used by the ETAs of those waiting behind it). */
  holdUntil: z.iso
    .datetime({ offset: true, message: 'an ISO 8601 time such as 2026-12-24T18:00:00Z' })
    .optional(),
});

export const migrateRequestSchema = z
  .strictObject({
    kind: z.literal('migrate'),
    orgId: orgIdSchema,
    // Each mailbox once (case-insensitive), so every manifest lists each mailbox exactly once.
    mailboxes: mailboxListSchema({ min: 1, max: maxInlineMailboxes }).optional(),
    inventory: blobNameSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const given = Number(value.mailboxes !== undefined) + Number(value.inventory !== undefined);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [value.mailboxes === undefined ? 'mailboxes' : 'inventory'],
        message: 'give exactly one of "mailboxes" (inline list) or "inventory" (blob name)',
      });
    }
  });

export const submitRequestSchema = z.discriminatedUnion('kind', [
  provisionRequestSchema,
  migrateRequestSchema,
]);

export type ProvisionRequestInput = z.infer<typeof provisionRequestSchema>;
export type MigrateRequestInput = z.infer<typeof migrateRequestSchema>;
export type SubmitRequestInput = z.infer<typeof submitRequestSchema>;
export type Mailbox = MailboxEntry;
export type Resource = z.infer<typeof resourceSchema>;

/** Converts zod issues into field problems (`mailboxes.3.address`). */
export function fieldProblems(error: z.ZodError, root = '(body)'): FieldProblem[] {
  return listedIssues(error.issues).map((issue) => {
    const field = issue.path.map(String).join('.') || root;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      return {
        field: [issue.path.map(String).join('.'), keys[0]].filter(Boolean).join('.'),
        message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}${keys.includes('tier') ? ': the tier comes from the organisation registry' : ''}`,
      };
    }
    if (issue.code === 'invalid_union' && issue.path.length === 0) {
      return { field: 'kind', message: `"kind" must be one of ${requestKinds.join(', ')}` };
    }
    return { field, message: issue.message };
  });
}

/**
 * Parses with a schema or throws a TriageError listing each bad field (`root` names a scalar input): at most
 * 100 of them, with `errorCount` the number in all; the message names the first few only.
 * @throws TriageError `validation` (not retryable).
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string, root?: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = fieldProblems(result.error, root);
    const errorCount = problemCount(result.error.issues);
    const shown = fields.slice(0, 3).map((f) => `${f.field}: ${f.message}`);
    const more = errorCount > shown.length ? ` (and ${errorCount - shown.length} more)` : '';
    throw new TriageError('validation', `invalid ${what}: ${shown.join('; ')}${more}`, {
      fields,
      errorCount,
    });
  }
  return result.data;
}
