// A CIM-XML indication listener (DSP0200 export, DSP1054): an HTTP(S) server that accepts
// ExportIndication requests, answers each with SIMPLEEXPRSP (or the DSP0200 error for a bad
// request), drops re-sent duplicates and hands indications to callbacks one at a time, in the order
// they arrived.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimXmlError, decodeMessage, encodeMessage, type ExpMethodResponse } from '../../src/xml/index.js';
import { DuplicateFilter } from './DuplicateFilter.js';
import { ExportRejection } from './ExportRejection.js';

export interface ListenerTlsOptions {
  certFile?: string;
  cert?: string | Buffer;
  keyFile?: string;
  key?: string | Buffer;
  /** CA that signs client certificates; with requireClientCert, only those senders get in. */
  caFile?: string;
  requireClientCert?: boolean;
}

export interface IndicationListenerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Accept exports only on this path (e.g. `/tvdc`); any path when undefined. */
  path?: string;
  tls?: ListenerTlsOptions;
  /** Largest request body accepted, bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** How long a sender may take to deliver one request, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Errors thrown by callbacks land here (default: ignored, so one bad callback cannot stop delivery). */
  onCallbackError?: (e: unknown) => void;
}

/** What the listener knows about one delivered indication besides the instance itself. */
export interface IndicationContext {
  remoteAddress: string | undefined;
  /** The HTTP path the sender posted to. */
  path: string;
  messageId: string;
  sequenceContext?: string;
  sequenceNumber?: string;
  receivedAt: Date;
}

export type IndicationCallback = (indication: CimInstance, context: IndicationContext) => void | Promise<void>;

export interface ListenerStats {
  received: number;
  delivered: number;
  duplicates: number;
  rejected: number;
}

const XML_TYPE = /^\s*(application|text)\/xml\s*(;|$)/i;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function scalarText(inst: CimInstance, name: string): string | undefined {
  const v = inst.get(name);
  if (v === null || v === undefined || Array.isArray(v)) return undefined;
  return typeof v === 'object' ? String(v) : String(v);
}

export class IndicationListener {
  readonly stats: ListenerStats = { received: 0, delivered: 0, duplicates: 0, rejected: 0 };
  private readonly server: Server;
  private readonly callbacks: IndicationCallback[] = [];
  private readonly duplicates = new DuplicateFilter();
  /** Callbacks run one indication at a time: this is the tail of that chain. */
  private delivery: Promise<void> = Promise.resolve();
  private readonly maxBody: number;
  private readonly tlsEnabled: boolean;

  constructor(private readonly options: IndicationListenerOptions = {}) {
    this.maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const tls = options.tls;
    this.tlsEnabled = tls !== undefined;
    if (tls) {
      const read = (f: string | undefined, inline: string | Buffer | undefined): string | Buffer | undefined => inline ?? (f ? readFileSync(f) : undefined);
      this.server = createHttpsServer({
        cert: read(tls.certFile, tls.cert),
        key: read(tls.keyFile, tls.key),
        ca: tls.caFile ? readFileSync(tls.caFile) : undefined,
        requestCert: tls.requireClientCert === true,
        rejectUnauthorized: tls.requireClientCert === true,
      }, handler);
    } else {
      this.server = createHttpServer(handler);
    }
    this.server.requestTimeout = options.requestTimeoutMs ?? 30_000;
    this.server.headersTimeout = Math.min(this.server.requestTimeout, 30_000);
  }

  /** Registers a callback; every delivered indication reaches each callback, in arrival order. */
  onIndication(cb: IndicationCallback): () => void {
    this.callbacks.push(cb);
    return () => {
      const i = this.callbacks.indexOf(cb);
      if (i >= 0) this.callbacks.splice(i, 1);
    };
  }

  /** Starts listening; resolves with the URL senders should use as their destination. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.url;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http(s)://host:port/path` of the running listener. */
  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.tlsEnabled ? 'https' : 'http'}://${host}:${a.port}${this.options.path ?? '/'}`;
  }

  /** Stops accepting, closes idle connections and waits for callbacks already queued. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    await this.delivery;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let size = 0;
    let tooLarge = false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      this.stats.received++;
      let messageId = '0';
      try {
        if (tooLarge) throw new ExportRejection(413, `request body larger than ${this.maxBody} bytes`);
        this.checkHeaders(req);
        const r = this.accept(req, Buffer.concat(chunks));
        messageId = r.messageId;
        this.respond(res, messageId, undefined);
      } catch (e) {
        this.stats.rejected++;
        this.reject(res, e, messageId);
      }
    });
  }

  /** DSP0200 7.x: the request line and the CIM export headers. */
  private checkHeaders(req: IncomingMessage): void {
    // Node's HTTP parser refuses M-POST before it gets here; senders fall back to POST (DSP0200).
    if (req.method !== 'POST') {
      throw new ExportRejection(405, `method ${req.method} not allowed; CIM export requests use POST`);
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (this.options.path !== undefined && path !== this.options.path) {
      throw new ExportRejection(404, `no listener at ${path}`);
    }
    const ct = header(req, 'content-type');
    if (!ct || !XML_TYPE.test(ct)) throw new ExportRejection(400, `Content-Type must be application/xml, got ${ct ?? 'none'}`, 'request-not-valid');
    const version = header(req, 'cimprotocolversion');
    if (version !== undefined && !/^1\.\d+$/.test(version.trim())) {
      throw new ExportRejection(501, `CIMProtocolVersion ${version} is not supported (1.x is)`, 'unsupported-protocol-version');
    }
    const exp = header(req, 'cimexport');
    if (exp === 'MultipleExportRequests') throw new ExportRejection(501, 'multiple export requests are not supported', 'multiple-requests-unsupported');
    if (exp !== 'MethodRequest') throw new ExportRejection(400, `CIMExport header must be MethodRequest, got ${exp ?? 'none'}`, 'header-mismatch');
    if (!header(req, 'cimexportmethod')) throw new ExportRejection(400, 'CIMExportMethod header missing', 'header-mismatch');
  }

  private accept(req: IncomingMessage, body: Buffer): { messageId: string } {
    let msg;
    try {
      msg = decodeMessage(body);
    } catch (e) {
      if (e instanceof CimXmlError) {
        throw new ExportRejection(400, e.message, e.isNotWellFormed ? 'request-not-well-formed' : 'request-not-valid');
      }
      throw e;
    }
    if (msg.kind === 'MULTIEXPREQ') throw new ExportRejection(501, 'multiple export requests are not supported', 'multiple-requests-unsupported');
    if (msg.kind !== 'SIMPLEEXPREQ') throw new ExportRejection(400, `expected SIMPLEEXPREQ, got ${msg.kind}`, 'request-not-valid');
    if (msg.cimVersion !== undefined && !msg.cimVersion.startsWith('2.')) {
      throw new ExportRejection(501, `CIMVERSION ${msg.cimVersion} not supported`, 'unsupported-cim-version');
    }
    if (msg.dtdVersion !== undefined && !msg.dtdVersion.startsWith('2.')) {
      throw new ExportRejection(501, `DTDVERSION ${msg.dtdVersion} not supported`, 'unsupported-dtd-version');
    }
    const call = msg.call;
    if (call.name !== header(req, 'cimexportmethod')) {
      throw new ExportRejection(400, `CIMExportMethod header says ${header(req, 'cimexportmethod')}, the body ${call.name}`, 'header-mismatch');
    }
    if (call.name !== 'ExportIndication') {
      throw new ExportRejection(200, `export method ${call.name} is not supported`, undefined, CimStatus.CIM_ERR_NOT_SUPPORTED);
    }
    const p = call.params.find((x) => x.name.toLowerCase() === 'newindication');
    const v = p?.value;
    if (!v || v.kind !== 'INSTANCE') {
      throw new ExportRejection(200, 'ExportIndication needs NewIndication, an INSTANCE', undefined, CimStatus.CIM_ERR_INVALID_PARAMETER);
    }
    const indication = v.instance;
    const context: IndicationContext = {
      remoteAddress: req.socket.remoteAddress,
      path: req.url ?? '/',
      messageId: msg.id,
      receivedAt: new Date(),
    };
    const sc = scalarText(indication, 'SequenceContext');
    const sn = scalarText(indication, 'SequenceNumber');
    if (sc !== undefined) context.sequenceContext = sc;
    if (sn !== undefined) context.sequenceNumber = sn;
    if (!this.duplicates.firstSeen(sc, sn)) {
      this.stats.duplicates++;
      return { messageId: msg.id };
    }
    this.enqueue(indication, context);
    return { messageId: msg.id };
  }

  private enqueue(indication: CimInstance, context: IndicationContext): void {
    const callbacks = [...this.callbacks];
    this.delivery = this.delivery.then(async () => {
      this.stats.delivered++;
      for (const cb of callbacks) {
        try {
          await cb(indication, context);
        } catch (e) {
          this.options.onCallbackError?.(e);
        }
      }
    });
  }

  private respond(res: ServerResponse, id: string, error: CimError | undefined): void {
    const response: ExpMethodResponse = { kind: 'EXPMETHODRESPONSE', name: 'ExportIndication', returnValue: null };
    if (error) response.error = error;
    const body = encodeMessage({ kind: 'SIMPLEEXPRSP', id, response });
    res.writeHead(200, {
      'content-type': 'application/xml; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      cimexport: 'MethodResponse',
    });
    res.end(body);
  }

  private reject(res: ServerResponse, e: unknown, id: string): void {
    if (e instanceof ExportRejection && e.cimStatus !== undefined) {
      this.respond(res, id, new CimError(e.cimStatus, e.message));
      return;
    }
    const status = e instanceof ExportRejection ? e.httpStatus : 500;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (e instanceof ExportRejection && e.cimErrorHeader) headers.cimerror = e.cimErrorHeader;
    if (status === 405) headers.allow = 'POST';
    const text = `${e instanceof Error ? e.message : String(e)}\n`;
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(status, headers);
    res.end(text);
  }
}
