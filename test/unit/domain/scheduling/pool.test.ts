import fc from 'fast-check';
import { isTriageError, type TriageError } from '../../../../shared/domain/errors';
import {
  applyDueSchedule,
  nextScheduleAtMs,
  poolKey,
  poolView,
  type PoolDefinition,
} from '../../../../shared/domain/scheduling/pool';
import { parsePoolBody, poolToBody } from '../../../../shared/domain/scheduling/pool-schema';
import { plainTiers, tierNames } from './capacity-arbitraries';

const body = {
  resourceType: 'vm',
  region: 'uksouth',
  capacity: 10_000,
  reserved: { health: 2000, government: 500 },
  policy: 'strict',
  schedule: [
    { at: '2026-03-02T09:00:00Z', capacity: 14_000 },
    { at: '2026-03-01T09:00:00+01:00', capacity: 12_000 },
  ],
};

function fieldsOf(poolId: unknown, input: unknown): string[] {
  try {
    parsePoolBody(poolId, input, tierNames);
  } catch (err) {
    expect(isTriageError(err, 'validation')).toBe(true);
    return (err as TriageError).fields.map((f) => f.field);
  }
  throw new Error('expected a validation error');
}

describe('pools', () => {
  test('a valid body becomes a pool: schedule in epoch ms, sorted; policy defaults to strict', () => {
    const pool = parsePoolBody('vm-uksouth', body, tierNames);
    expect(pool).toEqual({
      poolId: 'vm-uksouth',
      resourceType: 'vm',
      region: 'uksouth',
      capacity: 10_000,
      reserved: { health: 2000, government: 500 },
      policy: 'strict',
      schedule: [
        { atMs: Date.UTC(2026, 2, 1, 8), capacity: 12_000 },
        { atMs: Date.UTC(2026, 2, 2, 9), capacity: 14_000 },
      ],
    });
    expect(poolKey(pool)).toBe('vm@uksouth');
    expect(poolToBody(pool).schedule).toEqual([
      { at: '2026-03-01T08:00:00.000Z', capacity: 12_000 },
      { at: '2026-03-02T09:00:00.000Z', capacity: 14_000 },
    ]);
    const { policy: _policy, schedule: _schedule, reserved: _reserved, ...minimal } = body;
    expect(parsePoolBody('p', minimal, tierNames)).toMatchObject({
      policy: 'strict',
      schedule: [],
      reserved: {},
    });
  });

  test.each([
    ['negative capacity', { capacity: -1 }, ['capacity']],
    ['huge capacity', { capacity: 1e10 }, ['capacity']],
    ['fractional capacity', { capacity: 1.5 }, ['capacity']],
    ['reservations above capacity', { capacity: 2000 }, ['reserved']],
    ['unknown tier in reserved', { reserved: { gold: 5 } }, ['reserved.gold']],
    ['negative reservation', { reserved: { health: -5 } }, ['reserved.health']],
    ['bad schedule time', { schedule: [{ at: 'next tuesday', capacity: 5000 }] }, ['schedule.0.at']],
    ['impossible date', { schedule: [{ at: '2026-02-30T10:00:00Z', capacity: 5000 }] }, ['schedule.0.at']],
    [
      'negative scheduled capacity',
      { schedule: [{ at: '2026-03-01T10:00:00Z', capacity: -3 }] },
      ['schedule.0.capacity'],
    ],
    [
      'scheduled capacity below the reservations',
      { schedule: [{ at: '2026-03-01T10:00:00Z', capacity: 1000 }] },
      ['schedule.0.capacity'],
    ],
    [
      'duplicate schedule times (same instant, two spellings)',
      {
        schedule: [
          { at: '2026-03-01T10:00:00Z', capacity: 5000 },
          { at: '2026-03-01T11:00:00+01:00', capacity: 6000 },
        ],
      },
      ['schedule.1.at'],
    ],
    ['unknown field', { tier: 'health' }, ['tier']],
    ['bad policy', { policy: 'fifo' }, ['policy']],
    ['bad region', { region: 'UK South' }, ['region']],
  ])('%s is refused, naming the field', (_what, change, fields) => {
    expect(fieldsOf('p', { ...body, ...change })).toEqual(fields);
  });

  test('a bad pool id is refused, naming it', () => {
    expect(fieldsOf('no spaces', body)).toEqual(['poolId']);
  });

  test('applyDueSchedule: due entries leave the schedule and the latest becomes the capacity', () => {
    const pool = parsePoolBody('p', body, tierNames);
    const [first, second] = pool.schedule;
    expect(applyDueSchedule(pool, first!.atMs - 1)).toEqual({ pool, applied: [] });
    const once = applyDueSchedule(pool, first!.atMs);
    expect(once.pool.capacity).toBe(12_000);
    expect(once.pool.schedule).toEqual([second]);
    expect(nextScheduleAtMs(once.pool)).toBe(second!.atMs);
    const both = applyDueSchedule(pool, second!.atMs + 5);
    expect(both).toEqual({ pool: { ...pool, capacity: 14_000, schedule: [] }, applied: [first, second] });
    expect(nextScheduleAtMs(both.pool)).toBeNull();
  });

  test('property: applying the due schedule in steps or at once ends in the same pool', () => {
    const arbPool = fc.record({
      capacity: fc.integer({ min: 0, max: 100 }),
      schedule: fc.uniqueArray(
        fc.record({ atMs: fc.integer({ min: 0, max: 1000 }), capacity: fc.integer({ min: 0, max: 100 }) }),
        {
          selector: (c) => c.atMs,
          maxLength: 6,
        },
      ),
    });
    fc.assert(
      fc.property(
        arbPool,
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 }),
        ({ capacity, schedule }, steps) => {
          const pool: PoolDefinition = {
            poolId: 'p',
            resourceType: 'vm',
            region: 'x',
            capacity,
            reserved: {},
            policy: 'strict',
            schedule,
          };
          const end = Math.max(0, ...steps);
          steps.push(end);
          let stepped = pool;
          for (const now of [...steps].sort((a, b) => a - b)) stepped = applyDueSchedule(stepped, now).pool;
          const atOnce = applyDueSchedule(pool, end).pool;
          expect(stepped.capacity).toBe(atOnce.capacity);
          expect(stepped.schedule).toEqual(atOnce.schedule);
          expect(atOnce.schedule.every((c) => c.atMs > end)).toBe(true);
        },
      ),
    );
  });

  test('the pool view: used, by tier, what each tier could take, who waits', () => {
    const pool = parsePoolBody('p', body, tierNames);
    const view = poolView(
      pool,
      [
        { id: 'a', orgId: 'o', tier: 'standard', arrivedAtMs: 0, quantity: 7300, started: true },
        { id: 'b', orgId: 'o', tier: 'health', arrivedAtMs: 0, quantity: 500, started: false },
      ],
      [{ id: 'c', orgId: 'o', tier: 'standard', arrivedAtMs: 1, quantity: 400 }],
      plainTiers,
    );
    expect(view).toMatchObject({
      capacity: 10_000,
      used: 7800,
      usedByTier: { health: 500, government: 0, 'remote-work': 0, standard: 7300 },
      availableByTier: { health: 2200, government: 700, 'remote-work': 200, standard: 200 },
      waitingByTier: { health: 0, government: 0, 'remote-work': 0, standard: 1 },
      policy: 'strict',
    });
  });
});
