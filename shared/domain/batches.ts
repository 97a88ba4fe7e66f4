/**
 * Splits a list into consecutive batches of at most `batchSize`, numbered from 1.
 * @throws RangeError when `batchSize` is not a positive integer.
 */
export function splitIntoBatches<T>(
  items: readonly T[],
  batchSize: number,
): Array<{ batchNumber: number; items: T[] }> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const batches: Array<{ batchNumber: number; items: T[] }> = [];
  for (let start = 0; start < items.length; start += batchSize) {
    batches.push({ batchNumber: batches.length + 1, items: items.slice(start, start + batchSize) });
  }
  return batches;
}

/** `batch-0007`: the RowKey of a batch and part of its blob names; sorts in order up to 9,999 batches and past it by length. */
export function batchLabel(batchNumber: number): string {
  if (!Number.isInteger(batchNumber) || batchNumber < 1) {
    throw new RangeError(`batchNumber must be a positive integer, got ${batchNumber}`);
  }
  return `batch-${String(batchNumber).padStart(4, '0')}`;
}

/** The items partition of one batch: `{requestId}-b0007`. */
export function batchPartitionKey(requestId: string, batchNumber: number): string {
  return `${requestId}-b${String(batchNumber).padStart(4, '0')}`;
}

/** An item's RowKey inside its batch: its 0-based position, zero-padded so rows sort in manifest order. */
export function itemRowKey(index: number): string {
  return String(index).padStart(6, '0');
}

/** Deterministic Service Bus messageIds, so duplicate detection and idempotent handlers line up. */
export const messageIds = {
  request: (requestId: string): string => requestId,
  batch: (requestId: string, batchNumber: number): string =>
    `${requestId}:batch:${String(batchNumber).padStart(4, '0')}`,
  retry: (requestId: string, attempt: number, batchNumber?: number): string =>
    batchNumber === undefined
      ? `${requestId}:retry:${attempt}`
      : `${requestId}:batch:${String(batchNumber).padStart(4, '0')}:retry:${attempt}`,
  /** The message that runs a provisioning its pool admitted, once per pool decision. */
  admission: (requestId: string, poolVersion: number): string => `${requestId}:admitted:${poolVersion}`,
};
