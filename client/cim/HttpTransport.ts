// Owns the sockets to one WBEM server: an undici Pool with keep-alive, the timeouts, TLS settings,
// Basic auth, retries of safe operations, and the mapping of every network and HTTP failure onto
// the client's typed errors. Knows nothing of CIM-XML beyond the headers: the body goes, chunk by
// chunk as it arrives, to a ResponseReceiver.
//
// Requests go through undici's dispatch() with a handler of our own rather than request(): a CIM
// answer is decoded from the socket's chunks as they come, so the Readable stream, async resource
// and promise that request() builds for every response would be pure per-call cost, several
// microseconds on a small GetInstance.
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { BoundedMap } from '../../src/cim/BoundedMap.js';
import { basicAuthorization, cimRequestHeaders, type CimCall } from './CimHeaders.js';
import {
  AuthenticationError, ClientError, ContentTypeError, ForbiddenError, HttpStatusError, InvalidArgumentError, ResponseParseError, TimeoutError, TooManyAttemptsError, TransportError,
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

/** Error bodies and the rest of an abandoned answer are read this far (so the socket can be reused), no further. */
const DISCARD_LIMIT = 64 * 1024;

/** Where the body of a checked (200, CIM-XML) answer goes. */
export interface ResponseReceiver {
  /**
   * The next chunk of the body. Returns false to pause the socket until `Exchange.resume()`;
   * throws (a ResponseParseError) to abandon the answer, which then fails with that error.
   */
  onBody(chunk: Buffer): boolean;
  /** The body is complete; `trailer` is the CimError of a DSP0200 CIMStatusCode trailer, if any. */
  onEnd(trailer: CimError | null): void;
  /** The exchange failed (a ClientError, or the CimError of a CIMError header); never after onEnd. */
  onFail(error: ClientError | CimError): void;
}

/** One operation in flight, as its reader sees it. */
export interface Exchange {
  /** Undoes a pause asked for by onBody returning false. */
  resume(): void;
  /** The reader wants no more: the rest of the body is discarded (a little is drained, more aborts the socket). */
  cancel(): void;
}

/** What one (method, object) pair sends: built once, since undici only reads them. */
interface RequestShape {
  headers: string[];
  attempts: number;
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
  readonly trace: ConnectionOptions['trace'];
  /** @internal */
  readonly pool: Pool;
  /** @internal */
  readonly cimPath: string;
  private readonly authorization: string | undefined;
  // Bounded: extrinsic calls name their target object, and paths are not ours to count.
  private readonly intrinsicShapes = new BoundedMap<string, BoundedMap<string, RequestShape>>(256);
  private readonly extrinsicShapes = new BoundedMap<string, BoundedMap<string, RequestShape>>(256);
  private closed = false;
  private lastXmlType: Buffer | null = null;

  constructor(
    url: string,
    options: ConnectionOptions = {},
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
    this.trace = options.trace;
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

  private shape(call: CimCall, intrinsic: boolean): RequestShape {
    // Two levels rather than one concatenated key: the method and object strings are usually the
    // same string objects call after call, whose hashes V8 keeps, while a fresh key is hashed anew.
    const byMethod = intrinsic ? this.intrinsicShapes : this.extrinsicShapes;
    let byObject = byMethod.get(call.method);
    if (byObject === undefined) {
      byObject = new BoundedMap(256);
      byMethod.set(call.method, byObject);
    }
    let s = byObject.get(call.object);
    if (s === undefined) {
      const h = cimRequestHeaders(call, this.authorization);
      const headers: string[] = [];
      for (const name of Object.keys(h)) headers.push(name, h[name]!);
      s = { headers, attempts: isSafeOperation(call.method, intrinsic) ? this.retries + 1 : 1 };
      byObject.set(call.object, s);
    }
    return s;
  }

  /**
   * Posts one operation; the answer's body goes to `receiver` once the status and headers were
   * checked. Safe operations are re-sent (up to `retries` times) when the connection reset or
   * the connect timed out before any response came back.
   */
  post(call: CimCall, body: string, intrinsic: boolean, receiver: ResponseReceiver): Exchange {
    if (this.closed) {
      receiver.onFail(new TransportError('CLOSED', 'this connection was closed; open a new one', this.target));
      return DONE;
    }
    this.trace?.('request', body);
    const shape = this.shape(call, intrinsic);
    const h = new CimRequestHandler(this, call.method, Buffer.from(body, 'utf8'), shape, receiver);
    h.start();
    return h;
  }

  /** Whether a response's Content-Type is CIM-XML's; a server sends the same bytes every time, so the last good one is kept. */
  isXmlType(v: Buffer | string | undefined): boolean {
    if (v === undefined) return false;
    const last = this.lastXmlType;
    if (last !== null && typeof v !== 'string' && v.equals(last)) return true;
    const ok = /^\s*(application|text)\/xml\s*(;|$)/i.test(text(v));
    // undici's header buffers are views of its read buffer: keep a copy.
    if (ok && typeof v !== 'string') this.lastXmlType = Buffer.from(v);
    return ok;
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

const DONE: Exchange = { resume() { /* nothing in flight */ }, cancel() { /* nothing in flight */ } };

function text(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}

/** Whether a raw header name is `lower` (ASCII, any case). */
function nameIs(n: Buffer | string, lower: string): boolean {
  if (typeof n === 'string') return n.toLowerCase() === lower;
  for (let i = 0; i < lower.length; i++) {
    const c = n[i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function expireDeadline(h: CimRequestHandler): void {
  h.expire();
}

function retry(h: CimRequestHandler): void {
  h.dispatch();
}

/**
 * The undici handler of one operation, across its attempts: checks the answer's status and
 * headers, passes the body on, and reports exactly one outcome to the receiver.
 */
class CimRequestHandler implements Dispatcher.DispatchHandler, Exchange {
  private abortRequest: ((e?: Error) => void) | null = null;
  private resumeSocket: (() => void) | null = null;
  private attemptsLeft: number;
  /** The answer's status once its headers arrived; 0 before. */
  private status = 0;
  private received = 0;
  /** Set when the body is to be read and dropped (an error answer, or a reader that gave up). */
  private discarding = false;
  private discarded = 0;
  /** The error an error answer stands for, reported once its body was drained. */
  private pending: ClientError | CimError | null = null;
  /** The receiver heard the outcome (or gave up): nothing more goes to it. */
  private settled = false;
  private deadline: NodeJS.Timeout | undefined;
  private expired: TimeoutError | null = null;

  constructor(
    private readonly transport: HttpTransport,
    private readonly operation: string,
    private readonly body: Buffer,
    private readonly shape: RequestShape,
    private readonly receiver: ResponseReceiver,
  ) {
    this.attemptsLeft = shape.attempts;
  }

  start(): void {
    const total = this.transport.timeouts.total;
    // The total deadline covers every attempt and the whole body.
    if (total > 0) this.deadline = setTimeout(expireDeadline, total, this);
    this.dispatch();
  }

  dispatch(): void {
    // A retry that the total deadline or the reader overtook.
    if (this.settled) return;
    this.attemptsLeft--;
    this.status = 0;
    this.transport.pool.dispatch({ path: this.transport.cimPath, method: 'POST', headers: this.shape.headers, body: this.body }, this);
  }

  expire(): void {
    this.deadline = undefined;
    this.expired = new TimeoutError('total', this.transport.timeouts.total, this.transport.target);
    if (this.abortRequest) this.abortRequest(this.expired);
    // Still waiting for a socket: fail now; onConnect aborts the request when it gets one.
    else this.fail(this.expired);
  }

  resume(): void {
    const r = this.resumeSocket;
    if (r !== null) r();
  }

  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    this.finish();
    if (this.status === 0) {
      this.abortRequest?.();
      return;
    }
    this.discarding = true;
    this.discarded = 0;
    this.resume();
  }

  // ---------------------------------------------------------------- undici handler

  onConnect(abort: (e?: Error) => void): void {
    if (this.expired) {
      abort(this.expired);
      return;
    }
    if (this.settled) {
      abort();
      return;
    }
    this.abortRequest = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true;
    this.status = status;
    this.resumeSocket = resume;
    const t = this.transport;
    let contentType: Buffer | string | undefined;
    let cimError: string | undefined;
    let cimOperation = false;
    let authenticate: string | undefined;
    let retryAfter: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!;
      // Only a few names matter: they are told apart by length and compared in place, so most
      // headers are never turned into text.
      switch (n.length) {
        case 12:
          if (contentType === undefined && nameIs(n, 'content-type')) contentType = raw[i + 1]!;
          else if (nameIs(n, 'cimoperation')) cimOperation = true;
          break;
        case 8:
          if (cimError === undefined && nameIs(n, 'cimerror')) cimError = text(raw[i + 1]!);
          break;
        case 16:
          if (authenticate === undefined && nameIs(n, 'www-authenticate')) authenticate = text(raw[i + 1]!);
          break;
        case 11:
          if (retryAfter === undefined && nameIs(n, 'retry-after')) retryAfter = text(raw[i + 1]!);
          break;
      }
    }
    if (t.trace) traceHeaders(t.trace, raw);
    if (this.settled) {
      this.discarding = true;
      return true;
    }
    const op = this.operation;
    let error: ClientError | CimError | null = null;
    if (status !== 200) {
      if (status === 401) {
        const m = /realm="([^"]*)"/i.exec(authenticate ?? '');
        error = new AuthenticationError(m?.[1], t.user);
      } else if (status === 403) {
        error = new ForbiddenError(t.user, op);
      } else if (status === 429) {
        error = new TooManyAttemptsError(retryAfterSeconds(retryAfter), t.user, t.target);
      } else if (cimError) {
        error = new HttpStatusError(status, '', `the server rejected the ${op} request (HTTP ${status}, CIMError: ${cimError}); ` +
          (cimError === 'unsupported-operation' ? 'it does not implement this operation' : 'the request does not follow DSP0200/DSP0201'),
          'PROTOCOL', cimError);
      } else {
        error = new HttpStatusError(status, '', `the server at ${t.target} answered ${op} with HTTP ${status}; ` +
          (status >= 500 ? 'it failed internally — see its log' : 'check the URL and the request'));
      }
    } else if (!t.isXmlType(contentType)) {
      error = new ContentTypeError(contentType === undefined ? undefined : text(contentType), t.target);
    } else if (cimError && !cimOperation) {
      // Some servers (wbemcli's peers) put a CIMError header on a 200 answer instead of an ERROR element.
      error = new CimError(CimStatus.CIM_ERR_FAILED, `server reported CIMError: ${cimError}`);
    }
    if (error !== null) {
      // Read a little of the error body so the socket can be reused; the error is reported at its end.
      this.pending = error;
      this.discarding = true;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.discarding) {
      this.discarded += chunk.length;
      if (this.discarded > DISCARD_LIMIT) this.abortRequest?.(this.pending ?? undefined);
      return true;
    }
    this.received += chunk.length;
    this.transport.trace?.('response', chunk);
    let more: boolean;
    try {
      more = this.receiver.onBody(chunk);
    } catch (e) {
      this.abortRequest?.(e as Error);
      return false;
    }
    return more;
  }

  onComplete(rawTrailers: (Buffer | string)[] | null): void {
    // The socket goes on to other requests: a late resume() must not touch its parser.
    this.resumeSocket = null;
    this.finish();
    if (this.settled) return;
    if (this.pending) {
      this.fail(this.pending);
      return;
    }
    this.settled = true;
    this.receiver.onEnd(rawTrailers !== null && rawTrailers.length > 0 ? trailerError(rawTrailers, this.operation) : null);
  }

  onError(err: Error): void {
    this.resumeSocket = null;
    if (this.settled) return;
    if (this.pending) {
      this.fail(this.pending);
      return;
    }
    const e: unknown = this.expired ?? err;
    if (this.status === 0) {
      const mapped = this.transport.mapError(e, 'headers');
      const retryable = mapped.code === 'CONNECTION_RESET' || (mapped instanceof TimeoutError && mapped.phase === 'connect');
      if (retryable && this.attemptsLeft > 0 && !this.expired) {
        this.abortRequest = null;
        // Not from inside undici's own error handling: the pool is still settling the old request.
        queueMicrotask(retry.bind(null, this));
        return;
      }
      this.fail(mapped);
      return;
    }
    if (e instanceof ClientError || e instanceof CimError) {
      this.fail(e);
      return;
    }
    const mapped = this.transport.mapError(e, 'body');
    if (mapped.code === 'CONNECTION_RESET') {
      this.fail(new ResponseParseError(`the connection closed after ${this.received} bytes, before the response was complete (truncated)`, this.operation, { cause: e }));
      return;
    }
    this.fail(mapped);
  }

  private fail(e: ClientError | CimError): void {
    if (this.settled) return;
    this.settled = true;
    this.finish();
    this.receiver.onFail(e);
  }

  private finish(): void {
    if (this.deadline !== undefined) {
      clearTimeout(this.deadline);
      this.deadline = undefined;
    }
  }
}

/** Retry-After (RFC 9110 10.2.3) in seconds: delay-seconds or an HTTP-date; undefined when unreadable. */
function retryAfterSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function traceHeaders(trace: NonNullable<ConnectionOptions['trace']>, raw: (Buffer | string)[]): void {
  for (let i = 0; i < raw.length; i += 2) {
    const shown = text(raw[i]!).toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    trace('response-header', `${shown}: ${text(raw[i + 1]!)}`);
  }
}

/** The DSP0200 CIMStatusCode trailer as a CimError; null when absent or 0. */
function trailerError(raw: (Buffer | string)[], operation: string): CimError | null {
  let code = 0;
  let description = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]!).toLowerCase();
    if (name === 'cimstatuscode') code = Number(text(raw[i + 1]!));
    else if (name === 'cimstatuscodedescription') description = text(raw[i + 1]!);
  }
  if (!Number.isInteger(code) || code === 0) return null;
  try {
    description = decodeURIComponent(description);
  } catch {
    // Not %-encoded after all: show it as sent.
  }
  return new CimError(code as CimStatus, description || `the server failed while answering ${operation}`);
}
