import { createHash } from 'node:crypto';
import { isTriageError, TriageError } from '../../../domain/errors';
import { messageIds } from '../../../domain/batches';
import { assertAuthorized } from '../../../domain/identity/authorization';
import type { Principal } from '../../../domain/identity/principal';
import { idempotencyKeySchema } from '../../../domain/queries';
import type { RequestEvent, RequestRecord } from '../../../domain/records';
import { mayNeedPublishing } from '../../../domain/request-lifecycle';
import { parseOrThrow, submitRequestSchema, type SubmitRequestInput } from '../../../domain/requests';
import type { AppContext } from '../../context';
import { recordAudit } from '../../effects/audit';
import { eventToStore, notify } from '../../effects/history';
import { trackActivity } from '../../effects/activity';
import { decideTier } from '../../views/resolve-tier';
import { toRequestView, type RequestView } from '../../views/request-view';
import { checkInventoryOwnership } from './check-inventory';
import { publishOrMark, queueRequest } from './queue-request';

export interface SubmitOptions {
  idempotencyKey?: string;
}

export interface SubmitResult {
  request: RequestView;
  /** False when an Idempotency-Key replay returned an existing request. */
  created: boolean;
  /** What the caller should know but that did not stop the request (an organisation not in the registry). */
  warnings: string[];
}

function hashBody(input: SubmitRequestInput): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/**
 * POST /api/requests — validates, records and publishes a request at the organisation's verified tier,
 * for one of the caller's organisations; a new request is audited with the caller.
 *
 * Order and crash safety: (1) the record and its history are written, (2) then the message is published,
 * (3) then the caller gets 202. A crash before (2) leaves at most a queued record whose caller saw no 202;
 * a replay with the same Idempotency-Key finds it unpublished (`mayNeedPublishing`) and publishes it. A
 * crash after (2) loses nothing: the message is durable and the worker finds the record.
 * @throws TriageError `validation` naming each bad field; `forbidden` when `orgId` is not one of the
 *   caller's; `idempotency-mismatch` when the key was used with another body; `dependency-unavailable`
 *   when Service Bus does not accept the message.
 */
export async function submitRequest(
  ctx: AppContext,
  caller: Principal,
  body: unknown,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const input = parseOrThrow(submitRequestSchema, body, 'request');
  assertAuthorized(caller, 'requests:submit', input.orgId);
  const key =
    options.idempotencyKey === undefined
      ? undefined
      : parseOrThrow(
          idempotencyKeySchema,
          options.idempotencyKey,
          'Idempotency-Key header',
          'Idempotency-Key',
        );
  // Reads only, side by side: nothing is written until the input has passed every check.
  const [{ tier, registered }] = await Promise.all([
    decideTier(ctx, input.orgId),
    input.kind === 'migrate' && input.inventory !== undefined
      ? checkInventoryOwnership(ctx, input.orgId, input.inventory)
      : undefined,
  ]);
  const warnings = registered
    ? []
    : [`organisation "${input.orgId}" is not in the registry: served at the default tier ${tier}`];
  const bodyHash = hashBody(input);
  let requestId = ctx.newId();

  if (key !== undefined) {
    const claim = await ctx.ports.idempotency.claim(input.orgId, key, bodyHash, requestId);
    if (!claim.claimed) {
      if (claim.bodyHash !== bodyHash) {
        throw new TriageError(
          'idempotency-mismatch',
          'this Idempotency-Key was already used with a different body',
          {
            fields: [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
          },
        );
      }
      const existing = await ctx.ports.requests.get(claim.requestId);
      if (existing) {
        const current = mayNeedPublishing(existing) ? await queueRequest(ctx, existing) : existing;
        return {
          request: await toRequestView(ctx, current, { detail: false }),
          created: false,
          warnings,
        };
      }
      requestId = claim.requestId;
    }
  }

  const inventory =
    input.kind === 'migrate'
      ? (input.inventory ??
        (await ctx.ports.artifacts.writeInventory(input.orgId, requestId, input.mailboxes ?? [])))
      : undefined;
  const at = ctx.now();
  // Recorded as queued at once (the history still reads received → queued): the message goes out only
  // after the record exists, so a worker that picks it up at once always finds it queued.
  const record: RequestRecord = {
    id: requestId,
    kind: input.kind,
    orgId: input.orgId,
    tier,
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    ...(input.kind === 'provision' ? { resource: input.resource } : {}),
    ...(input.kind === 'provision' && input.holdUntil
      ? { holdUntil: new Date(input.holdUntil).toISOString() }
      : {}),
    ...(inventory ? { inventory } : {}),
    batchesCompleted: 0,
    total: input.kind === 'provision' ? 1 : (input.mailboxes?.length ?? 0),
    succeeded: 0,
    failed: 0,
    bodyHash,
    retryCount: 0,
  };
  const appendHistory = (): Promise<RequestEvent[]> =>
    Promise.all([
      ctx.ports.events.append(
        eventToStore(
          { ...record, status: 'received' },
          {
            type: 'status',
            status: 'received',
            message: registered
              ? `tier ${tier} from the organisation registry`
              : `organisation ${input.orgId} is not in the registry: served at the default tier ${tier}`,
          },
          at,
        ),
      ),
      ctx.ports.events.append(
        eventToStore(record, { type: 'status', status: 'queued', from: 'received' }, at),
      ),
    ]);
  let created: RequestRecord;
  if (key === undefined) {
    // A fresh id cannot conflict, so the history and the activity row are written beside the record
    // rather than after it; if the record's write fails, they stay unreachable (no request points at them).
    const [saved, events] = await Promise.all([
      ctx.ports.requests.create(record),
      appendHistory(),
      trackActivity(ctx, record),
    ]);
    for (const event of events) notify(ctx, saved, event);
    created = saved;
  } else {
    // With a key, concurrent submissions race for the same id: whichever creates it writes the history,
    // once; the others answer with it (never a 409, never a second history).
    created = await createOnce(ctx, record, appendHistory);
  }
  // Beside the publish, not before it: the audit costs the intake no round-trip of its own.
  const audited = recordAudit(ctx, caller, 'requests:submit', {
    orgId: created.orgId,
    target: created.id,
    detail: `${created.kind} at tier ${created.tier}`,
  });
  audited.catch(() => undefined); // awaited below; a failed publish must not leave it unhandled
  if (created.status === 'received') {
    created = await queueRequest(ctx, created); // recorded by an earlier version, or by a worker
  } else if (mayNeedPublishing(created)) {
    await publishOrMark(ctx, created, messageIds.request(created.id));
  }
  await audited;
  return { request: await toRequestView(ctx, created, { detail: false }), created: true, warnings };
}

/** Creates the record unless a concurrent submission with the same key did: whichever records it first wins. */
async function createOnce(
  ctx: AppContext,
  record: RequestRecord,
  appendHistory: () => Promise<RequestEvent[]>,
): Promise<RequestRecord> {
  try {
    const created = await ctx.ports.requests.create(record);
    const [events] = await Promise.all([appendHistory(), trackActivity(ctx, created)]);
    for (const event of events) notify(ctx, created, event);
    return created;
  } catch (err: unknown) {
    if (!isTriageError(err, 'conflict')) throw err;
    return (await ctx.ports.requests.get(record.id)) ?? record;
  }
}
