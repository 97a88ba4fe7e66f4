import { randomUUID } from 'node:crypto';
import { tierPolicies } from '../domain/topology';
import { tierView, type AppContext, type AppDeps } from './context';
import { flushNotifications } from './effects/history';
import type { TriageApp } from './index';
import { health } from './use-cases/health/health';
import { importInventory } from './use-cases/intake/import-inventory';
import { submitRequest } from './use-cases/intake/submit-request';
import { deliverWebhook } from './use-cases/notifications/deliver-webhook';
import { getOrg } from './use-cases/orgs/get-org';
import { getPool } from './use-cases/pools/get-pool';
import { getPoolQueue } from './use-cases/pools/get-pool-queue';
import { listPools } from './use-cases/pools/list-pools';
import { putPool } from './use-cases/pools/put-pool';
import { tickPools } from './use-cases/pools/tick-pools';
import { releaseRequest } from './use-cases/requests/release-request';
import { getOrgAudit } from './use-cases/orgs/get-org-audit';
import { upsertOrg } from './use-cases/orgs/upsert-org';
import { cancelRequest } from './use-cases/requests/cancel-request';
import { getRequest } from './use-cases/requests/get-request';
import { listRequests } from './use-cases/requests/list-requests';
import { retryRequest } from './use-cases/requests/retry-request';
import { getExecutionSlots } from './use-cases/slots/get-execution-slots';
import { handleDelivery } from './use-cases/work/handle-delivery';

/** Builds the context every use-case receives, with defaults for the clock, ids and logger. */
export function createContext(deps: AppDeps): AppContext {
  const { topology, settings, probes, newId, log, clock, ...ports } = deps;
  const ctx: AppContext = {
    ports,
    tiers: tierView(topology),
    tierPolicies: tierPolicies(topology),
    topology,
    settings,
    probes: probes ?? [],
    clock: clock ?? (() => new Date()),
    // Through ctx.clock, so a test (or a fast local clock) that replaces the clock moves both.
    now: () => ctx.clock().toISOString(),
    newId: newId ?? (() => randomUUID()),
    log: log ?? (() => undefined),
    inFlightNotifications: new Set(),
  };
  return ctx;
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
    upsertOrg: (orgId, body, options) => upsertOrg(ctx, orgId, body, options),
    getOrg: (orgId) => getOrg(ctx, orgId),
    getOrgAudit: (orgId) => getOrgAudit(ctx, orgId),
    health: () => health(ctx),
    handleDelivery: (body, delivery, options) => handleDelivery(ctx, body, delivery, options),
    putPool: (poolId, body) => putPool(ctx, poolId, body),
    getPool: (poolId) => getPool(ctx, poolId),
    listPools: () => listPools(ctx),
    getPoolQueue: (poolId, query) => getPoolQueue(ctx, poolId, query),
    releaseRequest: (id) => releaseRequest(ctx, id),
    tickPools: () => tickPools(ctx),
    getExecutionSlots: () => getExecutionSlots(ctx),
    deliverWebhook: (body, delivery) => deliverWebhook(ctx, body, delivery),
    flushNotifications: () => flushNotifications(ctx),
  };
}
