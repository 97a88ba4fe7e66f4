import { TriageError } from '../../../domain/errors';
import { burnDown, type PlanView } from '../../../domain/scheduling/burn-down';
import { planProgramme } from '../../../domain/scheduling/plan';
import { whatIf, type FinishMove } from '../../../domain/scheduling/what-if';
import { parseWhatIf } from '../../../domain/scheduling/what-if-schema';
import type { AppContext } from '../../context';
import { currentPlanInput } from '../../effects/programme-plan';
import { actualsOf } from './get-plan';

/**
 * POST /api/plan/what-if — the plan as it would be with other caps, holidays, readiness or a surge of
 * requests: the same shape as GET /api/plan plus the requests whose finish moves most. Changes nothing.
 * @throws TriageError `validation` naming each nonsense override; `not-found` while there is no calendar.
 */
export async function planWhatIf(
  ctx: AppContext,
  body: unknown,
): Promise<PlanView & { moves: FinishMove[] }> {
  const overrides = parseWhatIf(body, ctx.tiers.names);
  const state = await ctx.ports.programme.getState();
  if (!state) throw new TriageError('not-found', 'no calendar: nothing is planned');
  const [{ input, claims }, days] = await Promise.all([
    currentPlanInput(ctx, state),
    ctx.ports.programme.listDays(),
  ]);
  const baseline = planProgramme(input);
  const result = whatIf(input, overrides, baseline);
  const mailboxesByTier: Record<string, number> = {};
  for (const c of claims) mailboxesByTier[c.tier] = (mailboxesByTier[c.tier] ?? 0) + c.mailboxes;
  for (const s of overrides.surge ?? [])
    mailboxesByTier[s.tier] = (mailboxesByTier[s.tier] ?? 0) + s.mailboxes;
  return {
    ...burnDown(result.plan, result.input.calendar, actualsOf(days), { mailboxesByTier }),
    moves: result.moves,
  };
}
