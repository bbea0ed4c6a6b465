// Shared helpers for the WBEM server tests: a real server on 127.0.0.1 port 0 loaded from MOF,
// the real wbemcli and xmllint, and raw HTTP over a socket for byte-exact requests.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { CimRepository } from '../../../src/cim/CimRepository.js';
import { compileMof, projectMofFiles } from '../../../src/mof/index.js';
import { WbemServer, type WbemServerOptions } from '../../../src/wbem/WbemServer.js';
import type { Db } from '../../../src/store/Store.js';
import type { UserDirectory } from '../../../src/wbem/UserDirectory.js';

const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(here, '../../..');
export const SHARED_FIXTURES = resolve(PROJECT_ROOT, '../shared/fixtures');
export const WBEM_FIXTURES = resolve(PROJECT_ROOT, 'test/wbem/fixtures');
export const DTD = join(SHARED_FIXTURES, 'cim/dmtf/DSP0203_2.4.0.dtd');
export const INTEROP_MOF = join(SHARED_FIXTURES, 'cim/dmtf/dmtf-cim241-interop-min.mof');

/** Compiles MOF files into a new repository; throws with every error when one fails. */
export function repositoryFrom(files: { file: string; namespace?: string }[], repository = new CimRepository()): CimRepository {
  for (const f of files) {
    const r = compileMof({ files: [f.file], repository, defaultNamespace: f.namespace ?? 'root/cimv2' });
    if (r.errors.length) throw new Error(r.errors.map((e) => e.toString()).join('\n'));
  }
  return repository;
}

/** The project's own schema (root/tvdc, root/interop) when its mof/ is complete, else the shared DMTF subset in root/interop. */
export function baseRepository(): CimRepository {
  const repository = new CimRepository();
  const project = projectMofFiles();
  if (project.length > 0) {
    const r = compileMof({ files: project, repository });
    if (r.errors.length === 0) return repository;
  }
  return repositoryFrom([{ file: INTEROP_MOF, namespace: 'root/interop' }]);
}

export interface TestServer {
  server: WbemServer;
  port: number;
  url: string;
  /** Every response body the server sent, for DTD validation. */
  bodies: string[];
  close(): Promise<void>;
}

export async function startServer(options: {
  repository: CimRepository;
  store?: Db;
  users?: UserDirectory | null;
  name?: string;
  extra?: Partial<WbemServerOptions>;
}): Promise<TestServer> {
  const bodies: string[] = [];
  const server = new WbemServer({
    repository: options.repository, store: options.store, users: options.users ?? null, name: options.name ?? 'testhost',
    traceResponse: (xml) => bodies.push(xml), log: () => undefined, ...options.extra,
  });
  const { http } = await server.listen({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(http!).port);
  return { server, port, url: http!, bodies, close: () => server.close() };
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], options: { input?: string; timeout?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(cmd, args, { timeout: options.timeout ?? 20_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export function wbemcli(...args: string[]): Promise<ProcessResult> {
  return run('wbemcli', args);
}

/**
 * Validates XML documents against the DSP0203 DTD with one xmllint run; returns xmllint's
 * complaints (empty when every document is valid).
 */
export async function validateAgainstDtd(docs: readonly string[]): Promise<string> {
  if (docs.length === 0) return '';
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-dtd-'));
  try {
    const files = docs.map((d, i) => {
      const f = join(dir, `doc${i}.xml`);
      writeFileSync(f, d);
      return f;
    });
    const out: string[] = [];
    // Batches keep the argument list within limits.
    for (let i = 0; i < files.length; i += 500) {
      const r = await run('xmllint', ['--noout', '--nonet', '--dtdvalid', DTD, ...files.slice(i, i + 500)], { timeout: 120_000 });
      if (r.code !== 0) out.push(r.stderr || r.stdout);
    }
    return out.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RawResponse {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  /** Header names as sent, in order (duplicates kept). */
  rawHeaders: [string, string][];
  body: string;
  trailers: Record<string, string>;
}

/** Parses one HTTP/1.1 response (Content-Length, chunked with trailers, or until close). */
export function parseResponse(buf: Buffer, closed: boolean): RawResponse | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const statusLine = lines[0]!;
  const rawHeaders: [string, string][] = lines.slice(1).map((l) => {
    const c = l.indexOf(':');
    return [l.slice(0, c).trim(), l.slice(c + 1).trim()];
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of rawHeaders) headers[k.toLowerCase()] = headers[k.toLowerCase()] !== undefined ? `${headers[k.toLowerCase()]}, ${v}` : v;
  const rest = buf.subarray(headEnd + 4);
  const trailers: Record<string, string> = {};
  let body: Buffer;
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    let i = 0;
    for (;;) {
      const nl = rest.indexOf('\r\n', i);
      if (nl < 0) return null;
      const size = parseInt(rest.subarray(i, nl).toString('latin1'), 16);
      i = nl + 2;
      if (size === 0) {
        const end = rest.indexOf('\r\n\r\n', i - 2);
        if (end < 0) return null;
        for (const l of rest.subarray(i, end).toString('latin1').split('\r\n')) {
          const c = l.indexOf(':');
          if (c > 0) trailers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
        }
        break;
      }
      if (rest.length < i + size + 2) return null;
      parts.push(rest.subarray(i, i + size));
      i += size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return null;
    body = rest.subarray(0, n);
  } else {
    if (!closed) return null;
    body = rest;
  }
  return { statusLine, status: Number(statusLine.split(' ')[1]), headers, rawHeaders, body: body.toString('utf8'), trailers };
}

/** Sends raw bytes and reads one response; rejects after `timeout` ms. */
export function rawRequest(port: number, bytes: string | Buffer, timeout = 10_000): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      const r = parseResponse(buf, closed);
      if (r) {
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolvePromise(r);
      } else if (closed) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`connection closed without a complete response (${buf.length} bytes: ${JSON.stringify(buf.subarray(0, 200).toString('latin1'))})`));
      }
    };
    const timer = setTimeout(() => { done = true; socket.destroy(); reject(new Error('no response in time')); }, timeout);
    socket.on('data', (d) => { buf = Buffer.concat([buf, d]); finish(false); });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (e) => { if (!done) { done = true; clearTimeout(timer); reject(e); } });
    socket.write(bytes);
  });
}

/** A CIM-XML intrinsic request body for `method` in `namespace` with raw IPARAMVALUE XML. */
export function imethodBody(method: string, namespace: string, params = '', id = '1001'): string {
  const ns = namespace.split('/').map((n) => `<NAMESPACE NAME="${n}"/>`).join('');
  return `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${id}" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
    `<IMETHODCALL NAME="${method}"><LOCALNAMESPACEPATH>${ns}</LOCALNAMESPACEPATH>${params}</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`;
}

/** A complete POST request for an intrinsic call. */
export function imethodRequest(method: string, namespace: string, params = '', extraHeaders: Record<string, string> = {}): string {
  const body = imethodBody(method, namespace, params);
  const headers: Record<string, string> = {
    Host: '127.0.0.1', 'Content-Type': 'application/xml; charset="utf-8"', 'Content-Length': String(Buffer.byteLength(body)),
    CIMOperation: 'MethodCall', CIMMethod: method, CIMObject: encodeURIComponent(namespace), Connection: 'close', ...extraHeaders,
  };
  return `POST /cimom HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

/** The repository provider's instance operations plus `extra` (e.g. invokeMethod), for registering a class. */
export function repositoryBacked(server: WbemServer, extra: import('../../../src/wbem/Provider.js').Provider): import('../../../src/wbem/Provider.js').Provider {
  const r = server.repositoryProvider;
  return {
    enumerateInstances: (ctx, cls) => r.enumerateInstances(ctx, cls),
    enumerateInstanceNames: (ctx, cls) => r.enumerateInstanceNames(ctx, cls),
    getInstance: (ctx, p, o) => r.getInstance(ctx, p, o),
    createInstance: (ctx, i) => r.createInstance(ctx, i),
    modifyInstance: (ctx, i, l) => r.modifyInstance(ctx, i, l),
    deleteInstance: (ctx, p) => r.deleteInstance(ctx, p),
    ...extra,
  };
}
