import { z } from 'zod';
import type { ExecutorOptions } from './adapters/executors';
import { defaultBackOff, type BackOffPolicy } from './domain/back-off';
import { defaultOperationPolicy, type OperationPolicy } from './domain/long-running';
import { topology } from './topology';

/**
 * Every app setting the Function app reads, by name, in one place. Bicep must set each of these
 * (a test reads this file and the Bicep to prove it); locally they come from local.settings.json `Values`.
 *
 * Connections follow the Functions convention: `X` holds a connection string, or with managed identity
 * the same name is a prefix (`X__fullyQualifiedNamespace`, `X__serviceUri`, `X__credential`, `X__clientId`).
 */
export const settingNames = {
  /** Service Bus connection used by the triggers and the publisher (connection string or `__fullyQualifiedNamespace`). */
  serviceBusConnection: 'ServiceBusConnection',
  /** Storage for the app's tables and blobs (connection string or `__tableServiceUri` / `__blobServiceUri`). */
  storageConnection: 'TriageStorage',
  /** Optional. Prefix for table and container names (test isolation). Default none. */
  storagePrefix: 'TRIAGE_STORAGE_PREFIX',
  /** Optional. Mailboxes per migration batch. Default 100. */
  batchSize: 'TRIAGE_BATCH_SIZE',
  /** Optional. Items of one batch executed at once. Default 16. */
  itemConcurrency: 'TRIAGE_ITEM_CONCURRENCY',
  /** Optional. `simulated` (default) or `http`. */
  executorType: 'TRIAGE_EXECUTOR',
  /** Optional. Simulated executor: seed, latency range and failure rates. */
  executorSeed: 'TRIAGE_EXECUTOR_SEED',
  executorLatencyMinMs: 'TRIAGE_EXECUTOR_LATENCY_MIN_MS',
  executorLatencyMaxMs: 'TRIAGE_EXECUTOR_LATENCY_MAX_MS',
  executorTransientFailureRate: 'TRIAGE_EXECUTOR_TRANSIENT_FAILURE_RATE',
  executorPermanentFailureRate: 'TRIAGE_EXECUTOR_PERMANENT_FAILURE_RATE',
  /** Optional. Simulated executor: calls its back-end serves at once (more wait their turn). Default 0 = unlimited. */
  executorCapacity: 'TRIAGE_EXECUTOR_CAPACITY',
  /** Optional. Simulated executor: run each task as a long-running operation of this many ms (polled). Default 0 = answer at once. */
  executorOperationMs: 'TRIAGE_EXECUTOR_OPERATION_MS',
  /** Required with `http`: where each item is POSTed; plus timeout, in-process attempts and backoff. */
  executorUrl: 'TRIAGE_EXECUTOR_URL',
  executorTimeoutMs: 'TRIAGE_EXECUTOR_TIMEOUT_MS',
  executorMaxAttempts: 'TRIAGE_EXECUTOR_MAX_ATTEMPTS',
  executorBackoffMs: 'TRIAGE_EXECUTOR_BACKOFF_MS',
  /**
   * Optional. Long-running operations (`202 Accepted` + `Location`): the wait between two status reads when
   * the back-end sends no `Retry-After` (default 30 000; 1 s to 5 min, or to TRIAGE_RETRY_MAX_DELAY_MS when
   * shorter), and how long one may stay in progress before it is failed (default 86 400 000 = 24 h).
   */
  executorPollIntervalMs: 'TRIAGE_EXECUTOR_POLL_INTERVAL_MS',
  executorDeadlineMs: 'TRIAGE_EXECUTOR_DEADLINE_MS',
  /**
   * Optional. Executor calls the back-end takes at once, shared by every tier and instance (execution slots).
   * Default 64 (sized for the local stack); 0 = no limit (every batch runs at once, as before slots existed).
   */
  executionSlots: 'TRIAGE_EXECUTION_SLOTS',
  /** Optional. JSON: slots reserved per tier, nested like pool reservations. Default `{"health":16}`. */
  executionSlotsReserved: 'TRIAGE_EXECUTION_SLOTS_RESERVED',
  /** Optional. Seconds a grant of slots lasts unless renewed (a crashed holder's slots return after it). Default 15. */
  executionSlotLeaseSeconds: 'TRIAGE_EXECUTION_SLOT_LEASE_SECONDS',
  /** Optional. Seconds a delivery waits in process for slots before it schedules its successor instead. Default 30. */
  executionSlotMaxWaitSeconds: 'TRIAGE_EXECUTION_SLOT_MAX_WAIT_SECONDS',
  /** Optional. Largest request body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes: 'TRIAGE_MAX_BODY_BYTES',
  /** Optional. Back-off of transient failures: first delay, longest delay, total time (ms). Default 1 s / 5 min / 1 h. */
  retryBaseMs: 'TRIAGE_RETRY_BASE_MS',
  retryMaxDelayMs: 'TRIAGE_RETRY_MAX_DELAY_MS',
  retryMaxTotalMs: 'TRIAGE_RETRY_MAX_TOTAL_MS',
  /** Optional. The reconciler's NCRONTAB schedule (default every minute) and how long without progress is stuck (default 15 min). */
  reconcileSchedule: 'TRIAGE_RECONCILE_SCHEDULE',
  reconcileStaleAfterMs: 'TRIAGE_RECONCILE_STALE_AFTER_MS',
  /** Optional. The HMAC-SHA256 key webhook deliveries are signed with; without it webhooks wait (and dead-letter). */
  webhookSecret: 'TRIAGE_WEBHOOK_SECRET',
  /** Optional. `true` lets webhooks use http and private or loopback addresses (local stacks only). Default false. */
  webhookAllowPrivate: 'TRIAGE_WEBHOOK_ALLOW_PRIVATE',
  /**
   * Optional. `true` serves the status page (`GET /api/status`) without a function key. Default false. Read
   * when the Functions are registered (an HTTP route's auth level is fixed then).
   */
  statusPageAnonymous: 'TRIAGE_STATUS_PAGE_ANONYMOUS',
  /**
   * Optional. `required` (default): every API route but health and the OpenAPI document wants a function key
   * as well as a token, and the host answers a missing key with its own bodiless 401. `off`: routes are
   * anonymous at the host and the bearer token (or EasyAuth) is the only gate, so every 401 is the app's,
   * with a problem body. Read when the Functions are registered.
   */
  functionKeys: 'TRIAGE_FUNCTION_KEYS',
  /** Optional. Where the scheduler's custom metrics go (the platform's setting; absent locally: none sent). */
  applicationInsightsConnection: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
  /** Optional. `ClientId=…;Authorization=AAD`: the metrics are sent with that managed identity, no key. */
  applicationInsightsAuthentication: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  /** Optional. Local/demo: how much faster than real time the app's clock runs (1440: a day per minute). Default 1. */
  clockSpeed: 'TRIAGE_CLOCK_SPEED',
  /** Optional. With a clock speed: the real instant the fast clock starts from (ISO), so processes agree. Default: process start. */
  clockAnchor: 'TRIAGE_CLOCK_ANCHOR',
  /** Optional. Local measurement: a file the app writes its storage operation counts to, every second (the cost model). */
  operationCountsFile: 'TRIAGE_OPERATION_COUNTS_FILE',
  /**
   * Optional. Who is asking: `token` (default; bearer tokens validated by the app), `easyauth` (App Service
   * Authentication validates them and forwards the principal) or `off` (no identity: local experiments only).
   */
  authMode: 'TRIAGE_AUTH_MODE',
  /** Required with `token`: accepted `iss` values, comma-separated (Entra ID: `https://login.microsoftonline.com/<tenant>/v2.0`). */
  authIssuer: 'TRIAGE_AUTH_ISSUER',
  /** Required with `token`: accepted `aud` values, comma-separated (the API app registration's client id). */
  authAudience: 'TRIAGE_AUTH_AUDIENCE',
  /** Required with `token`: the issuer's signing keys (Entra ID: `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`). */
  authJwksUri: 'TRIAGE_AUTH_JWKS_URI',
  /** Optional. The claim carrying a Requester's orgIds, besides the membership table. Default `triage_orgs`. */
  authOrgsClaim: 'TRIAGE_AUTH_ORGS_CLAIM',
  /** Optional. Clock skew tolerated on `exp`/`nbf`, in seconds. Default 60. */
  authClockToleranceSeconds: 'TRIAGE_AUTH_CLOCK_TOLERANCE_SECONDS',
  /** Optional. Seconds a principal's memberships are served from memory (0 = read on every call). Default 10. */
  authMembershipCacheSeconds: 'TRIAGE_AUTH_MEMBERSHIP_CACHE_SECONDS',
} as const;

export type SettingName = (typeof settingNames)[keyof typeof settingNames];

/** Suffixes of identity-based connections (the Functions convention). */
export const identitySuffixes = {
  fullyQualifiedNamespace: '__fullyQualifiedNamespace',
  tableServiceUri: '__tableServiceUri',
  blobServiceUri: '__blobServiceUri',
  serviceUri: '__serviceUri',
  credential: '__credential',
  clientId: '__clientId',
} as const;

export interface IdentityOptions {
  /** `managedidentity` selects ManagedIdentityCredential; otherwise DefaultAzureCredential. */
  credential?: string;
  clientId?: string;
}

export type ServiceBusConnectionConfig =
  | { kind: 'connectionString'; connectionString: string }
  | ({ kind: 'identity'; fullyQualifiedNamespace: string } & IdentityOptions);

export type StorageConnectionConfig =
  | { kind: 'connectionString'; connectionString: string }
  | ({ kind: 'identity'; tableServiceUri: string; blobServiceUri: string } & IdentityOptions);

/** The executor the settings select: the executors' own options, so the two cannot drift apart. */
export type ExecutorConfig = ExecutorOptions;

/** How callers are identified. */
export type AuthConfig =
  | { mode: 'off' | 'easyauth'; orgsClaim: string; membershipCacheInSeconds: number }
  | {
      mode: 'token';
      orgsClaim: string;
      membershipCacheInSeconds: number;
      issuers: string[];
      audiences: string[];
      jwksUri: string;
      clockToleranceInSeconds: number;
    };

/** The executor back-end's concurrency as a declared capacity; absent when `TRIAGE_EXECUTION_SLOTS` is 0. */
export interface ExecutionSlotsConfig {
  capacity: number;
  reserved: Record<string, number>;
  leaseDurationMs: number;
  maxWaitMs: number;
}

export interface TriageConfig {
  serviceBus: ServiceBusConnectionConfig;
  storage: StorageConnectionConfig;
  storagePrefix: string;
  batchSize: number;
  itemConcurrency: number;
  maxBodyBytes: number;
  executor: ExecutorConfig;
  executionSlots?: ExecutionSlotsConfig;
  retry: BackOffPolicy;
  /** Polling of long-running operations at the back-end. */
  operations: OperationPolicy;
  /** A non-terminal request with no progress for this long is repaired by the reconciler. */
  reconcileStaleAfterMs: number;
  webhooks: { secret?: string; allowPrivate: boolean };
  /** Application Insights for the scheduler's metrics; absent: metrics are computed and logged only. */
  telemetry?: { connectionString: string; clientId?: string; entraAuth: boolean };
  clock: { speed: number; anchorMs?: number };
  operationCountsFile?: string;
  auth: AuthConfig;
}

const rate = z.coerce.number().min(0).max(1);
const nonNegativeInt = z.coerce.number().int().min(0);
const positiveInt = z.coerce.number().int().min(1);

/**
 * Reads and validates every setting once.
 * @throws Error naming each missing or invalid setting (so a misconfigured app fails at startup, loudly).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): TriageConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  function parse<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const result = schema.safeParse(raw);
    if (!result.success) {
      problems.push(`${name}="${raw}": ${result.error.issues.map((i) => i.message).join('; ')}`);
      return fallback;
    }
    return result.data;
  }
  const identity = (prefix: string): IdentityOptions => ({
    ...(get(prefix + identitySuffixes.credential)
      ? { credential: get(prefix + identitySuffixes.credential) }
      : {}),
    ...(get(prefix + identitySuffixes.clientId) ? { clientId: get(prefix + identitySuffixes.clientId) } : {}),
  });

  const sbName = settingNames.serviceBusConnection;
  let serviceBus: ServiceBusConnectionConfig = { kind: 'connectionString', connectionString: '' };
  const sbString = get(sbName);
  const sbNamespace = get(sbName + identitySuffixes.fullyQualifiedNamespace);
  if (sbString) serviceBus = { kind: 'connectionString', connectionString: sbString };
  else if (sbNamespace)
    serviceBus = { kind: 'identity', fullyQualifiedNamespace: sbNamespace, ...identity(sbName) };
  else
    problems.push(
      `${sbName} (a connection string) or ${sbName}${identitySuffixes.fullyQualifiedNamespace} is missing`,
    );

  const stName = settingNames.storageConnection;
  let storage: StorageConnectionConfig = { kind: 'connectionString', connectionString: '' };
  const stString = get(stName);
  const serviceUri = get(stName + identitySuffixes.serviceUri);
  const tableUri = get(stName + identitySuffixes.tableServiceUri) ?? serviceUri?.replace('.blob.', '.table.');
  const blobUri = get(stName + identitySuffixes.blobServiceUri) ?? serviceUri;
  if (stString) storage = { kind: 'connectionString', connectionString: stString };
  else if (tableUri && blobUri)
    storage = { kind: 'identity', tableServiceUri: tableUri, blobServiceUri: blobUri, ...identity(stName) };
  else
    problems.push(
      `${stName} (a connection string) or ${stName}${identitySuffixes.tableServiceUri} and ${stName}${identitySuffixes.blobServiceUri} are missing`,
    );

  const executorType = parse(settingNames.executorType, z.enum(['simulated', 'http']), 'simulated' as const);
  let executor: ExecutorConfig;
  if (executorType === 'http') {
    const url = parse(settingNames.executorUrl, z.url(), '');
    if (!url && !problems.some((p) => p.startsWith(settingNames.executorUrl)))
      problems.push(
        `${settingNames.executorUrl} is missing (required when ${settingNames.executorType}=http)`,
      );
    executor = {
      type: 'http',
      url,
      timeoutMs: parse(settingNames.executorTimeoutMs, positiveInt, 10_000),
      maxAttempts: parse(settingNames.executorMaxAttempts, positiveInt, 3),
      backoffMs: parse(settingNames.executorBackoffMs, nonNegativeInt, 200),
    };
  } else {
    const min = parse(settingNames.executorLatencyMinMs, nonNegativeInt, 5);
    const max = parse(settingNames.executorLatencyMaxMs, nonNegativeInt, Math.max(min, 50));
    if (max < min)
      problems.push(
        `${settingNames.executorLatencyMaxMs} (${max}) is below ${settingNames.executorLatencyMinMs} (${min})`,
      );
    executor = {
      type: 'simulated',
      seed: parse(settingNames.executorSeed, z.coerce.number().int(), 42),
      latencyMs: { min, max },
      transientFailureRate: parse(settingNames.executorTransientFailureRate, rate, 0),
      permanentFailureRate: parse(settingNames.executorPermanentFailureRate, rate, 0),
      capacity: parse(settingNames.executorCapacity, nonNegativeInt, 0),
      operationMs: parse(settingNames.executorOperationMs, nonNegativeInt, 0),
    };
  }

  const auth = loadAuth(get, parse, problems);

  const firstTier = [...topology.tiers].sort((a, b) => a.rank - b.rank)[0]?.name ?? 'health';
  const slots = parse(settingNames.executionSlots, z.coerce.number().int().min(0).max(100_000), 64);
  const reserved = parse(
    settingNames.executionSlotsReserved,
    z
      .string()
      .transform((text, c) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          c.addIssue({ code: 'custom', message: 'not JSON' });
          return z.NEVER;
        }
      })
      .pipe(
        z.partialRecord(
          z.enum(topology.tiers.map((t) => t.name) as [string, ...string[]]),
          z.number().int().min(0),
        ),
      )
      .transform((r) => r as Record<string, number>),
    // By default the first tier keeps one batch's worth (16) of a quarter of the slots, whichever is less.
    { [firstTier]: Math.min(16, Math.floor(slots / 4)) } as Record<string, number>,
  );
  const reservedTotal = Object.values(reserved).reduce((sum, n) => sum + n, 0);
  if (slots > 0 && reservedTotal > slots) {
    problems.push(
      `${settingNames.executionSlotsReserved} reserves ${reservedTotal} slots, more than ${settingNames.executionSlots} (${slots})`,
    );
  }
  const leaseSeconds = parse(settingNames.executionSlotLeaseSeconds, z.coerce.number().min(1).max(3600), 15);
  const maxWaitSeconds = parse(
    settingNames.executionSlotMaxWaitSeconds,
    z.coerce.number().min(0).max(240),
    30,
  );

  const config: TriageConfig = {
    serviceBus,
    storage,
    storagePrefix: parse(
      settingNames.storagePrefix,
      z.string().regex(/^[a-z][a-z0-9]{0,15}$/, 'lower-case letters and digits, up to 16'),
      '',
    ),
    batchSize: parse(settingNames.batchSize, z.coerce.number().int().min(1).max(10_000), 100),
    itemConcurrency: parse(settingNames.itemConcurrency, z.coerce.number().int().min(1).max(256), 16),
    maxBodyBytes: parse(
      settingNames.maxBodyBytes,
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(100 * 1024 * 1024),
      4 * 1024 * 1024,
    ),
    executor,
    ...(slots > 0
      ? {
          executionSlots: {
            capacity: slots,
            reserved,
            leaseDurationMs: leaseSeconds * 1000,
            maxWaitMs: maxWaitSeconds * 1000,
          },
        }
      : {}),
    retry: {
      baseDelayMs: parse(settingNames.retryBaseMs, positiveInt, defaultBackOff.baseDelayMs),
      maxDelayMs: parse(settingNames.retryMaxDelayMs, positiveInt, defaultBackOff.maxDelayMs),
      maxTotalMs: parse(settingNames.retryMaxTotalMs, positiveInt, defaultBackOff.maxTotalMs),
    },
    operations: {
      ...defaultOperationPolicy,
      defaultPollMs: parse(
        settingNames.executorPollIntervalMs,
        positiveInt,
        defaultOperationPolicy.defaultPollMs,
      ),
      deadlineMs: parse(settingNames.executorDeadlineMs, positiveInt, defaultOperationPolicy.deadlineMs),
    },
    reconcileStaleAfterMs: parse(settingNames.reconcileStaleAfterMs, positiveInt, 15 * 60_000),
    ...(get(settingNames.operationCountsFile)
      ? { operationCountsFile: get(settingNames.operationCountsFile) }
      : {}),
    clock: {
      speed: parse(settingNames.clockSpeed, z.coerce.number().min(1).max(1_000_000), 1),
      ...(get(settingNames.clockAnchor)
        ? {
            anchorMs: parse(
              settingNames.clockAnchor,
              z.iso.datetime({ offset: true }).transform((t) => Date.parse(t)),
              Date.now(),
            ),
          }
        : {}),
    },
    webhooks: {
      ...(get(settingNames.webhookSecret) ? { secret: get(settingNames.webhookSecret) } : {}),
      allowPrivate: parse(settingNames.webhookAllowPrivate, z.enum(['true', 'false']), 'false') === 'true',
    },
    auth,
  };
  const telemetryConnection = get(settingNames.applicationInsightsConnection);
  if (telemetryConnection) {
    const auth = get(settingNames.applicationInsightsAuthentication) ?? '';
    const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(auth)?.[1]?.trim();
    config.telemetry = {
      connectionString: telemetryConnection,
      entraAuth: /Authorization=AAD/i.test(auth),
      ...(clientId ? { clientId } : {}),
    };
  }
  if (config.webhooks.secret !== undefined && config.webhooks.secret.length < 16) {
    problems.push(`${settingNames.webhookSecret} is shorter than 16 characters`);
  }
  if (problems.length > 0) {
    throw new Error(`Triage configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/** The TRIAGE_AUTH_* settings; problems are collected with the others. */
function loadAuth(
  get: (name: string) => string | undefined,
  parse: <T>(name: string, schema: z.ZodType<T>, fallback: T) => T,
  problems: string[],
): AuthConfig {
  const mode = parse(settingNames.authMode, z.enum(['token', 'easyauth', 'off']), 'token' as const);
  const orgsClaim = parse(
    settingNames.authOrgsClaim,
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:/-]{0,127}$/, 'a claim name'),
    'triage_orgs',
  );
  const membershipCacheInSeconds = parse(
    settingNames.authMembershipCacheSeconds,
    z.coerce.number().int().min(0).max(3600),
    10,
  );
  if (mode !== 'token') return { mode, orgsClaim, membershipCacheInSeconds };
  const list = (name: string, item: z.ZodType<string>): string[] => {
    const raw = get(name);
    if (raw === undefined) {
      problems.push(`${name} is missing (required when ${settingNames.authMode}=token)`);
      return [];
    }
    const items = raw
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
    const bad = items.filter((value) => !item.safeParse(value).success);
    if (items.length === 0 || bad.length > 0)
      problems.push(`${name}="${raw}": expected a comma-separated list`);
    return items;
  };
  const issuers = list(settingNames.authIssuer, z.url());
  const audiences = list(settingNames.authAudience, z.string().min(1).max(400));
  const jwksUri = parse(settingNames.authJwksUri, z.url(), '');
  if (!jwksUri && !problems.some((p) => p.startsWith(settingNames.authJwksUri))) {
    problems.push(`${settingNames.authJwksUri} is missing (required when ${settingNames.authMode}=token)`);
  }
  return {
    mode,
    orgsClaim,
    membershipCacheInSeconds,
    issuers,
    audiences,
    jwksUri,
    clockToleranceInSeconds: parse(
      settingNames.authClockToleranceSeconds,
      z.coerce.number().int().min(0).max(600),
      60,
    ),
  };
}
