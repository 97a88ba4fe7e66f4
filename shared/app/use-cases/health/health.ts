import { ensureError } from '../../../domain/errors';
import type { AppContext } from '../../context';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** GET /api/health — every dependency probe, side by side; `degraded` when one fails. */
export async function health(ctx: AppContext): Promise<HealthReport> {
  const checks: HealthReport['checks'] = {};
  await Promise.all(
    ctx.probes.map(async (probe) => {
      try {
        await probe.check();
        checks[probe.name] = { ok: true };
      } catch (err: unknown) {
        checks[probe.name] = { ok: false, error: ensureError(err).message };
      }
    }),
  );
  return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'degraded', checks };
}
