import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as Crisis from '../scenarios/crisis';

// The crisis scenario (npm run scenario:crisis) at a small scale, on the compiled app and the local stack.
const compiled = path.resolve(__dirname, '..', '..', 'dist', 'test', 'scenarios', 'crisis.js');

test('the crisis, small: health first, strict tier order when capacity is added, every waiting requester told', async () => {
  if (!existsSync(compiled)) throw new Error('the e2e tests run the compiled app: run `npm run build` first');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runCrisis, formatCrisis } = require(compiled) as typeof Crisis;
  const result = await runCrisis({
    flood: 12,
    perTier: 2,
    capacity: 6,
    raisedCapacity: 12,
    provisionMs: 1500,
    raiseAfterMs: 1000,
  });
  console.info(formatCrisis(result));
  expect(result.violations).toEqual([]);
  const byTier = Object.fromEntries(result.rows.map((r) => [r.tier, r]));
  expect(byTier.health).toMatchObject({ requested: 2, admitted: 2 });
  expect(byTier.government).toMatchObject({ requested: 2, admitted: 2, deferred: 2 });
  expect(byTier['remote-work']).toMatchObject({ requested: 2, admitted: 2, deferred: 2 });
  // 6 at once, 6 - 2 - 2 = 2 more when capacity grows (health takes what it needs first, by preemption if need be).
  expect(byTier.standard!.admitted).toBeGreaterThanOrEqual(6);
  expect(byTier.standard!.admitted).toBeLessThanOrEqual(8);
  expect(result.healthAdmittedWithinMs).toBeLessThan(10_000);
}, 120_000);
