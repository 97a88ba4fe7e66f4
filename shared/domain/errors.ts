/**
 * The one error type callers can act on. `code` is a closed union; `retryable` decides between
 * "throw and let Service Bus redeliver" and "record the failure and complete the message".
 */
export type TriageErrorCode =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'idempotency-mismatch'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'invalid-transition'
  | 'concurrency'
  | 'dependency-unavailable'
  | 'execution-failed'
  | 'configuration';

/** One bad field of an input, by its dotted path (`mailboxes.3.address`). */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface TriageErrorOptions {
  retryable?: boolean;
  fields?: FieldProblem[];
  /** How many problems there were in all, when `fields` lists only the first 100. */
  errorCount?: number;
  cause?: unknown;
}

/** Codes a retry can help with unless the thrower says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<TriageErrorCode> = new Set(['concurrency', 'dependency-unavailable']);

export class TriageError extends Error {
  override readonly name = 'TriageError';
  readonly code: TriageErrorCode;
  readonly retryable: boolean;
  readonly fields: FieldProblem[];
  /** Problems in all (`fields.length` unless more were found than listed). */
  readonly errorCount: number;

  constructor(code: TriageErrorCode, message: string, options: TriageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.fields = options.fields ?? [];
    this.errorCount = options.errorCount ?? this.fields.length;
  }
}

/** Checks by name and code, not `instanceof`, so it works across package copies. */
export function isTriageError(err: unknown, code?: TriageErrorCode): err is TriageError {
  if (typeof err !== 'object' || err === null) return false;
  const candidate = err as { name?: unknown; code?: unknown };
  return candidate.name === 'TriageError' && (code === undefined || candidate.code === code);
}

/** Whether a retry can help: a TriageError says so; anything else (an outage, a bug) is assumed transient. */
export function isRetryable(err: unknown): boolean {
  return isTriageError(err) ? err.retryable : true;
}

/** Normalises anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function ensureError(err: unknown): Error {
  // The tag test also recognises errors from another realm (vm contexts, jest), where instanceof fails.
  if (err instanceof Error || Object.prototype.toString.call(err) === '[object Error]') return err as Error;
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') {
    const wrapped = new Error(err.message, { cause: err });
    if ('name' in err && typeof err.name === 'string') wrapped.name = err.name;
    return wrapped;
  }
  let text: string;
  try {
    text = typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    text = String(err);
  }
  return new Error(`non-error thrown: ${text}`, { cause: err });
}
