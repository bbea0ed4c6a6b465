// One CIM-XML operation request from body bytes to response text: decodes the message, checks
// it against the DSP0200 headers, checks the caller's role (or, for a one-time credential, its
// grant: exactly the calls it lists), runs the operation and encodes the
// result as a stream of text chunks. Transport-level refusals are thrown as WbemHttpError;
// operation failures become an ERROR element inside a normal response.
import { isUtf8 } from 'node:buffer';
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimScalar } from '../cim/CimValue.js';
import { CimDateTime } from '../cim/CimDateTime.js';
import { decodeMessage } from '../xml/decodeMessage.js';
import { encodeMessage } from '../xml/encodeMessage.js';
import { ResponseStreamEncoder } from '../xml/ResponseStreamEncoder.js';
import { CimXmlError } from '../xml/CimXmlError.js';
import type { CimXmlMessage, MessageEnvelope, ParamValue, ReturnItem, SimpleRequest } from '../xml/messages.js';
import type { DecodeLimits } from '../xml/messages.js';
import { WbemHttpError } from './WbemHttpError.js';
import { isSupportedCimVersion, isSupportedProtocolVersion, type CimRequestHeaders } from './CimRequestHeaders.js';
import { roleAllows, type Role } from './Provider.js';
import { OperationContext, type SignalSource } from './OperationContext.js';
import type { ServerCore } from './ServerCore.js';
import type { OperationResult } from './OperationResult.js';
import { IntrinsicParams } from './IntrinsicParams.js';
import { intrinsicOperation } from './intrinsicOperations.js';
import { invokeMethod } from './invokeMethod.js';
import { canonicalNamespace } from './namespaceName.js';
import { grantedMethod, grantsOperation, type ActiveGrant } from './AccessGrant.js';
import type { IntrinsicOperation } from './OperationResult.js';

export interface CimCall {
  headers: CimRequestHeaders;
  body: Buffer;
  user: string | null;
  role: Role;
  /** A one-time credential's grant: then it alone, not the role, says what the caller may do. */
  grant?: ActiveGrant | null;
  /** The request's cancellation; its signal is made only when a provider asks. */
  abort: SignalSource;
}

/**
 * A response body: whole (`text`) when it was cheap to make at once, else as text chunks;
 * `status` is final once the chunks are exhausted (for trailers).
 */
export interface CimReply {
  text?: string;
  chunks: AsyncIterable<string>;
  /** 0 while all is well; the CIM status of an error (ERROR element or mid-stream failure). */
  status: { code: number; description: string };
}

/** Chunks smaller than this are joined before they are written, to keep write calls few. */
const FLUSH_CHARS = 64 * 1024;

const DECODE_LIMITS: DecodeLimits = { maxDepth: 64 };

function decode(body: Buffer): CimXmlMessage {
  // Node's native UTF-8 check and conversion are much cheaper than decoding bytes in JS.
  if (!isUtf8(body)) throw new WbemHttpError(400, 'the request body is not UTF-8', 'request-not-well-formed');
  try {
    return decodeMessage(body.toString('utf8'), DECODE_LIMITS);
  } catch (e) {
    if (e instanceof CimXmlError) {
      // A batch, even a malformed one, is first of all a batch sent without the CIMBatch header.
      if (e.code === 'XML_INVALID' && /(^|\/)MULTI(EXP)?REQ(\/|\[|$)/.test(e.path)) {
        throw new WbemHttpError(400, `a multiple request without the CIMBatch header (${e.message})`, 'header-mismatch');
      }
      throw new WbemHttpError(400, e.message, e.isNotWellFormed ? 'request-not-well-formed' : 'request-not-valid');
    }
    if (e instanceof CimError) throw new WbemHttpError(400, e.description, 'request-not-valid');
    throw e;
  }
}

function scalarText(v: CimScalar): string {
  if (v instanceof CimDateTime) return v.text;
  if (v instanceof CimObjectPath) return v.canonicalKey();
  return String(v).trim();
}

/** Whether the CIMObject header names the same object as the body (DSP0200 header-mismatch rule). */
function sameObject(header: string, target: CimObjectPath): boolean | null {
  let h: CimObjectPath;
  try {
    h = CimObjectPath.parse(header);
  } catch {
    return null;
  }
  if (canonicalNamespace(h.namespace ?? '').toLowerCase() !== canonicalNamespace(target.namespace ?? '').toLowerCase()) return false;
  if (h.className.toLowerCase() !== target.className.toLowerCase()) return false;
  if (!h.keys || !target.keys) return !h.keys && !target.keys;
  if (h.keys.size !== target.keys.size) return false;
  for (const [name, b] of target.keys) {
    const hb = h.keys.get(name);
    if (!hb || scalarText(hb.value) !== scalarText(b.value)) return false;
  }
  return true;
}

/** The body-vs-header checks of DSP0200 for a decoded message. */
function checkAgainstHeaders(msg: CimXmlMessage, h: CimRequestHeaders): SimpleRequest {
  if (msg.kind === 'MULTIREQ') {
    throw new WbemHttpError(400, 'a multiple request without the CIMBatch header', 'header-mismatch');
  }
  if (msg.kind !== 'SIMPLEREQ') {
    throw new WbemHttpError(400, `a ${msg.kind} is not an operation request`, 'request-not-valid');
  }
  const bodyVersion = msg.protocolVersion ?? '1.0';
  if (bodyVersion !== h.protocolVersion) {
    throw new WbemHttpError(400, `CIMProtocolVersion "${h.protocolVersion}" does not match the message's PROTOCOLVERSION "${bodyVersion}"`, 'header-mismatch');
  }
  if (!isSupportedProtocolVersion(bodyVersion)) {
    throw new WbemHttpError(501, `CIMProtocolVersion "${bodyVersion}" is not supported`, 'unsupported-protocol-version');
  }
  if (!isSupportedCimVersion(msg.cimVersion)) {
    throw new WbemHttpError(501, `CIM version "${msg.cimVersion}" is not supported`, 'unsupported-cim-version');
  }
  if (!isSupportedCimVersion(msg.dtdVersion)) {
    throw new WbemHttpError(501, `DTD version "${msg.dtdVersion}" is not supported`, 'unsupported-dtd-version');
  }
  const call = msg.call;
  // Exact matches first: clients send the same spelling in header and body.
  if (call.name !== h.method && call.name.toLowerCase() !== h.method.toLowerCase()) {
    throw new WbemHttpError(400, `CIMMethod "${h.method}" does not match the request's method "${call.name}"`, 'header-mismatch');
  }
  if (call.kind === 'IMETHODCALL') {
    if (h.object !== call.namespace && canonicalNamespace(h.object).toLowerCase() !== canonicalNamespace(call.namespace).toLowerCase()) {
      throw new WbemHttpError(400, `CIMObject "${h.object}" does not match the request's namespace "${call.namespace}"`, 'header-mismatch');
    }
  } else {
    const same = sameObject(h.object, call.target);
    if (same === null) throw new WbemHttpError(400, `cannot parse CIMObject "${h.object}"`, 'header-mismatch');
    if (!same) throw new WbemHttpError(400, `CIMObject "${h.object}" does not match the request's object "${call.target.toString()}"`, 'header-mismatch');
  }
  return msg;
}

function errorOf(e: unknown): CimError {
  if (e instanceof CimError) return e;
  // Request text was decoded before this point, so a codec error here means a provider produced
  // something that cannot be written: the server's fault.
  if (e instanceof CimXmlError) return new CimError(CimStatus.CIM_ERR_FAILED, `cannot encode the result: ${e.message}`);
  return new CimError(CimStatus.CIM_ERR_FAILED, e instanceof Error ? e.message : String(e));
}

function responseEnvelope(req: SimpleRequest): MessageEnvelope {
  return { id: req.id, protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0' };
}

function errorDocument(req: SimpleRequest, err: CimError): string {
  const call = req.call;
  const env = responseEnvelope(req);
  return call.kind === 'IMETHODCALL'
    ? encodeMessage({ kind: 'SIMPLERSP', ...env, response: { kind: 'IMETHODRESPONSE', name: call.name, error: err, returnValue: null, params: [] } })
    : encodeMessage({ kind: 'SIMPLERSP', ...env, response: { kind: 'METHODRESPONSE', name: call.name, error: err, returnValue: null, params: [] } });
}

/** Starts the operation; may throw synchronously (the caller catches both ways). */
function run(core: ServerCore, req: SimpleRequest, call: CimCall): OperationResult | Promise<OperationResult> {
  const c = req.call;
  const ns = canonicalNamespace(c.kind === 'IMETHODCALL' ? c.namespace : c.target.namespace ?? '');
  const grant = call.grant ?? null;
  const ctx = new OperationContext(core, ns, call.user, call.role, call.abort, grant);
  if (c.kind === 'METHODCALL') {
    if (grant) checkGrantedMethod(grant, call.user, ns, c.target.className, c.name);
    else if (!roleAllows(call.role, 'write')) throw new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, `${call.user ?? 'caller'} (${call.role}) may not invoke methods`);
    return invokeMethod(ctx, c);
  }
  const op = intrinsicOperation(c.name);
  if (!op) throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `unrecognised intrinsic method ${c.name}`);
  if (grant) {
    const params = new IntrinsicParams(c.params, op.params);
    const target = targetClass(op, params);
    if (!grantsOperation(grant, ns, op.name, target)) throw notGranted(grant, call.user, `call ${op.name}${target ? ` on ${target}` : ''} in ${ns}`);
    return op.run(ctx, params);
  }
  if (!roleAllows(call.role, op.role)) {
    throw new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, `${call.user ?? 'caller'} (${call.role}) may not call ${op.name}, which needs ${op.role}`);
  }
  return op.run(ctx, new IntrinsicParams(c.params, op.params));
}

function notGranted(grant: ActiveGrant, user: string | null, what: string): CimError {
  return new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, `${user ?? 'caller'} holds a one-time credential for ${grant.purpose}, which does not let it ${what}`);
}

/** The one class an intrinsic operation targets (ClassName or InstanceName), or null when it names none. */
function targetClass(op: IntrinsicOperation, params: IntrinsicParams): string | null {
  if (op.params.includes('ClassName')) return params.className('ClassName');
  if (op.params.includes('InstanceName')) return params.instanceName('InstanceName').className;
  return null;
}

/** Refuses a method the grant does not list, and spends the credential on a method that uses it up. */
function checkGrantedMethod(grant: ActiveGrant, user: string | null, ns: string, className: string, method: string): void {
  const granted = grantedMethod(grant, ns, className, method);
  if (!granted) throw notGranted(grant, user, `invoke ${className}.${method} in ${ns}`);
  // Spent before the provider runs, so that the method runs at most once per credential, whatever it answers.
  if (granted.usesUp && !grant.useUp()) throw notGranted(grant, user, `invoke ${className}.${method} again: the credential is spent or expired`);
}

// The helpers of handleCimCall are top-level functions rather than closures: under tsx every
// named closure costs an Object.defineProperty per request.

/** The ERROR reply to `req`; `status` takes the error's code for trailers. */
function failure(req: SimpleRequest, status: CimReply['status'], err: CimError): CimReply {
  status.code = err.status;
  status.description = err.description;
  return whole(errorDocument(req, err), status);
}

function encodeItems(enc: ResponseStreamEncoder, v: ReturnItem | ReturnItem[]): string {
  if (!Array.isArray(v)) return enc.item(v);
  let t = '';
  for (const item of v) t += enc.item(item);
  return t;
}

/**
 * Handles one request whose headers were already read and accepted. The reply comes at once when
 * nothing had to be waited for (a GetInstance from a synchronous provider): no promise, no
 * microtask. Refusals (WbemHttpError) are thrown, synchronously or as a rejection.
 */
export function handleCimCall(core: ServerCore, call: CimCall): CimReply | Promise<CimReply> {
  const req = checkAgainstHeaders(decode(call.body), call.headers);
  const status = { code: 0, description: '' };
  let result: OperationResult | Promise<OperationResult>;
  try {
    result = run(core, req, call);
  } catch (e) {
    return failure(req, status, errorOf(e));
  }
  if (result instanceof Promise) return settled(req, status, result);
  return replyTo(req, status, result);
}

async function settled(req: SimpleRequest, status: CimReply['status'], pending: Promise<OperationResult>): Promise<CimReply> {
  let result: OperationResult;
  try {
    result = await pending;
  } catch (e) {
    return failure(req, status, errorOf(e));
  }
  return replyTo(req, status, result);
}

function replyTo(req: SimpleRequest, status: CimReply['status'], result: OperationResult): CimReply | Promise<CimReply> {
  const env = responseEnvelope(req);
  const name = req.call.name;
  if (result.kind === 'method') {
    try {
      return whole(encodeMessage({ kind: 'SIMPLERSP', ...env, response: { kind: 'METHODRESPONSE', name, returnValue: result.returnValue, params: result.params } }), status);
    } catch (e) {
      return failure(req, status, errorOf(e));
    }
  }
  if (result.kind === 'empty') {
    return whole(encodeMessage({ kind: 'SIMPLERSP', ...env, response: { kind: 'IMETHODRESPONSE', name, returnValue: null, params: [] } }), status);
  }
  const enc = new ResponseStreamEncoder(env, name);
  if (Array.isArray(result.items) && result.items.length <= 64) {
    // A short list already in memory (GetInstance, GetClass...): encode it in one go.
    try {
      let text = enc.head();
      for (const item of result.items as ReturnItem[]) text += enc.item(item);
      return whole(text + enc.tail(result.params ? result.params() : []), status);
    } catch (e) {
      return failure(req, status, errorOf(e));
    }
  }
  return streamed(req, status, enc, result.items as AsyncIterable<ReturnItem | ReturnItem[]> | Iterable<ReturnItem>, result.params);
}

async function streamed(
  req: SimpleRequest, status: CimReply['status'], enc: ResponseStreamEncoder,
  source: AsyncIterable<ReturnItem | ReturnItem[]> | Iterable<ReturnItem>, params: (() => ParamValue[]) | undefined,
): Promise<CimReply> {
  // Pull the first item (or batch) before anything is written, so that an operation failing up
  // front (the usual case: bad class, missing instance) still gets a proper ERROR response.
  const it = Symbol.asyncIterator in source ? (source as AsyncIterable<ReturnItem | ReturnItem[]>)[Symbol.asyncIterator]() : toAsync(source as Iterable<ReturnItem>);
  let first: IteratorResult<ReturnItem | ReturnItem[]>;
  const headText = enc.head();
  let firstText = '';
  try {
    first = await it.next();
    if (!first.done) firstText = encodeItems(enc, first.value);
  } catch (e) {
    return failure(req, status, errorOf(e));
  }
  return { chunks: chunks(enc, it, headText + firstText, first.done === true, status, params), status };
}

/** The rest of a streamed reply after its first text: items joined into chunks of FLUSH_CHARS. */
async function* chunks(
  enc: ResponseStreamEncoder, it: AsyncIterator<ReturnItem | ReturnItem[]>, start: string, exhausted: boolean,
  status: CimReply['status'], paramsOf: (() => ParamValue[]) | undefined,
): AsyncIterable<string> {
  let buf = start;
  if (!exhausted) {
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        // Flushed item by item, not batch by batch: a batch of a few hundred instances makes a
        // write of several times FLUSH_CHARS, more than the socket takes at once, and the
        // partial writes and waits for writability cost more system time than the extra chunks.
        const v = r.value;
        if (Array.isArray(v)) {
          for (const item of v) {
            buf += enc.item(item);
            if (buf.length >= FLUSH_CHARS) {
              yield buf;
              buf = '';
            }
          }
        } else {
          buf += enc.item(v);
          if (buf.length >= FLUSH_CHARS) {
            yield buf;
            buf = '';
          }
        }
      }
    } catch (e) {
      const err = errorOf(e);
      status.code = err.status;
      status.description = err.description;
      if (buf) yield buf;
      throw err;
    }
  }
  yield buf + enc.tail(paramsOf ? paramsOf() : []);
}

/**
 * A reply made whole. The chunk stream is made only if someone reads it (the transport sends
 * `text` itself); a class, because an object literal with a getter is built the slow way.
 */
class WholeReply implements CimReply {
  constructor(readonly text: string, readonly status: CimReply['status']) {}

  get chunks(): AsyncIterable<string> {
    return once(this.text);
  }
}

function whole(text: string, status: CimReply['status']): CimReply {
  return new WholeReply(text, status);
}

async function* once(s: string): AsyncIterable<string> {
  yield s;
}

function toAsync<T>(it: Iterable<T>): AsyncIterator<T> {
  const i = it[Symbol.iterator]();
  return { next: async () => i.next(), return: async (v?: unknown) => { i.return?.(v); return { done: true, value: v as T }; } };
}
