import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { ListOrgsFilter, OrgStore, Page, StoredReadiness } from '../app/ports/stores';
import { odataAnd, odataEquals } from '../domain/odata';
import type { Org, OrgAuditEntry } from '../domain/orgs';
import { isNotFound, mapStorageError, orNull } from './storage-errors';

const ORG_ROW = 'org';
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function decodeOrg(orgId: string, e: TableEntityResult<Record<string, unknown>>): Org {
  const org: Org = {
    orgId,
    name: e.Name as string,
    sector: e.Sector as string,
    tier: e.Tier as string,
    updatedAt: e.UpdatedAt as string,
    registered: true,
  };
  if (str(e.Evidence)) org.evidence = str(e.Evidence);
  if (str(e.TierExpiresAt)) org.tierExpiresAt = str(e.TierExpiresAt);
  if (str(e.WebhookUrl)) org.notify = { webhookUrl: str(e.WebhookUrl)! };
  return org;
}

/**
 * The registry: PartitionKey = orgId, the organisation in RowKey `org` and its audit log beside it
 * (`audit-<time>-<seq>`), so a change and its audit entry commit in one entity-group transaction.
 */
export class TableOrgStore implements OrgStore {
  private sequence = 0;
  constructor(private readonly table: TableClient) {}

  async get(orgId: string): Promise<Org | null> {
    try {
      return decodeOrg(orgId, await this.table.getEntity<Record<string, unknown>>(orgId, ORG_ROW));
    } catch (err: unknown) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async upsert(org: Omit<Org, 'registered'>, audit: OrgAuditEntry): Promise<Org> {
    const rowKey = `audit-${String(Date.parse(audit.at)).padStart(15, '0')}-${String(this.sequence++ % 1e6).padStart(6, '0')}`;
    const actions: TransactionAction[] = [
      [
        'upsert',
        {
          partitionKey: org.orgId,
          rowKey: ORG_ROW,
          Name: org.name,
          Sector: org.sector,
          Tier: org.tier,
          Evidence: org.evidence ?? '',
          TierExpiresAt: org.tierExpiresAt ?? '',
          WebhookUrl: org.notify?.webhookUrl ?? '',
          UpdatedAt: org.updatedAt,
        },
        'Replace',
      ],
      [
        'create',
        {
          partitionKey: org.orgId,
          rowKey,
          At: audit.at,
          Actor: audit.actor,
          Action: audit.action,
          FromTier: audit.fromTier ?? '',
          ToTier: audit.toTier,
          Evidence: audit.evidence ?? '',
          TierExpiresAt: audit.tierExpiresAt ?? '',
        },
      ],
    ];
    try {
      await this.table.submitTransaction(actions);
    } catch (err: unknown) {
      mapStorageError(err, `organisation ${org.orgId}`);
    }
    return { ...org, registered: true };
  }

  async getReadiness(orgId: string): Promise<StoredReadiness | null> {
    const e = await orNull(this.table.getEntity<Record<string, unknown>>(orgId, 'readiness'));
    if (!e) return null;
    return {
      checks: JSON.parse(e.Checks as string) as StoredReadiness['checks'],
      checkedAt: e.CheckedAt as string,
    };
  }

  async putReadiness(orgId: string, readiness: StoredReadiness): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: orgId,
        rowKey: 'readiness',
        Checks: JSON.stringify(readiness.checks),
        CheckedAt: readiness.checkedAt,
      },
      'Replace',
    );
  }

  async listAudit(orgId: string): Promise<OrgAuditEntry[]> {
    const filter = odataAnd(odataEquals('PartitionKey', orgId), `RowKey ge 'audit-' and RowKey lt 'audit.'`);
    const entries: OrgAuditEntry[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      entries.push({
        orgId,
        at: e.At as string,
        actor: e.Actor as string,
        action: e.Action as OrgAuditEntry['action'],
        ...(str(e.FromTier) ? { fromTier: str(e.FromTier) } : {}),
        toTier: e.ToTier as string,
        ...(str(e.Evidence) ? { evidence: str(e.Evidence) } : {}),
        ...(str(e.TierExpiresAt) ? { tierExpiresAt: str(e.TierExpiresAt) } : {}),
      });
    }
    return entries;
  }

  /**
   * Across organisations: an operator's query over the `org` rows (one per partition), filtered
   * server-side; Table Storage pages it (a page can be short while a token follows).
   */
  async list(filter: ListOrgsFilter, limit: number, continuationToken?: string): Promise<Page<Org>> {
    const clauses = [odataEquals('RowKey', ORG_ROW)];
    if (filter.tier) clauses.push(odataEquals('Tier', filter.tier));
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: odataAnd(...clauses) } })
      .byPage({
        maxPageSize: limit,
        ...(continuationToken
          ? { continuationToken: Buffer.from(continuationToken, 'base64url').toString('utf8') }
          : {}),
      });
    const first = await pages.next();
    if (first.done || !first.value) return { items: [] };
    const token = first.value.continuationToken;
    return {
      items: first.value.map((e) => decodeOrg(e.partitionKey as string, e)),
      ...(token ? { continuationToken: Buffer.from(token, 'utf8').toString('base64url') } : {}),
    };
  }
}
