// The CIM-XML codec's error base: every problem the decoder or encoder finds is a CimXmlError with
// a stable code, so the WBEM server can map it to HTTP 400 + CIMError in exactly one place.

/**
 * Stable codes:
 * - XML_NOT_WELL_FORMED: the text is not well-formed XML (the server answers
 *   `CIMError: request-not-well-formed`).
 * - XML_INVALID: well-formed, but not valid CIM-XML per DSP0201/DSP0203 (`request-not-valid`).
 * - XML_FORBIDDEN: a DOCTYPE, entity declaration or processing construct tvdc refuses on principle.
 * - XML_LIMIT: the document exceeds a decoder limit (size, depth, element count).
 * - XML_UNENCODABLE: the encoder was given something it cannot write (a character XML 1.0 does
 *   not allow, a value that does not match its declared type).
 */
export type CimXmlErrorCode = 'XML_NOT_WELL_FORMED' | 'XML_INVALID' | 'XML_FORBIDDEN' | 'XML_LIMIT' | 'XML_UNENCODABLE';

export class CimXmlError extends Error {
  override readonly name = 'CimXmlError';
  constructor(
    readonly code: CimXmlErrorCode,
    /** What was wrong, without the path. */
    readonly reason: string,
    /** The element path where it was found, e.g. `CIM/MESSAGE/SIMPLEREQ/IMETHODCALL/IPARAMVALUE[2]`. */
    readonly path: string = '',
  ) {
    super(path ? `${path}: ${reason}` : reason);
  }

  /** True when the server should answer `request-not-well-formed` rather than `request-not-valid`. */
  get isNotWellFormed(): boolean {
    return this.code === 'XML_NOT_WELL_FORMED' || this.code === 'XML_FORBIDDEN' || this.code === 'XML_LIMIT';
  }
}
