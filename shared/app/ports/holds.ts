import type { Hold, HoldScope, ParkedWork, RunningWork } from '../../domain/holds';

/**
 * Holds, the work they parked, and the batches and provisionings executing now (so a drain can be
 * reported across instances). Small: a few holds, the parked work of what is held, and the work running
 * at this moment.
 */
export interface HoldStore {
  listHolds(): Promise<Hold[]>;
  getHold(scope: HoldScope, target: string): Promise<Hold | null>;
  /** Places or replaces a hold. */
  putHold(hold: Hold): Promise<Hold>;
  /** @returns whether a hold was there to remove. */
  removeHold(scope: HoldScope, target: string): Promise<boolean>;
  /** Keeps work to start on resume; parking the same key again replaces it. */
  park(work: ParkedWork): Promise<void>;
  listParked(): Promise<ParkedWork[]>;
  /** @returns whether this call removed it (false: another caller, e.g. a resume, already took it). */
  unpark(key: string): Promise<boolean>;
  /** Registers (or refreshes) work executing now. */
  markRunning(work: RunningWork): Promise<void>;
  clearRunning(work: Pick<RunningWork, 'key' | 'tier'>): Promise<void>;
  listRunning(): Promise<RunningWork[]>;
}
