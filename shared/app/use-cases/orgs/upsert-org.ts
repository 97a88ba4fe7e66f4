import { TriageError } from '../../../domain/errors';
import { orgIdSchema, orgSchema, parseOrThrow, type Org } from '../../../domain/requests';
import type { AppContext } from '../../context';

/**
 * PUT /api/orgs/{orgId} — registers an organisation and its verified tier: the only place a tier comes from.
 * @throws TriageError `validation` naming each bad field (including a tier the topology does not know).
 */
export async function upsertOrg(ctx: AppContext, orgId: unknown, body: unknown): Promise<Org> {
  const id = parseOrThrow(orgIdSchema, orgId, 'orgId', 'orgId');
  const input = parseOrThrow(orgSchema, body, 'organisation');
  if (!ctx.tiers.isTier(input.tier)) {
    throw new TriageError('validation', `unknown tier "${input.tier}"`, {
      fields: [{ field: 'tier', message: `one of ${ctx.tiers.names.join(', ')}` }],
    });
  }
  return ctx.ports.orgs.upsert({ orgId: id, ...input, updatedAt: ctx.now() });
}
