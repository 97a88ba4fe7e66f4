/**
 * The organisation registry: the only source of a request's tier. A tier above the default needs evidence
 * (who verified it, how), may expire, and every change is audited.
 */
import { z } from 'zod';
import { displayText } from './bounded-validation';
import { webhookUrlProblem } from './webhooks';

export const isoTimeSchema = z
  .string()
  .max(40)
  .refine((text) => /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text)), {
    message: 'an ISO 8601 date-time such as 2027-01-31T00:00:00Z',
  });

const cleanText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // Names end up in tables, CSV reports and terminals: no control characters or bidi overrides.
    .refine((text) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text), {
      message: 'no control or bidirectional-override characters',
    });

/** `PUT /api/orgs/{orgId}`; `allowPrivateWebhooks` comes from the deployment's settings. */
export function orgSchema(allowPrivateWebhooks: boolean) {
  return z.strictObject({
    // Shown in lists, CSV reports and terminals: also no invisible characters or leading formula character.
    name: displayText(200),
    sector: displayText(100),
    tier: z.string().min(1).max(50),
    /** Why this tier: required above the default tier. */
    evidence: cleanText(2000).optional(),
    /** After this time the organisation is served at the default tier. */
    tierExpiresAt: isoTimeSchema.optional(),
    notify: z
      .strictObject({
        webhookUrl: z
          .string()
          .max(2048)
          .superRefine((url, ctx) => {
            const problem = webhookUrlProblem(url, allowPrivateWebhooks);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      })
      .optional(),
  });
}
export type OrgInput = z.infer<ReturnType<typeof orgSchema>>;

export interface Org extends OrgInput {
  orgId: string;
  updatedAt: string;
  registered: boolean;
}

/** The tier an organisation is served at now: its registered tier until `tierExpiresAt`, then the default. */
export function effectiveTier(
  org: Pick<Org, 'tier' | 'tierExpiresAt'> | null,
  nowMs: number,
  tiers: { defaultTier: string; isTier(name: string): boolean },
): string {
  if (!org || !tiers.isTier(org.tier)) return tiers.defaultTier;
  if (org.tierExpiresAt !== undefined && Date.parse(org.tierExpiresAt) <= nowMs) return tiers.defaultTier;
  return org.tier;
}

/** One change to the registry, with who made it. */
export interface OrgAuditEntry {
  orgId: string;
  at: string;
  /** The principal that made the change (an operator's identity, or the key it used). */
  actor: string;
  action: 'registered' | 'updated' | 'tier-changed';
  fromTier?: string;
  toTier: string;
  evidence?: string;
  tierExpiresAt?: string;
}

/** What an upsert means for the audit log: a first registration, a tier change, or another update. */
export function auditEntryFor(
  previous: Pick<Org, 'tier'> | null,
  next: Pick<Org, 'orgId' | 'tier' | 'evidence' | 'tierExpiresAt'>,
  actor: string,
  at: string,
): OrgAuditEntry {
  const action = previous === null ? 'registered' : previous.tier !== next.tier ? 'tier-changed' : 'updated';
  return {
    orgId: next.orgId,
    at,
    actor,
    action,
    ...(previous ? { fromTier: previous.tier } : {}),
    toTier: next.tier,
    ...(next.evidence !== undefined ? { evidence: next.evidence } : {}),
    ...(next.tierExpiresAt !== undefined ? { tierExpiresAt: next.tierExpiresAt } : {}),
  };
}
