/**
 * Hold and drain (issue 13): an operator stops a tier or an organisation from starting work, lets what is
 * running finish its in-flight items, and later resumes it. Pure decisions only: which hold applies to a
 * piece of work, what a drain report says, which parked work a resume sends again.
 */
import { z } from 'zod';
import { displayText } from './bounded-validation';
import { TriageError } from './errors';
import type { WorkMessage } from './messages';
import { orgIdSchema, parseOrThrow } from './requests';

export const holdScopes = ['tier', 'org'] as const;
export type HoldScope = (typeof holdScopes)[number];

/** Who placed a hold, as the caller's identity named them. */
export interface HoldActor {
  id: string;
  name: string;
}

export interface Hold {
  scope: HoldScope;
  /** The tier name, or the organisation id. */
  target: string;
  reason: string;
  heldBy: HoldActor;
  /** ISO time the hold was first placed (a change of reason keeps it). */
  since: string;
}

/** Whose work something is: enough to decide whether a hold applies. */
export interface WorkOwner {
  tier: string;
  orgId: string;
}

/** Work that was due to start while held: its message, kept to be sent again on resume. */
export interface ParkedWork {
  /** `{requestId}:provision` or `{requestId}:batch:{n}`: one row per piece of work, however often parked. */
  key: string;
  requestId: string;
  tier: string;
  orgId: string;
  /** The work message's body as it was delivered. */
  message: WorkMessage;
  parkedAt: string;
  /**
   * Long-running operations the back-end was running for it when it was parked (`202 Accepted`, polled):
   * a hold stops what Triage starts, not what the back-end already runs; they are polled again on resume.
   */
  operationsInProgress?: number;
}

/** A batch or provisioning executing now (registered when it starts, removed when it stops). */
export interface RunningWork {
  /** Same shape as {@link ParkedWork.key}. */
  key: string;
  kind: 'batch' | 'provision';
  requestId: string;
  batchNumber?: number;
  tier: string;
  orgId: string;
  /** Items of this invocation not final yet, at its last heartbeat. */
  itemsLeft: number;
  /** Most items it executes at once (a provisioning: 1). */
  concurrency: number;
  startedAt: string;
  heartbeatAt: string;
}

export interface DrainReport {
  scope: HoldScope;
  target: string;
  held: boolean;
  hold?: Hold;
  /** True when nothing of it is executing (rows whose heartbeat is older than the stale limit excepted). */
  drained: boolean;
  /** `items`: the items executing at most now (each one's concurrency, or fewer left): what a drain waits for. */
  running: { batches: number; provisionings: number; items: number };
  /** Running rows with no heartbeat for longer than the stale limit: an instance that died mid-work. */
  stale: number;
  /** Work of it parked by the hold, to be sent again on resume. */
  parked: number;
  /** Long-running operations the back-end is still running for that parked work (polled on resume). */
  atBackEnd: number;
  checkedAt: string;
}

export const holdBodySchema = z.strictObject({
  reason: z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'required: why it is held (shown in every view)' : 'expected text',
    })
    .pipe(displayText(500)),
});

/**
 * Validates a hold's body: a reason is required (it is shown in every view).
 * @throws TriageError `validation` naming `reason`.
 */
export function parseHoldBody(body: unknown): { reason: string } {
  return parseOrThrow(holdBodySchema, body ?? {}, 'hold');
}

/**
 * Validates a hold's target: a known tier, or a well-formed organisation id.
 * @throws TriageError `validation` naming `tier` or `orgId`.
 */
export function parseHoldTarget(scope: HoldScope, target: unknown, tierNames: readonly string[]): string {
  if (scope === 'org') return parseOrThrow(orgIdSchema, target, 'organisation id', 'orgId');
  if (typeof target === 'string' && tierNames.includes(target)) return target;
  throw new TriageError('validation', `invalid tier: expected one of ${tierNames.join(', ')}`, {
    fields: [{ field: 'tier', message: `expected one of ${tierNames.join(', ')}` }],
  });
}

/** Whether a hold covers this work: a tier hold covers its tier, an organisation hold its organisation. */
export function holdCovers(hold: Pick<Hold, 'scope' | 'target'>, work: WorkOwner): boolean {
  return hold.scope === 'tier' ? hold.target === work.tier : hold.target === work.orgId;
}

/**
 * The hold that stops this work, or undefined when it may start. With several, the earliest placed (ties:
 * the tier hold) is the one shown, so every view names the same one.
 */
export function holdOn(holds: readonly Hold[], work: WorkOwner): Hold | undefined {
  let chosen: Hold | undefined;
  for (const hold of holds) {
    if (!holdCovers(hold, work)) continue;
    if (!chosen || earlier(hold, chosen)) chosen = hold;
  }
  return chosen;
}

function earlier(a: Hold, b: Hold): boolean {
  if (a.since !== b.since) return a.since < b.since;
  if (a.scope !== b.scope) return a.scope === 'tier';
  return a.target < b.target;
}

/**
 * What is still running of a tier or organisation, and whether it has drained. Rows whose heartbeat is
 * older than `staleAfterMs` are counted apart (their instance died; their messages come back when their
 * locks expire) and do not keep a drain open.
 */
export function drainReport(input: {
  scope: HoldScope;
  target: string;
  hold: Hold | undefined;
  running: readonly RunningWork[];
  parked: readonly ParkedWork[];
  nowMs: number;
  staleAfterMs: number;
}): DrainReport {
  const scope = { scope: input.scope, target: input.target };
  const running = { batches: 0, provisionings: 0, items: 0 };
  let stale = 0;
  for (const row of input.running) {
    if (!holdCovers(scope, row)) continue;
    if (input.nowMs - Date.parse(row.heartbeatAt) > input.staleAfterMs) {
      stale++;
      continue;
    }
    if (row.kind === 'batch') running.batches++;
    else running.provisionings++;
    running.items += Math.min(row.itemsLeft, row.concurrency);
  }
  const parked = input.parked.filter((p) => holdCovers(scope, p));
  return {
    ...scope,
    held: input.hold !== undefined,
    ...(input.hold ? { hold: input.hold } : {}),
    drained: running.batches === 0 && running.provisionings === 0,
    running,
    stale,
    parked: parked.length,
    atBackEnd: parked.reduce((sum, p) => sum + (p.operationsInProgress ?? 0), 0),
    checkedAt: new Date(input.nowMs).toISOString(),
  };
}

/**
 * The parked work a resume sends again: what the resumed hold covered and no remaining hold covers
 * (an organisation held on its own stays parked when its tier resumes, and the other way round).
 */
export function parkedToResume(
  parked: readonly ParkedWork[],
  resumed: Pick<Hold, 'scope' | 'target'>,
  remaining: readonly Hold[],
): ParkedWork[] {
  return parked.filter((p) => holdCovers(resumed, p) && holdOn(remaining, p) === undefined);
}

/** The key of a piece of work, for parking and the running registry. */
export function workKey(requestId: string, batchNumber?: number): string {
  return batchNumber === undefined ? `${requestId}:provision` : `${requestId}:batch:${batchNumber}`;
}

/**
 * The message a resume sends: the parked body with its back-off clock restarted (the time it was held is
 * not time spent failing), under an id unique to this piece of work and this parking (a resume retried
 * after a failure sends the same id: duplicate detection drops the second).
 */
export function resumedMessage(parked: ParkedWork): { message: WorkMessage; messageId: string } {
  const message: WorkMessage = { ...parked.message };
  delete message.firstAttemptAt;
  return { message, messageId: `${parked.key}:resumed:${Date.parse(parked.parkedAt).toString(36)}` };
}
