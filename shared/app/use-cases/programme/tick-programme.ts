import { ensureError } from '../../../domain/errors';
import type { AppContext } from '../../context';
import { replanProgramme, type ReplanOutcome } from '../../effects/programme-plan';
import { materializeWaveIfDue, type WaveReport } from '../../effects/programme-waves';

/**
 * The programme's timer: materialises the day's wave when a new local day has begun (calendar time zone),
 * and re-plans when a change left the plan stale and no worker is at it.
 */
export async function tickProgramme(
  ctx: AppContext,
): Promise<{ wave: WaveReport | null; replan: ReplanOutcome | 'failed' }> {
  let wave: WaveReport | null = null;
  try {
    wave = await materializeWaveIfDue(ctx);
  } catch (err: unknown) {
    ctx.log('error', `programme: wave not materialised: ${ensureError(err).message}`);
  }
  let replan: ReplanOutcome | 'failed';
  try {
    replan = await replanProgramme(ctx);
  } catch (err: unknown) {
    ctx.log('error', `programme: not re-planned: ${ensureError(err).message}`);
    replan = 'failed';
  }
  return { wave, replan };
}
