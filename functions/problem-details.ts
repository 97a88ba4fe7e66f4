import { isTriageError, type FieldProblem, type TriageErrorCode } from '../shared/domain/errors';

/** RFC 9457 problem details, with the bad fields listed under `errors`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  errors?: FieldProblem[];
  /** Problems in all, when `errors` lists only the first 100. */
  errorCount?: number;
}

const statusByCode: Record<TriageErrorCode, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'idempotency-mismatch': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'invalid-transition': 409,
  concurrency: 409,
  'dependency-unavailable': 503,
  'execution-failed': 500,
  configuration: 500,
};

const titleByStatus: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Builds a problem document for an HTTP status. */
export function problem(
  status: number,
  detail?: string,
  extra: Partial<ProblemDetails> = {},
): ProblemDetails {
  return {
    type: extra.code ? `https://triage.example/problems/${extra.code}` : 'about:blank',
    title: titleByStatus[status] ?? 'Error',
    status,
    ...(detail === undefined ? {} : { detail }),
    ...extra,
  };
}

/** Seconds a caller should wait before trying again after a 503 (a dependency outage). */
export const retryAfterSeconds = 30;

/** Maps anything thrown to a problem; only TriageErrors show their message (others are not for callers). */
export function problemFromError(err: unknown, instance?: string): ProblemDetails {
  if (isTriageError(err)) {
    const status = statusByCode[err.code];
    return problem(status, err.message, {
      code: err.code,
      ...(instance ? { instance } : {}),
      ...(err.fields.length > 0 ? { errors: err.fields } : {}),
      ...(err.errorCount > err.fields.length ? { errorCount: err.errorCount } : {}),
    });
  }
  return problem(500, 'unexpected error; see the logs', instance ? { instance } : {});
}
