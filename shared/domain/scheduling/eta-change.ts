/**
 * When a waiting requester is told again that its ETA moved (SCHEDULING.md rule 3): when an ETA appears
 * or disappears, or moves by more than the larger of a floor (default one hour) and a share of the
 * remaining wait (default 10 %). Pure: times in epoch milliseconds, `null` for "no ETA".
 */
export interface EtaChangeThreshold {
  /** Smallest move worth a notification. Default 1 hour. */
  minimumInMs: number;
  /** Share (0–1) of the wait still ahead (from now to the previous ETA) worth a notification. Default 0.1. */
  shareOfWait: number;
}

export const defaultEtaChangeThreshold: EtaChangeThreshold = { minimumInMs: 3_600_000, shareOfWait: 0.1 };

export function etaMovedEnough(
  previousMs: number | null,
  nextMs: number | null,
  nowMs: number,
  threshold: EtaChangeThreshold = defaultEtaChangeThreshold,
): boolean {
  if (previousMs === null || nextMs === null) return previousMs !== nextMs;
  const remainingWait = Math.max(0, previousMs - nowMs);
  const limit = Math.max(threshold.minimumInMs, threshold.shareOfWait * remainingWait);
  return Math.abs(nextMs - previousMs) > limit;
}
