import fc from 'fast-check';
import { isTriageError } from '../../../shared/domain/errors';
import {
  actionPolicies,
  allActions,
  assertAuthorized,
  authorize,
  canSee,
  listScope,
  mayAttempt,
  rolesFor,
  type Action,
} from '../../../shared/domain/identity/authorization';
import {
  allRoles,
  authOffPrincipal,
  roles,
  type Principal,
  type Role,
} from '../../../shared/domain/identity/principal';

const { admin, operator, requester } = roles;

const principal = (r: readonly Role[], orgIds: readonly string[] = []): Principal => ({
  id: 'p',
  name: 'p',
  roles: r,
  orgIds: [...orgIds].sort(),
  source: 'token',
  unrestricted: false,
});

const orgIdArb = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/);
const rolesArb = fc.subarray([...allRoles]);
const principalArb = fc
  .record({ roles: rolesArb, orgIds: fc.uniqueArray(orgIdArb, { maxLength: 4 }) })
  .map(({ roles: r, orgIds }) => principal(r, orgIds));
const actionArb = fc.constantFrom(...allActions);

describe('authorization: the role × action × organisation decision', () => {
  test('is allowed only through a role the policy lists for the action', () => {
    fc.assert(
      fc.property(principalArb, actionArb, orgIdArb, (p, action, orgId) => {
        const decision = authorize(p, action, orgId);
        if (!decision.allowed) return;
        expect(p.roles).toContain(decision.role);
        expect(rolesFor(action)).toContain(decision.role);
      }),
    );
  });

  test('an own-organisations grant covers exactly the organisations bound to the principal', () => {
    fc.assert(
      fc.property(principalArb, actionArb, orgIdArb, (p, action, orgId) => {
        const decision = authorize(p, action, orgId);
        if (decision.allowed && decision.scope === 'own-org') expect(p.orgIds).toContain(orgId);
        const policy = actionPolicies[action] as { anyOrg: readonly Role[]; ownOrgs: readonly Role[] };
        const viaAnyOrg = policy.anyOrg.some((r) => p.roles.includes(r));
        const viaOwn = policy.ownOrgs.some((r) => p.roles.includes(r)) && p.orgIds.includes(orgId);
        expect(decision.allowed).toBe(viaAnyOrg || viaOwn);
      }),
    );
  });

  test('a principal holding only the Requester role is refused every organisation not its own, for every action', () => {
    fc.assert(
      fc.property(fc.uniqueArray(orgIdArb, { maxLength: 4 }), orgIdArb, actionArb, (own, other, action) => {
        fc.pre(!own.includes(other));
        expect(authorize(principal([requester], own), action, other).allowed).toBe(false);
      }),
    );
  });

  test('adding a role or an organisation never takes a permission away (monotonic)', () => {
    fc.assert(
      fc.property(
        principalArb,
        fc.constantFrom(...allRoles),
        orgIdArb,
        actionArb,
        orgIdArb,
        (p, extraRole, extraOrg, action, orgId) => {
          const wider = principal(
            [...new Set([...p.roles, extraRole])],
            [...new Set([...p.orgIds, extraOrg])],
          );
          if (authorize(p, action, orgId).allowed) expect(authorize(wider, action, orgId).allowed).toBe(true);
        },
      ),
    );
  });

  test('being allowed for an organisation implies being allowed to attempt the route', () => {
    fc.assert(
      fc.property(principalArb, actionArb, orgIdArb, (p, action, orgId) => {
        if (authorize(p, action, orgId).allowed) expect(mayAttempt(p, action).allowed).toBe(true);
        expect(canSee(p, action, orgId)).toBe(authorize(p, action, orgId).allowed);
      }),
    );
  });

  test('a principal with no role may attempt nothing; authentication off may do everything everywhere', () => {
    fc.assert(
      fc.property(actionArb, orgIdArb, (action, orgId) => {
        expect(mayAttempt(principal([]), action)).toEqual({ allowed: false, reason: 'no-role' });
        expect(authorize(authOffPrincipal, action, orgId).allowed).toBe(true);
      }),
    );
  });

  test('the table, as the README documents it', () => {
    const table = Object.fromEntries(
      allActions.map((action) => [
        action,
        Object.fromEntries(
          (['admin', 'operator', 'requester'] as const).map((name) => {
            const p = principal([roles[name]], ['a']);
            const own = authorize(p, action, 'a').allowed;
            const other = authorize(p, action, 'b').allowed;
            return [name, own && other ? 'any' : own ? 'own' : '-'];
          }),
        ),
      ]),
    );
    expect(table).toEqual({
      'requests:submit': { admin: '-', operator: '-', requester: 'own' },
      'requests:list': { admin: '-', operator: 'any', requester: 'own' },
      'requests:read': { admin: '-', operator: 'any', requester: 'own' },
      'requests:cancel': { admin: '-', operator: 'any', requester: 'own' },
      'requests:retry': { admin: '-', operator: 'any', requester: 'own' },
      'requests:release': { admin: '-', operator: 'any', requester: '-' },
      'inventories:import': { admin: '-', operator: '-', requester: 'own' },
      'orgs:read': { admin: 'any', operator: 'any', requester: 'own' },
      'orgs:write': { admin: 'any', operator: '-', requester: '-' },
      'orgs:audit': { admin: 'any', operator: 'any', requester: '-' },
      'orgs:import': { admin: 'any', operator: '-', requester: '-' },
      'readiness:read': { admin: 'any', operator: 'any', requester: 'own' },
      'readiness:write': { admin: '-', operator: '-', requester: 'own' },
      'members:read': { admin: 'any', operator: 'any', requester: '-' },
      'members:write': { admin: 'any', operator: '-', requester: '-' },
      'pools:read': { admin: 'any', operator: 'any', requester: '-' },
      'pools:write': { admin: 'any', operator: '-', requester: '-' },
      'calendar:read': { admin: 'any', operator: 'any', requester: '-' },
      'calendar:write': { admin: 'any', operator: '-', requester: '-' },
      'plan:read': { admin: 'any', operator: 'any', requester: '-' },
      'plan:what-if': { admin: '-', operator: 'any', requester: '-' },
      'orgs:list': { admin: 'any', operator: 'any', requester: '-' },
      'status:read': { admin: 'any', operator: 'any', requester: '-' },
      'dead-letters:read': { admin: 'any', operator: 'any', requester: '-' },
      'holds:read': { admin: 'any', operator: 'any', requester: '-' },
      'holds:write': { admin: 'any', operator: 'any', requester: '-' },
    });
  });
});

describe('what the use-cases ask', () => {
  const forbidden = (fn: () => unknown) => {
    try {
      fn();
    } catch (err: unknown) {
      return isTriageError(err, 'forbidden') ? err : `not forbidden: ${String(err)}`;
    }
    return 'allowed';
  };

  test("assertAuthorized names the field for an organisation not the caller's, and the roles for a missing role", () => {
    const err = forbidden(() =>
      assertAuthorized(principal([requester], ['a']), 'requests:submit', 'b', 'orgId'),
    );
    expect(err).toMatchObject({ fields: [{ field: 'orgId' }] });
    expect(forbidden(() => assertAuthorized(principal([operator]), 'requests:submit', 'a'))).toMatchObject({
      message: expect.stringContaining('Triage.Requester'),
    });
    expect(forbidden(() => assertAuthorized(principal([requester], ['a']), 'requests:submit', 'a'))).toBe(
      'allowed',
    );
  });

  test('listScope: everything for an operator, the own organisations for a requester, 403 for another', () => {
    expect(listScope(principal([operator]), 'requests:list')).toEqual({ kind: 'all' });
    expect(listScope(principal([operator]), 'requests:list', 'z')).toEqual({ kind: 'orgs', orgIds: ['z'] });
    expect(listScope(principal([requester], ['b', 'a']), 'requests:list')).toEqual({
      kind: 'orgs',
      orgIds: ['a', 'b'],
    });
    expect(listScope(principal([requester], ['a']), 'requests:list', 'a')).toEqual({
      kind: 'orgs',
      orgIds: ['a'],
    });
    expect(forbidden(() => listScope(principal([requester], ['a']), 'requests:list', 'b'))).toMatchObject({
      code: 'forbidden',
    });
    expect(forbidden(() => listScope(principal([admin]), 'requests:list'))).toMatchObject({
      code: 'forbidden',
    });
    expect(listScope(authOffPrincipal, 'requests:list')).toEqual({ kind: 'all' });
  });

  test('listScope never widens a requester beyond its own organisations', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(orgIdArb, { maxLength: 4 }),
        fc.option(orgIdArb, { nil: undefined }),
        (own, asked) => {
          const p = principal([requester], own);
          let scope;
          try {
            scope = listScope(p, 'requests:list', asked);
          } catch {
            expect(asked !== undefined && !own.includes(asked)).toBe(true);
            return;
          }
          expect(scope.kind).toBe('orgs');
          if (scope.kind === 'orgs') for (const org of scope.orgIds) expect(own).toContain(org);
        },
      ),
    );
  });

  test('every action names at least one role; the audited actions are exactly the ones that change state', () => {
    for (const action of allActions) expect(rolesFor(action).length).toBeGreaterThan(0);
    const audited = allActions.filter((a: Action) => actionPolicies[a].audited);
    expect(audited.sort()).toEqual(
      [
        'calendar:write',
        'holds:write',
        'inventories:import',
        'members:write',
        'orgs:import',
        'orgs:write',
        'readiness:write',
        'pools:write',
        'requests:cancel',
        'requests:release',
        'requests:retry',
        'requests:submit',
      ].sort(),
    );
  });
});
