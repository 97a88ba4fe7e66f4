import { authOffPrincipal, roles } from '../../../../shared/domain/identity/principal';
import { startAuthFixture, type AuthFixture } from '../../../support/auth-fixture';
import { createTestApp } from '../../../support/in-memory-ports';
import { expectTriage } from '../helpers';

let auth: AuthFixture;
beforeAll(async () => {
  auth = await startAuthFixture();
});
afterAll(async () => auth?.close());

const easyAuthHeader = (claims: Array<{ typ: string; val: string }>) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', role_typ: 'roles', claims })).toString('base64');

describe('authenticate: who is asking', () => {
  test('token mode: a valid token is its principal; organisations are the claim plus the membership table', async () => {
    const t = createTestApp({ tokens: auth.verifier });
    await t.ports.memberships.put({
      orgId: 'city-council',
      principalId: 'alice',
      addedAt: 'x',
      addedBy: 'adam',
    });
    const principal = await t.app.authenticate({
      authorization: await auth.bearer({
        roles: [roles.requester],
        orgs: ['royal-infirmary'],
        subject: 'alice',
      }),
    });
    expect(principal).toEqual({
      id: 'alice',
      name: 'alice',
      roles: [roles.requester],
      orgIds: ['city-council', 'royal-infirmary'],
      source: 'token',
      unrestricted: false,
    });
    // A membership removed takes effect on the next call.
    await t.ports.memberships.delete('city-council', 'alice');
    expect(
      (
        await t.app.authenticate({
          authorization: await auth.bearer({ roles: [roles.requester], subject: 'alice' }),
        })
      ).orgIds,
    ).toEqual([]);
  });

  test('token mode: no token, another scheme, or an EasyAuth header is unauthenticated', async () => {
    const t = createTestApp({ tokens: auth.verifier });
    await expectTriage(t.app.authenticate({}), 'unauthenticated');
    await expectTriage(t.app.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }), 'unauthenticated');
    const forged = easyAuthHeader([
      { typ: 'roles', val: roles.admin },
      { typ: 'oid', val: 'mallory' },
    ]);
    await expectTriage(t.app.authenticate({ clientPrincipal: forged }), 'unauthenticated');
  });

  test('easyauth mode: the forwarded principal, and only it (a bearer token is not looked at)', async () => {
    const t = createTestApp({ settings: { auth: { mode: 'easyauth', orgsClaim: 'triage_orgs' } } });
    const principal = await t.app.authenticate({
      clientPrincipal: easyAuthHeader([
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-7' },
        { typ: 'roles', val: roles.operator },
      ]),
    });
    expect(principal).toMatchObject({ id: 'oid-7', roles: [roles.operator], source: 'easyauth' });
    await expectTriage(
      t.app.authenticate({ authorization: await auth.bearer({ roles: [roles.admin] }) }),
      'unauthenticated',
    );
    await expectTriage(t.app.authenticate({ clientPrincipal: 'garbage' }), 'unauthenticated');
  });

  test('off mode: everyone is the open-mode principal; only a Requester pays for the membership read', async () => {
    const off = createTestApp({ settings: { auth: { mode: 'off', orgsClaim: 'triage_orgs' } } });
    expect(await off.app.authenticate({})).toBe(authOffPrincipal);

    const t = createTestApp({ tokens: auth.verifier });
    let reads = 0;
    const orgsOf = t.ports.memberships.orgsOf.bind(t.ports.memberships);
    t.ports.memberships.orgsOf = (id) => {
      reads++;
      return orgsOf(id);
    };
    await t.app.authenticate({ authorization: await auth.bearer({ roles: [roles.operator, roles.admin] }) });
    expect(reads).toBe(0);
    await t.app.authenticate({ authorization: await auth.bearer({ roles: [roles.requester] }) });
    expect(reads).toBe(1);
  });

  test('memberships: an admin binds and unbinds; the principal acts for the organisation in between', async () => {
    const t = createTestApp({ tokens: auth.verifier });
    const admin = await t.app.authenticate({
      authorization: await auth.bearer({ roles: [roles.admin], subject: 'adam' }),
    });
    const asBob = async () =>
      t.app.authenticate({ authorization: await auth.bearer({ roles: [roles.requester], subject: 'bob' }) });
    await t.app.as(admin).putMember('org-b', 'bob');
    expect((await asBob()).orgIds).toEqual(['org-b']);
    expect((await t.app.as(admin).listMembers('org-b')).items).toEqual([
      { orgId: 'org-b', principalId: 'bob', addedAt: expect.any(String), addedBy: 'adam' },
    ]);
    await t.app.as(admin).deleteMember('org-b', 'bob');
    expect((await asBob()).orgIds).toEqual([]);
    await expectTriage(t.app.as(admin).deleteMember('org-b', 'bob'), 'not-found');
    await expectTriage(t.app.as(admin).putMember('org-b', 'bad/id'), 'validation');
    await expectTriage(t.app.as(await asBob()).putMember('org-b', 'bob'), 'forbidden');
  });
});
