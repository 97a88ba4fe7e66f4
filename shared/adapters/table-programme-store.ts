import type { TableClient, TableEntity, TableEntityResult } from '@azure/data-tables';
import type {
  DayRecord,
  ProgrammeState,
  ProgrammeStore,
  StoredPlan,
  WaveEntry,
} from '../app/ports/programme';
import { odataAnd, odataEquals } from '../domain/odata';
import type { LocalDate } from '../domain/scheduling/local-date';
import type { ProgrammeClaimRecord } from '../domain/scheduling/programme-claims';
import { mapStorageError, orNull } from './storage-errors';

const STATE = 'state';
const CLAIMS = 'claims';
const DAYS = 'days';
const PLAN = 'plan';
const CURRENT = 'current';
/** A string property holds at most 64 KiB: larger JSON is split across numbered properties. */
const chunkChars = 30_000;
const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' && v !== '' ? (JSON.parse(v) as T) : fallback;
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' ? v : v === undefined || v === '' ? fallback : Number(v);
const claimKey = (orgId: string, requestId: string): string => `${orgId}|${requestId}`;
const prefixRange = (prefix: string): string =>
  `RowKey ge '${prefix}' and RowKey lt '${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}'`;

function splitJson(name: string, value: unknown): Record<string, string | number> {
  const text = JSON.stringify(value);
  const out: Record<string, string | number> = { [`${name}Parts`]: Math.ceil(text.length / chunkChars) };
  for (let i = 0; i * chunkChars < text.length; i++)
    out[`${name}${i}`] = text.slice(i * chunkChars, (i + 1) * chunkChars);
  return out;
}
function joinJson<T>(e: Record<string, unknown>, name: string, fallback: T): T {
  const parts = num(e[`${name}Parts`]);
  if (parts === 0) return fallback;
  let text = '';
  for (let i = 0; i < parts; i++) text += String(e[`${name}${i}`] ?? '');
  return JSON.parse(text) as T;
}

function encodeClaim(c: ProgrammeClaimRecord): TableEntity {
  return {
    partitionKey: CLAIMS,
    rowKey: claimKey(c.orgId, c.requestId),
    RequestId: c.requestId,
    OrgId: c.orgId,
    Tier: c.tier,
    ArrivedAtMs: c.arrivedAtMs,
    Mailboxes: c.mailboxes,
    Bytes: c.bytes,
    MaterializedMailboxes: c.materializedMailboxes,
    MaterializedBytes: c.materializedBytes,
    Ready: c.ready,
    ReadinessReason: (c.readinessReason ?? '').slice(0, 2000),
    ...splitJson('Schedule', c.schedule ?? null),
    NotifiedScheduled: c.notifiedScheduled ?? false,
    NotifiedStart: c.notifiedStart ?? '',
    NotifiedFinish: c.notifiedFinish ?? '',
  };
}

function decodeClaim(e: TableEntityResult<Record<string, unknown>>): ProgrammeClaimRecord {
  const schedule = joinJson<ProgrammeClaimRecord['schedule'] | null>(e, 'Schedule', null);
  const claim: ProgrammeClaimRecord = {
    requestId: e.RequestId as string,
    orgId: e.OrgId as string,
    tier: e.Tier as string,
    arrivedAtMs: num(e.ArrivedAtMs),
    mailboxes: num(e.Mailboxes),
    bytes: num(e.Bytes),
    materializedMailboxes: num(e.MaterializedMailboxes),
    materializedBytes: num(e.MaterializedBytes),
    ready: e.Ready === true,
    notifiedScheduled: e.NotifiedScheduled === true,
  };
  if (typeof e.ReadinessReason === 'string' && e.ReadinessReason) claim.readinessReason = e.ReadinessReason;
  if (schedule) claim.schedule = schedule;
  if (typeof e.NotifiedStart === 'string' && e.NotifiedStart) claim.notifiedStart = e.NotifiedStart;
  if (typeof e.NotifiedFinish === 'string' && e.NotifiedFinish) claim.notifiedFinish = e.NotifiedFinish;
  if (e.etag) claim.etag = e.etag;
  return claim;
}

/**
 * The `programme` table: the state (calendar and planning versions) in one row, the claims in one
 * partition keyed `<orgId>|<requestId>`, each day's wave in its own partition, per-day actuals, and the
 * last plan's summary.
 */
export class TableProgrammeStore implements ProgrammeStore {
  constructor(private readonly table: TableClient) {}

  private getEntity(pk: string, rk: string): Promise<TableEntityResult<Record<string, unknown>> | null> {
    return orNull(this.table.getEntity<Record<string, unknown>>(pk, rk));
  }

  private async list(filter: string): Promise<Array<TableEntityResult<Record<string, unknown>>>> {
    const out: Array<TableEntityResult<Record<string, unknown>>> = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(e);
    return out;
  }

  /** Creates when there is no etag, replaces when the etag still matches. */
  private async write(
    entity: TableEntity,
    etag: string | undefined,
    what: string,
  ): Promise<string | undefined> {
    try {
      const response = etag
        ? await this.table.updateEntity(entity, 'Replace', { etag })
        : await this.table.createEntity(entity);
      return response.etag;
    } catch (err: unknown) {
      return mapStorageError(err, what);
    }
  }

  async getState(): Promise<ProgrammeState | null> {
    const e = await this.getEntity(STATE, CURRENT);
    if (!e) return null;
    return {
      calendar: joinJson(e, 'Calendar', null as never),
      planVersion: num(e.PlanVersion),
      plannedVersion: num(e.PlannedVersion),
      planLeaseUntilMs: num(e.PlanLeaseUntilMs),
      lastWaveDate: typeof e.LastWaveDate === 'string' && e.LastWaveDate ? e.LastWaveDate : null,
      ...(e.etag ? { etag: e.etag } : {}),
    };
  }

  async putState(state: ProgrammeState): Promise<ProgrammeState> {
    const etag = await this.write(
      {
        partitionKey: STATE,
        rowKey: CURRENT,
        ...splitJson('Calendar', state.calendar),
        PlanVersion: state.planVersion,
        PlannedVersion: state.plannedVersion,
        PlanLeaseUntilMs: state.planLeaseUntilMs,
        LastWaveDate: state.lastWaveDate ?? '',
      },
      state.etag,
      'the programme',
    );
    return { ...state, ...(etag ? { etag } : {}) };
  }

  async listClaims(): Promise<ProgrammeClaimRecord[]> {
    return (await this.list(odataEquals('PartitionKey', CLAIMS))).map(decodeClaim);
  }

  async listOrgClaims(orgId: string): Promise<ProgrammeClaimRecord[]> {
    return (await this.list(odataAnd(odataEquals('PartitionKey', CLAIMS), prefixRange(`${orgId}|`)))).map(
      decodeClaim,
    );
  }

  async getClaim(orgId: string, requestId: string): Promise<ProgrammeClaimRecord | null> {
    const e = await this.getEntity(CLAIMS, claimKey(orgId, requestId));
    return e ? decodeClaim(e) : null;
  }

  async addClaim(claim: ProgrammeClaimRecord): Promise<ProgrammeClaimRecord> {
    try {
      const response = await this.table.createEntity(encodeClaim(claim));
      return { ...claim, ...(response.etag ? { etag: response.etag } : {}) };
    } catch (err: unknown) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      return (await this.getClaim(claim.orgId, claim.requestId)) ?? claim;
    }
  }

  async updateClaims(claims: ProgrammeClaimRecord[]): Promise<string[]> {
    const stale: string[] = [];
    // Claims are independent rows: written side by side, each under its own ETag.
    for (let start = 0; start < claims.length; start += 16) {
      await Promise.all(
        claims.slice(start, start + 16).map(async (c) => {
          try {
            if (c.etag) await this.table.updateEntity(encodeClaim(c), 'Replace', { etag: c.etag });
            else await this.table.upsertEntity(encodeClaim(c), 'Replace');
          } catch (err: unknown) {
            const status = (err as { statusCode?: number }).statusCode;
            if (status === 412 || status === 404) stale.push(c.requestId);
            else throw err;
          }
        }),
      );
    }
    return stale;
  }

  async listWave(date: LocalDate): Promise<WaveEntry[]> {
    return (await this.list(odataEquals('PartitionKey', `wave-${date}`))).map((e) => ({
      date,
      requestId: e.rowKey as string,
      orgId: e.OrgId as string,
      tier: e.Tier as string,
      firstIndex: num(e.FirstIndex),
      mailboxes: num(e.Mailboxes),
      bytes: num(e.Bytes),
      batchNumbers: json(e.BatchNumbers, []),
    }));
  }

  async putWaveEntry(entry: WaveEntry): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: `wave-${entry.date}`,
        rowKey: entry.requestId,
        OrgId: entry.orgId,
        Tier: entry.tier,
        FirstIndex: entry.firstIndex,
        Mailboxes: entry.mailboxes,
        Bytes: entry.bytes,
        BatchNumbers: JSON.stringify(entry.batchNumbers),
      },
      'Replace',
    );
  }

  private decodeDay(e: TableEntityResult<Record<string, unknown>>): DayRecord {
    return {
      date: e.rowKey as string,
      materialized: json(e.Materialized, {}),
      done: json(e.Done, {}),
      failed: json(e.Failed, {}),
      ...(e.etag ? { etag: e.etag } : {}),
    };
  }

  async getDay(date: LocalDate): Promise<DayRecord | null> {
    const e = await this.getEntity(DAYS, date);
    return e ? this.decodeDay(e) : null;
  }

  async listDays(): Promise<DayRecord[]> {
    return (await this.list(odataEquals('PartitionKey', DAYS))).map((e) => this.decodeDay(e));
  }

  async putDay(day: DayRecord): Promise<DayRecord> {
    const etag = await this.write(
      {
        partitionKey: DAYS,
        rowKey: day.date,
        Materialized: JSON.stringify(day.materialized),
        Done: JSON.stringify(day.done),
        Failed: JSON.stringify(day.failed),
      },
      day.etag,
      `day ${day.date}`,
    );
    return { ...day, ...(etag ? { etag } : {}) };
  }

  async savePlan(plan: StoredPlan): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: PLAN,
        rowKey: CURRENT,
        ComputedAtMs: plan.computedAtMs,
        Version: plan.version,
        ...splitJson('Summary', plan.summary),
      },
      'Replace',
    );
  }

  async loadPlan(): Promise<StoredPlan | null> {
    const e = await this.getEntity(PLAN, CURRENT);
    if (!e) return null;
    return {
      computedAtMs: num(e.ComputedAtMs),
      version: num(e.Version),
      summary: joinJson(e, 'Summary', null),
    };
  }
}
