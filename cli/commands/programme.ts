import type { Command } from 'commander';
import { weeklyBurnDown, type PlanView } from '../burn-down';
import { action } from '../command';
import { readJsonFile, show, UsageError, type CliContext } from '../context';
import { details, table } from '../output';

interface FinishMove {
  requestId: string;
  orgId: string;
  tier: string;
  before: string | null;
  after: string | null;
  movedDays: number | null;
}

/** The plan against the deadline, per tier, then the weekly burn-down (and a what-if's biggest moves). */
export function renderPlan(plan: PlanView & { moves?: FinishMove[] }): string {
  const parts = [
    details([
      ['deadline', plan.deadline],
      ['projected finish', plan.projectedFinish ?? 'none (no ready work planned)'],
      [
        'on track',
        plan.onTrack === undefined ? undefined : plan.onTrack ? 'yes' : 'NO: projected past the deadline',
      ],
      [
        'not ready',
        plan.notReady
          ? `${plan.notReady.organisations} organisations, ${plan.notReady.mailboxes} mailboxes`
          : undefined,
      ],
    ]),
    table(
      ['tier', 'mailboxes', 'done', 'failed', 'projected finish'],
      Object.entries(plan.byTier ?? {}).map(([tier, t]) => [
        tier,
        t.mailboxes,
        t.done,
        t.failed,
        t.projectedFinish ?? '',
      ]),
    ),
  ];
  const weeks = weeklyBurnDown(plan);
  if (weeks.length > 0) {
    parts.push(
      'burn-down by week (mailboxes):',
      table(
        ['week of', 'tier', 'planned', 'actual', 'left (plan)', 'left (actual)'],
        weeks.map((w) => [w.week, w.tier, w.planned, w.actual, w.remainingPlanned, w.remainingActual]),
      ),
    );
  }
  if (plan.moves?.length) {
    parts.push(
      'finishes that move most:',
      table(
        ['request', 'org', 'tier', 'before', 'after', 'days'],
        plan.moves.map((m) => [
          m.requestId,
          m.orgId,
          m.tier,
          m.before ?? 'none',
          m.after ?? 'none',
          m.movedDays ?? 'gained/lost',
        ]),
      ),
    );
  }
  return parts.join('\n');
}

interface Readiness {
  orgId?: string;
  ready: boolean;
  checks?: Array<{ name: string; status: string; detail?: string; evidence?: string }>;
  failing?: Array<{ name: string; status: string; detail?: string; reported?: boolean }>;
  checkedAt?: string | null;
  reason?: string;
}

const renderReadiness = (r: Readiness): string =>
  [
    details([
      ['ready', r.ready ? 'yes' : 'no'],
      [
        'failing',
        (r.failing ?? [])
          .map((f) => `${f.name} (${f.reported === false ? 'never reported' : f.status})`)
          .join(', '),
      ],
      ['why', r.ready ? undefined : r.reason],
      ['checked', r.checkedAt ?? 'never'],
    ]),
    ...(r.checks?.length
      ? [
          table(
            ['check', 'status', 'detail'],
            r.checks.map((c) => [c.name, c.status, c.detail]),
          ),
        ]
      : []),
  ].join('\n');

async function putReadiness(
  ctx: CliContext,
  orgId: string,
  o: { check?: string[]; file?: string },
): Promise<void> {
  let body: unknown;
  if (o.file) body = await readJsonFile(o.file);
  else {
    if (!o.check?.length)
      throw new UsageError('readiness put needs --check name=pass|fail|pending[:detail] (or --file)');
    body = {
      checks: o.check.map((entry) => {
        const match = /^([^=]+)=(pass|fail|pending)(?::(.*))?$/.exec(entry);
        if (!match) throw new UsageError(`--check takes name=pass|fail|pending[:detail], got "${entry}"`);
        return { name: match[1], status: match[2], ...(match[3] ? { detail: match[3] } : {}) };
      }),
    };
  }
  show(
    ctx,
    await ctx.client.json<Readiness>('PUT', `/api/orgs/${encodeURIComponent(orgId)}/readiness`, { body }),
    renderReadiness,
  );
}

interface Calendar {
  timeZone: string;
  start: string;
  deadline: string;
  caps: Record<string, { mailboxes: number; bytes?: number }>;
  holidays?: Array<{ date: string; mailboxes?: number }>;
  perOrgDailyMax?: number;
  reserved?: Record<string, number>;
  requiredChecks?: string[];
}

const renderCalendar = (c: Calendar): string =>
  [
    details([
      ['time zone', c.timeZone],
      ['start', c.start],
      ['deadline', c.deadline],
      ['per organisation a day', c.perOrgDailyMax],
      [
        'reserved',
        Object.entries(c.reserved ?? {})
          .map(([t, share]) => `${t} ${Math.round(share * 100)} %`)
          .join(', '),
      ],
      ['required checks', (c.requiredChecks ?? []).join(', ')],
      [
        'holidays',
        (c.holidays ?? []).map((h) => `${h.date}${h.mailboxes ? ` (${h.mailboxes})` : ''}`).join(', '),
      ],
    ]),
    table(
      ['day type', 'mailboxes', 'bytes'],
      Object.entries(c.caps).map(([type, cap]) => [type, cap.mailboxes, cap.bytes]),
    ),
  ].join('\n');

export function registerProgramme(program: Command): void {
  const calendar = program.command('calendar').description("the migration programme's capacity calendar");
  calendar
    .command('put <calendar.json>')
    .description('set the calendar (admin key)')
    .action(
      action(async (ctx, file: string) =>
        show(
          ctx,
          await ctx.client.json<Calendar>('PUT', '/api/calendar', { body: await readJsonFile(file) }),
          renderCalendar,
        ),
      ),
    );
  calendar
    .command('get')
    .action(
      action(async (ctx) =>
        show(ctx, await ctx.client.json<Calendar>('GET', '/api/calendar'), renderCalendar),
      ),
    );

  const readiness = program.command('readiness').description("an organisation's prerequisite checks");
  readiness
    .command('put <orgId>')
    .option(
      '--check <checks...>',
      'name=pass|fail|pending[:detail], e.g. licences=pass network=fail:"no ExpressRoute yet"',
    )
    .option('--file <readiness.json>', 'the whole body from a file')
    .action(action(putReadiness));
  readiness
    .command('get <orgId>')
    .action(
      action(async (ctx, orgId: string) =>
        show(
          ctx,
          await ctx.client.json<Readiness>('GET', `/api/orgs/${encodeURIComponent(orgId)}/readiness`),
          renderReadiness,
        ),
      ),
    );

  const plan = program
    .command('plan')
    .description('the programme: planned vs actual per week and tier, projected finish vs deadline')
    .action(
      action(async (ctx) => show(ctx, await ctx.client.json<PlanView>('GET', '/api/plan'), renderPlan)),
    );
  plan
    .command('what-if <overrides.json>')
    .description('the same plan under changed caps, holidays, readiness or a surge; changes nothing')
    .action(
      action(async (ctx, file: string) =>
        show(
          ctx,
          await ctx.client.json<PlanView>('POST', '/api/plan/what-if', { body: await readJsonFile(file) }),
          renderPlan,
        ),
      ),
    );
}
