import { ensureError } from '../../../domain/errors';
import type { AppContext } from '../../context';
import { replanProgramme, type ReplanOutcome } from '../../effects/programme-plan';
import { materializeWaveIfDue, type WaveReport } from '../../effects/programme-waves';

/**
 * The programme's timers: materialise the day's wave when a new local day has begun (calendar time zone),
 * and re-plan when a change left the plan stale and no worker is at it. The two run as separate timers, so
 * a long re-plan never makes a day's wave late; a test may run both at once.
 */
export async function tickProgramme(
  ctx: AppContext,
  options: { waves?: boolean; replan?: boolean } = {},
): Promise<{ wave: WaveReport | null; replan: ReplanOutcome | 'failed' | 'skipped' }> {
  let wave: WaveReport | null = null;
  if (options.waves !== false) {
    try {
      wave = await materializeWaveIfDue(ctx);
    } catch (err: unknown) {
      ctx.log('error', `programme: wave not materialised: ${ensureError(err).message}`);
    }
  }
  let replan: ReplanOutcome | 'failed' | 'skipped' = 'skipped';
  if (options.replan !== false) {
    try {
      replan = await replanProgramme(ctx);
    } catch (err: unknown) {
      ctx.log('error', `programme: not re-planned: ${ensureError(err).message}`);
      replan = 'failed';
    }
  }
  return { wave, replan };
}
