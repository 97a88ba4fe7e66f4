/**
 * The application layer's one import path from outside (`functions/`, the composition root, tests of the
 * whole app): the declared `TriageApp` surface and the types it speaks.
 */
import type { Org } from '../domain/requests';
import type { DeliveryContext } from './effects/delivery';
import type { InventoryImportResult } from './ports/artifact-store';
import type { DeadLetterEntry, Page } from './ports/stores';
import type { ImportInventoryOptions } from './use-cases/intake/import-inventory';
import type { SubmitOptions, SubmitResult } from './use-cases/intake/submit-request';
import type { HealthReport } from './use-cases/health/health';
import type { DeliveryOptions } from './use-cases/work/handle-delivery';
import type { WorkResult } from './use-cases/work/work-result';
import type { DeadLetterFacts } from './use-cases/work/handle-dead-lettered';
import type { RequestView } from './views/request-view';
import type { ReconcileOptions, ReconcileReport } from './use-cases/reconcile/reconcile';

export { createApp } from './create-app';
export type { AppDeps, AppSettings, AppPorts, Logger, LogLevel } from './context';
export type {
  DeadLetterEntry,
  DeadLetterFacts,
  DeliveryContext,
  DeliveryOptions,
  HealthReport,
  ImportInventoryOptions,
  InventoryImportResult,
  Page,
  ReconcileOptions,
  ReconcileReport,
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
  upsertOrg(orgId: unknown, body: unknown): Promise<Org>;
  /** GET /api/orgs/{orgId}. */
  getOrg(orgId: unknown): Promise<Org>;
  /** GET /api/health. */
  health(): Promise<HealthReport>;
  /** One delivery of a work message to a tier Function: resolves to complete it, throws to abandon it. */
  handleDelivery(body: unknown, delivery: DeliveryContext, options?: DeliveryOptions): Promise<WorkResult>;
  /** The dead-letter Function: records a message Service Bus dead-lettered from a work subscription. */
  handleDeadLettered(body: unknown, delivery: DeliveryContext, facts: DeadLetterFacts): Promise<string>;
  /** GET /api/dead-letters: the messages Triage refused or found dead-lettered, newest first. */
  listDeadLetters(limit?: number): Promise<DeadLetterEntry[]>;
  /** The reconciler timer: repairs non-terminal requests with no progress for the configured time. */
  reconcile(options?: ReconcileOptions): Promise<ReconcileReport>;
  /** Resolves when every notification started so far has been published or given up on (tests, shutdown). */
  flushNotifications(): Promise<void>;
}
