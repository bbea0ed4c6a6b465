// Helpers shared by the indication tests: temporary stores, instances, and a real CIM-XML
// listener on 127.0.0.1 that records what it receives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import type { CimType } from '../../../src/cim/CimType.js';
import type { CimValue } from '../../../src/cim/CimValue.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-ind-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function instance(className: string, props: [string, CimType, CimValue, boolean?][]): CimInstance {
  const i = new CimInstance(className);
  for (const [n, t, v, arr] of props) i.properties.set(n, new CimProperty(n, t, v, arr ?? false));
  return i;
}

const SUPERCLASS: Record<string, string> = {
  tvdc_computersystem: 'cim_computersystem', cim_computersystem: 'cim_system',
  cim_instmodification: 'cim_instindication', cim_instindication: 'cim_indication',
};

/** The subclass test of the few classes these tests emit, without a repository. */
export function isa(_ns: string, c: string, s: string): boolean {
  let cur: string | undefined = c.toLowerCase();
  while (cur) {
    if (cur === s.toLowerCase()) return true;
    cur = SUPERCLASS[cur];
  }
  return false;
}

export interface Received {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
  body: string;
}

/** A listener answering each ExportIndication with `respond` (default: a CIM-XML success). */
export class TestListener {
  readonly received: Received[] = [];
  private server: Server | null = null;
  port = 0;
  /** The reply to each request; null leaves the request unanswered (a listener that hangs). */
  respond: (r: Received) => { status: number; body: string } | null = (r) => ({ status: 200, body: okResponse(messageId(r.body)) });

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { headers: req.headers, method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(r);
        const reply = this.respond(r);
        if (reply === null) return;
        const { status, body } = reply;
        res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8', cimexport: 'MethodResponse' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/listener`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export function messageId(body: string): string {
  return /<MESSAGE\s+ID="([^"]*)"/.exec(body)?.[1] ?? '0';
}

export function okResponse(id: string): string {
  return `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${id}" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"><IRETURNVALUE></IRETURNVALUE></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>`;
}

export function errorResponse(id: string): string {
  return `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${id}" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"><ERROR CODE="1" DESCRIPTION="busy"></ERROR></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>`;
}

/** Polls `cond` every 10 ms until true; fails after `ms` (a guard against hangs, not a timing assertion). */
export async function waitFor(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
