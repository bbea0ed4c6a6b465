// A loopback HTTP server for client tests: each request goes to a handler that may answer with
// recorded bytes, misbehave on purpose (reset, stall, truncate) or decode the request. Records
// what it received so tests can assert on the wire.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/fixtures relative to the project root, computed from this file's place. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'fixtures');

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type StubHandler = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => unknown;

export class StubServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private handler: StubHandler) {
    this.server = createServer((raw, res) => {
      const chunks: Buffer[] = [];
      raw.on('data', (c: Buffer) => chunks.push(c));
      raw.on('end', () => {
        const rec: RecordedRequest = { method: raw.method ?? '', url: raw.url ?? '', headers: raw.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(rec);
        Promise.resolve(this.handler(rec, res, raw)).catch(() => res.destroy());
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** A started server that answers every request with an empty 200 until setHandler(). */
  static async started(): Promise<StubServer> {
    const s = new StubServer((_r, res) => res.end());
    await s.start();
    return s;
  }

  setHandler(h: StubHandler): void {
    this.handler = h;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.origin;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers with a CIM-XML body, as a well-behaved server would. */
export function sendXml(res: ServerResponse, body: string | Buffer, extra: Record<string, string> = {}): void {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(200, { 'content-type': 'application/xml; charset="utf-8"', cimoperation: 'MethodResponse', 'content-length': String(b.length), ...extra });
  res.end(b);
}

/** A complete IMETHODRESPONSE document around `inner`. */
export function imethodResponse(name: string, inner: string, id = '1001'): string {
  return `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${id}" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="${name}">${inner}</IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`;
}

export function cimErrorResponse(name: string, code: number, description: string): string {
  return imethodResponse(name, `<ERROR CODE="${code}" DESCRIPTION="${description}"></ERROR>`);
}
