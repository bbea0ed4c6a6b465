// The seam between XML tokenizing and CIM-XML decoding: a source turns text into well-formed
// element/text events for a sink (CimXmlParser). createEventSource() picks the implementation, so
// the decoder can be moved between tokenizers by changing one line.
import { XmlTokenizer } from './XmlTokenizer.js';

/** What a tokenizer reports. Every method may throw; the source then stops. */
export interface XmlEventSink {
  /**
   * A start tag (also for `<X/>`, followed at once by closeTag). `attrs` is a flat
   * `[name0, value0, name1, value1, ...]` list with values already normalised and unescaped; the
   * array is reused for the next tag, so it is valid only during the call.
   */
  openTag(name: string, attrs: readonly string[], attrCount: number): void;
  closeTag(name: string): void;
  /** Character data (text or CDATA) inside the root element, references resolved, line ends as LF. */
  text(text: string): void;
  /** A DOCTYPE before the root element. Must throw: tvdc never processes one. */
  doctype(): never;
  /** The text is not well-formed. Must throw. `message` starts with `line:col: `. */
  syntaxError(message: string): never;
}

/** A push tokenizer over one document. */
export interface XmlEventSource {
  write(text: string): void;
  /** The document has ended: reports what is still open or missing. */
  close(): void;
}

/** The tokenizer the CIM-XML decoder uses (SaxesEventSource is the other implementation). */
export function createEventSource(sink: XmlEventSink): XmlEventSource {
  return new XmlTokenizer(sink);
}
