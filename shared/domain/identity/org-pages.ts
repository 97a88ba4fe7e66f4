/**
 * Paging across several organisations, one organisation's single-partition listing after another: the
 * continuation token says which organisation comes next and where its own listing stopped. It keeps the
 * alphabet of the stores' tokens (`continuationTokenSchema`) so it travels in a query string untouched.
 */

export interface OrgPagePosition {
  /** Index into the (sorted) organisations being listed. */
  orgIndex: number;
  /** The store's token within that organisation's listing, if it stopped mid-way. */
  inner?: string;
}

/** `o2` (start of the third organisation) or `o2-<token>` (within it). */
export function encodeOrgPagePosition(position: OrgPagePosition): string {
  return `o${position.orgIndex}${position.inner === undefined ? '' : `-${position.inner}`}`;
}

/**
 * Reads a position written by {@link encodeOrgPagePosition} for a listing over `orgCount` organisations.
 * @returns null for anything else (a token from another listing, an index past the end).
 */
export function decodeOrgPagePosition(token: string, orgCount: number): OrgPagePosition | null {
  const match = /^o(\d{1,4})(?:-(.+))?$/.exec(token);
  if (!match) return null;
  const orgIndex = Number(match[1]);
  if (orgIndex >= orgCount) return null;
  return match[2] === undefined ? { orgIndex } : { orgIndex, inner: match[2] };
}
