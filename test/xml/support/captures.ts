// Loads the shared CIM-XML captures and the pywbem functiontest bodies.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CIM_FIXTURES } from './paths.js';

export interface Capture {
  /** e.g. `wbemcli/requests/gi-01.http` */
  name: string;
  body: string;
}

/** The body of an HTTP capture: everything after the first blank line. */
export function httpBody(raw: string): string {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return raw.slice(crlf + 4);
  return raw.slice(lf + 2);
}

/** Every file under cim/captures: wbemcli requests, responses wbemcli accepted, pywbem requests. */
export function loadCaptures(): Capture[] {
  const base = join(CIM_FIXTURES, 'captures');
  const out: Capture[] = [];
  for (const dir of ['wbemcli/requests', 'wbemcli/responses-accepted', 'pywbem']) {
    for (const f of readdirSync(join(base, dir)).sort()) {
      const raw = readFileSync(join(base, dir, f), 'utf8');
      out.push({ name: `${dir}/${f}`, body: f.endsWith('.http') ? httpBody(raw) : raw });
    }
  }
  return out;
}

export interface PywbemBody {
  file: string;
  case: string;
  which: 'request' | 'response';
  body: string;
  /** pywbem_response.exception of the case, e.g. `CIMXMLParseError`. */
  expectedException?: string;
  /** The request's method name, for response-name checks. */
  requestMethod?: string;
}

type Yaml = Record<string, unknown>;

function collectCases(x: unknown, out: Yaml[]): void {
  if (Array.isArray(x)) for (const e of x) collectCases(e, out);
  else if (x !== null && typeof x === 'object') {
    const o = x as Yaml;
    if ('http_request' in o || 'http_response' in o) out.push(o);
    else for (const v of Object.values(o)) collectCases(v, out);
  }
}

/** Every http_request / http_response `data` string in functiontest/*.yaml. */
export function loadPywbemBodies(): PywbemBody[] {
  const dir = join(CIM_FIXTURES, 'pywbem', 'functiontest');
  const out: PywbemBody[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const cases: Yaml[] = [];
    collectCases(parse(readFileSync(join(dir, file), 'utf8')), cases);
    for (const c of cases) {
      const exc = (c.pywbem_response as Yaml | undefined)?.exception;
      const reqHeaders = (c.http_request as Yaml | undefined)?.headers as Yaml | undefined;
      for (const which of ['request', 'response'] as const) {
        const data = (c[`http_${which}`] as Yaml | undefined)?.data;
        if (typeof data !== 'string') continue;
        const b: PywbemBody = { file, case: String(c.name), which, body: data };
        if (typeof exc === 'string') b.expectedException = exc.trim();
        const m = reqHeaders?.CIMMethod ?? reqHeaders?.CIMExportMethod;
        if (typeof m === 'string') b.requestMethod = m;
        out.push(b);
      }
    }
  }
  return out;
}
