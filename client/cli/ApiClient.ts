// The `tvdc` CLI's client of the management server's JSON API: HTTP Basic on every request,
// `{"error": {"code", "message"}}` answers turned into ApiClientError.
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { UsageError, readTextFile } from './commandKit.js';

/** Valued options every API verb accepts (environment: TVDC_SERVER, TVDC_USER, TVDC_PASSWORD, TVDC_CACERT). */
export const API_OPTIONS: readonly string[] = ['server', 'user', 'password', 'cacert'];

const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/**
 * How long the CLI waits for the server's answer. The server bounds each call to a host (a minute
 * for a whole answer) and says which host failed; this is the last resort when it does not answer.
 */
const ANSWER_TIMEOUT_MS = 120_000;

/**
 * The server refused (status and code from its answer), could not be reached (status 0, code
 * SERVER_UNREACHABLE), took the request but did not answer in time (status 0, SERVER_TIMEOUT) or
 * answered something that is not the API (status as sent, BAD_RESPONSE).
 */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The answer's Retry-After in seconds (TOO_MANY_ATTEMPTS), when it had one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class ApiClient {
  /** Every open client, so a command's process can close their sockets and exit. */
  private static readonly open = new Set<ApiClient>();
  private readonly authorization: string;
  private readonly dispatcher: Dispatcher;

  constructor(
    readonly server: string,
    user: string,
    password: string,
    tls: { ca?: string } = {},
    /** How long to wait for an answer (tests). */
    private readonly answerTimeoutMs = ANSWER_TIMEOUT_MS,
  ) {
    this.authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
    this.dispatcher = new Agent({ connect: { ...(tls.ca ? { ca: tls.ca } : {}), timeout: 10_000 }, headersTimeout: answerTimeoutMs, bodyTimeout: answerTimeoutMs });
    ApiClient.open.add(this);
  }

  static async closeAll(): Promise<void> {
    const all = [...ApiClient.open];
    ApiClient.open.clear();
    await Promise.all(all.map((c) => c.dispatcher.close()));
  }

  /** --server URL (env TVDC_SERVER, default http://127.0.0.1:8080), --user / --password (env TVDC_USER / TVDC_PASSWORD), --cacert FILE. */
  static fromOptions(opts: Map<string, string>): ApiClient {
    const server = opts.get('server') ?? process.env['TVDC_SERVER'] ?? DEFAULT_SERVER;
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(`--server must be a URL like ${DEFAULT_SERVER}, not ${server}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http or https URL, not ${server}`);
    const user = opts.get('user') ?? process.env['TVDC_USER'];
    const password = opts.get('password') ?? process.env['TVDC_PASSWORD'];
    if (!user) throw new UsageError('no user: give --user or set TVDC_USER');
    if (password === undefined) throw new UsageError('no password: give --password or set TVDC_PASSWORD');
    const cacert = opts.get('cacert') ?? process.env['TVDC_CACERT'];
    const ca = cacert ? readTextFile(cacert, '--cacert') : undefined;
    return new ApiClient(url.origin, user, password, ca ? { ca } : {});
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  async close(): Promise<void> {
    ApiClient.open.delete(this);
    await this.dispatcher.close();
  }

  /**
   * A request that got no (whole) answer. A timeout is this side giving up on a server that took
   * the request, which may still be carrying it out; only a failed connection is "unreachable".
   */
  private transportFailure(e: unknown): ApiClientError {
    const ms = this.answerTimeoutMs;
    const waited = ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
    if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
      const what = e instanceof undiciErrors.HeadersTimeoutError ? 'answered' : 'finished its answer';
      return new ApiClientError(0, 'SERVER_TIMEOUT', `${this.server} took the request but has not ${what} within ${waited} (this client gave up waiting); `
        + 'the server may still be carrying it out: look at the outcome (tvdc audit list, or the list the change concerns) before repeating it');
    }
    if (e instanceof undiciErrors.ConnectTimeoutError) return new ApiClientError(0, 'SERVER_UNREACHABLE', `cannot reach ${this.server}: connecting timed out`);
    return new ApiClientError(0, 'SERVER_UNREACHABLE', `cannot reach ${this.server}: ${(e as Error).message}`);
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.server + path, {
        method,
        dispatcher: this.dispatcher,
        // The server takes a change only as JSON, also without a body (its defence against
        // other sites' form posts), so every method but GET says so.
        headers: { authorization: this.authorization, accept: 'application/json', ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw this.transportFailure(e);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw this.transportFailure(e);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ApiClientError(res.statusCode, 'BAD_RESPONSE', `${this.server} answered HTTP ${res.statusCode} without JSON; is it a tvdc server?`);
    }
    if (res.statusCode === 200) return doc as T;
    const err = (doc as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof err?.code === 'string') {
      const retryAfter = res.headers['retry-after'];
      const seconds = typeof retryAfter === 'string' && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
      throw new ApiClientError(res.statusCode, err.code, typeof err.message === 'string' ? err.message : err.code, seconds);
    }
    throw new ApiClientError(res.statusCode, 'BAD_RESPONSE', `${this.server} answered HTTP ${res.statusCode}`);
  }
}

/** Path segment escaping for names that go into API URLs. */
export function seg(name: string): string {
  return encodeURIComponent(name);
}

/** The query string of an API URL (`?a=1&b=2`, or nothing), of the parameters that are given. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
