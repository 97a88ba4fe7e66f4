import type { TableClient, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { PoolChanges, PoolStore } from '../app/ports/pools';
import { isTriageError, TriageError } from '../domain/errors';
import { odataAnd, odataEquals } from '../domain/odata';
import type { CapacityPolicy } from '../domain/scheduling/capacity';
import {
  maxClaimChangesPerCommit,
  type ClaimState,
  type PoolClaimRecord,
  type PoolLedger,
} from '../domain/scheduling/pool-claims';
import { isNotFound, mapStorageError, orNull } from './storage-errors';

const LEDGER = 'ledger';
const INDEX = 'index';
const RESOURCE = 'resource';
const partitionOf = (poolId: string): string => `pool-${poolId}`;
const claimKey = (requestId: string): string => `claim-${requestId}`;
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' ? v : v === undefined || v === '' ? fallback : Number(v);
const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' && v !== '' ? (JSON.parse(v) as T) : fallback;

function encodeLedger(l: PoolLedger): TableEntity {
  return {
    partitionKey: partitionOf(l.pool.poolId),
    rowKey: LEDGER,
    PoolId: l.pool.poolId,
    ResourceType: l.pool.resourceType,
    Region: l.pool.region,
    Capacity: l.pool.capacity,
    Reserved: JSON.stringify(l.pool.reserved),
    Policy: l.pool.policy,
    Schedule: JSON.stringify(l.pool.schedule),
    Summary: JSON.stringify(l.summary),
    Version: l.version,
    ForecastVersion: l.forecastVersion,
    ForecastLeaseUntilMs: l.forecastLeaseUntilMs,
    NextPromotionAtMs: l.nextPromotionAtMs ?? -1,
  };
}

function decodeLedger(e: TableEntityResult<Record<string, unknown>>): PoolLedger {
  return {
    pool: {
      poolId: e.PoolId as string,
      resourceType: e.ResourceType as string,
      region: e.Region as string,
      capacity: num(e.Capacity),
      reserved: json(e.Reserved, {}),
      policy: e.Policy as CapacityPolicy,
      schedule: json(e.Schedule, []),
    },
    summary: json(e.Summary, { usedByTier: {}, waitingByTier: {}, admittedNotStarted: 0 }),
    version: num(e.Version),
    forecastVersion: num(e.ForecastVersion),
    forecastLeaseUntilMs: num(e.ForecastLeaseUntilMs),
    nextPromotionAtMs: num(e.NextPromotionAtMs, -1) >= 0 ? num(e.NextPromotionAtMs) : null,
    ...(e.etag ? { etag: e.etag } : {}),
  };
}

/** The forecast and notification columns: what `writeForecast` may change. */
function forecastColumns(c: PoolClaimRecord): Record<string, unknown> {
  return {
    Position: c.position ?? -1,
    AheadByTier: c.aheadByTier ? JSON.stringify(c.aheadByTier) : '',
    // -1: no forecast yet; -2: the forecast is "no ETA".
    EtaMs: c.etaMs === undefined ? -1 : c.etaMs === null ? -2 : c.etaMs,
    EtaComputedAtMs: c.etaComputedAtMs ?? -1,
    Reason: (c.reason ?? '').slice(0, 2000),
    NotifiedDeferral: c.notifiedDeferral ?? false,
    NotifiedEtaMs: c.notifiedEtaMs === undefined ? -1 : c.notifiedEtaMs === null ? -2 : c.notifiedEtaMs,
    Promotions: c.promotions ?? 0,
  };
}

function encodeClaim(poolId: string, c: PoolClaimRecord): TableEntity {
  return {
    partitionKey: partitionOf(poolId),
    rowKey: claimKey(c.requestId),
    RequestId: c.requestId,
    OrgId: c.orgId,
    Tier: c.tier,
    Quantity: c.quantity,
    ArrivedAtMs: c.arrivedAtMs,
    HoldUntilMs: c.holdUntilMs ?? -1,
    State: c.state,
    AdmittedAtMs: c.admittedAtMs ?? -1,
    ...forecastColumns(c),
  };
}

const optionalMs = (v: unknown): number | null | undefined => {
  const n = num(v, -1);
  return n === -1 ? undefined : n === -2 ? null : n;
};

function decodeClaim(e: TableEntityResult<Record<string, unknown>>): PoolClaimRecord {
  const claim: PoolClaimRecord = {
    requestId: e.RequestId as string,
    orgId: e.OrgId as string,
    tier: e.Tier as string,
    quantity: num(e.Quantity),
    arrivedAtMs: num(e.ArrivedAtMs),
    state: e.State as ClaimState,
    notifiedDeferral: e.NotifiedDeferral === true,
    promotions: num(e.Promotions),
  };
  if (num(e.HoldUntilMs, -1) >= 0) claim.holdUntilMs = num(e.HoldUntilMs);
  if (num(e.AdmittedAtMs, -1) >= 0) claim.admittedAtMs = num(e.AdmittedAtMs);
  if (num(e.Position, -1) >= 0) claim.position = num(e.Position);
  if (typeof e.AheadByTier === 'string' && e.AheadByTier) claim.aheadByTier = json(e.AheadByTier, {});
  const eta = optionalMs(e.EtaMs);
  if (eta !== undefined) claim.etaMs = eta;
  if (num(e.EtaComputedAtMs, -1) >= 0) claim.etaComputedAtMs = num(e.EtaComputedAtMs);
  if (typeof e.Reason === 'string' && e.Reason) claim.reason = e.Reason;
  const told = optionalMs(e.NotifiedEtaMs);
  if (told !== undefined) claim.notifiedEtaMs = told;
  if (e.etag) claim.etag = e.etag;
  return claim;
}

/**
 * The `pools` table: PartitionKey `pool-<id>` holds the ledger (RowKey `ledger`) and one row per claim
 * (`claim-<requestId>`); PartitionKey `index` lists the pools, `resource` maps `<type>@<region>` to a pool.
 */
export class TablePoolStore implements PoolStore {
  constructor(private readonly table: TableClient) {}

  async findByResource(resourceType: string, region: string): Promise<string | null> {
    const e = await orNull(
      this.table.getEntity<Record<string, unknown>>(RESOURCE, `${resourceType}@${region}`),
    );
    return e ? (e.PoolId as string) : null;
  }

  async getLedger(poolId: string): Promise<PoolLedger | null> {
    const e = await orNull(this.table.getEntity<Record<string, unknown>>(partitionOf(poolId), LEDGER));
    return e ? decodeLedger(e) : null;
  }

  async listLedgers(): Promise<PoolLedger[]> {
    const ids: string[] = [];
    const filter = odataEquals('PartitionKey', INDEX);
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      ids.push(e.rowKey as string);
    }
    const ledgers = await Promise.all(ids.sort().map((id) => this.getLedger(id)));
    return ledgers.filter((l): l is PoolLedger => l !== null);
  }

  async create(ledger: PoolLedger): Promise<PoolLedger> {
    const { poolId, resourceType, region } = ledger.pool;
    const resource = `${resourceType}@${region}`;
    try {
      await this.table.createEntity({ partitionKey: RESOURCE, rowKey: resource, PoolId: poolId });
    } catch (err: unknown) {
      // A create that stopped half-way left this row pointing at the same pool: carry on.
      if ((await this.findByResource(resourceType, region)) !== poolId) {
        throw new TriageError('conflict', `${resource} already has a pool`, { cause: err });
      }
    }
    let created: PoolLedger;
    try {
      const response = await this.table.createEntity(encodeLedger(ledger));
      created = { ...ledger, ...(response.etag ? { etag: response.etag } : {}) };
    } catch (err: unknown) {
      mapStorageError(err, `pool ${poolId}`);
    }
    await this.table.upsertEntity({ partitionKey: INDEX, rowKey: poolId, Resource: resource }, 'Replace');
    return created;
  }

  async listClaims(poolId: string): Promise<PoolClaimRecord[]> {
    const filter = odataAnd(
      odataEquals('PartitionKey', partitionOf(poolId)),
      `RowKey ge 'claim-' and RowKey lt 'claim.'`,
    );
    const claims: PoolClaimRecord[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      claims.push(decodeClaim(e));
    }
    return claims;
  }

  async getClaim(poolId: string, requestId: string): Promise<PoolClaimRecord | null> {
    const e = await orNull(
      this.table.getEntity<Record<string, unknown>>(partitionOf(poolId), claimKey(requestId)),
    );
    return e ? decodeClaim(e) : null;
  }

  async commit(ledger: PoolLedger, changes: PoolChanges): Promise<PoolLedger> {
    const poolId = ledger.pool.poolId;
    const put = changes.put ?? [];
    const remove = changes.remove ?? [];
    if (put.length + remove.length > maxClaimChangesPerCommit) {
      throw new RangeError(`a commit holds at most ${maxClaimChangesPerCommit} claim changes`);
    }
    if (!ledger.etag) throw new TypeError(`pool ${poolId}: read the ledger before committing`);
    const actions: TransactionAction[] = [
      ['update', encodeLedger(ledger), 'Replace', { etag: ledger.etag }],
      ...put.map((c): TransactionAction => ['upsert', encodeClaim(poolId, c), 'Replace']),
      ...remove.map((id): TransactionAction => [
        'delete',
        { partitionKey: partitionOf(poolId), rowKey: claimKey(id) },
      ]),
    ];
    try {
      const response = await this.table.submitTransaction(actions);
      const etag = response.subResponses[0]?.etag;
      return { ...ledger, ...(etag ? { etag } : {}) };
    } catch (err: unknown) {
      return mapStorageError(err, `pool ${poolId}`);
    }
  }

  async writeForecast(poolId: string, claims: PoolClaimRecord[]): Promise<string[]> {
    const stale: string[] = [];
    const update = (c: PoolClaimRecord): TransactionAction => {
      const entity = {
        partitionKey: partitionOf(poolId),
        rowKey: claimKey(c.requestId),
        ...forecastColumns(c),
      };
      return c.etag ? ['update', entity, 'Merge', { etag: c.etag }] : ['update', entity, 'Merge'];
    };
    for (let start = 0; start < claims.length; start += 100) {
      const chunk = claims.slice(start, start + 100);
      try {
        await this.table.submitTransaction(chunk.map(update));
      } catch (err: unknown) {
        const mapped = captureConflict(err);
        if (!mapped) throw err;
        // One row changed (or left the line) since it was read: write the others one by one.
        for (const c of chunk) {
          try {
            await this.table.submitTransaction([update(c)]);
          } catch (rowErr: unknown) {
            if (!captureConflict(rowErr)) throw rowErr;
            stale.push(c.requestId);
          }
        }
      }
    }
    return stale;
  }
}

/** True for a stale ETag or a row that no longer exists: the forecast of that claim is simply not written. */
function captureConflict(err: unknown): boolean {
  if (isNotFound(err)) return true;
  try {
    mapStorageError(err, 'claim');
  } catch (mapped: unknown) {
    return isTriageError(mapped, 'concurrency') || isTriageError(mapped, 'not-found');
  }
  return false;
}
