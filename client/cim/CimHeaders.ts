// The DSP0200 request headers of a CIM operation, and the %-encoding of their values.

/** What kind of call a request carries: intrinsic (IMETHODCALL) or extrinsic (METHODCALL). */
export interface CimCall {
  /** CIMMethod: the intrinsic operation or the extrinsic method name. */
  method: string;
  /**
   * CIMObject: the namespace for intrinsic operations, the untyped model path
   * (`ns:Class.key="v"`) of the target for extrinsic ones.
   */
  object: string;
}

/**
 * DSP0200 says the CIMMethod and CIMObject values are %-escaped: everything outside printable
 * ASCII, and the characters that have a meaning in the header or in a URI (`%`, `/`, `:`, space).
 * Quotes, `=` and `,` of an object path stay literal, as other clients send them, so servers and
 * logs read a path as a path.
 */
export function encodeHeaderValue(value: string): string {
  // Most values (namespaces without '/', method names) need no escaping at all.
  if (/^[A-Za-z0-9_.\-]*$/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const keep = byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x2f && byte !== 0x3a && byte !== 0x3f && byte !== 0x23;
    out += keep ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function basicAuthorization(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

/** The headers of one operation request. */
export function cimRequestHeaders(call: CimCall, authorization: string | undefined): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/xml; charset=utf-8',
    accept: 'application/xml, text/xml',
    cimprotocolversion: '1.0',
    cimoperation: 'MethodCall',
    cimmethod: encodeHeaderValue(call.method),
    cimobject: encodeHeaderValue(call.object),
    // DSP0200: a server that fails in the middle of a chunked answer can then still say why, in a
    // CIMStatusCode trailer, instead of just cutting the body short.
    te: 'trailers',
  };
  if (authorization) h.authorization = authorization;
  return h;
}
