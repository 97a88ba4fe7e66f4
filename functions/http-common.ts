import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { visit, type ParseErrorCode } from 'jsonc-parser';
import type { CallerApp } from '../shared/app/index';
import { ensureError, isTriageError, TriageError } from '../shared/domain/errors';
import { requireAttempt, type Action } from '../shared/domain/identity/authorization';
import { hasCredentials, type Credentials } from '../shared/domain/identity/credentials';
import { easyAuthPrincipalHeader } from '../shared/domain/identity/easy-auth';
import { problem, problemFromError, retryAfterSeconds, type ProblemDetails } from './problem-details';
import { getApp, getConfig } from './runtime';
import { settingNames } from '../shared/config';

export function problemResponse(
  details: ProblemDetails,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status: details.status,
    headers: {
      'Content-Type': 'application/problem+json',
      // A dependency outage is temporary: say when to come back (RFC 9110 §10.2.3).
      ...(details.status === 503 ? { 'Retry-After': String(retryAfterSeconds) } : {}),
      ...headers,
    },
    body: JSON.stringify(details),
  };
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A CSV download streamed from `body`; the file name keeps only characters safe in a header. */
export function csvAttachment(body: AsyncIterable<Uint8Array>, fileName: string): HttpResponseInit {
  return {
    status: 200,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    },
    body,
  };
}

/** Reads the body up to `maxBytes`, rejecting larger ones without buffering them. @throws TriageError `payload-too-large`. */
export async function readBodyBytes(request: HttpRequest, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new TriageError('payload-too-large', `the body is ${declared} bytes; the limit is ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (!request.body) return Buffer.alloc(0);
  for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw new TriageError('payload-too-large', `the body exceeds the limit of ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Parses a JSON body within the configured size limit.
 * @throws TriageError `payload-too-large`, `unsupported-media-type` or `validation` (malformed JSON).
 */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? 'application/json';
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType)) {
    throw new TriageError('unsupported-media-type', `expected application/json, got ${contentType}`);
  }
  const bytes = await readBodyBytes(request, getConfig().maxBodyBytes);
  return parseStrictJson(bytes.toString('utf8'));
}

/**
 * JSON.parse, refusing what it would silently accept: a key repeated in one object (JSON.parse keeps the
 * last one, so two parsers could read the same body differently).
 * @throws TriageError `validation` naming the first repeated key, or `(body)` for malformed JSON.
 */
export function parseStrictJson(text: string): unknown {
  const keys: Array<Set<string>> = [];
  let duplicate: string | undefined;
  let syntaxError: ParseErrorCode | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        keys.push(new Set());
      },
      onObjectEnd: () => {
        keys.pop();
      },
      onObjectProperty: (property, _offset, _length, _line, _column, pathSupplier) => {
        const seen = keys.at(-1);
        if (duplicate === undefined && seen?.has(property)) {
          duplicate = [...pathSupplier(), property].map(String).join('.');
        }
        seen?.add(property);
      },
      onError: (error) => {
        syntaxError ??= error;
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (duplicate !== undefined && syntaxError === undefined) {
    throw new TriageError('validation', `duplicate JSON key "${duplicate}"`, {
      fields: [{ field: duplicate, message: 'this key appears more than once in its object' }],
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    throw new TriageError('validation', `malformed JSON: ${ensureError(err).message.slice(0, 200)}`, {
      fields: [{ field: '(body)', message: 'not valid JSON' }],
    });
  }
}

/** The request's URL for a log line: the function key a caller put in `?code=` is never written to a log. */
export function loggableUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('code')) parsed.searchParams.set('code', 'REDACTED');
  return `${parsed.pathname}${parsed.search}`;
}

/** An upload's body, refused as it streams once it passes the upload limit (never buffered whole). */
export async function* limitedBody(
  request: HttpRequest,
  body: AsyncIterable<Uint8Array>,
  maxBytes = Math.max(getConfig().maxBodyBytes, 64 * 1024 * 1024),
): AsyncIterable<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new TriageError('payload-too-large', `the upload is ${declared} bytes; the limit is ${maxBytes}`);
  }
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new TriageError('payload-too-large', `the upload exceeds ${maxBytes} bytes`);
    yield chunk;
  }
}

/** The query parameters; a repeated one is joined so that validation refuses it (one value per parameter). */
export function queryOf(request: HttpRequest): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of request.query.entries()) {
    // `code` is the function key, read by the host (Azure's `?code=` convention), not a parameter.
    if (name === 'code') continue;
    query[name] = name in query ? `${query[name]}\u0000${value}` : value;
  }
  return query;
}

/** Runs a handler body, turning thrown errors into problem responses (unexpected ones are logged, not shown). */
export async function withProblems(
  request: HttpRequest,
  context: InvocationContext,
  handler: () => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  try {
    return await handler();
  } catch (err: unknown) {
    const details = problemFromError(err, new URL(request.url).pathname);
    if (details.status >= 500)
      context.error(`${request.method} ${loggableUrl(request.url)} failed: ${ensureError(err).stack ?? ''}`);
    return problemResponse(details);
  }
}

/** A handler that runs for an authenticated principal holding a role for its action. */
export type AuthorizedHandler = (
  request: HttpRequest,
  context: InvocationContext,
  caller: CallerApp,
) => Promise<HttpResponseInit>;

const declaredActions = new WeakMap<HttpHandler, Action>();

/** The action a handler built by {@link authorized} declared (the role matrix and OpenAPI read it). */
/**
 * The host-level gate of every API route: the function key (`required`, the default), or none with
 * `TRIAGE_FUNCTION_KEYS=off` (the token is then the only gate, and every 401 is the app's, with a body). An
 * HTTP route's auth level is fixed when it is registered, so the setting is read then.
 */
export const apiAuthLevel: 'function' | 'anonymous' =
  process.env[settingNames.functionKeys] === 'off' ? 'anonymous' : 'function';

export function declaredAction(handler: HttpHandler): Action | undefined {
  return declaredActions.get(handler);
}

/**
 * Authentication for every HTTP Function, in one place: finds who is asking (401 with `WWW-Authenticate`
 * when no one, or no valid one), refuses a principal with no role for `action` (403), then hands the
 * handler the use-cases bound to that principal — which decide, per organisation, what it may see and do.
 * Function keys stay the outer gate (the registration's `authLevel`).
 */
export function authorized(action: Action, handler: AuthorizedHandler): HttpHandler {
  const wrapped: HttpHandler = (request, context) =>
    withProblems(request, context, async () => {
      const app = await getApp();
      const credentials: Credentials = {
        authorization: request.headers.get('authorization'),
        clientPrincipal: request.headers.get(easyAuthPrincipalHeader),
      };
      let principal;
      try {
        principal = await app.authenticate(credentials);
      } catch (err: unknown) {
        if (!isTriageError(err, 'unauthenticated')) throw err;
        return problemResponse(problemFromError(err, new URL(request.url).pathname), {
          'WWW-Authenticate': challenge(hasCredentials(credentials) ? err.message : undefined),
        });
      }
      try {
        requireAttempt(principal, action);
      } catch (err: unknown) {
        context.warn(`${action} refused to ${principal.id} (roles: ${principal.roles.join(', ') || 'none'})`);
        throw err;
      }
      return handler(request, context, app.as(principal));
    });
  declaredActions.set(wrapped, action);
  return wrapped;
}

/** RFC 6750 §3: no `error` when the call carried no credentials at all. */
function challenge(invalidReason?: string): string {
  const realm = 'Bearer realm="triage"';
  if (invalidReason === undefined) return realm;
  const description = invalidReason.replace(/[^\x20-\x7e]|["\\]/g, '');
  return `${realm}, error="invalid_token", error_description="${description}"`;
}

export { problem };
