import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { HoldStore } from '../app/ports/holds';
import type { Hold, HoldScope, ParkedWork, RunningWork } from '../domain/holds';
import { odataEquals } from '../domain/odata';
import { isNotFound } from './storage-errors';

type Entity = TableEntityResult<Record<string, unknown>>;

const HOLDS = 'holds';
const PARKED = 'parked';
// The running registry is written at every batch start and end: one partition per tier keeps tier-4
// writes off tier 1's partition, and a tier's drain report is a one-partition read.
const runningPartition = (tier: string): string => `running-${tier}`;
const holdKey = (scope: HoldScope, target: string): string => `${scope}-${target}`;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function decodeHold(e: Entity): Hold {
  return {
    scope: e.Scope as HoldScope,
    target: str(e.Target),
    reason: str(e.Reason),
    heldBy: { id: str(e.HeldById), name: str(e.HeldByName) },
    since: str(e.Since),
  };
}

function decodeParked(e: Entity): ParkedWork {
  return {
    key: str(e.rowKey),
    requestId: str(e.RequestId),
    tier: str(e.Tier),
    orgId: str(e.OrgId),
    message: JSON.parse(str(e.Message) || '{}') as ParkedWork['message'],
    parkedAt: str(e.ParkedAt),
    ...(Number(e.OperationsInProgress) > 0 ? { operationsInProgress: Number(e.OperationsInProgress) } : {}),
  };
}

function decodeRunning(e: Entity): RunningWork {
  return {
    key: str(e.rowKey),
    kind: e.Kind === 'provision' ? 'provision' : 'batch',
    requestId: str(e.RequestId),
    ...(typeof e.BatchNumber === 'number' ? { batchNumber: e.BatchNumber } : {}),
    tier: str(e.Tier),
    orgId: str(e.OrgId),
    itemsLeft: typeof e.ItemsLeft === 'number' ? e.ItemsLeft : 0,
    concurrency: typeof e.Concurrency === 'number' ? e.Concurrency : 1,
    startedAt: str(e.StartedAt),
    heartbeatAt: str(e.HeartbeatAt),
  };
}

/**
 * Table `holds`: partition `holds` (one row per hold, `tier-{name}` / `org-{id}`), partition `parked` (one
 * row per parked piece of work) and `running-{tier}` (the batches and provisionings executing now).
 */
export class TableHoldStore implements HoldStore {
  constructor(private readonly table: TableClient) {}

  private async partition(partitionKey: string): Promise<Entity[]> {
    return this.query(odataEquals('PartitionKey', partitionKey));
  }

  private async query(filter: string): Promise<Entity[]> {
    const out: Entity[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push(e);
    }
    return out;
  }

  async listHolds(): Promise<Hold[]> {
    return (await this.partition(HOLDS)).map(decodeHold);
  }

  async getHold(scope: HoldScope, target: string): Promise<Hold | null> {
    try {
      return decodeHold(await this.table.getEntity(HOLDS, holdKey(scope, target)));
    } catch (err: unknown) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async putHold(hold: Hold): Promise<Hold> {
    await this.table.upsertEntity(
      {
        partitionKey: HOLDS,
        rowKey: holdKey(hold.scope, hold.target),
        Scope: hold.scope,
        Target: hold.target,
        Reason: hold.reason,
        HeldById: hold.heldBy.id,
        HeldByName: hold.heldBy.name,
        Since: hold.since,
      },
      'Replace',
    );
    return hold;
  }

  async removeHold(scope: HoldScope, target: string): Promise<boolean> {
    return this.deleteIfThere(HOLDS, holdKey(scope, target));
  }

  async park(work: ParkedWork): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: PARKED,
        rowKey: work.key,
        RequestId: work.requestId,
        Tier: work.tier,
        OrgId: work.orgId,
        Message: JSON.stringify(work.message),
        ParkedAt: work.parkedAt,
        OperationsInProgress: work.operationsInProgress ?? 0,
      },
      'Replace',
    );
  }

  async listParked(): Promise<ParkedWork[]> {
    return (await this.partition(PARKED)).map(decodeParked);
  }

  async unpark(key: string): Promise<boolean> {
    return this.deleteIfThere(PARKED, key);
  }

  async markRunning(work: RunningWork): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: runningPartition(work.tier),
        rowKey: work.key,
        Kind: work.kind,
        RequestId: work.requestId,
        ...(work.batchNumber !== undefined ? { BatchNumber: work.batchNumber } : {}),
        Tier: work.tier,
        OrgId: work.orgId,
        ItemsLeft: work.itemsLeft,
        Concurrency: work.concurrency,
        StartedAt: work.startedAt,
        HeartbeatAt: work.heartbeatAt,
      },
      'Replace',
    );
  }

  async clearRunning(work: Pick<RunningWork, 'key' | 'tier'>): Promise<void> {
    await this.deleteIfThere(runningPartition(work.tier), work.key);
  }

  async listRunning(): Promise<RunningWork[]> {
    // Every tier's partition in one range query ('.' sorts right after '-').
    const rows = await this.query(`PartitionKey ge 'running-' and PartitionKey lt 'running.'`);
    return rows.map(decodeRunning);
  }

  private async deleteIfThere(partitionKey: string, rowKey: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(partitionKey, rowKey);
      return true;
    } catch (err: unknown) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
