// CIM operations over HTTP (DSP0200) on Koa: authentication, content-type and size rules, the
// CIM headers, and writing the reply (Content-Length when small, chunked when streamed, with
// CIMStatusCode trailers when the client sent `TE: trailers`). This is the one place where
// WbemHttpError and CimError meet the wire. Koa routes every request to one middleware that
// writes on the raw response (streaming with backpressure and trailers need it), so the
// per-request work beyond Koa's own context is only what CIM asks for.
import Koa from 'koa';
import type { IncomingMessage, ServerResponse, IncomingHttpHeaders } from 'node:http';
import { WbemHttpError } from './WbemHttpError.js';
import { readCimRequestHeaders } from './CimRequestHeaders.js';
import { handleCimCall, type CimReply } from './CimRequestHandler.js';
import { authenticate, type Principal } from './BasicAuth.js';
import { MPOST_MARK_HEADER } from './MPostRewriter.js';
import type { ServerCore } from './ServerCore.js';
import type { UserDirectory } from './UserDirectory.js';

export interface TransportOptions {
  core: ServerCore;
  users: UserDirectory | null | undefined;
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
 * Collects a request body and settles once: with the body at 'end', or refused (413 past the
 * limit, 400 when the client leaves mid-request). Listeners stay on the request after it settles
 * (the request object goes away with the exchange) and are anonymous arrows: no listener
 * removal per request, and no name to define on a named closure per request under tsx.
 */
class BodyReader {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    private readonly resolve: (body: Buffer) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    req.on('data', (chunk: Buffer) => this.data(chunk));
    req.on('end', () => this.end());
    req.on('error', (e: Error) => this.fail(e));
    req.on('close', () => { if (!req.complete) this.fail(new WbemHttpError(400, 'the client closed the connection mid-request')); });
  }

  private data(chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.req.pause();
      this.fail(new WbemHttpError(413, `request body exceeds the limit of ${this.limit} bytes`));
      return;
    }
    this.parts.push(chunk);
  }

  private end(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts));
  }

  private fail(e: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(e);
  }
}

/** Reads the whole request body, refusing it with 413 once it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new WbemHttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit}`));
  }
  // Plain listeners: the stream async iterator costs several promises per request.
  return new Promise((resolve, reject) => { new BodyReader(req, limit, resolve, reject); });
}

/**
 * The body when the whole request has already arrived (it has after an asynchronous step such as
 * checking a password): read at once, without listeners or a promise. Null otherwise, which is
 * the usual case: the parser hands the request over as soon as its head is parsed and parses a
 * body from the same read only after this listener's synchronous part has returned.
 */
function bufferedBody(req: IncomingMessage, limit: number): Buffer | null {
  if (!req.complete || req.readableFlowing) return null;
  const declared = req.headers['content-length'];
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

/**
 * An AbortController made on first use: most requests never need one. Only a client that leaves
 * early aborts (aborting finished requests would build a DOMException, with a stack trace, per
 * request for nothing), so the response's 'close' is watched only once a signal exists.
 */
class LazyAbort {
  private controller: AbortController | null = null;

  constructor(private readonly res: ServerResponse) {}

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
    if (!res.write(s) && !closed) await drained(res);
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

/** Serves one request; never rejects (every failure is answered on `res`). */
async function serve(options: TransportOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method !== 'POST') {
      throw new WbemHttpError(req.method === 'GET' || req.method === 'HEAD' ? 405 : 501, `method ${req.method} is not supported; use POST or M-POST`, undefined, { Allow: 'POST, M-POST' });
    }
    const mpost = req.headers[MPOST_MARK_HEADER] === 'M-POST';
    // Without users everyone is the anonymous admin: no need for an async hop.
    const principal = options.users ? await authenticate(req.headers, options.users) : ANONYMOUS;
    checkContentType(req.headers);
    const headers = readCimRequestHeaders(req.headers, mpost);
    const body = bufferedBody(req, options.maxRequestBytes) ?? await readBody(req, options.maxRequestBytes);
    const reply = await handleCimCall(options.core, { headers, body, user: principal.user, role: principal.role, abort: new LazyAbort(res) });
    const trailers = wantsTrailers(req);
    if (reply.text !== undefined && !trailers) {
      options.traceResponse?.(reply.text);
      sendWholeReply(res, reply.text, headers.prefix);
    } else {
      setStreamedReplyHeaders(res, headers.prefix);
      await writeReply(res, reply, trailers, options.traceResponse);
    }
  } catch (e) {
    try {
      if (e instanceof WbemHttpError) {
        writeHttpError(res, e);
        // A refused request's unread body would be parsed as the next request: drop the connection.
        const socket = req.socket;
        if (!req.complete) res.once('finish', () => socket?.destroy());
        return;
      }
      options.onError?.(e);
      writeHttpError(res, new WbemHttpError(500, e instanceof Error ? e.message : String(e)));
    } catch {
      // Nothing is left to say on this connection; a rejection here would be unhandled.
      res.destroy();
    }
  }
}

/** The Koa application serving CIM operations on every path (wbemcli and pywbem use /cimom). */
export function createWbemApp(options: TransportOptions): Koa {
  const app = new Koa();
  // Failures are answered on the wire by serve(); Koa's own error printing would only repeat them.
  app.silent = true;
  app.use((ctx) => {
    ctx.respond = false;
    return serve(options, ctx.req, ctx.res);
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
