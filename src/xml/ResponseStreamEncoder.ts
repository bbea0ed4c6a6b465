// Streaming encode of an intrinsic-operation response for the server: the head, one chunk per
// IRETURNVALUE item, and the tail, so the first bytes leave before the last instance is encoded.
// Once the head is sent the response can no longer become an ERROR: a server that fails
// mid-stream has to signal it outside the body (DSP0200 trailer) or drop the connection.
import { CimXmlError } from './CimXmlError.js';
import { writeEnvelopeClose, writeEnvelopeOpen, writeParam, writeReturnItem } from './encodeMessage.js';
import type { MessageEnvelope, ParamValue, ReturnItem } from './messages.js';
import { XmlWriter } from './XmlWriter.js';

/** Items are gathered into chunks of about this many characters by stream(). */
const CHUNK_CHARS = 64 * 1024;

export class ResponseStreamEncoder {
  private readonly w = new XmlWriter();
  private kind = '';

  constructor(
    readonly envelope: MessageEnvelope,
    /** The intrinsic method name, e.g. `EnumerateInstances`. */
    readonly method: string,
  ) {}

  /** `<?xml?><CIM><MESSAGE><SIMPLERSP><IMETHODRESPONSE NAME><IRETURNVALUE>` */
  head(): string {
    writeEnvelopeOpen(this.w, this.envelope);
    this.w.raw('<SIMPLERSP><IMETHODRESPONSE').attr('NAME', this.method).raw('><IRETURNVALUE>');
    return this.w.take();
  }

  /** One IRETURNVALUE child. All items of one response must be of one kind, as the DTD requires. */
  item(item: ReturnItem): string {
    this.check(item);
    writeReturnItem(this.w, item);
    return this.w.take();
  }

  /** `</IRETURNVALUE>`, the trailing PARAMVALUEs (pull: EnumerationContext, EndOfSequence), and the closing tags. */
  tail(params: ParamValue[] = []): string {
    this.w.raw('</IRETURNVALUE>');
    for (const p of params) writeParam(this.w, 'PARAMVALUE', p);
    this.w.raw('</IMETHODRESPONSE></SIMPLERSP>');
    writeEnvelopeClose(this.w);
    return this.w.take();
  }

  /**
   * The whole response as chunks: the head at once, then items gathered into chunks of about
   * 64 KiB as they arrive from `items` (sync or async), then the rest with the tail. Suitable
   * for `Readable.from()`.
   */
  async *stream(items: Iterable<ReturnItem> | AsyncIterable<ReturnItem>, params: ParamValue[] = []): AsyncGenerator<string> {
    // The head goes out at once: the client sees the response start while providers still work.
    yield this.head();
    for await (const it of items) {
      this.check(it);
      writeReturnItem(this.w, it);
      if (this.w.length >= CHUNK_CHARS) yield this.w.take();
    }
    yield this.w.take() + this.tail(params);
  }

  private check(item: ReturnItem): void {
    if (this.kind === '') this.kind = item.kind;
    else if (this.kind !== item.kind) throw new CimXmlError('XML_UNENCODABLE', `IRETURNVALUE holds ${this.kind} and cannot also hold ${item.kind}`);
    else if (item.kind === 'VALUE.ARRAY' || item.kind === 'VALUE.REFERENCE') throw new CimXmlError('XML_UNENCODABLE', `IRETURNVALUE holds at most one ${item.kind}`);
  }
}
