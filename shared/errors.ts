/** Re-exported from the domain so adapters and Functions import errors from one well-known place. */
export {
  TriageError,
  ensureError,
  isTriageError,
  type TriageErrorCode,
  type FieldProblem,
} from './domain/errors';
