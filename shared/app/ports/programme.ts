import type { MigrationCalendar } from '../../domain/scheduling/calendar';
import type { LocalDate } from '../../domain/scheduling/local-date';
import type { ProgrammeClaimRecord } from '../../domain/scheduling/programme-claims';

/** The programme's calendar and the state of its planning. */
export interface ProgrammeState {
  calendar: MigrationCalendar;
  /** Bumped by every change that should re-plan (a claim, readiness, the calendar). */
  planVersion: number;
  /** The version the stored plan was computed at. */
  plannedVersion: number;
  /** One worker re-plans at a time (then a cooldown). */
  planLeaseUntilMs: number;
  /** The last local date whose wave was materialised, or null. */
  lastWaveDate: LocalDate | null;
  etag?: string;
}

/** One request's share of one day's wave: the range of its inventory handed to batches that day. */
export interface WaveEntry {
  date: LocalDate;
  requestId: string;
  orgId: string;
  tier: string;
  /** Inventory positions [firstIndex, firstIndex + mailboxes). */
  firstIndex: number;
  mailboxes: number;
  bytes: number;
  /** The request's batches this wave created. */
  batchNumbers: number[];
}

/** Per day and tier: what waves materialised, and what was done and failed. */
export interface DayRecord {
  date: LocalDate;
  materialized: Record<string, number>;
  done: Record<string, number>;
  failed: Record<string, number>;
  etag?: string;
}

/** The summary of the last plan (days, totals per tier), as `GET /api/plan` serves it without re-planning. */
export interface StoredPlan {
  computedAtMs: number;
  version: number;
  summary: unknown;
}

/** The migration programme: calendar, claims, waves, per-day actuals and the last plan. */
export interface ProgrammeStore {
  getState(): Promise<ProgrammeState | null>;
  /** Creates (no etag) or replaces (ETag-checked) the state. @throws TriageError `concurrency`, `conflict`. */
  putState(state: ProgrammeState): Promise<ProgrammeState>;
  listClaims(): Promise<ProgrammeClaimRecord[]>;
  listOrgClaims(orgId: string): Promise<ProgrammeClaimRecord[]>;
  getClaim(orgId: string, requestId: string): Promise<ProgrammeClaimRecord | null>;
  /** Creates a claim; an existing one is left as it is (a redelivered planning message). */
  addClaim(claim: ProgrammeClaimRecord): Promise<ProgrammeClaimRecord>;
  /** Replaces claims, each only if unchanged since read (its ETag). @returns the request ids that had changed. */
  updateClaims(claims: ProgrammeClaimRecord[]): Promise<string[]>;
  listWave(date: LocalDate): Promise<WaveEntry[]>;
  putWaveEntry(entry: WaveEntry): Promise<void>;
  getDay(date: LocalDate): Promise<DayRecord | null>;
  listDays(): Promise<DayRecord[]>;
  /** Creates (no etag) or replaces (ETag-checked) a day. @throws TriageError `concurrency`, `conflict`. */
  putDay(day: DayRecord): Promise<DayRecord>;
  savePlan(plan: StoredPlan): Promise<void>;
  loadPlan(): Promise<StoredPlan | null>;
}
