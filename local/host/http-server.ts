/**
 * The host's HTTP front: routes requests to HTTP-triggered functions under the route prefix,
 * checks keys when asked to, and maps rpc http data to and from the wire like the real host.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { ensureError } from '../../shared/domain/errors';
import type { RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from './functions-core';
import type { Invoker } from './invoker';
import type { FunctionRegistration } from './registrations';
import { compareRoutes, compileRoute, matchRoute, type CompiledRoute } from './routes';

export interface HttpFrontOptions {
  registrations: FunctionRegistration[];
  invoker: Invoker;
  routePrefix: string;
  maxRequestBodySizeInBytes: number;
  enforceKeys?: { masterKey: string; functionKey?: string };
  cors?: CorsOptions;
  log: (line: string) => void;
  /** Functions switched off by `AzureWebJobs.<name>.Disabled`: 404, unless called with the master key. */
  disabled?: Set<string>;
  /**
   * The worker's HTTP proxy URI (`app.setup({ enableHttpStream: true })`): requests and responses are
   * streamed through it, as the real host forwards them, instead of travelling as rpc data.
   */
  httpStreamUri?: string;
}

/** CORS like Core Tools' `Host.CORS` / `Host.CORSCredentials` in local.settings.json. */
export interface CorsOptions {
  /** Allowed origins; `*` allows any. */
  allowedOrigins: string[];
  supportCredentials?: boolean;
}

/** The Access-Control-Allow-Origin value for this request's Origin, or undefined when not allowed. */
function allowedOrigin(cors: CorsOptions | undefined, origin: string | undefined): string | undefined {
  if (!cors || !origin) return undefined;
  const any = cors.allowedOrigins.includes('*');
  if (!any && !cors.allowedOrigins.some((o) => o.toLowerCase() === origin.toLowerCase())) return undefined;
  // Credentials cannot be combined with a wildcard, so the origin is echoed then.
  return any && !cors.supportCredentials ? '*' : origin;
}

function applyCors(
  res: ServerResponse,
  cors: CorsOptions | undefined,
  allowOrigin: string | undefined,
): void {
  if (!allowOrigin) return;
  res.setHeader('access-control-allow-origin', allowOrigin);
  if (allowOrigin !== '*') res.setHeader('vary', 'Origin');
  if (cors?.supportCredentials) res.setHeader('access-control-allow-credentials', 'true');
}

export interface HttpRoute {
  registration: FunctionRegistration;
  route: CompiledRoute;
  /** Upper-case methods; undefined = every method. */
  methods?: string[];
  authLevel: string;
}

const httpReason = 'This function was programmatically called via the host APIs.';

/**
 * The HTTP routes of the registered functions, most specific first.
 * @throws TypeError when a route template is malformed.
 */
export function httpRoutes(registrations: FunctionRegistration[]): HttpRoute[] {
  return registrations
    .filter((r) => r.trigger.type.toLowerCase() === 'httptrigger')
    .map((registration): HttpRoute => {
      const methods = registration.trigger.methods;
      const route: HttpRoute = {
        registration,
        route: compileRoute(registration.trigger.route ?? registration.name),
        authLevel: String(registration.trigger.authLevel ?? 'function').toLowerCase(),
      };
      if (Array.isArray(methods) && methods.length > 0)
        route.methods = methods.map((m) => String(m).toUpperCase());
      return route;
    })
    .sort((a, b) => compareRoutes(a.route, b.route));
}

function sameSecret(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function givenKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? undefined;
}

function authorised(
  route: HttpRoute,
  req: IncomingMessage,
  url: URL,
  keys: HttpFrontOptions['enforceKeys'],
): boolean {
  if (!keys || route.authLevel === 'anonymous') return true;
  const given = givenKey(req, url);
  if (sameSecret(given, keys.masterKey)) return true;
  return route.authLevel === 'function' && sameSecret(given, keys.functionKey);
}

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

function cookieLine(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expires = cookie.expires?.value;
  if (expires) {
    const ms = expires instanceof Date ? expires.getTime() : Number(expires.seconds ?? 0) * 1000;
    parts.push(`Expires=${new Date(ms).toUTCString()}`);
  }
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None', none: undefined }[
    cookie.sameSite ?? 'none'
  ];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function bodyBytes(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string);
  if (typeof data.json === 'string') return Buffer.from(data.json);
  if (typeof data.int === 'number' || typeof data.double === 'number')
    return Buffer.from(String(data.int ?? data.double));
  return Buffer.alloc(0);
}

/** The http output of an invocation: `$return` or a named http output binding. */
function httpOutput(
  registration: FunctionRegistration,
  response: RpcInvocationResponse,
): RpcHttpData | undefined {
  for (const [name, binding] of Object.entries(registration.bindings)) {
    if (binding.direction !== 'out' || String(binding.type).toLowerCase() !== 'http') continue;
    const data =
      name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
    if (data?.http) return data.http;
  }
  return undefined;
}

/**
 * Every `Set-Cookie` header the handler set. The rpc form keeps one value per header name (the
 * last), which would drop all but one cookie, so they are read from the handler's own result.
 */
export function setCookieHeaders(result: unknown): string[] {
  if (typeof result !== 'object' || result === null || !('headers' in result)) return [];
  const headers: unknown = (result as { headers: unknown }).headers;
  if (headers instanceof Headers) return headers.getSetCookie();
  if (Array.isArray(headers)) {
    return headers
      .filter(
        (pair): pair is [string, string] =>
          Array.isArray(pair) && String(pair[0]).toLowerCase() === 'set-cookie',
      )
      .map((pair) => String(pair[1]));
  }
  if (typeof headers === 'object' && headers !== null) {
    // HttpResponse exposes a Headers-like object from another realm; duck-type getSetCookie.
    const getSetCookie = (headers as { getSetCookie?: unknown }).getSetCookie;
    if (typeof getSetCookie === 'function') return (getSetCookie as () => string[]).call(headers);
    return Object.entries(headers)
      .filter(([name]) => name.toLowerCase() === 'set-cookie')
      .flatMap(([, value]) => (Array.isArray(value) ? value.map(String) : [String(value)]));
  }
  return [];
}

function writeResponse(res: ServerResponse, http: RpcHttpData | undefined, headerCookies: string[]): void {
  // No response from the handler: 204 with an empty body, the documented default since Functions 2.x.
  const status = http === undefined ? 204 : http.statusCode ? Number(http.statusCode) : 200;
  res.statusCode = Number.isInteger(status) && status >= 100 && status <= 999 ? status : 500;
  const setCookies: string[] = [];
  for (const [name, value] of Object.entries(http?.headers ?? {})) {
    if (name.toLowerCase() === 'set-cookie') {
      if (headerCookies.length === 0) setCookies.push(value);
    } else {
      res.setHeader(name, value);
    }
  }
  setCookies.push(...headerCookies);
  for (const cookie of http?.cookies ?? []) setCookies.push(cookieLine(cookie));
  if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
  const body = bodyBytes(http?.body);
  const noBody = res.statusCode === 204 || res.statusCode === 304 || res.req.method === 'HEAD';
  if (!noBody) res.setHeader('content-length', body.length);
  res.end(noBody ? undefined : body);
}

function plain(res: ServerResponse, status: number, text = ''): void {
  res.statusCode = status;
  if (text) res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(text);
}

const homepageHtml = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Your Functions 4.0 app is up and running</title></head>
<body style="font-family: sans-serif; text-align: center; margin-top: 4em">
<h1>Your Functions 4.0 app is up and running</h1>
<p>Azure Functions is an event-based serverless compute experience to accelerate your development.</p>
<p><small>Served by the Triage local Functions host.</small></p>
</body>
</html>
`;

/** `GET /`: the host's home page, like the one Core Tools and Azure serve. */
function homepage(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(res.req.method === 'HEAD' ? undefined : homepageHtml);
}

function traceHeaders(req: IncomingMessage): { traceParent?: string; traceState?: string } {
  const parent = req.headers.traceparent;
  const state = req.headers.tracestate;
  return {
    ...(typeof parent === 'string' ? { traceParent: parent } : {}),
    ...(typeof state === 'string' ? { traceState: state } : {}),
  };
}

const hopByHopHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-ms-invocation-id',
]);

/**
 * HTTP streaming: the invocation's request goes to the worker's own HTTP server (`HttpUri`) with
 * `x-ms-invocation-id`, and its streamed response comes back to the caller as it is written — the
 * way the real host proxies to a Node.js worker with `enableHttpStream`.
 */
async function proxyThroughWorker(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  registration: FunctionRegistration,
  params: Record<string, string>,
  bindingData: Record<string, unknown>,
  trace: { traceParent?: string; traceState?: string },
  options: HttpFrontOptions,
): Promise<void> {
  const invocationId = randomUUID();
  const headers = requestHeaders(req);
  // The library reads headers and route parameters from the trigger metadata in streaming mode.
  const triggerMetadata: Record<string, RpcTypedData> = {
    Headers: { json: JSON.stringify(headers) },
    Query: { json: JSON.stringify(Object.fromEntries(url.searchParams)) },
  };
  for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };
  const method = (req.method ?? 'GET').toUpperCase();
  const outcome = options.invoker.invoke(registration, {
    reason: httpReason,
    invocationId,
    triggerData: { http: { method, url: url.toString(), headers, params } },
    triggerMetadata,
    bindingData,
    ...trace,
  });

  const target = new URL(`${url.pathname}${url.search}`, options.httpStreamUri);
  const forward = httpRequest(target, {
    method,
    headers: {
      ...req.headers,
      host: target.host,
      'x-ms-invocation-id': invocationId,
      'x-forwarded-host': req.headers.host ?? url.host,
      'x-forwarded-proto': 'http',
    },
  });
  let answered = false;
  const responded = new Promise<void>((resolve) => {
    forward.on('response', (workerResponse) => {
      answered = true;
      res.statusCode = workerResponse.statusCode ?? 500;
      for (const [name, value] of Object.entries(workerResponse.headers)) {
        if (value !== undefined && !hopByHopHeaders.has(name.toLowerCase())) res.setHeader(name, value);
      }
      workerResponse.pipe(res);
      workerResponse.on('end', resolve);
      workerResponse.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    forward.on('error', () => resolve());
  });
  let size = 0;
  let tooLarge = false;
  if (method === 'GET' || method === 'HEAD') {
    forward.end();
  } else {
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxRequestBodySizeInBytes && !tooLarge) {
        tooLarge = true;
        forward.destroy();
        res.setHeader('connection', 'close');
        if (!res.headersSent) plain(res, 413);
        return;
      }
      forward.write(chunk);
    });
    req.on('end', () => forward.end());
  }

  const result = await outcome;
  if (tooLarge || res.destroyed) return;
  if (!result.succeeded) {
    forward.destroy();
    if (!res.headersSent) plain(res, 500);
    else res.destroy();
    return;
  }
  // No response from the handler: no proxy response will come; the documented default is 204.
  if (!answered && (result.result === undefined || result.result === null)) {
    forward.destroy();
    plain(res, 204);
    return;
  }
  await responded;
}

/** Creates (does not start) the HTTP server. Never throws from a request: failures become 500s. */
export function createHttpFront(options: HttpFrontOptions): Server {
  const routes = httpRoutes(options.registrations);
  const prefix = options.routePrefix ? `/${options.routePrefix}` : '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = allowedOrigin(options.cors, req.headers.origin);
    applyCors(res, options.cors, origin);
    const preflightMethod = req.headers['access-control-request-method'];
    if (options.cors && method === 'OPTIONS' && typeof preflightMethod === 'string') {
      if (origin) {
        res.setHeader('access-control-allow-methods', preflightMethod);
        const requested = req.headers['access-control-request-headers'];
        if (typeof requested === 'string') res.setHeader('access-control-allow-headers', requested);
      }
      return plain(res, 204);
    }
    if (url.pathname === '/' && prefix !== '' && (method === 'GET' || method === 'HEAD')) {
      homepage(res);
      return;
    }
    const lowerPath = url.pathname.toLowerCase();
    if (prefix && lowerPath !== prefix && !lowerPath.startsWith(`${prefix}/`)) return plain(res, 404);
    const path = url.pathname.slice(prefix.length);

    let chosen: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const params = matchRoute(route.route, path);
      if (!params) continue;
      if (route.methods && !route.methods.includes(method)) continue;
      chosen = { route, params };
      break;
    }
    // The real host answers 404 for a route whose methods do not include this one (not 405).
    if (!chosen) {
      if (url.pathname === '/' && (method === 'GET' || method === 'HEAD')) return homepage(res);
      return plain(res, 404);
    }
    if (options.disabled?.has(chosen.route.registration.name)) {
      // Disabled functions still run for the master key, as documented; any other caller gets 404.
      const master = options.enforceKeys?.masterKey;
      if (!master || !sameSecret(givenKey(req, url), master)) return plain(res, 404);
    }
    if (!authorised(chosen.route, req, url, options.enforceKeys)) return plain(res, 401);

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxRequestBodySizeInBytes) {
      res.setHeader('connection', 'close');
      return plain(res, 413);
    }
    const bindingData: Record<string, unknown> = {
      ...Object.fromEntries(url.searchParams),
      ...chosen.params,
      Query: Object.fromEntries(url.searchParams),
    };
    const trace = traceHeaders(req);
    if (options.httpStreamUri) {
      await proxyThroughWorker(
        req,
        res,
        url,
        chosen.route.registration,
        chosen.params,
        bindingData,
        trace,
        options,
      );
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, options.maxRequestBodySizeInBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        return plain(res, 413);
      }
      throw err;
    }

    const headers = requestHeaders(req);
    const http: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      params: chosen.params,
    };
    if (body.length > 0) {
      http.body = { bytes: body };
      http.rawBody = { bytes: body };
    }
    const registration = chosen.route.registration;
    const outcome = await options.invoker.invoke(registration, {
      reason: httpReason,
      triggerData: { http },
      bindingData,
      ...trace,
    });
    if (res.destroyed) return;
    if (!outcome.succeeded) return plain(res, 500);
    writeResponse(res, httpOutput(registration, outcome.response), setCookieHeaders(outcome.result));
  };

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.log(`[host] request ${req.method} ${req.url} failed: ${ensureError(err).message}`);
      if (!res.headersSent) plain(res, 500);
      else res.destroy();
    });
  });
}
