/**
 * Once a request is stored, the record is the truth: a work message for it may carry only what the record
 * says (organisation, kind, resource, inventory, a batch it has). A message that contradicts it — forged,
 * or stale from before a change — is refused, never acted on.
 */
import type { WorkMessage } from './messages';
import type { BatchRecord, RequestRecord } from './records';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why `message` contradicts the stored request (and its batch, for a batch message), or undefined. */
export function messageMismatch(
  stored: RequestRecord,
  message: WorkMessage,
  batch?: BatchRecord | null,
): string | undefined {
  if (message.orgId !== stored.orgId) {
    return `message names organisation ${message.orgId}; the request belongs to ${stored.orgId}`;
  }
  const kind = message.kind === 'provision' ? 'provision' : 'migrate';
  if (kind !== stored.kind) return `a ${message.kind} message for a ${stored.kind} request`;
  if (message.kind === 'provision' && stored.resource && !sameJson(message.resource, stored.resource)) {
    return `message asks for ${JSON.stringify(message.resource)}; the request is for ${JSON.stringify(stored.resource)}`;
  }
  if (message.kind === 'migrate' && stored.inventory && message.inventory !== stored.inventory) {
    return `message names inventory ${message.inventory}; the request's is ${stored.inventory}`;
  }
  // (A batch message's batchCount is informative only: planning in chunks publishes batches before the
  // count is known.)
  if (message.kind === 'migrate-batch' && !batch) return `the request has no batch ${message.batchNumber}`;
  return undefined;
}

/** Why a body is not a work message this version can run (for the dead-letter log), from its shape. */
export function poisonReason(body: unknown, schemaVersion: number): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not a JSON object';
  const version = (body as { schemaVersion?: unknown }).schemaVersion;
  if (version !== schemaVersion)
    return `unsupported schemaVersion ${JSON.stringify(version) ?? 'undefined'} (this version reads ${schemaVersion})`;
  return 'not a valid work message';
}
