/**
 * The CLI's only way in: the HTTP API (never the storage), with the function key and a bearer token when
 * given. A non-2xx answer becomes an `ApiError` carrying the problem document's fields.
 */
export interface ClientOptions {
  url: string;
  key?: string;
  token?: string;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** The API refused, or could not be reached (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export class ApiClient {
  constructor(private readonly options: ClientOptions) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.options.key ? { 'x-functions-key': this.options.key } : {}),
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...extra,
    };
  }

  /** The full URL of an API path (`/api/...`), with query parameters that are set. */
  urlOf(path: string, query: Record<string, string | number | boolean | undefined> = {}): string {
    const url = new URL(path, this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /**
   * One call; `body` is sent as JSON unless it is a stream or a string with its own content type.
   * @throws ApiError for a non-2xx answer (with the problem's field list) or when the API is unreachable.
   */
  async request(
    method: string,
    path: string,
    options: {
      query?: Record<string, string | number | boolean | undefined>;
      body?: unknown;
      contentType?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<RawResponse> {
    const init: RequestInit & { duplex?: 'half' } = { method, headers: this.headers(options.headers) };
    if (options.body !== undefined) {
      const raw = typeof options.body === 'string' || isStream(options.body);
      init.body = (raw ? options.body : JSON.stringify(options.body)) as RequestInit['body'];
      (init.headers as Record<string, string>)['content-type'] = options.contentType ?? 'application/json';
      if (isStream(options.body)) init.duplex = 'half';
    }
    let response: Response;
    try {
      response = await fetch(this.urlOf(path, options.query), init);
    } catch (err: unknown) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        0,
        `cannot reach ${this.options.url}: ${cause?.code ?? cause?.message ?? String(err)}`,
      );
    }
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    if (!response.ok) throw problemError(response.status, body);
    return { status: response.status, headers: response.headers, body };
  }

  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: Parameters<ApiClient['request']>[2] = {},
  ): Promise<T> {
    return (await this.request(method, path, options)).body as T;
  }
}

function isStream(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** A problem document (RFC 9457) as an error: its detail, and each bad field with its message. */
function problemError(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null) {
    const problem = body as { title?: string; detail?: string; errors?: FieldProblem[] };
    const message = problem.detail ?? problem.title ?? `HTTP ${status}`;
    return new ApiError(status, message, Array.isArray(problem.errors) ? problem.errors : []);
  }
  const text = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : `HTTP ${status}`;
  return new ApiError(status, text);
}
