// Public encoding entry points: a whole CIM-XML message as one string, and single objects (the
// text of an embedded object).
import type { CimClass } from '../cim/CimClass.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { CimXmlMessage } from './messages.js';
import { CimXmlError } from './CimXmlError.js';

/**
 * Encodes a message as a complete CIM-XML document, starting with the XML declaration. Every
 * element has an explicit end tag (wbemcli rejects self-closing PROPERTY, VALUE, IRETURNVALUE...),
 * KEYVALUE always carries VALUETYPE and TYPE. Throws CimXmlError('XML_UNENCODABLE') for a value
 * that does not fit its declared type or text with characters XML 1.0 cannot carry.
 */
export function encodeMessage(msg: CimXmlMessage): string {
  void msg;
  throw new CimXmlError('XML_UNENCODABLE', 'not implemented yet');
}

/** The `<INSTANCE>` or `<CLASS>` element alone: the text of an embedded object. */
export function encodeEmbeddedObject(obj: CimInstance | CimClass): string {
  void obj;
  throw new CimXmlError('XML_UNENCODABLE', 'not implemented yet');
}
