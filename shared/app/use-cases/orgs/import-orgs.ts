import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { TriageError } from '../../../domain/errors';
import {
  orgImportColumns,
  validateOrgRow,
  type OrgImportProblem,
  type OrgImportRow,
} from '../../../domain/org-import';
import { auditEntryFor, effectiveTier } from '../../../domain/orgs';
import { evaluateReadiness, knownCheckNames, readinessReason } from '../../../domain/scheduling/readiness';
import { principalLabel, type Principal } from '../../../domain/identity/principal';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { mapLimit } from '../../../domain/map-limit';
import { retierClaims } from '../../effects/pool-retier';
import { markPlanStale, replanProgramme } from '../../effects/programme-plan';
import { requiredChecks } from '../../views/readiness';

/** The registry an import may carry (NHS scale is 25,000); problems are listed up to a bound, and counted. */
const maxRows = 100_000;
const maxReportedProblems = 100;

export interface OrgImportResult {
  imported: number;
  rowCount: number;
  badRows: OrgImportProblem[];
  badRowCount: number;
}

/**
 * POST /api/orgs/import — registers organisations from a CSV (`orgId,name,sector,tier,evidence` and
 * optional readiness-check columns), streamed and validated row by row. A file with a bad row stores
 * nothing; a good one registers every organisation (audited with who imported it) and its checks.
 * @throws TriageError `validation` listing the bad rows (at most 100, with the true count).
 */
export async function importOrgs(
  ctx: AppContext,
  caller: Principal,
  csv: AsyncIterable<Uint8Array>,
): Promise<OrgImportResult> {
  const required = await requiredChecks(ctx);
  const rows: OrgImportRow[] = [];
  const problems: OrgImportProblem[] = [];
  let problemCount = 0;
  const report = (p: OrgImportProblem): void => {
    problemCount++;
    if (problems.length < maxReportedProblems) problems.push(p);
  };
  const seen = new Map<string, number>();
  let columns: ReturnType<typeof orgImportColumns> | undefined;
  let rowCount = 0;
  const parser = Readable.from(csv).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    if (!columns) {
      columns = orgImportColumns(record, knownCheckNames(required));
      if ('line' in columns) {
        report(columns);
        break;
      }
      continue;
    }
    if ('line' in columns) break;
    if (++rowCount > maxRows) {
      report({ line: info.lines, message: `more than ${maxRows} rows: split the file` });
      break;
    }
    const result = validateOrgRow(record, columns, info.lines, ctx.tiers);
    if (!result.ok) {
      for (const p of result.problems) report(p);
      continue;
    }
    const first = seen.get(result.row.orgId.toLowerCase());
    if (first !== undefined)
      report({
        line: info.lines,
        field: 'orgId',
        message: `duplicate organisation (first on line ${first})`,
      });
    else seen.set(result.row.orgId.toLowerCase(), info.lines);
    rows.push(result.row);
  }
  if (!columns)
    report({ line: 1, message: 'the file is empty (expected a header orgId,name,sector,tier[,evidence])' });
  if (problemCount > 0) {
    throw new TriageError('validation', `${problemCount} bad row problem(s); nothing was stored`, {
      fields: problems.map((p) => ({
        field: `line ${p.line}${p.field ? `: ${p.field}` : ''}`,
        message: p.message,
      })),
    });
  }
  const at = ctx.now();
  await mapLimit(rows, 8, async (row) => {
    const previous = await ctx.ports.orgs.get(row.orgId);
    const org = {
      orgId: row.orgId,
      ...row.org,
      ...(previous?.notify ? { notify: previous.notify } : {}),
      updatedAt: at,
    };
    const saved = await ctx.ports.orgs.upsert(org, auditEntryFor(previous, org, principalLabel(caller), at));
    const nowMs = ctx.clock().getTime();
    const served = effectiveTier(saved, nowMs, ctx.tiers);
    if (effectiveTier(previous, nowMs, ctx.tiers) !== served) await retierClaims(ctx, row.orgId, served);
    if (row.checks.length > 0) {
      const stored = await ctx.ports.orgs.getReadiness(row.orgId);
      const byName = new Map((stored?.checks ?? []).map((c) => [c.name, c]));
      for (const check of row.checks) byName.set(check.name, check);
      const checks = [...byName.values()];
      await ctx.ports.orgs.putReadiness(row.orgId, { checks, checkedAt: at });
      const evaluation = evaluateReadiness(checks, required);
      const claims = await ctx.ports.programme.listOrgClaims(row.orgId);
      const changed = claims.filter((c) => c.ready !== evaluation.ready);
      if (changed.length > 0) {
        await ctx.ports.programme.updateClaims(
          changed.map((c) => ({
            ...c,
            ready: evaluation.ready,
            readinessReason: evaluation.ready ? undefined : readinessReason(evaluation),
          })),
        );
      }
    }
  });
  await markPlanStale(ctx);
  await replanProgramme(ctx).catch(() => undefined);
  await recordAudit(ctx, caller, 'orgs:import', { detail: `${rows.length} organisation(s) imported` });
  return { imported: rows.length, rowCount, badRows: [], badRowCount: 0 };
}
