/** What a caller presents, as the HTTP layer found it, and how much of it can be read without I/O. */
import { TriageError } from '../errors';

/** The raw credentials of one HTTP call. */
export interface Credentials {
  /** The `Authorization` header. */
  authorization?: string | null;
  /** EasyAuth's `x-ms-client-principal` header (trusted only in `easyauth` mode). */
  clientPrincipal?: string | null;
}

/** Longest token accepted: Entra tokens with many roles stay well below it; bigger input is not a token. */
export const maxTokenLength = 16 * 1024;

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750; the scheme is case-insensitive).
 * @throws TriageError `unauthenticated` when there is no header, another scheme, or no token.
 */
export function bearerToken(authorization: string | null | undefined): string {
  if (authorization === null || authorization === undefined || authorization.trim() === '') {
    throw new TriageError('unauthenticated', 'no bearer token');
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!match?.[1]) {
    throw new TriageError('unauthenticated', 'the Authorization header is not "Bearer <token>"');
  }
  if (match[1].length > maxTokenLength) throw new TriageError('unauthenticated', 'the token is too long');
  return match[1];
}

/** Whether the call carried any credential at all (RFC 6750: then the challenge names no error). */
export function hasCredentials(credentials: Credentials): boolean {
  return Boolean(credentials.authorization?.trim() || credentials.clientPrincipal?.trim());
}
