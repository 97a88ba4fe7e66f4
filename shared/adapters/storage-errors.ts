import { TriageError } from '../domain/errors';

/** The HTTP status of a storage error, including a failed entity-group transaction's inner status. */
export function storageStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; response?: { status?: unknown }; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.response?.status === 'number') return e.response.status;
  return undefined;
}

/**
 * Maps 409/412 to TriageErrors the use-cases understand, and an outage (no answer, a timeout, throttling, a
 * 5xx) to `dependency-unavailable` (retryable; HTTP 503); anything else (a 400 from a bug) propagates unchanged.
 */
export function mapStorageError(err: unknown, what: string): never {
  if (isTriageErrorLike(err)) throw err;
  const status = storageStatus(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (status === 412 || code === 'UpdateConditionNotSatisfied' || code === 'ConditionNotMet') {
    throw new TriageError('concurrency', `${what} changed since it was read`, { cause: err });
  }
  if (status === 409 || code === 'EntityAlreadyExists') {
    throw new TriageError('conflict', `${what} already exists`, { cause: err });
  }
  if (isOutage(err) && !(err instanceof TypeError || err instanceof RangeError)) {
    const message = err instanceof Error ? err.message : String(err);
    throw new TriageError('dependency-unavailable', `Storage is unavailable (${what}): ${message}`, {
      cause: err,
    });
  }
  throw err;
}

/** Runs one storage call, translating what it throws (see {@link mapStorageError}). */
export async function storageCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err: unknown) {
    return mapStorageError(err, what);
  }
}

export function isNotFound(err: unknown): boolean {
  return storageStatus(err) === 404;
}

/** An outage rather than an answer: no HTTP status (the connection failed), a timeout, throttling or a 5xx. */
export function isOutage(err: unknown): boolean {
  const status = storageStatus(err);
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/**
 * Translates what Storage answered into the errors the use-cases understand: 404 → `not-found`,
 * 409 → `conflict`, 412 → `concurrency`, an outage → `dependency-unavailable` (retryable). Anything else
 * (a 400 from a bug) propagates unchanged.
 */
export function translateStorageError(err: unknown, what: string): never {
  if (isNotFound(err)) throw new TriageError('not-found', `${what} does not exist`, { cause: err });
  return mapStorageError(err, what);
}

function isTriageErrorLike(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'TriageError';
}

/** A read whose "not found" answer means "there is none": null instead of a thrown 404. */
export async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err: unknown) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
