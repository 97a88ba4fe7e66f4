/**
 * The application layer's one import path from outside (`functions/`, the composition root, tests of the
 * whole app): the declared `TriageApp` surface and the types it speaks.
 */
import type { Credentials } from '../domain/identity/credentials';
import type { Principal } from '../domain/identity/principal';
import type { Org, OrgAuditEntry } from '../domain/orgs';
import type { DeliveryFacts } from '../domain/delivery';
import type { DeliveryContext } from './effects/delivery';
import type { WebhookResult } from './use-cases/notifications/deliver-webhook';
import type { QueueItem } from './use-cases/pools/get-pool-queue';
import type { MigrationCalendar } from '../domain/scheduling/calendar';
import type { PlanView } from '../domain/scheduling/burn-down';
import type { FinishMove } from '../domain/scheduling/what-if';
import type { WaveReport } from './effects/programme-waves';
import type { OrgImportResult } from './use-cases/orgs/import-orgs';
import type { PlanAnswer } from './use-cases/programme/get-plan';
import type { ReadinessView } from './views/readiness';
import type { PoolView } from './use-cases/pools/pool-view';
import type { TickReport } from './use-cases/pools/tick-pools';
import type { InventoryImportResult } from './ports/artifact-store';
import type { AuditStore, Membership, MembershipStore, TokenVerifier } from './ports/identity';
import type { DeadLetterEntry, Page } from './ports/stores';
import type { ImportInventoryOptions } from './use-cases/intake/import-inventory';
import type { SubmitOptions, SubmitResult } from './use-cases/intake/submit-request';
import type { HealthReport } from './use-cases/health/health';
import type { OrgView } from './use-cases/orgs/get-org';
import type { DeliveryOptions } from './use-cases/work/handle-delivery';
import type { WorkResult } from './use-cases/work/work-result';
import type { DeadLetterFacts } from './use-cases/work/handle-dead-lettered';
import type { RequestView } from './views/request-view';
import type { ItemPage } from './use-cases/requests/list-request-items';
import type { RequestList } from './use-cases/requests/list-requests';
import type { ReportResult } from './use-cases/reports/write-report';
import type { SchedulerStatusView } from './use-cases/pools/scheduler-status';
import type { ListedOrg } from './use-cases/orgs/list-orgs';
import type { SchedulerMetric } from '../domain/scheduler-status';
import type { ReconcileOptions, ReconcileReport } from './use-cases/reconcile/reconcile';
import type { DrainReport, Hold, HoldScope } from '../domain/holds';
import type { ResumeResult } from './use-cases/holds/resume-hold';
import type { ExecutionSlotsView } from './use-cases/slots/get-execution-slots';

export { createApp } from './create-app';
export type { AppDeps, AppSettings, AppPorts, AuthSettings, Logger, LogLevel } from './context';
export type {
  AuditStore,
  Credentials,
  Membership,
  MembershipStore,
  Principal,
  TokenVerifier,
  DeadLetterEntry,
  DeadLetterFacts,
  DeliveryContext,
  DeliveryOptions,
  ExecutionSlotsView,
  HealthReport,
  ImportInventoryOptions,
  OrgAuditEntry,
  OrgView,
  OrgImportResult,
  PlanAnswer,
  ReadinessView,
  PoolView,
  QueueItem,
  TickReport,
  WebhookResult,
  InventoryImportResult,
  ItemPage,
  ListedOrg,
  Page,
  DrainReport,
  Hold,
  HoldScope,
  ReconcileOptions,
  ReconcileReport,
  ResumeResult,
  ReportResult,
  RequestList,
  SchedulerMetric,
  SchedulerStatusView,
  RequestView,
  SubmitOptions,
  SubmitResult,
  WorkResult,
};

/** Every use-case a caller outside the application layer may invoke. Each throws `TriageError` for what the caller can act on. */
export interface TriageApp {
  /** Who is asking: the principal behind an HTTP call's credentials (401 material when there is none). */
  authenticate(credentials: Credentials): Promise<Principal>;
  /** The API's use-cases on behalf of one principal: each decides what that principal may see and do. */
  as(caller: Principal): CallerApp;
  /** GET /api/health. */
  health(): Promise<HealthReport>;
  /** One delivery of a work message to a tier Function: resolves to complete it, throws to abandon it. */
  handleDelivery(body: unknown, delivery: DeliveryContext, options?: DeliveryOptions): Promise<WorkResult>;
  /** The dead-letter Function: records a message Service Bus dead-lettered from a work subscription. */
  handleDeadLettered(body: unknown, delivery: DeliveryContext, facts: DeadLetterFacts): Promise<string>;
  /** The reconciler timer: repairs non-terminal requests with no progress for the configured time. */
  reconcile(options?: ReconcileOptions): Promise<ReconcileReport>;
  /** The pools' timer: due capacity changes, promotions, repairs. */
  tickPools(): Promise<TickReport>;
  /** The metrics timer: per-tier scheduler metrics to Application Insights. */
  emitSchedulerMetrics(): Promise<SchedulerMetric[]>;
  /** The status page's data when the deployment lets anyone read it (`TRIAGE_STATUS_PAGE_ANONYMOUS`). */
  getSchedulerStatus(): Promise<SchedulerStatusView>;
  /** A notification from the `reports` subscription: a finished request gets its report. */
  reportOnNotification(body: unknown): Promise<ReportResult | 'ignored'>;
  /** The programme's timer: the day's wave, and a stale plan. */
  tickProgramme(): Promise<{ wave: WaveReport | null; replan: string }>;
  /** The programme's wave timer alone. */
  materializeWaves(): Promise<WaveReport | null>;
  /** The programme's re-plan timer alone. */
  replanProgramme(): Promise<string>;
  /** One notification delivered to its organisation's webhook: resolves to complete it, throws to retry it. */
  deliverWebhook(body: unknown, delivery: DeliveryFacts & { functionName: string }): Promise<WebhookResult>;
  /** Resolves when every notification started so far has been published or given up on (tests, shutdown). */
  flushNotifications(): Promise<void>;
}

/**
 * The HTTP API's use-cases, bound to the calling principal by `TriageApp.as`. A new route's use-case
 * joins here and in `bindCallerUseCases` (create-app.ts); one that decides per organisation takes the
 * principal as its second argument.
 */
export interface CallerApp {
  /** POST /api/requests. */
  submitRequest(body: unknown, options?: SubmitOptions): Promise<SubmitResult>;
  /** POST /api/inventories?orgId=. */
  importInventory(
    orgId: unknown,
    csv: AsyncIterable<Uint8Array>,
    options?: ImportInventoryOptions,
  ): Promise<InventoryImportResult>;
  /** GET /api/requests/{id}. */
  getRequest(id: unknown): Promise<RequestView>;
  /** GET /api/requests/{id}/duplicates: CSV of the mailboxes it skipped (other requests in flight hold them). */
  readDuplicates(id: unknown): Promise<AsyncIterable<Uint8Array>>;
  /** GET /api/requests. */
  listRequests(query: Record<string, string | undefined>): Promise<RequestList>;
  /** GET /api/requests/{id}/items. */
  listRequestItems(id: unknown, query: Record<string, string | undefined>): Promise<ItemPage>;
  /** GET /api/requests/{id}/report: the CSV written when the request finished. */
  readReport(id: unknown): Promise<AsyncIterable<Uint8Array>>;
  /** POST /api/requests/{id}/cancel. */
  cancelRequest(id: unknown): Promise<RequestView>;
  /** POST /api/requests/{id}/retry. */
  retryRequest(id: unknown): Promise<RequestView>;
  /** POST /api/requests/{id}/release. */
  releaseRequest(id: unknown): Promise<RequestView>;
  /** PUT /api/orgs/{orgId}. */
  upsertOrg(orgId: unknown, body: unknown): Promise<Org>;
  /** GET /api/orgs/{orgId}. */
  getOrg(orgId: unknown): Promise<OrgView>;
  /** GET /api/orgs. */
  listOrgs(query: Record<string, string | undefined>): Promise<Page<ListedOrg>>;
  /** GET /api/orgs/{orgId}/audit. */
  getOrgAudit(orgId: unknown): Promise<{ items: OrgAuditEntry[] }>;
  /** PUT /api/orgs/{orgId}/members/{principalId}. */
  putMember(orgId: unknown, principalId: unknown): Promise<Membership>;
  /** DELETE /api/orgs/{orgId}/members/{principalId}. */
  deleteMember(orgId: unknown, principalId: unknown): Promise<void>;
  /** GET /api/orgs/{orgId}/members. */
  listMembers(orgId: unknown): Promise<{ items: Membership[] }>;
  /** PUT /api/pools/{poolId}. */
  putPool(poolId: unknown, body: unknown): Promise<{ pool: PoolView; created: boolean }>;
  /** GET /api/pools/{poolId}. */
  getPool(poolId: unknown): Promise<PoolView>;
  /** GET /api/pools. */
  listPools(): Promise<{ items: PoolView[] }>;
  /** GET /api/pools/{poolId}/queue. */
  getPoolQueue(
    poolId: unknown,
    query: Record<string, string | undefined>,
  ): Promise<{ items: QueueItem[]; continuationToken?: string }>;
  /** GET /api/status/data: per tier and per pool, for the status page (and the metrics). */
  getSchedulerStatus(): Promise<SchedulerStatusView>;
  /** PUT /api/calendar. */
  putCalendar(body: unknown): Promise<{ calendar: MigrationCalendar; created: boolean }>;
  /** GET /api/calendar. */
  getCalendar(): Promise<MigrationCalendar>;
  /** PUT /api/orgs/{orgId}/readiness. */
  putReadiness(orgId: unknown, body: unknown): Promise<ReadinessView>;
  /** GET /api/orgs/{orgId}/readiness. */
  getReadiness(orgId: unknown): Promise<ReadinessView>;
  /** POST /api/orgs/import. */
  importOrgs(csv: AsyncIterable<Uint8Array>): Promise<OrgImportResult>;
  /** GET /api/plan. */
  getPlan(): Promise<PlanAnswer>;
  /** POST /api/plan/what-if. */
  planWhatIf(body: unknown): Promise<PlanView & { moves: FinishMove[] }>;
  /** GET /api/dead-letters: the messages Triage refused or found dead-lettered, newest first. */
  listDeadLetters(limit?: number): Promise<DeadLetterEntry[]>;
  /** POST /api/tiers/{tier}/hold, POST /api/orgs/{orgId}/hold. */
  placeHold(
    scope: HoldScope,
    target: unknown,
    body: unknown,
  ): Promise<{ report: DrainReport; created: boolean }>;
  /** POST /api/tiers/{tier}/resume, POST /api/orgs/{orgId}/resume. */
  resumeHold(scope: HoldScope, target: unknown): Promise<ResumeResult>;
  /** GET /api/tiers/{tier}/hold, GET /api/orgs/{orgId}/hold: the drain report. */
  getHold(scope: HoldScope, target: unknown): Promise<DrainReport>;
  /** GET /api/holds. */
  listHolds(): Promise<{ items: DrainReport[] }>;
  /** GET /api/execution-slots: the executor back-end's slots per tier, who holds them and who waits. */
  getExecutionSlots(): Promise<ExecutionSlotsView>;
}
