/**
 * Inventories belong to an organisation. An upload lives under `{orgId}/…` and a request's inline list
 * under `_requests/…`, a prefix no orgId can take (orgIds start with a letter or digit); both carry
 * their owner in the blob's metadata, which is checked on every use: at intake and again when a worker
 * plans the migration (a message from a producer inside the trust boundary is not trusted over it).
 */
import { z } from 'zod';

/** Where inline mailbox lists live. */
export const inlineInventoryPrefix = '_requests/';

/** The blob name of a request's inline mailbox list. */
export function inlineInventoryName(requestId: string): string {
  return `${inlineInventoryPrefix}${requestId}.ndjson`;
}

/**
 * An inline list's name as messages carry it. Callers never name one: a body's `inventory` must start
 * with a letter or digit (`blobNameSchema`).
 */
export const inlineInventoryNameSchema = z
  .string()
  .regex(
    /^_requests\/[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.ndjson$/,
    'an inline list name (_requests/<id>.ndjson)',
  );

/** What an inventory's metadata says about its owner (absent fields were never written). */
export interface InventoryOwner {
  orgId?: string;
  /** Set on inline lists: the request they were written for. */
  requestId?: string;
  /** `csv-import` (an upload) or `request` (an inline list). */
  source?: string;
}

/** The request about to use an inventory. */
export interface InventoryUser {
  orgId: string;
  /** Known once the request exists (at planning); an inline list is usable by its own request only. */
  requestId?: string;
}

/**
 * Why this request may not use the inventory, or undefined when it may. The messages never say whether
 * the blob exists, so a name from another organisation reads the same as one that was never written.
 */
export function inventoryUseProblem(
  blobName: string,
  owner: InventoryOwner | null,
  user: InventoryUser,
): string | undefined {
  const refused = 'no such inventory for this organisation';
  if (owner === null || owner.orgId !== user.orgId) return refused;
  if (owner.source === 'csv-import') return blobName.startsWith(`${user.orgId}/`) ? undefined : refused;
  if (owner.source === 'request') {
    const own = user.requestId !== undefined && blobName === inlineInventoryName(user.requestId);
    return own && owner.requestId === user.requestId ? undefined : refused;
  }
  return refused;
}
