import { randomUUID } from 'node:crypto';
import type { Principal } from '../domain/identity/principal';
import { tierView, type AppContext, type AppDeps } from './context';
import { flushNotifications } from './effects/history';
import type { CallerApp, TriageApp } from './index';
import { health } from './use-cases/health/health';
import { authenticate } from './use-cases/identity/authenticate';
import { importInventory } from './use-cases/intake/import-inventory';
import { submitRequest } from './use-cases/intake/submit-request';
import { deleteMember } from './use-cases/orgs/delete-member';
import { getOrg } from './use-cases/orgs/get-org';
import { listMembers } from './use-cases/orgs/list-members';
import { putMember } from './use-cases/orgs/put-member';
import { upsertOrg } from './use-cases/orgs/upsert-org';
import { cancelRequest } from './use-cases/requests/cancel-request';
import { getRequest } from './use-cases/requests/get-request';
import { listRequests } from './use-cases/requests/list-requests';
import { retryRequest } from './use-cases/requests/retry-request';
import { handleDelivery } from './use-cases/work/handle-delivery';

/** Builds the context every use-case receives, with defaults for the clock, ids and logger. */
export function createContext(deps: AppDeps): AppContext {
  const clock = deps.clock ?? (() => new Date());
  const { topology, settings, probes, newId, log, clock: _clock, ...ports } = deps;
  return {
    ports,
    tiers: tierView(topology),
    topology,
    settings,
    probes: probes ?? [],
    clock,
    now: () => clock().toISOString(),
    newId: newId ?? (() => randomUUID()),
    log: log ?? (() => undefined),
    inFlightNotifications: new Set(),
  };
}

/** Builds the app once per process over the given ports. */
export function createApp(deps: AppDeps): TriageApp {
  return bindUseCases(createContext(deps));
}

/** Binds the use-cases to one context. No logic lives here. */
export function bindUseCases(ctx: AppContext): TriageApp {
  return {
    authenticate: (credentials) => authenticate(ctx, credentials),
    as: (caller) => bindCallerUseCases(ctx, caller),
    health: () => health(ctx),
    handleDelivery: (body, delivery, options) => handleDelivery(ctx, body, delivery, options),
    flushNotifications: () => flushNotifications(ctx),
  };
}

/** Binds the HTTP API's use-cases to one context and one calling principal. No logic lives here. */
export function bindCallerUseCases(ctx: AppContext, caller: Principal): CallerApp {
  return {
    submitRequest: (body, options) => submitRequest(ctx, caller, body, options),
    importInventory: (orgId, csv, options) => importInventory(ctx, caller, orgId, csv, options),
    getRequest: (id) => getRequest(ctx, caller, id),
    listRequests: (query) => listRequests(ctx, caller, query),
    cancelRequest: (id) => cancelRequest(ctx, caller, id),
    retryRequest: (id) => retryRequest(ctx, caller, id),
    upsertOrg: (orgId, body) => upsertOrg(ctx, caller, orgId, body),
    getOrg: (orgId) => getOrg(ctx, caller, orgId),
    putMember: (orgId, principalId) => putMember(ctx, caller, orgId, principalId),
    deleteMember: (orgId, principalId) => deleteMember(ctx, caller, orgId, principalId),
    listMembers: (orgId) => listMembers(ctx, caller, orgId),
  };
}
