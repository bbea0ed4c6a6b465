// Streaming encode of an intrinsic-operation response for the server: the head, one chunk per
// IRETURNVALUE item, and the tail, so the first bytes leave before the last instance is encoded.
import type { MessageEnvelope, ParamValue, ReturnItem } from './messages.js';
import { CimXmlError } from './CimXmlError.js';

export class ResponseStreamEncoder {
  constructor(
    readonly envelope: MessageEnvelope,
    /** The intrinsic method name, e.g. `EnumerateInstances`. */
    readonly method: string,
  ) {}

  /** `<?xml?><CIM><MESSAGE><SIMPLERSP><IMETHODRESPONSE NAME><IRETURNVALUE>` */
  head(): string {
    throw new CimXmlError('XML_UNENCODABLE', 'not implemented yet');
  }

  /** One IRETURNVALUE child (all items of one response must be of one kind, as the DTD requires). */
  item(item: ReturnItem): string {
    void item;
    throw new CimXmlError('XML_UNENCODABLE', 'not implemented yet');
  }

  /** `</IRETURNVALUE>`, the trailing PARAMVALUEs (pull: EnumerationContext, EndOfSequence), and the closing tags. */
  tail(params: ParamValue[] = []): string {
    void params;
    throw new CimXmlError('XML_UNENCODABLE', 'not implemented yet');
  }
}
