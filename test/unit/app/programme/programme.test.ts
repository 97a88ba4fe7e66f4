import { createTestApp, type MemoryPublisher } from '../../../support/in-memory-ports';
import { expectTriage } from '../helpers';

type T = ReturnType<typeof createTestApp>;

const calendar = (over: Record<string, unknown> = {}) => ({
  timeZone: 'Europe/London',
  start: '2026-12-07',
  deadline: '2026-12-31',
  caps: { weekday: { mailboxes: 10, bytes: 1e15 }, weekend: { mailboxes: 20, bytes: 1e15 } },
  holidays: [{ date: '2026-12-25', mailboxes: 0 }],
  requiredChecks: ['licences'],
  ...over,
});
const inbox = (org: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ address: `u${i}@${org}.example`, sizeBytes: 1000 }));

/** A clock the test moves: a Monday morning in London before the programme starts. */
function clocked(t: T, iso = '2026-12-06T12:00:00Z') {
  let now = Date.parse(iso);
  t.ctx.clock = () => new Date(now);
  return { set: (at: string) => (now = Date.parse(at)), advance: (ms: number) => (now += ms) };
}

/** Past the re-plan cooldown, then the programme's timer, as a few seconds of real time would do. */
async function settle(t: T, clock: ReturnType<typeof clocked>) {
  clock.advance(2000);
  await t.app.tickProgramme();
}

async function ready(t: T, orgId: string) {
  return t.app.putReadiness(orgId, { checks: [{ name: 'licences', status: 'pass' }] });
}

const notified = (t: T, type: string) =>
  (t.ports.publisher as MemoryPublisher).notifications.filter((n) => n.type === type);

describe('the migration programme: calendar, readiness, plans and waves', () => {
  test('without a calendar migrations run at once; with one they are planned onto days in tier order', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    const before = await t.app.submitRequest({
      kind: 'migrate',
      orgId: 'early',
      mailboxes: inbox('early', 3),
    });
    await t.drain();
    expect((await t.app.getRequest(before.request.id)).status).toBe('completed');

    expect((await t.app.putCalendar(calendar())).created).toBe(true);
    await t.app.upsertOrg('trust', { name: 'Trust', sector: 'health', tier: 'health', evidence: 'ODS' });
    await t.app.upsertOrg('home', { name: 'Care home', sector: 'care', tier: 'standard' });
    await ready(t, 'trust');
    await ready(t, 'home');
    const home = (await t.app.submitRequest({ kind: 'migrate', orgId: 'home', mailboxes: inbox('home', 8) }))
      .request.id;
    const trust = (
      await t.app.submitRequest({ kind: 'migrate', orgId: 'trust', mailboxes: inbox('trust', 15) })
    ).request.id;
    await t.drain();
    await settle(t, clock);
    const trustView = await t.app.getRequest(trust);
    expect(trustView.status).toBe('scheduled');
    // Health first: 10 on Monday 7th, 5 on Tuesday; the home gets what is left (5 on Tuesday, 3 on Wednesday).
    expect(trustView.schedule).toMatchObject({
      start: '2026-12-07',
      finish: '2026-12-08',
      days: [
        { date: '2026-12-07', mailboxes: 10 },
        { date: '2026-12-08', mailboxes: 5 },
      ],
    });
    expect((await t.app.getRequest(home)).schedule).toMatchObject({
      start: '2026-12-08',
      finish: '2026-12-09',
    });
    await t.app.flushNotifications();
    expect(
      notified(t, 'request.scheduled')
        .map((n) => n.requestId)
        .sort(),
    ).toEqual([home, trust].sort());
  });

  test('a not-ready organisation waits with its failing checks, consumes nothing, and gets its days once ready', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    await t.app.putCalendar(calendar());
    await t.app.upsertOrg('gp', { name: 'GP', sector: 'primary', tier: 'standard' });
    await t.app.upsertOrg('shop', { name: 'Shop', sector: 'x', tier: 'standard' });
    await ready(t, 'shop');
    await t.app.putReadiness('gp', {
      checks: [{ name: 'licences', status: 'fail', detail: '4 unlicensed' }],
    });
    const gp = (await t.app.submitRequest({ kind: 'migrate', orgId: 'gp', mailboxes: inbox('gp', 5) }))
      .request.id;
    const shop = (await t.app.submitRequest({ kind: 'migrate', orgId: 'shop', mailboxes: inbox('shop', 10) }))
      .request.id;
    await t.drain();
    await settle(t, clock);
    const waiting = await t.app.getRequest(gp);
    expect(waiting.status).toBe('deferred');
    expect(waiting.schedule?.reason).toMatch(/licences failing \(4 unlicensed\)/);
    expect((await t.app.getRequest(shop)).schedule).toMatchObject({
      start: '2026-12-07',
      finish: '2026-12-07',
    });
    expect((await t.app.getPlan()).notReady).toEqual({ organisations: 1, mailboxes: 5 });

    expect(await ready(t, 'gp')).toMatchObject({ ready: true, failing: [] });
    await settle(t, clock);
    // Ready now, it takes its slot ahead of anyone who arrived after it: the shop's day is shared.
    const scheduled = await t.app.getRequest(gp);
    expect(scheduled.status).toBe('scheduled');
    expect(scheduled.schedule?.start).toBe('2026-12-07');
  });

  test('waves: each local day materialises its slots into batches; every mailbox migrates once; plan versus actual', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    await t.app.putCalendar(calendar({ requiredChecks: [] }));
    const id = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: inbox('o', 25) })).request
      .id;
    await t.drain();
    await t.app.tickProgramme(); // Sunday 6th: nothing due yet
    expect(t.ports.publisher.queue).toHaveLength(0);
    for (const [day, expected] of [
      ['2026-12-07T00:00:01Z', 10],
      ['2026-12-08T00:00:01Z', 20],
      ['2026-12-09T00:00:01Z', 25],
    ] as const) {
      clock.set(day);
      await t.app.tickProgramme();
      await t.app.tickProgramme(); // a second tick the same day changes nothing
      await t.drain();
      expect((await t.app.getRequest(id)).progress.succeeded).toBe(expected);
    }
    const done = await t.app.getRequest(id);
    expect(done).toMatchObject({ status: 'completed', progress: { total: 25, succeeded: 25, failed: 0 } });
    const calls = [...(t.ports.executor as unknown as { successes: Map<string, number> }).successes.values()];
    expect(calls).toHaveLength(25);
    expect(calls.every((n) => n === 1)).toBe(true);
    const plan = await t.app.getPlan();
    expect(plan.days.filter((d) => d.actual.standard! > 0).map((d) => [d.date, d.actual.standard])).toEqual([
      ['2026-12-07', 10],
      ['2026-12-08', 10],
      ['2026-12-09', 5],
    ]);
  });

  test('what-if changes nothing and shows what would move; bad input names its field and stores nothing', async () => {
    const t = createTestApp();
    const clock = clocked(t);
    await expectTriage(t.app.getPlan(), 'not-found');
    await expectTriage(t.app.putCalendar(calendar({ deadline: '2026-01-01' })), 'validation');
    await expectTriage(t.app.putCalendar(calendar({ timeZone: 'Mars/Olympus' })), 'validation');
    await expectTriage(
      t.app.putCalendar(
        calendar({ caps: { weekday: { mailboxes: -1, bytes: 1 }, weekend: { mailboxes: 1, bytes: 1 } } }),
      ),
      'validation',
    );
    await expectTriage(t.app.getCalendar(), 'not-found');
    await t.app.putCalendar(calendar({ requiredChecks: [] }));
    await expectTriage(t.app.putCalendar(calendar({ reserved: { platinum: 0.5 } })), 'validation');
    expect((await t.app.getCalendar()).reserved).toEqual({});
    const id = (await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: inbox('o', 30) })).request
      .id;
    await t.drain();
    await settle(t, clock);
    const before = await t.app.getRequest(id);
    const slower = await t.app.planWhatIf({ caps: { weekday: { mailboxes: 5 } } });
    expect(slower.projectedFinish! > (await t.app.getPlan()).projectedFinish!).toBe(true);
    expect(slower.moves[0]).toMatchObject({ requestId: id });
    expect(await t.app.getRequest(id)).toEqual(before);
    await expectTriage(t.app.planWhatIf({ caps: { weekday: { mailboxes: -5 } } }), 'validation');
    await expectTriage(
      t.app.putReadiness('never-registered', { checks: [{ name: 'licences', status: 'pass' }] }),
      'not-found',
    );
    await t.app.upsertOrg('o', { name: 'O', sector: 's', tier: 'standard' });
    await expectTriage(
      t.app.putReadiness('o', { checks: [{ name: 'astrology', status: 'pass' }] }),
      'validation',
    );
  });

  test('org import: the registry and its readiness from a CSV; a bad row stores nothing', async () => {
    const t = createTestApp();
    clocked(t);
    await t.app.putCalendar(calendar());
    const csv = (text: string) =>
      (async function* () {
        yield Buffer.from(text, 'utf8');
      })();
    const bad = await t.app
      .importOrgs(
        csv(
          'orgId,name,sector,tier,evidence,licences\nrx1,Trust,health,health,,pass\nok,Fine,x,standard,,maybe\n',
        ),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(bad).toMatchObject({
      code: 'validation',
      fields: [
        { field: 'line 2: evidence', message: expect.any(String) },
        { field: 'line 3: licences', message: expect.any(String) },
      ],
    });
    expect(t.ports.orgs.orgs.size).toBe(0);
    const good = await t.app.importOrgs(
      csv(
        'orgId,name,sector,tier,evidence,licences\nrx1,Trust,health,health,ODS RX1,pass\nhome1,Home,care,standard,,fail\n',
      ),
    );
    expect(good).toMatchObject({ imported: 2, rowCount: 2 });
    expect(await t.app.getOrg('rx1')).toMatchObject({ tier: 'health', evidence: 'ODS RX1' });
    expect(await t.app.getReadiness('rx1')).toMatchObject({ ready: true });
    expect(await t.app.getReadiness('home1')).toMatchObject({
      ready: false,
      failing: [{ name: 'licences', status: 'fail' }],
    });
  });
});
