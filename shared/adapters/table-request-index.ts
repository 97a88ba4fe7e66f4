import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { ListRequestsFilter } from '../app/ports/stores';
import { odataAnd, odataEquals } from '../domain/odata';
import type { RequestRecord } from '../domain/records';
import { addToTotals, mergeTotals, type TotalsByTier } from '../domain/request-totals';
import type { RequestKind } from '../domain/requests';
import type { RequestStatus } from '../domain/status';

/** The day directory's partition: one row per day that has requests. */
const DAYS = 'days';
/** A day's cached totals; `~` sorts after every index row's key, so listing queries stop before it. */
const SUMMARY = '~summary';
/** Day partitions one listing call walks at most before it answers with a token. */
const maxDaysPerPage = 31;
const maxRowKeyTime = 9_999_999_999_999;

/** The index row's key: newest first within a day (inverted creation time), the id keeps it unique. */
export function timeRowKey(createdAt: string, id: string): string {
  return `${String(maxRowKeyTime - Date.parse(createdAt)).padStart(13, '0')}-${id}`;
}
const dayOf = (createdAt: string): string => createdAt.slice(0, 10);

interface Cursor {
  day: string;
  table?: string;
}
const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
function decodeCursor(token: string): Cursor {
  const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
  if (typeof parsed.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(parsed.day))
    throw new TypeError('not a listing token');
  return parsed;
}

export interface IndexedRequest {
  id: string;
  status: RequestStatus;
}

/**
 * The requests in creation order, newest first, and their totals per tier and status, without reading
 * every request. One partition per UTC creation day holds a row per request (`{inverted ms}-{id}`, with
 * its tier, status, kind and counters) and the day's cached totals (`~summary`). Every write of a request
 * merges its row and marks the summary stale in one entity-group transaction (same partition, no ETag:
 * writers never contend); reading the totals recounts only the days marked stale since they were last
 * counted, and writes the count back only if no writer marked it stale meanwhile (its ETag).
 */
export class TableRequestIndex {
  private readonly knownDays = new Set<string>();

  constructor(private readonly table: TableClient) {}

  /** Writes (or refreshes) a request's row; the caller's write already succeeded. */
  async record(r: RequestRecord): Promise<void> {
    const day = dayOf(r.createdAt);
    const actions: TransactionAction[] = [
      [
        'upsert',
        {
          partitionKey: day,
          rowKey: timeRowKey(r.createdAt, r.id),
          Id: r.id,
          OrgId: r.orgId,
          Kind: r.kind,
          Tier: r.tier,
          Status: r.status,
          CreatedAt: r.createdAt,
          Total: r.total,
          Succeeded: r.succeeded,
          Failed: r.failed,
        },
        'Merge',
      ],
      ['upsert', { partitionKey: day, rowKey: SUMMARY, Stale: true }, 'Merge'],
    ];
    await this.table.submitTransaction(actions);
    if (!this.knownDays.has(day)) {
      await this.table.upsertEntity({ partitionKey: DAYS, rowKey: day }, 'Merge');
      this.knownDays.add(day);
    }
  }

  /** Days that have requests, newest first (one small partition). */
  private async days(): Promise<string[]> {
    const days: string[] = [];
    const filter = odataEquals('PartitionKey', DAYS);
    for await (const e of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      days.push(e.rowKey as string);
    return days.sort().reverse();
  }

  /**
   * One page of the index, newest first, filtered server-side on what the rows carry.
   * @throws TypeError for a token that is not from a previous page.
   */
  async list(
    filter: ListRequestsFilter,
    limit: number,
    continuationToken?: string,
  ): Promise<{ items: IndexedRequest[]; continuationToken?: string }> {
    const cursor = continuationToken ? decodeCursor(continuationToken) : undefined;
    const days = (await this.days()).filter((d) => !cursor || d <= cursor.day);
    const clauses = [`RowKey lt '~'`];
    if (filter.orgId) clauses.push(odataEquals('OrgId', filter.orgId));
    if (filter.tier) clauses.push(odataEquals('Tier', filter.tier));
    if (filter.status) clauses.push(odataEquals('Status', filter.status));
    if (filter.kind) clauses.push(odataEquals('Kind', filter.kind));
    const items: IndexedRequest[] = [];
    for (const [walked, day] of days.entries()) {
      if (walked === maxDaysPerPage || items.length === limit)
        return { items, continuationToken: encodeCursor({ day }) };
      const tableToken = cursor?.day === day ? cursor.table : undefined;
      const page = await this.table
        .listEntities<Record<string, unknown>>({
          queryOptions: { filter: odataAnd(odataEquals('PartitionKey', day), ...clauses) },
        })
        .byPage({
          maxPageSize: limit - items.length,
          ...(tableToken ? { continuationToken: tableToken } : {}),
        })
        .next();
      if (page.done || !page.value) continue;
      for (const e of page.value) items.push({ id: e.Id as string, status: e.Status as RequestStatus });
      if (page.value.continuationToken)
        return { items, continuationToken: encodeCursor({ day, table: page.value.continuationToken }) };
    }
    return { items };
  }

  /** Totals per tier and status over every request indexed: cached per day, recounted where stale. */
  async totals(): Promise<TotalsByTier> {
    const days = await this.days();
    const perDay: TotalsByTier[] = [];
    for (let i = 0; i < days.length; i += 8)
      perDay.push(...(await Promise.all(days.slice(i, i + 8).map((day) => this.dayTotals(day)))));
    return mergeTotals(perDay);
  }

  private async dayTotals(day: string): Promise<TotalsByTier> {
    let summary: TableEntityResult<Record<string, unknown>> | null = null;
    try {
      summary = await this.table.getEntity<Record<string, unknown>>(day, SUMMARY);
    } catch (err: unknown) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
    if (summary && summary.Stale === false && typeof summary.Counts === 'string')
      return JSON.parse(summary.Counts) as TotalsByTier;
    const counted: TotalsByTier = {};
    const filter = odataAnd(odataEquals('PartitionKey', day), `RowKey lt '~'`);
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      addToTotals(counted, {
        tier: e.Tier as string,
        status: e.Status as RequestStatus,
        kind: e.Kind as RequestKind,
        total: Number(e.Total ?? 0),
        succeeded: Number(e.Succeeded ?? 0),
        failed: Number(e.Failed ?? 0),
        createdAt: e.CreatedAt as string,
      });
    }
    const entity = { partitionKey: day, rowKey: SUMMARY, Stale: false, Counts: JSON.stringify(counted) };
    try {
      // Only if no writer marked the day stale since it was read: otherwise the next reader counts again.
      if (summary?.etag) await this.table.updateEntity(entity, 'Replace', { etag: summary.etag });
      else await this.table.createEntity(entity);
    } catch (err: unknown) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 412 && status !== 409) throw err;
    }
    return counted;
  }
}
