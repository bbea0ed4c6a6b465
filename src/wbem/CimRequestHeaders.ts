// DSP0200 request header rules: reads CIMOperation, CIMMethod, CIMObject, CIMProtocolVersion and
// CIMBatch (with M-POST's `Man: ...;ns=NN` prefixes), %-decodes them, and later checks them
// against the decoded body. Each refusal carries the HTTP status and CIMError value DSP0200 gives.
import type { IncomingHttpHeaders } from 'node:http';
import { WbemHttpError } from './WbemHttpError.js';
import { BoundedMap } from '../cim/BoundedMap.js';

const CIM_MAPPING = 'http://www.dmtf.org/cim/mapping/http/v1.0';

export interface CimRequestHeaders {
  /** `MethodCall` (operations); a listener would also see `MethodRequest` (exports). */
  operation: string;
  /** The decoded CIMMethod value. */
  method: string;
  /** The decoded CIMObject value: a namespace (intrinsic) or an object path (extrinsic). */
  object: string;
  /** CIMProtocolVersion, `1.0` when absent (DSP0200). */
  protocolVersion: string;
  /** A CIMBatch header was present. */
  batch: boolean;
  /** The M-POST `ns=NN` prefix, '' for POST; the response uses it for its own CIM headers. */
  prefix: string;
}

/** The value of an extension header (`lower`: its lower-case name), honouring the M-POST ns prefix; undefined when absent. */
function extension(headers: IncomingHttpHeaders, prefix: string, lower: string): string | undefined {
  const v = (prefix ? headers[`${prefix}-${lower}`] : undefined) ?? headers[lower];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The `ns=NN` of the Man header that names the CIM mapping, or null. */
function manPrefix(man: string | undefined): string | null {
  if (!man) return null;
  for (const part of man.split(',')) {
    const [uri, ...params] = part.split(';').map((s) => s.trim());
    if (uri?.replace(/^"|"$/g, '') !== CIM_MAPPING) continue;
    for (const p of params) {
      const m = /^ns\s*=\s*(\d{2})$/i.exec(p);
      if (m) return m[1]!;
    }
  }
  return null;
}

/**
 * %-decodes a header value (DSP0200 3.3.2: UTF-8 then %XX). A `%` not followed by two hex digits
 * or a byte sequence that is not UTF-8 is a syntax error.
 */
export function decodeHeaderValue(v: string): string | null {
  if (!v.includes('%')) return v;
  let d = DECODED.get(v);
  if (d === undefined) {
    d = percentDecode(v);
    DECODED.set(v, d);
  }
  return d;
}

// Clients send the same CIMObject and CIMMethod values over and over; bounded, as they come
// from the wire.
const DECODED = new BoundedMap<string, string | null>(256);

function percentDecode(v: string): string | null {
  if (/%(?![0-9A-Fa-f]{2})/.test(v)) return null;
  try {
    return decodeURIComponent(v);
  } catch {
    return null;
  }
}

/**
 * Reads the CIM headers of an operation request. `mpost` is true for M-POST. Throws
 * WbemHttpError for the refusals DSP0200 decides from the headers alone.
 */
export function readCimRequestHeaders(headers: IncomingHttpHeaders, mpost: boolean): CimRequestHeaders {
  let prefix = '';
  if (mpost) {
    const ns = manPrefix(typeof headers.man === 'string' ? headers.man : undefined);
    if (ns === null) {
      throw new WbemHttpError(510, `M-POST needs a Man header naming ${CIM_MAPPING};ns=NN`);
    }
    prefix = ns;
  }
  const operation = extension(headers, prefix, 'cimoperation');
  // Without CIMOperation this is not a CIM request at all, so there is no CIMError to give.
  if (operation === undefined) throw new WbemHttpError(400, 'missing CIMOperation header');
  // Exact spellings first: every request pays for what they spare the usual one.
  if (operation !== 'MethodCall' && operation.trim().toLowerCase() !== 'methodcall') {
    throw new WbemHttpError(400, `CIMOperation value "${operation}" is not supported`, 'unsupported-operation');
  }
  const batch = extension(headers, prefix, 'cimbatch') !== undefined;
  if (batch) throw new WbemHttpError(501, 'batched (multiple) requests are not supported', 'multiple-requests-unsupported');
  const rawMethod = extension(headers, prefix, 'cimmethod');
  if (rawMethod === undefined) throw new WbemHttpError(400, 'missing CIMMethod header', 'header-mismatch');
  const method = decodeHeaderValue(rawMethod.trim());
  if (method === null) throw new WbemHttpError(400, 'CIMMethod value syntax error', 'header-mismatch');
  if (method === '') throw new WbemHttpError(400, 'empty CIMMethod value', 'header-mismatch');
  const rawObject = extension(headers, prefix, 'cimobject');
  if (rawObject === undefined) throw new WbemHttpError(400, 'missing CIMObject header', 'header-mismatch');
  const object = decodeHeaderValue(rawObject.trim());
  if (object === null) throw new WbemHttpError(400, 'CIMObject value syntax error', 'header-mismatch');
  if (object === '') throw new WbemHttpError(400, 'empty CIMObject value', 'header-mismatch');
  const protocolVersion = (extension(headers, prefix, 'cimprotocolversion') ?? '1.0').trim();
  return { operation, method, object, protocolVersion, batch, prefix };
}

/** DSP0200 1.x protocol versions are the ones tvdc speaks. */
export function isSupportedProtocolVersion(v: string): boolean {
  return v === '1.0' || /^1\.\d+$/.test(v);
}

/** CIMVERSION / DTDVERSION 2.x. */
export function isSupportedCimVersion(v: string | undefined): boolean {
  return v === undefined || v === '2.0' || /^2\.\d+$/.test(v);
}
