import { TriageError } from '../domain/errors';

/** The HTTP status of a storage error, including a failed entity-group transaction's inner status. */
export function storageStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; response?: { status?: unknown }; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.response?.status === 'number') return e.response.status;
  return undefined;
}

/** Maps 409/412 to TriageErrors the use-cases understand; anything else propagates unchanged. */
export function mapStorageError(err: unknown, what: string): never {
  const status = storageStatus(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (status === 412 || code === 'UpdateConditionNotSatisfied' || code === 'ConditionNotMet') {
    throw new TriageError('concurrency', `${what} changed since it was read`, { cause: err });
  }
  if (status === 409 || code === 'EntityAlreadyExists') {
    throw new TriageError('conflict', `${what} already exists`, { cause: err });
  }
  throw err;
}

export function isNotFound(err: unknown): boolean {
  return storageStatus(err) === 404;
}
