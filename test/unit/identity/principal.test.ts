import fc from 'fast-check';
import { isTriageError } from '../../../shared/domain/errors';
import { bearerToken, hasCredentials } from '../../../shared/domain/identity/credentials';
import { claimsFromEasyAuthHeader } from '../../../shared/domain/identity/easy-auth';
import {
  inlineInventoryName,
  inlineInventoryNameSchema,
  inventoryUseProblem,
} from '../../../shared/domain/identity/inventory-ownership';
import { decodeOrgPagePosition, encodeOrgPagePosition } from '../../../shared/domain/identity/org-pages';
import { orgIdsFrom, principalFromClaims, rolesFrom } from '../../../shared/domain/identity/principal';
import { blobNameSchema, orgIdSchema } from '../../../shared/domain/requests';

const mapping = { orgsClaim: 'triage_orgs' };

describe('principals from validated claims', () => {
  test('an Entra ID access token: oid as the id, app roles, organisations from the claim and the membership table', () => {
    const p = principalFromClaims(
      {
        oid: '6f1c0a52-0000-0000-0000-000000000001',
        sub: 'pairwise-subject',
        name: 'Alice',
        roles: ['Triage.Requester', 'Other.App.Role'],
        triage_orgs: ['royal-infirmary'],
      },
      mapping,
      'token',
      ['city-council', 'royal-infirmary'],
    );
    expect(p).toEqual({
      id: '6f1c0a52-0000-0000-0000-000000000001',
      name: 'Alice',
      roles: ['Triage.Requester'],
      orgIds: ['city-council', 'royal-infirmary'],
      source: 'token',
      unrestricted: false,
    });
  });

  test('an app-only token: sub when there is no oid, the client id as its name; no subject is nobody', () => {
    expect(
      principalFromClaims({ sub: 'svc', azp: 'client-1', roles: 'Triage.Operator' }, mapping, 'token'),
    ).toMatchObject({ id: 'svc', name: 'client-1', roles: ['Triage.Operator'], orgIds: [] });
    expect(principalFromClaims({ roles: ['Triage.Admin'] }, mapping, 'token')).toBeNull();
  });

  test('roles and organisations are only ever the known roles and valid orgIds a claim names', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('Triage.Admin', 'Triage.Requester'))),
        (values) => {
          for (const role of rolesFrom(values)) expect(values).toContain(role);
          for (const org of orgIdsFrom(values)) {
            expect(values).toContain(org);
            expect(orgIdSchema.safeParse(org).success).toBe(true);
          }
        },
      ),
    );
    expect(orgIdsFrom('a, b c', ["x' or 1", 'a'])).toEqual(['a', 'b', 'c']);
    expect(rolesFrom(42)).toEqual([]);
  });
});

describe('EasyAuth: x-ms-client-principal', () => {
  const header = (document: unknown) => Buffer.from(JSON.stringify(document), 'utf8').toString('base64');

  test('maps the long claim names to the token names and collects the roles', () => {
    const claims = claimsFromEasyAuthHeader(
      header({
        auth_typ: 'aad',
        name_typ: 'name',
        role_typ: 'roles',
        claims: [
          { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-1' },
          { typ: 'name', val: 'Zoë' },
          { typ: 'roles', val: 'Triage.Operator' },
          { typ: 'roles', val: 'Triage.Requester' },
          { typ: 'triage_orgs', val: 'a' },
        ],
      }),
    );
    expect(claims).toEqual({
      oid: 'oid-1',
      name: 'Zoë',
      roles: ['Triage.Operator', 'Triage.Requester'],
      triage_orgs: 'a',
    });
    expect(principalFromClaims(claims!, mapping, 'easyauth')).toMatchObject({
      id: 'oid-1',
      roles: ['Triage.Operator', 'Triage.Requester'],
      orgIds: ['a'],
      source: 'easyauth',
    });
  });

  test('anything else is unreadable, never a principal', () => {
    expect(claimsFromEasyAuthHeader('not base64 !')).toBeNull();
    expect(claimsFromEasyAuthHeader(header({ claims: 'x' }))).toBeNull();
    expect(claimsFromEasyAuthHeader(Buffer.from('{').toString('base64'))).toBeNull();
  });
});

describe('bearer credentials', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (err: unknown) {
      return isTriageError(err) ? err.code : String(err);
    }
  };

  test('Bearer <token>, the scheme in any case; anything else is unauthenticated', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def-_ghi')).toBe('abc.def-_ghi');
    for (const bad of [
      undefined,
      null,
      '',
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer a b',
      `Bearer ${'a'.repeat(20_000)}`,
    ]) {
      expect(code(() => bearerToken(bad))).toBe('unauthenticated');
    }
    expect(hasCredentials({ authorization: '  ' })).toBe(false);
    expect(hasCredentials({ clientPrincipal: 'x' })).toBe(true);
  });
});

describe('inventory ownership', () => {
  test('an upload serves its own organisation only; an inline list its own request only', () => {
    const upload = { orgId: 'a', source: 'csv-import' };
    expect(inventoryUseProblem('a/x.ndjson', upload, { orgId: 'a' })).toBeUndefined();
    expect(inventoryUseProblem('a/x.ndjson', upload, { orgId: 'b' })).toBeDefined();
    expect(inventoryUseProblem('b/x.ndjson', upload, { orgId: 'a' })).toBeDefined(); // metadata and name disagree
    expect(inventoryUseProblem('a/x.ndjson', null, { orgId: 'a' })).toBeDefined();
    expect(inventoryUseProblem('a/x.ndjson', {}, { orgId: 'a' })).toBeDefined(); // no owner recorded

    const inline = { orgId: 'a', requestId: 'r1', source: 'request' };
    expect(
      inventoryUseProblem(inlineInventoryName('r1'), inline, { orgId: 'a', requestId: 'r1' }),
    ).toBeUndefined();
    expect(inventoryUseProblem(inlineInventoryName('r1'), inline, { orgId: 'a' })).toBeDefined();
    expect(
      inventoryUseProblem(inlineInventoryName('r1'), inline, { orgId: 'a', requestId: 'r2' }),
    ).toBeDefined();
    expect(
      inventoryUseProblem(inlineInventoryName('r1'), inline, { orgId: 'b', requestId: 'r1' }),
    ).toBeDefined();
  });

  test('the inline prefix is one no orgId can take, and no caller can name an inline list', () => {
    fc.assert(
      fc.property(fc.string(), (orgId) => {
        if (orgIdSchema.safeParse(orgId).success)
          expect(inlineInventoryName('r1').startsWith(`${orgId}/`)).toBe(false);
      }),
    );
    expect(orgIdSchema.safeParse('_requests').success).toBe(false);
    expect(blobNameSchema.safeParse(inlineInventoryName('r1')).success).toBe(false);
    expect(inlineInventoryNameSchema.safeParse(inlineInventoryName('r1')).success).toBe(true);
    expect(inlineInventoryNameSchema.safeParse('_requests/../a/x.ndjson').success).toBe(false);
  });
});

describe('paging across organisations', () => {
  test('a position round-trips and keeps the continuation-token alphabet', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.option(fc.stringMatching(/^[A-Za-z0-9_=-]{1,40}$/), { nil: undefined }),
        (orgIndex, inner) => {
          const token = encodeOrgPagePosition(inner === undefined ? { orgIndex } : { orgIndex, inner });
          expect(token).toMatch(/^[A-Za-z0-9_=-]+$/);
          expect(decodeOrgPagePosition(token, orgIndex + 1)).toEqual(
            inner === undefined ? { orgIndex } : { orgIndex, inner },
          );
          expect(decodeOrgPagePosition(token, orgIndex)).toBeNull();
        },
      ),
    );
    expect(decodeOrgPagePosition('eyJhIjoxfQ', 3)).toBeNull();
  });
});
