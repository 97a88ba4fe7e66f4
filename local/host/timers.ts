/**
 * Timer triggers: NCRONTAB six-field schedules (`0 *\/5 * * * *`) or `hh:mm:ss` intervals, in UTC
 * unless WEBSITE_TIME_ZONE says otherwise, with `runOnStartup`, one run at a time per function
 * (the real host's singleton lock), the `myTimer` input the real host sends, and the function's
 * retry policy (the next occurrence waits until the retries are over, as with the real host).
 */
import { Cron } from 'croner';
import { parseTimeSpanInMs } from '../../shared/domain/duration';
import type { Invoker } from './invoker';
import type { FunctionRegistration } from './registrations';
import { invokeWithRetries, retryPolicyOf } from './retry';

export interface TimerSchedulerOptions {
  registrations: FunctionRegistration[];
  invoker: Invoker;
  resolveSetting: (value: string) => string;
  timeZone?: string;
  log: (line: string) => void;
}

export interface RunningTimers {
  stop(): void;
}

interface Schedule {
  next(after: Date): Date | null;
}

/** A run later than this past its scheduled time counts as past due, as in the real host. */
const pastDueToleranceInMs = 1_000;

/**
 * Parses a timer schedule: six-field NCRONTAB or an `hh:mm:ss` interval.
 * @throws TypeError/RangeError naming the function when the schedule is invalid.
 */
export function parseSchedule(functionName: string, text: string, timeZone?: string): Schedule {
  if (/^\d+(\.\d+)?:\d{1,2}:\d{2}/.test(text) || /^\d{1,2}:\d{2}:\d{2}/.test(text)) {
    const interval = parseTimeSpanInMs(text);
    if (interval <= 0) throw new RangeError(`function "${functionName}": the interval must be positive`);
    return { next: (after) => new Date(after.getTime() + interval) };
  }
  if (text.trim().split(/\s+/).length !== 6) {
    throw new TypeError(
      `function "${functionName}": schedule "${text}" is not a six-field NCRONTAB expression (sec min hour day month weekday)`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { paused: true, mode: '6-part', domAndDow: true, timezone: timeZone ?? 'UTC' });
  } catch (err) {
    throw new TypeError(
      `function "${functionName}": schedule "${text}" is invalid: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return { next: (after) => cron.nextRun(after) };
}

function timerIsoString(date: Date): string {
  return date.toISOString();
}

/**
 * Starts every timer-triggered function's schedule.
 * @throws TypeError/RangeError when a schedule is invalid (before any timer starts).
 */
export function startTimers(options: TimerSchedulerOptions): RunningTimers {
  const timers = options.registrations.filter((r) => r.trigger.type.toLowerCase() === 'timertrigger');
  const plans = timers.map((registration) => {
    const text = options.resolveSetting(String(registration.trigger.schedule ?? ''));
    retryPolicyOf(registration);
    return { registration, schedule: parseSchedule(registration.name, text, options.timeZone) };
  });
  let stopped = false;
  const handles = new Set<NodeJS.Timeout>();
  const sleepers = new Set<() => void>();
  /** Waits between retries; resolves true at once when the timers stop. */
  const sleep = (ms: number): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      if (stopped) return resolve(true);
      const wake = (): void => {
        clearTimeout(handle);
        sleepers.delete(wake);
        resolve(true);
      };
      const handle = setTimeout(() => {
        sleepers.delete(wake);
        resolve(stopped);
      }, ms);
      sleepers.add(wake);
    });

  for (const { registration, schedule } of plans) {
    let last: Date | undefined;
    const fire = async (scheduledFor: Date | undefined): Promise<void> => {
      const now = new Date();
      const next = schedule.next(now);
      const isPastDue =
        scheduledFor !== undefined && now.getTime() - scheduledFor.getTime() > pastDueToleranceInMs;
      const status =
        last === undefined
          ? null
          : {
              Last: timerIsoString(last),
              Next: next ? timerIsoString(next) : null,
              LastUpdated: timerIsoString(now),
            };
      const body = { Schedule: { AdjustForDST: true }, ScheduleStatus: status, IsPastDue: isPastDue };
      last = scheduledFor ?? now;
      await invokeWithRetries(
        registration,
        { reason: `Timer fired at ${now.toISOString()}`, triggerData: { json: JSON.stringify(body) } },
        { invoker: options.invoker, log: options.log, sleep },
      );
    };
    const arm = (): void => {
      if (stopped) return;
      const next = schedule.next(new Date());
      if (!next) return;
      // setTimeout cannot wait longer than ~24.8 days; re-arm in steps for far schedules.
      const delay = Math.min(Math.max(0, next.getTime() - Date.now()), 2 ** 31 - 1);
      const handle = setTimeout(() => {
        handles.delete(handle);
        if (stopped) return;
        if (Date.now() + 5 < next.getTime()) return arm();
        void fire(next).finally(arm);
      }, delay);
      handles.add(handle);
    };
    if (registration.trigger.runOnStartup === true) void fire(undefined).finally(arm);
    else arm();
  }

  return {
    stop(): void {
      stopped = true;
      for (const handle of handles) clearTimeout(handle);
      handles.clear();
      for (const wake of [...sleepers]) wake();
    },
  };
}
