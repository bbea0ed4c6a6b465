// CIM operations over HTTP (DSP0200) on Koa: authentication, content-type and size rules, the
// CIM headers, and writing the reply (Content-Length when small, chunked when streamed, with
// CIMStatusCode trailers when the client sent `TE: trailers`). This is the one place where
// WbemHttpError and CimError meet the wire. Koa routes every request to one middleware that
// writes on the raw response (streaming with backpressure and trailers need it), so the
// per-request work beyond Koa's own context is only what CIM asks for.
import Koa from 'koa';
import type { IncomingMessage, ServerResponse, IncomingHttpHeaders } from 'node:http';
import { WbemHttpError } from './WbemHttpError.js';
import { readCimRequestHeaders, type CimRequestHeaders } from './CimRequestHeaders.js';
import { handleCimCall, type CimReply } from './CimRequestHandler.js';
import { enqueueCall, type ReadyCall } from './CallBatch.js';
import { authenticate, type Principal } from './BasicAuth.js';
import type { LoginThrottle } from './LoginThrottle.js';
import { MPOST_MARK_HEADER } from './MPostRewriter.js';
import type { ServerCore } from './ServerCore.js';
import type { UserDirectory } from './UserDirectory.js';

export interface TransportOptions {
  core: ServerCore;
  users: UserDirectory | null | undefined;
  /** Counts failed logins per client address (used with users only). */
  throttle: LoginThrottle;
  maxRequestBytes: number;
  /** Called with errors that are the server's fault (not the client's), for the log. */
  onError?: (e: unknown) => void;
  /** Sees the text of every CIM-XML response body sent (tests validate them against the DTD). */
  traceResponse?: (xml: string) => void;
}

const ANONYMOUS: Principal = Object.freeze({ user: null, role: 'admin' });
const DETAIL_HEADER = 'X-Tvdc-Error-Detail';
/** Replies shorter than this are sent whole with Content-Length; longer ones stream chunked. */
const WHOLE_REPLY_CHARS = 64 * 1024;

/** Content-Type values already accepted: clients send the same one on every request. */
const ACCEPTED_CONTENT_TYPES = new Set<string>();

function checkContentType(headers: IncomingHttpHeaders): void {
  const ct = headers['content-type'];
  if (ct === undefined || ACCEPTED_CONTENT_TYPES.has(ct)) return;
  const [type, ...params] = ct.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/xml' && type !== 'text/xml') {
    throw new WbemHttpError(415, `Content-Type ${ct} is not application/xml or text/xml`);
  }
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^"]*)"?$/.exec(p);
    if (m && m[1] !== 'utf-8' && m[1] !== 'utf8') throw new WbemHttpError(415, `charset ${m[1]} is not supported; use utf-8`);
  }
  if (ACCEPTED_CONTENT_TYPES.size < 16) ACCEPTED_CONTENT_TYPES.add(ct);
}

/**
 * The body when all of it has already arrived: read at once, without listeners or a promise.
 * Null otherwise, which is the case right after the head: the parser hands the request over as
 * soon as its head is parsed. All of a Content-Length body can be buffered while the request is
 * not yet `complete`: Node runs queued ticks after each parser callback, so a tick queued at the
 * head runs after the body is pushed but before the message-complete callback.
 */
function bufferedBody(req: IncomingMessage, limit: number): Buffer | null {
  if (req.readableFlowing) return null;
  const declared = req.headers['content-length'];
  if (!req.complete && (declared === undefined || req.readableLength !== Number(declared))) return null;
  if (declared !== undefined && Number(declared) > limit) {
    throw new WbemHttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit}`);
  }
  if (req.readableLength > limit) throw new WbemHttpError(413, `request body exceeds the limit of ${limit} bytes`);
  const chunk = req.read() as Buffer | null;
  return chunk ?? Buffer.alloc(0);
}

function wantsTrailers(req: IncomingMessage): boolean {
  const te = req.headers.te;
  return req.httpVersionMinor >= 1 && req.httpVersionMajor === 1 && typeof te === 'string' &&
    te.split(',').some((t) => t.trim().toLowerCase().split(';')[0] === 'trailers');
}

/** Writes a transport refusal: status, CIMError header, detail; never a body. */
export function writeHttpError(res: ServerResponse, e: WbemHttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = e.status;
  if (e.cimError) res.setHeader('CIMError', e.cimError);
  res.setHeader(DETAIL_HEADER, encodeURIComponent(e.detail.slice(0, 400)));
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', '0');
  res.end();
}

/** How much of a refused request's body is read and dropped, and for how long, before its connection is dropped instead. */
const REFUSED_BODY_BYTES = 1 << 20;
const REFUSED_BODY_MS = 2_000;

/**
 * Refuses a request whose body is still arriving, once the rest of the body has been read and
 * dropped. Closing a connection with unread data makes the kernel reset it, and the reset can
 * destroy the refusal before the client reads it (a client then reports a hang-up instead of the
 * 401 or 429); answering at once on a connection that stays open would let a client reuse it
 * just as it is dropped for a body too long. So the answer waits for the body, and the
 * connection stays usable; a body declared or found past REFUSED_BODY_BYTES, or not done within
 * REFUSED_BODY_MS, is refused at once with the connection closed.
 */
function refuseAfterBody(req: IncomingMessage, res: ServerResponse, e: WbemHttpError): void {
  if (Number(req.headers['content-length'] ?? 0) > REFUSED_BODY_BYTES) {
    refuseAndClose(req, res, e);
    return;
  }
  let seen = 0;
  let done = false;
  const finish = (whole: boolean): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off('data', count);
    if (res.destroyed) return;
    if (whole) writeHttpError(res, e);
    else refuseAndClose(req, res, e);
  };
  const count = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > REFUSED_BODY_BYTES) finish(false);
  };
  const timer = setTimeout(() => finish(false), REFUSED_BODY_MS);
  timer.unref();
  req.on('data', count);
  req.once('end', () => finish(true));
  req.once('close', () => finish(req.complete));
  req.resume();
}

/** Refuses and then drops the connection: the client is told not to send on it again. */
function refuseAndClose(req: IncomingMessage, res: ServerResponse, e: WbemHttpError): void {
  res.setHeader('Connection', 'close');
  writeHttpError(res, e);
  const socket = req.socket;
  res.once('finish', () => { if (!req.complete) socket?.destroy(); });
}

/** Resolves when `res` can take more data or has gone away (listeners removed either way). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const XML_CONTENT_TYPE = 'application/xml; charset="utf-8"';

/**
 * Sends a whole reply: head and body in one write. writeHead with a flat list skips the
 * per-header bookkeeping of setHeader, and a string body goes out in the same write as the head
 * (a Buffer would be a second piece of a writev).
 */
function sendWholeReply(res: ServerResponse, text: string, prefix: string): void {
  const length = String(Buffer.byteLength(text));
  res.writeHead(200, prefix
    ? ['Content-Type', XML_CONTENT_TYPE, 'Ext', '', `${prefix}-CIMOperation`, 'MethodResponse', 'Content-Length', length]
    : ['Content-Type', XML_CONTENT_TYPE, 'CIMOperation', 'MethodResponse', 'Content-Length', length]);
  res.end(text);
}

/** Sets the head of a reply whose body is streamed (writeReply decides on its length). */
function setStreamedReplyHeaders(res: ServerResponse, prefix: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', XML_CONTENT_TYPE);
  if (prefix) {
    res.setHeader('Ext', '');
    res.setHeader(`${prefix}-CIMOperation`, 'MethodResponse');
  } else {
    res.setHeader('CIMOperation', 'MethodResponse');
  }
}

/**
 * How a chunk of a streamed reply is made into bytes: Latin-1 when it is all ASCII, where its
 * bytes are the UTF-8 ones, else UTF-8. A UTF-8 string write measures the chunk's byte length
 * (for its chunk header), reserves three bytes per character and encodes; a Latin-1 one takes
 * the length as is, reserves one byte per character and copies. The test is the same byte-length
 * pass the UTF-8 write would have made: any character past U+007F takes two or more bytes (a lone
 * surrogate three), so the UTF-8 length equals the string's length only for ASCII text.
 */
function wireEncoding(s: string): BufferEncoding {
  return Buffer.byteLength(s, 'utf8') === s.length ? 'latin1' : 'utf8';
}

async function writeReply(res: ServerResponse, reply: CimReply, trailers: boolean, trace?: (xml: string) => void): Promise<void> {
  const it = reply.chunks[Symbol.asyncIterator]();
  // Gather what is ready up to a bound: a small reply goes out with Content-Length.
  let head = '';
  let done = false;
  try {
    while (head.length < WHOLE_REPLY_CHARS) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      head += r.value;
    }
  } catch {
    // Failed before anything was sent: nothing well-formed can be said any more.
    res.destroy();
    return;
  }
  let traced = trace ? head : '';
  if (done && trace) trace(traced);
  if (done && !trailers) {
    const bytes = Buffer.from(head, 'utf8');
    res.setHeader('Content-Length', String(bytes.length));
    res.end(bytes);
    return;
  }
  if (trailers) res.setHeader('Trailer', 'CIMStatusCode, CIMStatusCodeDescription');
  let closed = false;
  res.once('close', () => { closed = true; });
  const write = async (s: string): Promise<void> => {
    if (!res.write(s, wireEncoding(s)) && !closed) await drained(res);
  };
  try {
    if (head) await write(head);
    while (!done && !closed) {
      const r = await it.next();
      if (r.done) break;
      if (trace) traced += r.value;
      await write(r.value);
    }
    if (closed) { await it.return?.(); return; }
  } catch {
    // Mid-stream failure: with trailers the client learns the status; without, the cut
    // connection tells it the response is incomplete. Either way the body is unfinished XML.
    if (!trailers) { res.destroy(); return; }
    trace = undefined;
  }
  if (trace && !done) trace(traced);
  if (trailers) {
    res.addTrailers({ CIMStatusCode: String(reply.status.code), CIMStatusCodeDescription: encodeURIComponent(reply.status.description) });
  }
  res.end();
}

function afterHead(exchange: Exchange): void {
  exchange.bodyArrived();
}

/**
 * One request from its head to the last byte of its reply. A request that needs no waiting
 * beyond its body (no password to check, a synchronous provider) runs without an async function
 * or a promise of its own: once the body is in, the operation and the reply run in this turn's
 * batch (CallBatch). The exchange is also the operation's SignalSource.
 */
class Exchange implements ReadyCall {
  private parts: Buffer[] = [];
  private size = 0;
  private settled = false;
  private principal: Principal = ANONYMOUS;
  private headers: CimRequestHeaders | null = null;
  private controller: AbortController | null = null;
  /** Between call() and run(): the request body. */
  private body: Buffer | null = null;
  /** Between run() and deliver(): the reply, or null with `error` when the call failed. */
  private reply: CimReply | Promise<CimReply> | null = null;
  private error: unknown = undefined;

  constructor(
    private readonly options: TransportOptions,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {}

  /** Never throws: every failure is answered on the response. */
  start(): void {
    const req = this.req;
    try {
      if (req.method !== 'POST') {
        throw new WbemHttpError(req.method === 'GET' || req.method === 'HEAD' ? 405 : 501, `method ${req.method} is not supported; use POST or M-POST`, undefined, { Allow: 'POST, M-POST' });
      }
      const users = this.options.users;
      if (users) {
        authenticate(req.headers, users, this.options.throttle, req.socket.remoteAddress ?? '').then((p) => this.authenticated(p), (e: unknown) => this.fail(e));
        return;
      }
    } catch (e) {
      this.fail(e);
      return;
    }
    // Without users everyone is the anonymous admin: no need for an async hop.
    this.authenticated(ANONYMOUS);
  }

  private authenticated(principal: Principal): void {
    const req = this.req;
    try {
      this.principal = principal;
      const mpost = req.headers[MPOST_MARK_HEADER] === 'M-POST';
      checkContentType(req.headers);
      this.headers = readCimRequestHeaders(req.headers, mpost);
      const body = bufferedBody(req, this.options.maxRequestBytes);
      if (body) {
        this.call(body);
      } else {
        // Koa calls us as soon as the request's head is parsed; a small body that came in the
        // same read is pushed by the parser's next callback, after which Node runs queued ticks.
        // Looking again on the next tick finds it buffered, which costs much less than reading
        // it through listeners.
        process.nextTick(afterHead, this);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** The body, all buffered by now for most requests, else read as it arrives. */
  bodyArrived(): void {
    const req = this.req;
    try {
      const limit = this.options.maxRequestBytes;
      const body = bufferedBody(req, limit);
      if (body) {
        this.call(body);
        return;
      }
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > limit) {
        throw new WbemHttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit}`);
      }
      // Plain listeners that stay on the request after it settles (it goes away with the
      // exchange): no listener removal per request, and anonymous arrows, because under tsx a
      // named closure costs an Object.defineProperty per request. The stream async iterator
      // would cost several promises per request.
      req.on('data', (chunk: Buffer) => this.data(chunk));
      req.on('end', () => this.end());
      req.on('error', (e: Error) => this.bodyFailed(e));
      req.on('close', () => { if (!req.complete) this.bodyFailed(new WbemHttpError(400, 'the client closed the connection mid-request')); });
    } catch (e) {
      this.fail(e);
    }
  }

  private data(chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    const limit = this.options.maxRequestBytes;
    if (this.size > limit) {
      this.req.pause();
      this.bodyFailed(new WbemHttpError(413, `request body exceeds the limit of ${limit} bytes`));
      return;
    }
    this.parts.push(chunk);
  }

  private end(): void {
    if (this.settled) return;
    this.settled = true;
    const parts = this.parts;
    this.call(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }

  private bodyFailed(e: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.fail(e);
  }

  /** The body is in: the operation runs in this turn's batch (CallBatch). */
  private call(body: Buffer): void {
    this.body = body;
    enqueueCall(this);
  }

  run(): void {
    const body = this.body!;
    this.body = null;
    try {
      const p = this.principal;
      this.reply = handleCimCall(this.options.core, { headers: this.headers!, body, user: p.user, role: p.role, grant: p.grant ?? null, abort: this });
    } catch (e) {
      this.reply = null;
      this.error = e;
    }
  }

  deliver(): void {
    const reply = this.reply;
    this.reply = null;
    if (reply === null) this.fail(this.error);
    else if (reply instanceof Promise) reply.then((r) => this.send(r), (e: unknown) => this.fail(e));
    else this.send(reply);
  }

  private send(reply: CimReply): void {
    const { req, res, options } = this;
    try {
      const trailers = wantsTrailers(req);
      const prefix = this.headers!.prefix;
      if (reply.text !== undefined && !trailers) {
        options.traceResponse?.(reply.text);
        sendWholeReply(res, reply.text, prefix);
      } else {
        setStreamedReplyHeaders(res, prefix);
        writeReply(res, reply, trailers, options.traceResponse).then(undefined, (e: unknown) => this.fail(e));
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Answers a failure: a transport refusal as such, anything else as the server's 500. */
  private fail(e: unknown): void {
    const { req, res, options } = this;
    try {
      if (e instanceof WbemHttpError) {
        // A client gone mid-body (its 400) is told nothing: waiting out its body would only hold
        // a timer and listeners REFUSED_BODY_MS for a connection that is already closed.
        if (res.destroyed) return;
        if (req.complete || res.headersSent) writeHttpError(res, e);
        else if (e.status === 413) refuseAndClose(req, res, e);
        else refuseAfterBody(req, res, e);
        return;
      }
      options.onError?.(e);
      writeHttpError(res, new WbemHttpError(500, e instanceof Error ? e.message : String(e)));
    } catch {
      // Nothing is left to say on this connection.
      res.destroy();
    }
  }

  /**
   * The request's AbortSignal, made on first use: most requests never need one. Only a client
   * that leaves early aborts (aborting finished requests would build a DOMException, with a stack
   * trace, per request for nothing), so the response's 'close' is watched only once a signal exists.
   */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      const res = this.res;
      if (res.closed) {
        if (!res.writableFinished) controller.abort();
      } else {
        res.once('close', () => { if (!res.writableFinished) controller.abort(); });
      }
    }
    return this.controller.signal;
  }
}

/** The Koa application serving CIM operations on every path (wbemcli and pywbem use /cimom). */
export function createWbemApp(options: TransportOptions): Koa {
  const app = new Koa();
  // Failures are answered on the wire by the exchange; Koa's own error printing would only repeat them.
  app.silent = true;
  app.use((ctx) => {
    ctx.respond = false;
    new Exchange(options, ctx.req, ctx.res).start();
  });
  return app;
}

/** The raw answer to a request Node's HTTP parser refused before it reached the application. */
export function parserErrorResponse(code: string | undefined, raw: Buffer | undefined): { status: number; reason: string } {
  const text = raw ? raw.toString('latin1') : '';
  const te = [...text.split('\r\n\r\n')[0]!.matchAll(/^transfer-encoding:\s*(.*)$/gim)].map((m) => m[1]!.trim().toLowerCase());
  switch (code) {
    case 'HPE_INVALID_METHOD':
      return { status: 501, reason: 'Not Implemented' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      // One Transfer-Encoding we do not implement is 501 (RFC 7230 3.3.1); duplicates and
      // conflicts with Content-Length are malformed requests.
      if (te.length === 1 && !['chunked', 'identity'].includes(te[0]!)) return { status: 501, reason: 'Not Implemented' };
      return { status: 400, reason: 'Bad Request' };
    default:
      return { status: 400, reason: 'Bad Request' };
  }
}
