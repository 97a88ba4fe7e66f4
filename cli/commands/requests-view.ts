/** How a request, a list of them and their items read in a terminal. */
import { details, table, when, type Cell } from '../output';

export interface RequestView {
  id: string;
  kind: string;
  orgId: string;
  tier: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  progress: { total: number; succeeded: number; failed: number; pending: number; inProgress?: number };
  batchCount?: number;
  batchesCompleted: number;
  reason?: string;
  deadLettered?: boolean;
  resource?: { type: string; quantity: number; region: string };
  queue?: { poolId: string; position: number | null; eta: string | null; reason: string | null };
  schedule?: { start?: string; finish?: string; reason?: string };
  hold?: HoldView;
  report?: { url: string };
  batches?: Array<{
    name: string;
    batchNumber: number;
    status: string;
    total: number;
    succeeded: number;
    failed: number;
  }>;
  history?: Array<{ at: string; type: string; status?: string; message?: string }>;
}

/** A hold as the API shows it on a request, an organisation, a claim or a drain report. */
export interface HoldView {
  scope: 'tier' | 'org';
  target: string;
  reason: string;
  heldBy: { id: string; name: string };
  since: string;
}

/** "tier standard, by Olga since …: reason". */
export function holdText(h: HoldView): string {
  return `${h.scope} ${h.target}, by ${h.heldBy.name} since ${when(h.since)}: ${h.reason}`;
}

export type Totals = { byStatus: Record<string, number>; byTier: Record<string, Record<string, number>> };

const progressText = (p: RequestView['progress']): string =>
  `${p.succeeded + p.failed}/${p.total} (${p.succeeded} ok, ${p.failed} failed${p.inProgress ? `, ${p.inProgress} in progress at the back-end` : ''})`;

/** Where a waiting request stands: its place in a pool's line, or its planned days. */
export function waitingText(r: RequestView): string | undefined {
  if (r.queue && r.queue.position !== null)
    return `position ${r.queue.position} in ${r.queue.poolId}, ETA ${when(r.queue.eta) || 'none expected'}${r.queue.reason ? ` (${r.queue.reason})` : ''}`;
  if (r.schedule)
    return r.schedule.start
      ? `scheduled ${r.schedule.start} → ${r.schedule.finish ?? '?'}`
      : r.schedule.reason;
  return undefined;
}

export function renderRequest(r: RequestView): string {
  const pairs: Array<[string, Cell]> = [
    ['id', r.id],
    ['kind', r.kind],
    ['org', r.orgId],
    ['tier', r.tier],
    ['status', r.status],
    ['progress', progressText(r.progress)],
    ['batches', r.batchCount === undefined ? undefined : `${r.batchesCompleted}/${r.batchCount} completed`],
    [
      'resource',
      r.resource ? `${r.resource.quantity} × ${r.resource.type} in ${r.resource.region}` : undefined,
    ],
    ['waiting', waitingText(r)],
    ['held', r.hold ? holdText(r.hold) : undefined],
    ['reason', r.reason],
    ['dead-lettered', r.deadLettered ? 'yes: triage requests retry replays it' : undefined],
    ['report', r.report?.url],
    ['created', when(r.createdAt)],
    ['updated', when(r.updatedAt)],
  ];
  const history = (r.history ?? []).slice(-8);
  return [
    details(pairs),
    ...(history.length > 0
      ? [
          table(
            ['at', 'event', 'message'],
            history.map((e) => [when(e.at), e.status ?? e.type, e.message]),
          ),
        ]
      : []),
  ].join('\n');
}

export function renderRequestList(page: {
  items: RequestView[];
  continuationToken?: string;
  totals?: Totals;
}): string {
  const parts = [
    table(
      ['id', 'created', 'org', 'tier', 'kind', 'status', 'progress'],
      page.items.map((r) => [
        r.id,
        when(r.createdAt),
        r.orgId,
        r.tier,
        r.kind,
        r.status,
        progressText(r.progress),
      ]),
    ),
  ];
  if (page.continuationToken) parts.push('more: add --all for every page');
  if (page.totals) {
    const statuses = Object.keys(page.totals.byStatus).filter((s) => (page.totals!.byStatus[s] ?? 0) > 0);
    parts.push(
      'totals (every request):',
      table(
        ['tier', ...statuses, 'all'],
        [
          ...Object.entries(page.totals.byTier).map(([tier, row]) => [
            tier,
            ...statuses.map((s) => row[s] ?? 0),
            Object.values(row).reduce((a, b) => a + b, 0),
          ]),
          [
            'all',
            ...statuses.map((s) => page.totals!.byStatus[s] ?? 0),
            Object.values(page.totals.byStatus).reduce((a, b) => a + b, 0),
          ],
        ],
      ),
    );
  }
  return parts.join('\n');
}

export interface ItemView {
  batch: number;
  index: number;
  address: string;
  status: string;
  attempts: number;
  reason?: string;
  at?: string;
}

export function renderItems(page: { items: ItemView[]; continuationToken?: string }): string {
  return [
    table(
      ['batch', '#', 'address', 'status', 'attempts', 'reason'],
      page.items.map((i) => [i.batch, i.index, i.address, i.status, i.attempts, i.reason]),
    ),
    ...(page.continuationToken ? ['more: add --all for every page'] : []),
  ].join('\n');
}
