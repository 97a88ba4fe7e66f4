import { messageIds } from '../../../../shared/domain/batches';
import { schemaVersion } from '../../../../shared/domain/messages';
import { inlineInventoryName } from '../../../../shared/domain/identity/inventory-ownership';
import { roles, type Principal, type Role } from '../../../../shared/domain/identity/principal';
import { createTestApp, ScriptedExecutor } from '../../../support/in-memory-ports';
import { expectTriage, mailboxes, provision } from '../helpers';

/**
 * Requester A cannot read, list, cancel, retry or reference anything of organisation B — by any use-case
 * or blob-name trick — and what it is refused reads the same as what does not exist.
 */
const principal = (id: string, r: readonly Role[], orgIds: readonly string[] = []): Principal => ({
  id,
  name: id,
  roles: r,
  orgIds: [...orgIds].sort(),
  source: 'token',
  unrestricted: false,
});
const requesterA = principal('alice', [roles.requester], ['org-a']);
const requesterB = principal('bob', [roles.requester], ['org-b']);
const operator = principal('olga', [roles.operator]);

async function* csv(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}

/** B has a failed provisioning, an inline migration and an uploaded inventory. */
async function world() {
  const t = createTestApp({
    executor: new ScriptedExecutor((task) =>
      task.kind === 'provision' ? { ok: false, retryable: false, reason: 'no capacity' } : { ok: true },
    ),
  });
  const b = t.app.as(requesterB);
  const { request: failed } = await b.submitRequest(provision('org-b'));
  await t.drain();
  const { request: migration } = await b.submitRequest({
    kind: 'migrate',
    orgId: 'org-b',
    mailboxes: mailboxes(3),
  });
  const upload = await b.importInventory('org-b', csv('EmailAddress\nx@b.example\n'));
  return { t, failed, migration, uploadName: upload.blobName! };
}

describe('tenant isolation in the use-cases', () => {
  test("another organisation's request is not-found for read, cancel and retry — exactly as a missing one", async () => {
    const { t, failed, migration } = await world();
    const a = t.app.as(requesterA);
    for (const id of [failed.id, migration.id, 'no-such-request']) {
      await expectTriage(a.getRequest(id), 'not-found');
      await expectTriage(a.cancelRequest(id), 'not-found');
      await expectTriage(a.retryRequest(id), 'not-found');
    }
    expect((await t.app.getRequest(migration.id)).status).toBe('queued'); // untouched
    expect(t.ports.audit.entries.filter((e) => e.principalId === 'alice')).toEqual([]);
    // Its own organisation's requester, and an operator, act on it.
    expect((await t.app.as(requesterB).retryRequest(failed.id)).status).toBe('queued');
    expect((await t.app.as(operator).cancelRequest(migration.id)).status).toBe('cancelled');
  });

  test('listing shows a requester its own organisations only; naming another is forbidden', async () => {
    const { t } = await world();
    await t.app.as(requesterA).submitRequest(provision('org-a'));
    const seen = await t.app.as(requesterA).listRequests({});
    expect(seen.items.map((r) => r.orgId)).toEqual(['org-a']);
    await expectTriage(t.app.as(requesterA).listRequests({ orgId: 'org-b' }), 'forbidden');
    expect((await t.app.as(operator).listRequests({})).items).toHaveLength(3);
    expect((await t.app.as(principal('none', [roles.requester])).listRequests({})).items).toEqual([]);
  });

  test('a requester of several organisations pages through all of them, and only them', async () => {
    const t = createTestApp();
    for (const org of ['org-a', 'org-b', 'org-c', 'org-d']) {
      for (let i = 0; i < 2; i++) await t.app.submitRequest(provision(org));
    }
    const multi = t.app.as(principal('m', [roles.requester], ['org-c', 'org-a', 'org-b']));
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await multi.listRequests({ limit: '1', ...(token ? { continuationToken: token } : {}) });
      ids.push(...page.items.map((r) => `${r.orgId}/${r.id}`));
      token = page.continuationToken;
      pages++;
    } while (token && pages < 20);
    expect(ids.map((id) => id.split('/')[0])).toEqual(['org-a', 'org-a', 'org-b', 'org-b', 'org-c', 'org-c']);
    expect(new Set(ids).size).toBe(6);
    await expectTriage(multi.listRequests({ continuationToken: 'o9' }), 'validation');
  });

  test('a body naming another organisation is forbidden, and nothing is stored or published', async () => {
    const t = createTestApp();
    const a = t.app.as(requesterA);
    await expectTriage(a.submitRequest(provision('org-b')), 'forbidden');
    await expectTriage(
      a.submitRequest({ kind: 'migrate', orgId: 'org-b', mailboxes: mailboxes(2) }),
      'forbidden',
    );
    await expectTriage(a.importInventory('org-b', csv('EmailAddress\nx@b.example\n')), 'forbidden');
    await expectTriage(a.getOrg('org-b'), 'forbidden');
    await expectTriage(a.upsertOrg('org-a', { name: 'A', sector: 'x', tier: 'health' }), 'forbidden');
    expect(t.ports.requests.requests.size).toBe(0);
    expect(t.ports.artifacts.inventories.size).toBe(0);
    expect(t.ports.publisher.sent).toEqual([]);
  });

  test("another organisation's upload reads as missing, whatever the name trick", async () => {
    const { t, uploadName, migration } = await world();
    const a = t.app.as(requesterA);
    for (const inventory of [
      uploadName, // B's upload, named as is
      uploadName.replace(/^org-b\//, 'org-a/'), // under A's prefix, but no such blob
      `org-a/../${uploadName}`, // a dot segment
      inlineInventoryName(migration.id), // B's inline list
      `requests/${migration.id}.ndjson`, // where inline lists used to live
    ]) {
      await expectTriage(a.submitRequest({ kind: 'migrate', orgId: 'org-a', inventory }), 'validation');
    }
    expect(t.ports.requests.requests.size).toBe(2); // B's two only
  });

  test('the orgId `requests` cannot reach an inline list, old or new', async () => {
    const { t, migration } = await world();
    // A list left at the old place without an owner, as before inline lists moved to _requests/.
    t.ports.artifacts.inventories.set(`requests/${migration.id}.ndjson`, mailboxes(3));
    const requestsOrg = t.app.as(principal('r', [roles.requester], ['requests']));
    for (const inventory of [`requests/${migration.id}.ndjson`, inlineInventoryName(migration.id)]) {
      await expectTriage(
        requestsOrg.submitRequest({ kind: 'migrate', orgId: 'requests', inventory }),
        'validation',
      );
    }
  });

  test("a message from a producer inside the trust boundary cannot use another organisation's inventory", async () => {
    const { t, uploadName, migration } = await world();
    for (const [requestId, inventory] of [
      ['direct-1', uploadName],
      ['direct-2', inlineInventoryName(migration.id)],
    ] as const) {
      t.ports.publisher.queue.push({
        messageId: messageIds.request(requestId),
        message: { schemaVersion, kind: 'migrate', requestId, orgId: 'org-a', tier: 'standard', inventory },
      });
    }
    await t.drain();
    for (const id of ['direct-1', 'direct-2']) {
      expect(await t.app.getRequest(id)).toMatchObject({
        orgId: 'org-a',
        status: 'failed',
        reason: expect.stringMatching(/no such inventory for this organisation/),
      });
    }
    expect((await t.app.getRequest(migration.id)).status).toBe('completed'); // B's own list still serves B
  });

  test('every change is audited with its principal, role and scope', async () => {
    const { t, failed } = await world();
    await t.app.as(operator).retryRequest(failed.id);
    const admin = principal('adam', [roles.admin]);
    await t.app.as(admin).upsertOrg('org-b', {
      name: 'B',
      sector: 'health',
      tier: 'health',
      evidence: 'ODS code RX1',
    });
    await t.app.as(admin).putMember('org-b', 'carol');
    const entries = t.ports.audit.entries.map(({ action, orgId, principalId, role, scope }) => ({
      action,
      orgId,
      principalId,
      role,
      scope,
    }));
    expect(entries).toEqual([
      {
        action: 'requests:submit',
        orgId: 'org-b',
        principalId: 'bob',
        role: 'Triage.Requester',
        scope: 'own-org',
      },
      {
        action: 'requests:submit',
        orgId: 'org-b',
        principalId: 'bob',
        role: 'Triage.Requester',
        scope: 'own-org',
      },
      {
        action: 'inventories:import',
        orgId: 'org-b',
        principalId: 'bob',
        role: 'Triage.Requester',
        scope: 'own-org',
      },
      {
        action: 'requests:retry',
        orgId: 'org-b',
        principalId: 'olga',
        role: 'Triage.Operator',
        scope: 'any-org',
      },
      { action: 'orgs:write', orgId: 'org-b', principalId: 'adam', role: 'Triage.Admin', scope: 'any-org' },
      {
        action: 'members:write',
        orgId: 'org-b',
        principalId: 'adam',
        role: 'Triage.Admin',
        scope: 'any-org',
      },
    ]);
    expect(t.ports.audit.entries[3]).toMatchObject({ target: failed.id, detail: 're-queued the request' });
    // An upload records its uploader in the blob's metadata too.
    const upload = [...t.ports.artifacts.owners.values()].find((o) => o.source === 'csv-import');
    expect(upload).toMatchObject({ orgId: 'org-b', uploadedBy: 'bob' });
  });
});
