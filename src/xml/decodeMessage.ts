// Public decoding entry points: a whole CIM-XML message from text or bytes, a chunked decoder
// that streams IRETURNVALUE items to a callback, and embedded-object text.
import type { CimClass } from '../cim/CimClass.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { CimXmlMessage, DecodeLimits, ReturnItem } from './messages.js';
import { CimXmlParser } from './CimXmlParser.js';
import { DOCUMENT_ROOT, EMBEDDED_ROOT, RULES, type DecodeContext } from './elementRules.js';

/**
 * Decodes one CIM-XML document (`<?xml ...?><CIM><MESSAGE>...`). Bytes are read as UTF-8.
 * Throws CimXmlError (never anything else) for text that is not well-formed, not valid CIM-XML,
 * has a DOCTYPE/entity declaration, or exceeds `limits`.
 */
export function decodeMessage(xml: string | Uint8Array, limits?: DecodeLimits): CimXmlMessage {
  const parser = new CimXmlParser({ rules: RULES, root: DOCUMENT_ROOT, limits });
  parser.write(xml);
  return parser.end() as CimXmlMessage;
}

export interface MessageDecoderOptions {
  /**
   * Called for each child of IRETURNVALUE as soon as its end tag is read (VALUE.NAMEDINSTANCE,
   * INSTANCENAME, CLASS, ...). Items given to the callback are not kept: the final message's
   * `returnValue` is then an empty array. Exceptions thrown by the callback propagate from write().
   */
  onReturnItem?: (item: ReturnItem) => void;
  limits?: DecodeLimits;
}

/** A push decoder: feed chunks with write(), then end() returns the message. */
export interface MessageDecoder {
  /** Feeds the next chunk; UTF-8 sequences split across Uint8Array chunks are handled. */
  write(chunk: string | Uint8Array): void;
  /** Ends the document and returns the decoded message; throws CimXmlError when it is incomplete. */
  end(): CimXmlMessage;
}

/**
 * The push decoder: a class rather than an object of closures, because a client makes one per
 * response and named closures are not free (run through tsx, each one costs a defineProperty).
 */
class PushDecoder implements MessageDecoder {
  private readonly parser: CimXmlParser;

  constructor(options: MessageDecoderOptions) {
    const context: DecodeContext = { onReturnItem: options.onReturnItem };
    this.parser = new CimXmlParser({
      rules: RULES, root: DOCUMENT_ROOT, limits: options.limits, streaming: options.onReturnItem !== undefined, context,
    });
  }

  write(chunk: string | Uint8Array): void {
    this.parser.write(chunk);
  }

  end(): CimXmlMessage {
    return this.parser.end() as CimXmlMessage;
  }
}

/** Creates a push decoder, e.g. for a client reading a large enumeration response chunk by chunk. */
export function createMessageDecoder(options: MessageDecoderOptions = {}): MessageDecoder {
  return new PushDecoder(options);
}

/** Decodes the text of an embedded object: one `<INSTANCE>` or `<CLASS>` element (no envelope). */
export function decodeEmbeddedObject(xml: string, limits?: DecodeLimits): CimInstance | CimClass {
  const parser = new CimXmlParser({ rules: RULES, root: EMBEDDED_ROOT, limits });
  parser.write(xml.trim());
  return parser.end() as CimInstance | CimClass;
}
