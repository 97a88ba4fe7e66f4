import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { mailboxes, provision } from '../helpers';

const logged: string[] = [];

function appWithLog(executor = new ScriptedExecutor()) {
  const t = createTestApp({ executor });
  t.ctx.log = (_level, message) => logged.push(message);
  return t;
}

describe('the stored request is the truth (items 4 and 5)', () => {
  test('item 5: a forged message naming another organisation is refused, audited, and runs nothing', async () => {
    const exec = new ScriptedExecutor();
    const t = appWithLog(exec);
    await t.app.upsertOrg('victim', {
      name: 'Victim',
      sector: 'health',
      tier: 'health',
      evidence: 'test registry',
    });
    const { request } = await t.app.submitRequest(provision('victim'));
    t.ports.publisher.queue = [];
    const forged = {
      schemaVersion: 1,
      kind: 'provision',
      requestId: request.id,
      orgId: 'attacker',
      tier: 'health',
      resource: { type: 'vm', quantity: 500, region: 'uksouth' },
    } as const;
    const result = await t.app.handleDelivery(forged, t.deliveryOf(forged, 1, 'forged-1'));
    expect(result).toBe('rejected');
    expect(exec.calls.size).toBe(0);
    const view = await t.app.getRequest(request.id);
    expect(view.status).toBe('queued');
    expect(
      view.history?.some((h) => /refused a message: .*organisation attacker/.test(h.message ?? '')),
    ).toBe(true);
    expect(await t.app.listDeadLetters()).toEqual([
      expect.objectContaining({
        messageId: 'forged-1',
        requestId: request.id,
        reason: expect.stringMatching(/contradicts/),
      }),
    ]);
    // The same organisation but another resource, or another kind: refused too.
    const moreCores = { ...forged, orgId: 'victim' };
    expect(await t.app.handleDelivery(moreCores, t.deliveryOf(moreCores, 1, 'forged-2'))).toBe('rejected');
    const asMigration = {
      schemaVersion: 1,
      kind: 'migrate',
      requestId: request.id,
      orgId: 'victim',
      tier: 'health',
      inventory: 'victim/x.ndjson',
    } as const;
    expect(await t.app.handleDelivery(asMigration, t.deliveryOf(asMigration, 1, 'forged-3'))).toBe(
      'rejected',
    );
    expect(exec.calls.size).toBe(0);
  });

  test('item 5: a batch message for a batch the request does not have is refused', async () => {
    const t = appWithLog();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(5) });
    await t.drain();
    const bogus = {
      schemaVersion: 1,
      kind: 'migrate-batch',
      requestId: request.id,
      orgId: 'o',
      tier: 'standard',
      batchNumber: 9,
      batchCount: 9,
    } as const;
    expect(await t.app.handleDelivery(bogus, t.deliveryOf(bogus, 1, 'bogus'))).toBe('rejected');
    expect((await t.app.listDeadLetters())[0]?.reason).toMatch(/no batch 9/);
  });

  test('item 4: a retry after the organisation’s tier was lowered runs at the real tier, written to the record', async () => {
    let fail = true;
    const exec = new ScriptedExecutor(() =>
      fail ? { ok: false, retryable: false, reason: 'quota' } : { ok: true },
    );
    const t = appWithLog(exec);
    await t.app.upsertOrg('trust', {
      name: 'Trust',
      sector: 'health',
      tier: 'health',
      evidence: 'test registry',
    });
    const { request } = await t.app.submitRequest(provision('trust'));
    await t.app.upsertOrg('trust', { name: 'Trust', sector: 'health', tier: 'standard' });
    await t.drain(); // re-routed to standard, then fails there
    // On main the record still said health: GET showed the old tier, and the retry below was re-routed under
    // the same messageId as this first re-route, swallowed by duplicate detection, and stayed queued.
    expect(await t.app.getRequest(request.id)).toMatchObject({ status: 'failed', tier: 'standard' });
    fail = false;
    await t.app.retryRequest(request.id);
    await t.drain();
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ status: 'completed', tier: 'standard', processedBy: 'provision-standard' });
    expect(view.history?.filter((h) => h.type === 'reroute')).toHaveLength(1);
    // The organisation index lists it at its real tier.
    const listed = await t.app.listRequests({ orgId: 'trust', tier: 'standard' });
    expect(listed.items.map((r) => r.id)).toEqual([request.id]);
    // Each re-route's messageId derives from its incoming message's, so none was swallowed as a duplicate.
    const reroutes = t.ports.publisher.sent.filter((m) => m.messageId.includes(':reroute:'));
    expect(new Set(reroutes.map((m) => m.messageId)).size).toBe(reroutes.length);
  });
});

describe('poison messages (item 6): refused with a reason, counted, visible', () => {
  test.each([
    ['unparseable', 'not json at all', /poison: not a JSON object/],
    [
      'a wrong schema version',
      { schemaVersion: 2, kind: 'provision', requestId: 'r1' },
      /unsupported schemaVersion 2/,
    ],
    [
      'a batch of an unknown request',
      {
        schemaVersion: 1,
        kind: 'migrate-batch',
        requestId: 'nobody',
        orgId: 'o',
        tier: 'standard',
        batchNumber: 1,
        batchCount: 1,
      },
      /batch 1 of unknown request nobody/,
    ],
    [
      'a message for another tier',
      {
        schemaVersion: 1,
        kind: 'migrate',
        requestId: 'r2',
        orgId: 'o',
        tier: 'health',
        inventory: 'o/x.ndjson',
      },
      /mis-addressed: a message for tier health delivered to tier standard/,
    ],
  ])('%s', async (_what, body, reason) => {
    const t = appWithLog();
    logged.length = 0;
    const delivery = {
      functionName: 'migrate-standard',
      tier: 'standard',
      deliveryCount: 1,
      maxDeliveryCount: 10,
      messageId: 'm-1',
    };
    expect(await t.app.handleDelivery(body, delivery)).toBe('rejected');
    expect(await t.app.listDeadLetters()).toEqual([
      expect.objectContaining({ messageId: 'm-1', reason: expect.stringMatching(reason) }),
    ]);
    expect(logged.filter((l) => l.startsWith('[metric] poison_messages=1'))).toHaveLength(1);
  });

  test('the dead-letter Function records what Service Bus dead-lettered: on its request, or in the log', async () => {
    const t = appWithLog();
    const { request } = await t.app.submitRequest({ kind: 'migrate', orgId: 'o', mailboxes: mailboxes(5) });
    const message = t.ports.publisher.queue[0]!.message;
    const delivery = {
      functionName: 'migrate-standard-dead-letters',
      tier: 'standard',
      deliveryCount: 1,
      maxDeliveryCount: 1,
    };
    const facts = {
      reason: 'MaxDeliveryCountExceeded',
      description: 'Message could not be consumed after 10 delivery attempts.',
    };
    expect(await t.app.handleDeadLettered(message, delivery, facts)).toBe('recorded');
    expect(await t.app.handleDeadLettered(message, delivery, facts)).toBe('already-recorded');
    const view = await t.app.getRequest(request.id);
    expect(view).toMatchObject({ deadLettered: true });
    expect(view.reason).toMatch(/dead-lettered by Service Bus \(MaxDeliveryCountExceeded/);
    expect(await t.app.handleDeadLettered('garbage', { ...delivery, messageId: 'g' }, facts)).toBe('logged');
    expect((await t.app.listDeadLetters())[0]).toMatchObject({ messageId: 'g', body: 'garbage' });
    // Recorded, then replayable.
    await t.app.retryRequest(request.id);
    await t.drain();
    expect((await t.app.getRequest(request.id)).status).toBe('completed');
  });
});
