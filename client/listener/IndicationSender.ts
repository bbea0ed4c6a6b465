// The sending side of CIM export: posts one ExportIndication to a listener (DSP0200 export
// headers) and reports its answer. Used by tests, by tools that relay indications, and to check a
// listener destination before subscribing it.
import { Pool } from 'undici';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimXmlError, decodeMessage, encodeMessage } from '../../src/xml/index.js';
import { ContentTypeError, HttpStatusError, ResponseParseError } from '../cim/ClientError.js';
import { mapTransportError } from '../cim/mapTransportError.js';

export interface SendOptions {
  timeoutMs?: number;
  messageId?: string;
}

/** Sends `indication` to the listener at `url`; throws CimError when the listener answers ERROR. */
export async function sendIndication(url: string, indication: CimInstance, options: SendOptions = {}): Promise<void> {
  const u = new URL(url);
  const timeout = options.timeoutMs ?? 10_000;
  const timeouts = { connect: timeout, headers: timeout, body: timeout, total: 0 };
  const pool = new Pool(u.origin, { connections: 1, connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout });
  const body = encodeMessage({
    kind: 'SIMPLEEXPREQ',
    id: options.messageId ?? '1001',
    call: { kind: 'EXPMETHODCALL', name: 'ExportIndication', params: [{ name: 'NewIndication', value: { kind: 'INSTANCE', instance: indication } }] },
  });
  try {
    let res;
    try {
      res = await pool.request({
        path: u.pathname + u.search,
        method: 'POST',
        headers: {
          'content-type': 'application/xml; charset=utf-8',
          cimprotocolversion: '1.0',
          cimexport: 'MethodRequest',
          cimexportmethod: 'ExportIndication',
        },
        body,
      });
    } catch (e) {
      throw mapTransportError(e, 'headers', u.host, timeouts);
    }
    const text = await res.body.text().catch((e: unknown) => { throw mapTransportError(e, 'body', u.host, timeouts); });
    const cimError = res.headers.cimerror;
    if (res.statusCode !== 200) {
      throw new HttpStatusError(res.statusCode, '', `the listener answered HTTP ${res.statusCode}${cimError ? ` (CIMError: ${String(cimError)})` : ''}: ${text.trim()}`,
        cimError ? 'PROTOCOL' : 'HTTP_STATUS', cimError ? String(cimError) : undefined);
    }
    const ct = String(res.headers['content-type'] ?? '');
    if (!/^\s*(application|text)\/xml/i.test(ct)) throw new ContentTypeError(ct || undefined, u.host);
    let msg;
    try {
      msg = decodeMessage(text);
    } catch (e) {
      if (e instanceof CimXmlError) throw new ResponseParseError(e.message, 'ExportIndication', { cause: e });
      throw e;
    }
    if (msg.kind !== 'SIMPLEEXPRSP') throw new ResponseParseError(`expected SIMPLEEXPRSP, got ${msg.kind}`, 'ExportIndication');
    if (msg.response.error) throw msg.response.error;
  } finally {
    await pool.close();
  }
}
