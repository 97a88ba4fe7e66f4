import type { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { auditPartition, type AuditEntry } from '../domain/identity/audit';
import { odataEquals } from '../domain/odata';
import type { AuditStore, Membership, MembershipStore } from '../app/ports/identity';
import type { Page } from '../app/ports/stores';
import { isNotFound, translateStorageError } from './storage-errors';

/** More organisations than one principal could sensibly act for: the read stays one bounded page. */
const MAX_ORGS_PER_PRINCIPAL = 1_000;

/**
 * Memberships twice over: `memberships` (PartitionKey = principal id, RowKey = orgId) is what every
 * authenticated call of a Requester reads, one partition; `membersbyorg` (PartitionKey = orgId) is the
 * reverse index an admin lists. A grant is written index first and revoked grant first, so a failure
 * half-way never leaves a grant the index does not show.
 */
export class TableMembershipStore implements MembershipStore {
  constructor(
    private readonly byPrincipal: TableClient,
    private readonly byOrg: TableClient,
  ) {}

  async orgsOf(principalId: string): Promise<string[]> {
    const orgIds: string[] = [];
    const entities = this.byPrincipal.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odataEquals('PartitionKey', principalId), select: ['RowKey'] },
    });
    try {
      for await (const page of entities.byPage({ maxPageSize: MAX_ORGS_PER_PRINCIPAL })) {
        orgIds.push(...page.map((e) => e.rowKey as string));
        break;
      }
    } catch (err: unknown) {
      return translateStorageError(err, `memberships of ${principalId}`);
    }
    return orgIds;
  }

  async put(membership: Membership): Promise<Membership> {
    const fields = { AddedAt: membership.addedAt, AddedBy: membership.addedBy };
    try {
      await this.byOrg.upsertEntity(
        { partitionKey: membership.orgId, rowKey: membership.principalId, ...fields },
        'Replace',
      );
      await this.byPrincipal.upsertEntity(
        { partitionKey: membership.principalId, rowKey: membership.orgId, ...fields },
        'Replace',
      );
    } catch (err: unknown) {
      return translateStorageError(err, `membership ${membership.principalId} of ${membership.orgId}`);
    }
    return membership;
  }

  async delete(orgId: string, principalId: string): Promise<boolean> {
    const grant = await this.deleteRow(this.byPrincipal, principalId, orgId);
    const index = await this.deleteRow(this.byOrg, orgId, principalId);
    return grant || index;
  }

  async listMembers(orgId: string): Promise<Membership[]> {
    const members: Membership[] = [];
    const filter = odataEquals('PartitionKey', orgId);
    try {
      for await (const e of this.byOrg.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        members.push({
          orgId,
          principalId: e.rowKey as string,
          addedAt: String(e.AddedAt ?? ''),
          addedBy: String(e.AddedBy ?? ''),
        });
      }
    } catch (err: unknown) {
      return translateStorageError(err, `members of ${orgId}`);
    }
    return members;
  }

  private async deleteRow(table: TableClient, partitionKey: string, rowKey: string): Promise<boolean> {
    try {
      await table.deleteEntity(partitionKey, rowKey);
      return true;
    } catch (err: unknown) {
      if (isNotFound(err)) return false;
      return translateStorageError(err, `membership ${partitionKey}/${rowKey}`);
    }
  }
}

/** The audit log: PartitionKey = orgId (or the deployment's partition), RowKey sorts by time. */
export class TableAuditStore implements AuditStore {
  private sequence = 0;
  constructor(private readonly table: TableClient) {}

  async append(entry: Omit<AuditEntry, 'auditId'>): Promise<AuditEntry> {
    // Time first so a partition reads in order; a per-process counter and a random tail keep keys unique.
    const auditId = `${String(Date.parse(entry.at)).padStart(15, '0')}-${String(this.sequence++ % 1_000_000).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
    try {
      await this.table.createEntity({
        partitionKey: auditPartition(entry.orgId),
        rowKey: auditId,
        At: entry.at,
        Action: entry.action,
        Target: entry.target ?? '',
        PrincipalId: entry.principalId,
        PrincipalName: entry.principalName.slice(0, 500),
        Role: entry.role,
        Scope: entry.scope,
        Source: entry.source,
        Detail: (entry.detail ?? '').slice(0, 2000),
      });
    } catch (err: unknown) {
      return translateStorageError(err, `audit entry of ${entry.action}`);
    }
    return { ...entry, auditId };
  }

  async list(partition: string, limit: number, continuationToken?: string): Promise<Page<AuditEntry>> {
    const pages = this.table
      .listEntities<Record<string, unknown>>({
        queryOptions: { filter: odataEquals('PartitionKey', partition) },
      })
      .byPage({
        maxPageSize: limit,
        ...(continuationToken
          ? { continuationToken: Buffer.from(continuationToken, 'base64url').toString('utf8') }
          : {}),
      });
    const first = await pages.next();
    if (first.done || !first.value) return { items: [] };
    const items = first.value.map((e) => decodeAudit(e, partition));
    const next = first.value.continuationToken;
    return {
      items,
      ...(next ? { continuationToken: Buffer.from(next, 'utf8').toString('base64url') } : {}),
    };
  }
}

function decodeAudit(e: Record<string, unknown>, partition: string): AuditEntry {
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const orgId = partition === auditPartition(undefined) ? undefined : partition;
  const target = text(e.Target);
  const detail = text(e.Detail);
  return {
    auditId: e.rowKey as string,
    at: e.At as string,
    action: e.Action as AuditEntry['action'],
    ...(orgId !== undefined ? { orgId } : {}),
    ...(target !== undefined ? { target } : {}),
    principalId: e.PrincipalId as string,
    principalName: e.PrincipalName as string,
    role: e.Role as AuditEntry['role'],
    scope: e.Scope as AuditEntry['scope'],
    source: e.Source as AuditEntry['source'],
    ...(detail !== undefined ? { detail } : {}),
  };
}
