/** Normalises whatever a `catch` received into an Error, keeping Error instances as they are. */
export function ensureError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
