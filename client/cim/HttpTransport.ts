// Owns the sockets to one WBEM server: an undici Pool with keep-alive, the three timeouts, TLS
// settings, Basic auth, retries of safe operations, and the mapping of every network and HTTP
// failure onto the client's typed errors. Knows nothing of CIM-XML beyond the headers.
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { basicAuthorization, cimRequestHeaders, type CimCall } from './CimHeaders.js';
import {
  AuthenticationError, ContentTypeError, ForbiddenError, HttpStatusError, InvalidArgumentError, ResponseParseError, TimeoutError, TransportError,
  type ClientError,
} from './ClientError.js';
import { mapTransportError } from './mapTransportError.js';
import {
  DEFAULT_CIM_PATH, DEFAULT_CONNECTIONS, DEFAULT_RETRIES, DEFAULT_TIMEOUTS, type ConnectionOptions, type TlsOptions, type Timeouts,
} from './ConnectionOptions.js';

/** Operations that read only: re-sending one after a lost connection cannot change server state. */
const SAFE_OPERATIONS = new Set([
  'getclass', 'getinstance', 'getproperty', 'getqualifier', 'enumerateclasses', 'enumerateclassnames',
  'enumerateinstances', 'enumerateinstancenames', 'enumeratequalifiers', 'associators', 'associatornames',
  'references', 'referencenames', 'execquery',
  'openenumerateinstances', 'openenumerateinstancepaths', 'openassociatorinstances', 'openassociatorinstancepaths',
  'openreferenceinstances', 'openreferenceinstancepaths', 'openqueryinstances',
]);

export function isSafeOperation(method: string, intrinsic: boolean): boolean {
  return intrinsic && SAFE_OPERATIONS.has(method.toLowerCase());
}

/** A response whose status and content type were checked; the body is still unread. */
export interface CimHttpResponse {
  headers: Record<string, string | string[] | undefined>;
  /** The raw body stream (chunks as they arrive); read errors must go through bodyError. */
  stream: Readable;
  /** Sees each chunk (tracing); undefined when nobody asked. */
  onChunk: ((chunk: Buffer) => void) | undefined;
  /** The client error for a failure while reading the body (after `received` bytes, when known). */
  bodyError(e: unknown, received?: number): ClientError;
  /** Ends the operation's total deadline; readers call it when they are done, however they end. */
  release(): void;
  /** The whole body at once (for answers of one object or none: cheaper than chunk events). */
  readAll(): Promise<Buffer>;
  /** Discards the rest of the body and frees the socket. */
  dump(): Promise<void>;
  /** The DSP0200 CIMStatusCode trailer as a CimError, once the body has ended; null when absent or 0. */
  trailerError(): CimError | null;
}

function readPem(file: string | undefined, inline: string | Buffer | undefined, what: string): string | Buffer | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InvalidArgumentError(`cannot read the ${what} file ${file}: ${(e as Error).message}`);
  }
}

export class HttpTransport {
  readonly origin: string;
  readonly target: string;
  readonly timeouts: Timeouts;
  readonly retries: number;
  /** The user sent in Basic auth, if any (named in authentication errors). */
  readonly user: string | undefined;
  private readonly pool: Pool;
  private readonly authorization: string | undefined;
  private readonly cimPath: string;
  private closed = false;

  constructor(
    url: string,
    private readonly options: ConnectionOptions = {},
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new InvalidArgumentError(`"${url}" is not a URL; write http://host:5988 or https://host:5989`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new InvalidArgumentError(`unsupported scheme "${u.protocol}" in ${url}; use http or https`);
    }
    const port = u.port || (u.protocol === 'https:' ? '5989' : '5988');
    this.origin = `${u.protocol}//${u.hostname}:${port}`;
    this.target = `${u.hostname}:${port}`;
    const user = options.user ?? (u.username ? decodeURIComponent(u.username) : undefined);
    const password = options.password ?? (u.password ? decodeURIComponent(u.password) : '');
    this.user = user;
    this.authorization = user !== undefined ? basicAuthorization(user, password) : undefined;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.cimPath = options.cimPath ?? DEFAULT_CIM_PATH;
    this.pool = new Pool(this.origin, {
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: this.timeouts.connect,
      headersTimeout: this.timeouts.headers,
      bodyTimeout: this.timeouts.body,
      connect: u.protocol === 'https:' ? HttpTransport.tlsConnectOptions(options.tls ?? {}) : {},
    });
  }

  private static tlsConnectOptions(tls: TlsOptions): Record<string, unknown> {
    const o: Record<string, unknown> = { rejectUnauthorized: !tls.noVerify };
    const ca = readPem(tls.caFile, tls.ca, 'CA certificate');
    const cert = readPem(tls.certFile, tls.cert, 'client certificate');
    const key = readPem(tls.keyFile, tls.key, 'client key');
    if (ca !== undefined) o.ca = ca;
    if (cert !== undefined) o.cert = cert;
    if (key !== undefined) o.key = key;
    if ((cert === undefined) !== (key === undefined)) {
      throw new InvalidArgumentError('a client certificate needs its private key and the other way round (-clientcert with -clientkey)');
    }
    return o;
  }

  /**
   * Posts one operation and returns once the response headers arrived and were checked.
   * Safe operations are re-sent (up to `retries` times) when the connection reset or the connect
   * timed out before any response came back.
   */
  async post(call: CimCall, body: string, intrinsic: boolean): Promise<CimHttpResponse> {
    if (this.closed) throw new TransportError('CLOSED', 'this connection was closed; open a new one', this.target);
    const attempts = isSafeOperation(call.method, intrinsic) ? this.retries + 1 : 1;
    const headers = cimRequestHeaders(call, this.authorization);
    this.options.trace?.('request', body);
    // The total deadline covers every attempt and the whole body; the reader releases it.
    let timer: NodeJS.Timeout | undefined;
    let signal: AbortSignal | undefined;
    if (this.timeouts.total > 0) {
      const deadline = new AbortController();
      signal = deadline.signal;
      timer = setTimeout(() => deadline.abort(new TimeoutError('total', this.timeouts.total, this.target)), this.timeouts.total);
    }
    const release = (): void => clearTimeout(timer);
    let last: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await this.pool.request({ path: this.cimPath, method: 'POST', headers, body, signal });
      } catch (e) {
        const mapped = this.mapError(signal?.aborted ? signal.reason : e, 'headers');
        last = mapped;
        const retryable = mapped.code === 'CONNECTION_RESET' || (mapped instanceof TimeoutError && mapped.phase === 'connect');
        if (retryable && attempt + 1 < attempts) continue;
        release();
        throw mapped;
      }
      try {
        return await this.checkResponse(res, call.method, signal, release);
      } catch (e) {
        release();
        throw e;
      }
    }
    release();
    throw last;
  }

  private async checkResponse(res: Dispatcher.ResponseData, operation: string, signal: AbortSignal | undefined, release: () => void): Promise<CimHttpResponse> {
    const h = res.headers;
    if (this.options.trace) {
      for (const [name, value] of Object.entries(h)) {
        const shown = name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
        for (const v of Array.isArray(value) ? value : [value]) this.options.trace('response-header', `${shown}: ${v ?? ''}`);
      }
    }
    const header = (name: string): string | undefined => {
      const v = h[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (res.statusCode !== 200) {
      // Error bodies are small or irrelevant; read a little so the socket can be reused.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const cimError = header('cimerror');
      if (res.statusCode === 401) {
        const m = /realm="([^"]*)"/i.exec(header('www-authenticate') ?? '');
        throw new AuthenticationError(m?.[1], this.user);
      }
      if (res.statusCode === 403) throw new ForbiddenError(this.user, operation);
      if (cimError) {
        throw new HttpStatusError(res.statusCode, '', `the server rejected the ${operation} request (HTTP ${res.statusCode}, CIMError: ${cimError}); ` +
          (cimError === 'unsupported-operation' ? 'it does not implement this operation' : 'the request does not follow DSP0200/DSP0201'),
          'PROTOCOL', cimError);
      }
      throw new HttpStatusError(res.statusCode, '', `the server at ${this.target} answered ${operation} with HTTP ${res.statusCode}; ` +
        (res.statusCode >= 500 ? 'it failed internally — see its log' : 'check the URL and the request'));
    }
    const ct = header('content-type');
    if (!ct || !/^\s*(application|text)\/xml\s*(;|$)/i.test(ct)) {
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw new ContentTypeError(ct, this.target);
    }
    // Some servers (wbemcli's peers) put a CIMError header on a 200 answer instead of an ERROR element.
    const cimError = header('cimerror');
    if (cimError && !header('cimoperation')) {
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw new CimError(CimStatus.CIM_ERR_FAILED, `server reported CIMError: ${cimError}`);
    }
    const trace = this.options.trace;
    return {
      headers: h,
      stream: res.body,
      onChunk: trace ? (c) => trace('response', c) : undefined,
      release,
      bodyError: (e, received) => {
        const mapped = this.mapError(signal?.aborted ? signal.reason : e, 'body');
        if (mapped.code === 'CONNECTION_RESET') {
          const after = received === undefined ? '' : ` after ${received} bytes`;
          return new ResponseParseError(`the connection closed${after}, before the response was complete (truncated)`, operation, { cause: e });
        }
        return mapped;
      },
      readAll: async () => Buffer.from(await res.body.arrayBuffer()),
      dump: () => res.body.dump({ limit: 0 }).catch(() => undefined),
      trailerError: () => {
        const t = res.trailers as Record<string, string | undefined>;
        const code = Number(t?.cimstatuscode ?? 0);
        if (!Number.isInteger(code) || code === 0) return null;
        let description = t.cimstatuscodedescription ?? '';
        try {
          description = decodeURIComponent(description);
        } catch {
          // Not %-encoded after all: show it as sent.
        }
        return new CimError(code as CimStatus, description || `the server failed while answering ${operation}`);
      },
    };
  }

  /** The client error for a failure of this transport's network or TLS (see mapTransportError). */
  mapError(e: unknown, phase: 'headers' | 'body'): ClientError {
    return mapTransportError(e, phase, this.target, this.timeouts);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close().catch(() => undefined);
  }

  /** Closes at once, aborting requests in flight. */
  async destroy(): Promise<void> {
    this.closed = true;
    await this.pool.destroy().catch(() => undefined);
  }
}
