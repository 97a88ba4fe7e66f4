import { TriageError } from '../../../domain/errors';
import { auditEntryFor, effectiveTier, orgSchema, type Org } from '../../../domain/orgs';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { retierClaims } from '../../effects/pool-retier';

export interface UpsertOrgOptions {
  /** Who makes the change, for the audit log. */
  actor?: string;
}

/**
 * PUT /api/orgs/{orgId} — registers an organisation and its verified tier: the only place a tier comes
 * from. A tier above the default needs `evidence`; every change is audited with who made it.
 * @throws TriageError `validation` naming each bad field (an unknown tier, missing evidence, a webhook URL
 *   that is not allowed).
 */
export async function upsertOrg(
  ctx: AppContext,
  orgId: unknown,
  body: unknown,
  options: UpsertOrgOptions = {},
): Promise<Org> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  const input = parseOrThrow(orgSchema(ctx.settings.webhookAllowPrivate ?? false), body, 'organisation');
  if (!ctx.tiers.isTier(input.tier)) {
    throw new TriageError('validation', `unknown tier "${input.tier}"`, {
      fields: [{ field: 'tier', message: `one of ${ctx.tiers.names.join(', ')}` }],
    });
  }
  if (ctx.tiers.rankOf(input.tier) < ctx.tiers.rankOf(ctx.tiers.defaultTier) && !input.evidence) {
    throw new TriageError('validation', `tier ${input.tier} needs evidence`, {
      fields: [
        {
          field: 'evidence',
          message: `required for any tier above ${ctx.tiers.defaultTier}: who verified it, and how`,
        },
      ],
    });
  }
  const at = ctx.now();
  const previous = await ctx.ports.orgs.get(id);
  const org = { orgId: id, ...input, updatedAt: at };
  const saved = await ctx.ports.orgs.upsert(
    org,
    auditEntryFor(previous, org, options.actor ?? 'anonymous', at),
  );
  // Its waiting claims take their new place at once (the tier is the organisation's, not the request's).
  const nowMs = ctx.clock().getTime();
  const before = effectiveTier(previous, nowMs, ctx.tiers);
  const after = effectiveTier(saved, nowMs, ctx.tiers);
  if (before !== after) await retierClaims(ctx, id, after);
  return saved;
}
