/**
 * The application layer's one import path from outside (`functions/`, the composition root, tests of the
 * whole app): the declared `TriageApp` surface and the types it speaks.
 */
import type { Org, OrgAuditEntry } from '../domain/orgs';
import type { DeliveryFacts } from '../domain/delivery';
import type { DeliveryContext } from './effects/delivery';
import type { WebhookResult } from './use-cases/notifications/deliver-webhook';
import type { QueueItem } from './use-cases/pools/get-pool-queue';
import type { PoolView } from './use-cases/pools/pool-view';
import type { TickReport } from './use-cases/pools/tick-pools';
import type { InventoryImportResult } from './ports/artifact-store';
import type { Page } from './ports/stores';
import type { ImportInventoryOptions } from './use-cases/intake/import-inventory';
import type { SubmitOptions, SubmitResult } from './use-cases/intake/submit-request';
import type { HealthReport } from './use-cases/health/health';
import type { OrgView } from './use-cases/orgs/get-org';
import type { UpsertOrgOptions } from './use-cases/orgs/upsert-org';
import type { DeliveryOptions } from './use-cases/work/handle-delivery';
import type { WorkResult } from './use-cases/work/work-result';
import type { RequestView } from './views/request-view';
import type { ExecutionSlotsView } from './use-cases/slots/get-execution-slots';

export { createApp } from './create-app';
export type { AppDeps, AppSettings, AppPorts, Logger, LogLevel } from './context';
export type {
  DeliveryContext,
  DeliveryOptions,
  ExecutionSlotsView,
  HealthReport,
  ImportInventoryOptions,
  OrgAuditEntry,
  OrgView,
  PoolView,
  QueueItem,
  TickReport,
  UpsertOrgOptions,
  WebhookResult,
  InventoryImportResult,
  Page,
  RequestView,
  SubmitOptions,
  SubmitResult,
  WorkResult,
};

/** Every use-case a caller outside the application layer may invoke. Each throws `TriageError` for what the caller can act on. */
export interface TriageApp {
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
  /** GET /api/requests. */
  listRequests(query: Record<string, string | undefined>): Promise<Page<RequestView>>;
  /** POST /api/requests/{id}/cancel. */
  cancelRequest(id: unknown): Promise<RequestView>;
  /** POST /api/requests/{id}/retry. */
  retryRequest(id: unknown): Promise<RequestView>;
  /** PUT /api/orgs/{orgId}. */
  upsertOrg(orgId: unknown, body: unknown, options?: UpsertOrgOptions): Promise<Org>;
  /** GET /api/orgs/{orgId}. */
  getOrg(orgId: unknown): Promise<OrgView>;
  /** GET /api/orgs/{orgId}/audit. */
  getOrgAudit(orgId: unknown): Promise<{ items: OrgAuditEntry[] }>;
  /** GET /api/health. */
  health(): Promise<HealthReport>;
  /** One delivery of a work message to a tier Function: resolves to complete it, throws to abandon it. */
  handleDelivery(body: unknown, delivery: DeliveryContext, options?: DeliveryOptions): Promise<WorkResult>;
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
  /** POST /api/requests/{id}/release. */
  releaseRequest(id: unknown): Promise<RequestView>;
  /** The pools' timer: due capacity changes, promotions, repairs. */
  tickPools(): Promise<TickReport>;
  /** GET /api/execution-slots. */
  getExecutionSlots(): Promise<ExecutionSlotsView>;
  /** One notification delivered to its organisation's webhook: resolves to complete it, throws to retry it. */
  deliverWebhook(body: unknown, delivery: DeliveryFacts & { functionName: string }): Promise<WebhookResult>;
  /** Resolves when every notification started so far has been published or given up on (tests, shutdown). */
  flushNotifications(): Promise<void>;
}
