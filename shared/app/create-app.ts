import { randomUUID } from 'node:crypto';
import type { Principal } from '../domain/identity/principal';
import { tierPolicies } from '../domain/topology';
import { tierView, type AppContext, type AppDeps } from './context';
import { flushNotifications } from './effects/history';
import type { CallerApp, TriageApp } from './index';
import { health } from './use-cases/health/health';
import { authenticate } from './use-cases/identity/authenticate';
import { importInventory } from './use-cases/intake/import-inventory';
import { submitRequest } from './use-cases/intake/submit-request';
import { deliverWebhook } from './use-cases/notifications/deliver-webhook';
import { deleteMember } from './use-cases/orgs/delete-member';
import { getOrg } from './use-cases/orgs/get-org';
import { listMembers } from './use-cases/orgs/list-members';
import { putMember } from './use-cases/orgs/put-member';
import { getReadiness } from './use-cases/orgs/get-readiness';
import { importOrgs } from './use-cases/orgs/import-orgs';
import { putReadiness } from './use-cases/orgs/put-readiness';
import { getCalendar } from './use-cases/programme/get-calendar';
import { getPlan } from './use-cases/programme/get-plan';
import { planWhatIf } from './use-cases/programme/plan-what-if';
import { putCalendar } from './use-cases/programme/put-calendar';
import { tickProgramme } from './use-cases/programme/tick-programme';
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
import { readDuplicates } from './use-cases/requests/read-duplicates';
import { listRequests } from './use-cases/requests/list-requests';
import { retryRequest } from './use-cases/requests/retry-request';
import { listDeadLetters } from './use-cases/requests/list-dead-letters';
import { getExecutionSlots } from './use-cases/slots/get-execution-slots';
import { handleDelivery } from './use-cases/work/handle-delivery';
import { listOrgs } from './use-cases/orgs/list-orgs';
import { emitSchedulerMetrics } from './use-cases/pools/emit-scheduler-metrics';
import { getSchedulerStatus } from './use-cases/pools/scheduler-status';
import { readReport } from './use-cases/reports/read-report';
import { reportOnNotification } from './use-cases/reports/report-on-notification';
import { listRequestItems } from './use-cases/requests/list-request-items';
import { reconcile } from './use-cases/reconcile/reconcile';
import { getHold } from './use-cases/holds/get-hold';
import { listHolds } from './use-cases/holds/list-holds';
import { placeHold } from './use-cases/holds/place-hold';
import { resumeHold } from './use-cases/holds/resume-hold';
import { handleDeadLettered } from './use-cases/work/handle-dead-lettered';

/** Builds the context every use-case receives, with defaults for the clock, ids and logger. */
export function createContext(deps: AppDeps): AppContext {
  const { topology, settings, probes, newId, random, log, clock, ...ports } = deps;
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
    random: random ?? Math.random,
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
    authenticate: (credentials) => authenticate(ctx, credentials),
    as: (caller) => bindCallerUseCases(ctx, caller),
    health: () => health(ctx),
    handleDelivery: (body, delivery, options) => handleDelivery(ctx, body, delivery, options),
    handleDeadLettered: (body, delivery, facts) => handleDeadLettered(ctx, body, delivery, facts),
    reconcile: (options) => reconcile(ctx, options),
    tickPools: () => tickPools(ctx),
    emitSchedulerMetrics: () => emitSchedulerMetrics(ctx),
    getSchedulerStatus: () => getSchedulerStatus(ctx),
    reportOnNotification: (body) => reportOnNotification(ctx, body),
    tickProgramme: () => tickProgramme(ctx),
    materializeWaves: () => tickProgramme(ctx, { replan: false }).then((r) => r.wave),
    replanProgramme: () => tickProgramme(ctx, { waves: false }).then((r) => r.replan),
    deliverWebhook: (body, delivery) => deliverWebhook(ctx, body, delivery),
    flushNotifications: () => flushNotifications(ctx),
  };
}

/**
 * Binds the HTTP API's use-cases to one context and one calling principal. No logic lives here. A
 * use-case that decides per organisation, or records who changed something, takes the caller; the
 * deployment-wide reads (pools, the calendar, the plan) are guarded by their route's role alone.
 */
export function bindCallerUseCases(ctx: AppContext, caller: Principal): CallerApp {
  return {
    submitRequest: (body, options) => submitRequest(ctx, caller, body, options),
    importInventory: (orgId, csv, options) => importInventory(ctx, caller, orgId, csv, options),
    getRequest: (id) => getRequest(ctx, caller, id),
    readDuplicates: (id) => readDuplicates(ctx, caller, id),
    listRequests: (query) => listRequests(ctx, caller, query),
    listRequestItems: (id, query) => listRequestItems(ctx, caller, id, query),
    readReport: (id) => readReport(ctx, caller, id),
    cancelRequest: (id) => cancelRequest(ctx, caller, id),
    retryRequest: (id) => retryRequest(ctx, caller, id),
    releaseRequest: (id) => releaseRequest(ctx, caller, id),
    upsertOrg: (orgId, body) => upsertOrg(ctx, caller, orgId, body),
    getOrg: (orgId) => getOrg(ctx, caller, orgId),
    listOrgs: (query) => listOrgs(ctx, query),
    getOrgAudit: (orgId) => getOrgAudit(ctx, caller, orgId),
    putMember: (orgId, principalId) => putMember(ctx, caller, orgId, principalId),
    deleteMember: (orgId, principalId) => deleteMember(ctx, caller, orgId, principalId),
    listMembers: (orgId) => listMembers(ctx, caller, orgId),
    putPool: (poolId, body) => putPool(ctx, caller, poolId, body),
    getPool: (poolId) => getPool(ctx, poolId),
    listPools: () => listPools(ctx),
    getPoolQueue: (poolId, query) => getPoolQueue(ctx, poolId, query),
    getSchedulerStatus: () => getSchedulerStatus(ctx),
    putCalendar: (body) => putCalendar(ctx, caller, body),
    getCalendar: () => getCalendar(ctx),
    putReadiness: (orgId, body) => putReadiness(ctx, caller, orgId, body),
    getReadiness: (orgId) => getReadiness(ctx, caller, orgId),
    importOrgs: (csv) => importOrgs(ctx, caller, csv),
    getPlan: () => getPlan(ctx),
    planWhatIf: (body) => planWhatIf(ctx, body),
    listDeadLetters: (limit) => listDeadLetters(ctx, limit),
    placeHold: (scope, target, body) => placeHold(ctx, caller, scope, target, body),
    resumeHold: (scope, target) => resumeHold(ctx, caller, scope, target),
    getHold: (scope, target) => getHold(ctx, scope, target),
    listHolds: () => listHolds(ctx),
    getExecutionSlots: () => getExecutionSlots(ctx),
  };
}
