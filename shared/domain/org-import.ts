/**
 * `POST /api/orgs/import`: the registry as a CSV — `orgId,name,sector,tier,evidence` and optionally one
 * column per readiness check (`pass`, `fail`, `pending`, or empty for "not reported") — validated row by
 * row like inventories. Pure: the CSV is tokenised by the caller; this module sees header fields and rows.
 */
import { orgSchema } from './orgs';
import { orgIdSchema } from './requests';
import { checkStatuses, type CheckStatus, type ReadinessCheck } from './scheduling/readiness';

export interface OrgImportRow {
  orgId: string;
  org: { name: string; sector: string; tier: string; evidence?: string };
  checks: ReadinessCheck[];
}

export interface OrgImportProblem {
  line: number;
  field?: string;
  message: string;
}

export interface OrgImportColumns {
  index: Record<'orgId' | 'name' | 'sector' | 'tier' | 'evidence', number>;
  checks: Array<{ name: string; index: number }>;
}

const required = ['orgId', 'name', 'sector', 'tier'] as const;

/** Reads the header: the required columns (case-insensitive), `evidence`, and known check names. */
export function orgImportColumns(
  header: readonly string[],
  knownChecks: readonly string[],
): OrgImportColumns | OrgImportProblem {
  const names = header.map((h) =>
    h
      .trim()
      .replace(/^\uFEFF/, '')
      .toLowerCase(),
  );
  const at = (name: string): number => names.indexOf(name.toLowerCase());
  const missing = required.filter((name) => at(name) < 0);
  if (missing.length > 0) {
    return {
      line: 1,
      field: missing[0],
      message: `the header lacks ${missing.join(', ')} (expected orgId,name,sector,tier[,evidence][,<check>…])`,
    };
  }
  const known = new Set(knownChecks);
  const extra = names.filter(
    (n, i) =>
      n !== '' &&
      ![...required, 'evidence'].some((r) => r.toLowerCase() === n) &&
      !known.has(header[i]!.trim()),
  );
  if (extra.length > 0)
    return {
      line: 1,
      field: extra[0],
      message: `unknown column "${extra[0]}": not a field nor a known readiness check`,
    };
  return {
    index: {
      orgId: at('orgId'),
      name: at('name'),
      sector: at('sector'),
      tier: at('tier'),
      evidence: at('evidence'),
    },
    checks: header.map((h, index) => ({ name: h.trim(), index })).filter((c) => known.has(c.name)),
  };
}

/** One data row: the organisation and its reported checks, or the problems of the row. */
export function validateOrgRow(
  fields: readonly string[],
  columns: OrgImportColumns,
  line: number,
  tiers: { names: readonly string[]; rankOf(tier: string): number; defaultTier: string },
): { ok: true; row: OrgImportRow } | { ok: false; problems: OrgImportProblem[] } {
  const cell = (index: number): string => (index >= 0 ? (fields[index] ?? '').trim() : '');
  const problems: OrgImportProblem[] = [];
  const orgId = orgIdSchema.safeParse(cell(columns.index.orgId));
  if (!orgId.success)
    problems.push({ line, field: 'orgId', message: orgId.error.issues[0]?.message ?? 'invalid' });
  const evidence = cell(columns.index.evidence);
  const org = orgSchema(false).safeParse({
    name: cell(columns.index.name),
    sector: cell(columns.index.sector),
    tier: cell(columns.index.tier),
    ...(evidence ? { evidence } : {}),
  });
  if (!org.success) {
    for (const issue of org.error.issues)
      problems.push({ line, field: issue.path.join('.') || 'row', message: issue.message });
  }
  const tier = cell(columns.index.tier);
  if (org.success && !tiers.names.includes(tier))
    problems.push({ line, field: 'tier', message: `one of ${tiers.names.join(', ')}` });
  if (
    org.success &&
    tiers.names.includes(tier) &&
    tiers.rankOf(tier) < tiers.rankOf(tiers.defaultTier) &&
    !evidence
  ) {
    problems.push({ line, field: 'evidence', message: `required for any tier above ${tiers.defaultTier}` });
  }
  const checks: ReadinessCheck[] = [];
  for (const { name, index } of columns.checks) {
    const value = cell(index).toLowerCase();
    if (value === '') continue;
    if (!(checkStatuses as readonly string[]).includes(value)) {
      problems.push({ line, field: name, message: `one of ${checkStatuses.join(', ')}, or empty` });
    } else checks.push({ name, status: value as CheckStatus });
  }
  if (problems.length > 0 || !orgId.success || !org.success) return { ok: false, problems };
  return { ok: true, row: { orgId: orgId.data, org: org.data, checks } };
}
