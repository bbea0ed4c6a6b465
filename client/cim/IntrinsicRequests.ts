// The body of an intrinsic operation request. What encodeMessage writes around the parameters
// (XML declaration, CIM, MESSAGE, SIMPLEREQ, IMETHODCALL and LOCALNAMESPACEPATH elements) depends
// only on the operation and the namespace: it is written by encodeMessage itself once per pair and
// kept, and each call writes just the message ID and its IPARAMVALUEs into it. The result is the
// very document encodeMessage would write, for less than half the work: a whole document written
// piece by piece is a long rope of small strings that must be flattened again before it can be
// sent, which cost as much as writing it.
import { encodeMessage, writeParam, XmlWriter, type ParamValue } from '../../src/xml/index.js';
import { BoundedMap } from '../../src/cim/BoundedMap.js';

/**
 * Stands for the message ID in a frame. ASCII, so frames stay one-byte strings (a single UTF-16
 * character would make every request two-byte and twice as slow to turn into bytes), and needing
 * no escaping in an attribute. The ID is the first attribute value of the document, before
 * anything a caller names, so its first occurrence is the ID even when a name holds the mark.
 */
const ID_MARK = '@id@';

interface Frame {
  /** Up to the message ID. */
  head: string;
  /** From after the ID up to the first IPARAMVALUE. */
  mid: string;
  /** From `</IMETHODCALL>` on. */
  tail: string;
}

function flat(s: string): string {
  // Reading a character makes V8 flatten the rope once, here, not again in every request.
  s.charCodeAt(0);
  return s;
}

export class IntrinsicRequests {
  private readonly frames = new BoundedMap<string, BoundedMap<string, Frame>>(256);

  /** The request document: the same text as encodeMessage of this IMETHODCALL. */
  encode(id: string, name: string, namespace: string, params: readonly ParamValue[]): string {
    const f = this.frame(name, namespace);
    if (params.length === 0) return f.head + id + f.mid + f.tail;
    const w = new XmlWriter();
    for (const p of params) writeParam(w, 'IPARAMVALUE', p);
    return f.head + id + f.mid + w.toString() + f.tail;
  }

  private frame(name: string, namespace: string): Frame {
    let byNamespace = this.frames.get(name);
    if (byNamespace === undefined) {
      byNamespace = new BoundedMap(256);
      this.frames.set(name, byNamespace);
    }
    let f = byNamespace.get(namespace);
    if (f === undefined) {
      const doc = encodeMessage({ kind: 'SIMPLEREQ', id: ID_MARK, call: { kind: 'IMETHODCALL', name, namespace, params: [] } });
      const at = doc.indexOf(ID_MARK);
      const close = doc.lastIndexOf('</IMETHODCALL>');
      f = { head: flat(doc.slice(0, at)), mid: flat(doc.slice(at + ID_MARK.length, close)), tail: flat(doc.slice(close)) };
      byNamespace.set(namespace, f);
    }
    return f;
  }
}
