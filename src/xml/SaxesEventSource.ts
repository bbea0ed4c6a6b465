// The saxes-based event source the decoder used before XmlTokenizer: kept as the reference the
// tokenizer is tested against (test/xml/tokenizer.test.ts) and as a one-line fallback in
// createEventSource().
import { SaxesParser } from 'saxes';
import type { XmlEventSink, XmlEventSource } from './XmlEventSource.js';

export class SaxesEventSource implements XmlEventSource {
  private readonly sax = new SaxesParser({ xmlns: false });
  private readonly attrs: string[] = [];

  constructor(sink: XmlEventSink) {
    const sax = this.sax;
    sax.on('opentag', (tag) => {
      const a = this.attrs;
      let n = 0;
      for (const k in tag.attributes) {
        a[2 * n] = k;
        a[2 * n + 1] = tag.attributes[k]!;
        n++;
      }
      sink.openTag(tag.name, a, n);
    });
    sax.on('closetag', (tag) => sink.closeTag(tag.name));
    sax.on('text', (t) => sink.text(t));
    sax.on('cdata', (t) => sink.text(t));
    sax.on('doctype', () => sink.doctype());
    sax.on('error', (e) => sink.syntaxError(e.message));
  }

  write(text: string): void {
    this.sax.write(text);
  }

  close(): void {
    this.sax.close();
  }
}
