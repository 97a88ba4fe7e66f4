import { randomUUID } from 'node:crypto';
import { tierView, type AppContext, type AppDeps } from './context';
import { flushNotifications } from './effects/history';
import type { TriageApp } from './index';
import { health } from './use-cases/health/health';
import { importInventory } from './use-cases/intake/import-inventory';
import { submitRequest } from './use-cases/intake/submit-request';
import { getOrg } from './use-cases/orgs/get-org';
import { upsertOrg } from './use-cases/orgs/upsert-org';
import { cancelRequest } from './use-cases/requests/cancel-request';
import { getRequest } from './use-cases/requests/get-request';
import { listRequests } from './use-cases/requests/list-requests';
import { retryRequest } from './use-cases/requests/retry-request';
import { listDeadLetters } from './use-cases/requests/list-dead-letters';
import { handleDelivery } from './use-cases/work/handle-delivery';
import { reconcile } from './use-cases/reconcile/reconcile';
import { handleDeadLettered } from './use-cases/work/handle-dead-lettered';

/** Builds the context every use-case receives, with defaults for the clock, ids and logger. */
export function createContext(deps: AppDeps): AppContext {
  const clock = deps.clock ?? (() => new Date());
  const { topology, settings, probes, newId, random, log, clock: _clock, ...ports } = deps;
  return {
    ports,
    tiers: tierView(topology),
    topology,
    settings,
    probes: probes ?? [],
    clock,
    now: () => clock().toISOString(),
    newId: newId ?? (() => randomUUID()),
    random: random ?? Math.random,
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
    submitRequest: (body, options) => submitRequest(ctx, body, options),
    importInventory: (orgId, csv, options) => importInventory(ctx, orgId, csv, options),
    getRequest: (id) => getRequest(ctx, id),
    listRequests: (query) => listRequests(ctx, query),
    cancelRequest: (id) => cancelRequest(ctx, id),
    retryRequest: (id) => retryRequest(ctx, id),
    upsertOrg: (orgId, body) => upsertOrg(ctx, orgId, body),
    getOrg: (orgId) => getOrg(ctx, orgId),
    health: () => health(ctx),
    handleDelivery: (body, delivery, options) => handleDelivery(ctx, body, delivery, options),
    handleDeadLettered: (body, delivery, facts) => handleDeadLettered(ctx, body, delivery, facts),
    listDeadLetters: (limit) => listDeadLetters(ctx, limit),
    reconcile: (options) => reconcile(ctx, options),
    flushNotifications: () => flushNotifications(ctx),
  };
}
