import { TriageError } from '../../../domain/errors';
import { assertAuthorized } from '../../../domain/identity/authorization';
import { principalLabel, type Principal } from '../../../domain/identity/principal';
import { auditEntryFor, effectiveTier, orgSchema, type Org } from '../../../domain/orgs';
import { orgIdSchema, parseOrThrow } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { retierClaims } from '../../effects/pool-retier';

/**
 * PUT /api/orgs/{orgId} — registers an organisation and its verified tier: the only place a tier comes
 * from. Admins only. A tier above the default needs `evidence`; every change is in the registry's audit
 * with the principal who made it, and in the action audit with the role that allowed it.
 * @throws TriageError `validation` naming each bad field (an unknown tier, missing evidence, a webhook URL
 *   that is not allowed); `forbidden` without the Admin role.
 */
export async function upsertOrg(
  ctx: AppContext,
  caller: Principal,
  orgId: unknown,
  body: unknown,
): Promise<Org> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  assertAuthorized(caller, 'orgs:write', id);
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
  const saved = await ctx.ports.orgs.upsert(org, auditEntryFor(previous, org, principalLabel(caller), at));
  await recordAudit(ctx, caller, 'orgs:write', { orgId: id, target: id, detail: `tier ${saved.tier}` });
  // Its waiting claims take their new place at once (the tier is the organisation's, not the request's).
  const nowMs = ctx.clock().getTime();
  const before = effectiveTier(previous, nowMs, ctx.tiers);
  const after = effectiveTier(saved, nowMs, ctx.tiers);
  if (before !== after) await retierClaims(ctx, id, after);
  return saved;
}
