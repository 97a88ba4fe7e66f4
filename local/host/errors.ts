/** Normalises whatever was thrown into an Error, so catch boundaries can read `message` and `name`. */
export function ensureError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (typeof err === 'object' && err !== null && 'message' in err) {
    const error = new Error(String((err as { message: unknown }).message));
    if ('name' in err) error.name = String((err as { name: unknown }).name);
    return error;
  }
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
