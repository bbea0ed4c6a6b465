// tvdc's own strict XML 1.0 tokenizer for CIM-XML: start/end tags, attributes and character data
// from a string (or a stream of string chunks), with every well-formedness rule a CIM-XML peer can
// break checked on the way. It scans with indexOf/charCodeAt and reports attributes as one reused
// flat array, because a general-purpose SAX parser's per-event and per-attribute objects cost the
// decoder more than building the CIM model does (bench/xml.bench.ts).
//
// Not supported on purpose: DOCTYPE (refused through the sink: entity declarations are how XML
// bombs and external-entity reads happen) and so any entity beyond the five predefined ones.
// Processing instructions are checked and skipped.
import { isNameChar, isNameStartChar, isXmlChar } from './xmlChars.js';
import type { XmlEventSink, XmlEventSource } from './XmlEventSource.js';

// The ASCII name-character table again, here: the tokenizer's inner loops read it per character,
// and a cross-module binding costs a call there when run through a loader (tsx).
const NAME_START = new Uint8Array(128);
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  NAME_START[c] = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 ? 1 : 0;
  NAME_CHAR[c] = NAME_START[c] === 1 || (c >= 48 && c <= 57) || c === 45 || c === 46 ? 1 : 0;
}

// Element names, attribute names and short attribute values and texts repeat all through a
// CIM-XML document (PROPERTY, NAME, "string", the class name). A small direct-mapped cache hands
// out one internalized string for each: no new string per token, and the Map/Set lookups that
// follow (rule tables, NameMap's lower-case cache) find their hash already computed.
const INTERN_SLOTS = 4096;
const INTERN_MAX = 40;
const INTERN_MAX_VALUE = 24;
// Names and values in separate tables: a value never evicts a name (an element name colliding
// with a frequent value was otherwise internalized again thousands of times per document).
const internedNames: string[] = new Array<string>(INTERN_SLOTS).fill('');
const internedValues: string[] = new Array<string>(INTERN_SLOTS).fill('');

function internalize(s: string): string {
  // A property key is stored internalized; the key read back is that string.
  const o: Record<string, number> = { [s]: 0 };
  for (const k in o) return k;
  return s;
}

/**
 * buf[start, end), as the cached string when one with the same text is cached. Only names are
 * internalized: values are often unique (instance names), and internalizing each costs more than
 * a hash computed later.
 */
function intern(buf: string, start: number, end: number, isName: boolean): string {
  const len = end - start;
  if (len > (isName ? INTERN_MAX : INTERN_MAX_VALUE)) return buf.slice(start, end);
  if (len === 0) return '';
  const h = (buf.charCodeAt(start) * 961 + buf.charCodeAt(end - 1) * 31 + buf.charCodeAt(start + (len >> 1)) + len * 7) & (INTERN_SLOTS - 1);
  const table = isName ? internedNames : internedValues;
  const c = table[h]!;
  if (c.length === len) {
    // A plain loop: these strings are short, and startsWith is a builtin call each time.
    let k = 0;
    while (k < len && c.charCodeAt(k) === buf.charCodeAt(start + k)) k++;
    if (k === len) return c;
  }
  const s = isName ? internalize(buf.slice(start, end)) : buf.slice(start, end);
  table[h] = s;
  return s;
}

/** XML declarations CIM-XML peers send (tvdc, wbemcli, pywbem, OpenPegasus, sblim-sfcb). */
const COMMON_DECLARATIONS = [
  '<?xml version="1.0" encoding="utf-8" ?>',
  '<?xml version="1.0" encoding="utf-8"?>',
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<?xml version="1.0" encoding="UTF-8" ?>',
  '<?xml version="1.0"?>',
];

const LT = 60;
const GT = 62;
const AMP = 38;
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;

/** Where the document is: before, inside or after its one root element. */
const enum Stage { Prolog, Root, Epilog }

export class XmlTokenizer implements XmlEventSource {
  /** Unconsumed text: an incomplete tag, reference or line end carried over to the next chunk. */
  private buf = '';
  /** Offset of buf[0] in the whole document. */
  private base = 0;
  /** Line ends before buf[0], and the document offset where the line holding buf[0] starts. */
  private lines = 0;
  private lineStart = 0;
  /** True when buf holds an incomplete markup construct: nothing can change until a '>' arrives. */
  private waitsForGt = false;
  private readonly names: string[] = [];
  private depth = 0;
  private stage = Stage.Prolog;
  private readonly attrs: string[] = [];
  /** The text of the reference read last by reference(). */
  private refText = '';
  private closed = false;

  constructor(private readonly sink: XmlEventSink) {}

  write(chunk: string): void {
    if (this.closed) this.fail(0, 'the document has already ended');
    if (chunk.length === 0) return;
    if (this.buf.length === 0) {
      this.buf = chunk;
    } else {
      this.buf += chunk;
      // A long tag arriving in many small chunks would otherwise be re-scanned for every chunk.
      if (this.waitsForGt && chunk.indexOf('>') < 0) return;
    }
    this.run(false);
  }

  close(): void {
    if (this.closed) this.fail(0, 'the document has already ended');
    this.closed = true;
    this.run(true);
    const end = this.buf.length - 1;
    if (this.depth > 0) this.fail(end, `unclosed tag: ${this.names[this.depth - 1]!}`);
    if (this.stage === Stage.Prolog) this.fail(end, 'the document has no root element');
  }

  /** Tokenizes buf as far as it is complete (everything, when `final`), keeping the rest. */
  private run(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      if (buf.charCodeAt(pos) === LT) {
        const next = this.markup(buf, pos, final);
        if (next < 0) break;
        pos = next;
        continue;
      }
      // Text. CIM-XML text is nearly always short plain ASCII ending at a tag: find that in one
      // tight loop, and leave references, line ends and everything unusual to charData().
      let i = pos;
      let c = 0;
      for (; i < len; i++) {
        c = buf.charCodeAt(i);
        if (c > 0x5d ? c < 0xd800 : c >= 0x20 && c !== AMP && c !== 0x5d && c !== LT) continue;
        break;
      }
      if (i < len && c === LT && this.depth > 0) {
        this.sink.text(i - pos <= 24 ? intern(buf, pos, i, false) : buf.slice(pos, i));
        pos = i;
        continue;
      }
      const lt = buf.indexOf('<', i);
      if (lt < 0) {
        const cut = final ? len : this.safeTextEnd(buf, pos, len);
        if (cut > pos) this.charData(buf, pos, cut);
        pos = cut;
        break;
      }
      this.charData(buf, pos, lt);
      pos = lt;
    }
    if (pos > 0) this.consume(pos);
    this.waitsForGt = this.buf.charCodeAt(0) === LT;
  }

  /** Drops buf[0, n), keeping line bookkeeping for error positions. */
  private consume(n: number): void {
    const buf = this.buf;
    let k = buf.indexOf('\n');
    while (k >= 0 && k < n) {
      this.lines++;
      this.lineStart = this.base + k + 1;
      k = buf.indexOf('\n', k + 1);
    }
    this.base += n;
    this.buf = n === buf.length ? '' : buf.slice(n);
  }

  /**
   * How much of the trailing text of a chunk can be reported now: not a reference still missing
   * its ';', nor a trailing ']' (it may begin "]]>") or CR (it may begin CRLF) or high surrogate.
   */
  private safeTextEnd(buf: string, start: number, end: number): number {
    let cut = end;
    // Only this text run is searched: lastIndexOf would scan back through the whole document.
    let amp = end - 1;
    while (amp >= start && buf.charCodeAt(amp) !== AMP) amp--;
    if (amp >= start && this.mayBeReference(buf, amp, end)) cut = amp;
    while (cut > start) {
      const c = buf.charCodeAt(cut - 1);
      if (c === 93 || c === 13 || (c & 0xfc00) === 0xd800) cut--;
      else break;
    }
    return cut;
  }

  /**
   * Whether buf[amp, end) can still grow into a reference: `&` plus at most five name characters
   * (the longest predefined entity is four), or `&#`/`&#x` plus digits. Anything else is refused
   * now, so that a stray '&' does not make every later chunk re-scan the text behind it.
   */
  private mayBeReference(buf: string, amp: number, end: number): boolean {
    let j = amp + 1;
    if (j < end && buf.charCodeAt(j) === 35) {
      j++;
      const hex = j < end && buf.charCodeAt(j) === 120;
      if (hex) j++;
      for (; j < end; j++) {
        const c = buf.charCodeAt(j);
        if (!((c >= 48 && c <= 57) || (hex && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))))) return false;
      }
      return true;
    }
    if (end - j > 5) return false;
    for (; j < end; j++) if (NAME_CHAR[buf.charCodeAt(j)] !== 1) return false;
    return true;
  }

  /** `line:col` of buf[i] (1-based), for error messages. */
  private where(i: number): string {
    const buf = this.buf;
    let line = this.lines + 1;
    let start = this.lineStart - this.base;
    let k = buf.indexOf('\n');
    while (k >= 0 && k < i) {
      line++;
      start = k + 1;
      k = buf.indexOf('\n', k + 1);
    }
    return `${line}:${i - start + 1}`;
  }

  private fail(i: number, reason: string): never {
    return this.sink.syntaxError(`${this.where(i)}: ${reason}`);
  }

  /** Incomplete markup at `lt`: wait for more text, or fail at the end of the document. */
  private incomplete(lt: number, final: boolean, what: string): number {
    if (final) this.fail(this.buf.length - 1, `the document ends inside ${what}`);
    return -1;
  }

  /** Character data between markup: references resolved, CRLF/CR -> LF, characters checked. */
  private charData(buf: string, start: number, end: number): void {
    if (this.depth === 0) {
      for (let i = start; i < end; i++) {
        const c = buf.charCodeAt(i);
        if (c !== 32 && c !== 10 && c !== 13 && c !== 9) this.fail(i, 'text outside the root element');
      }
      return;
    }
    let out = '';
    let seg = start;
    for (let i = start; i < end; i++) {
      const c = buf.charCodeAt(i);
      // The common case first: printable BMP text other than '&' and ']'.
      if (c > 0x5d ? c < 0xd800 : c >= 0x20 && c !== AMP && c !== 0x5d) continue;
      if (c === AMP) {
        out += buf.slice(seg, i);
        i = this.reference(buf, i, end);
        out += this.refText;
        seg = i + 1;
      } else if (c === 0x5d) {
        if (buf.charCodeAt(i + 1) === 0x5d && buf.charCodeAt(i + 2) === GT) this.fail(i, '"]]>" is not allowed in character data');
      } else if (c === 13) {
        out += buf.slice(seg, i) + '\n';
        if (buf.charCodeAt(i + 1) === 10 && i + 1 < end) i++;
        seg = i + 1;
      } else if (c === 9 || c === 10) {
        // allowed as is
      } else {
        i = this.nonBmpOrFail(buf, i, c, end);
      }
    }
    this.sink.text(seg === start ? (end - start <= 24 ? intern(buf, start, end, false) : buf.slice(start, end)) : out + buf.slice(seg, end));
  }

  /**
   * Checks the character at i that is not plain BMP text: a surrogate pair (returns the index of
   * its second half), U+E000..U+FFFD, or anything else, which XML 1.0 does not allow.
   */
  private nonBmpOrFail(buf: string, i: number, c: number, end: number): number {
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < end ? buf.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) return i + 1;
    } else if (c >= 0xe000 && c <= 0xfffd) {
      return i;
    }
    return this.fail(i, `character U+${c.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  }

  /**
   * Reads the reference starting with '&' at `amp` (which must end before `end`) into refText and
   * returns the index of its ';'. Only the predefined entities and character references exist.
   */
  private reference(buf: string, amp: number, end: number): number {
    let j = amp + 1;
    if (buf.charCodeAt(j) === 35) {
      j++;
      const hex = buf.charCodeAt(j) === 120;
      if (hex) j++;
      const first = j;
      let v = 0;
      for (; j < end; j++) {
        const c = buf.charCodeAt(j);
        let d: number;
        if (c >= 48 && c <= 57) d = c - 48;
        else if (hex && c >= 97 && c <= 102) d = c - 87;
        else if (hex && c >= 65 && c <= 70) d = c - 55;
        else break;
        // Saturate: anything past U+10FFFF is refused below, however many digits follow.
        v = Math.min(v * (hex ? 16 : 10) + d, 0x110000);
      }
      if (j === first || j >= end || buf.charCodeAt(j) !== 59) this.fail(amp, 'malformed character reference');
      if (!isXmlChar(v)) this.fail(amp, `character reference &#${hex ? 'x' : ''}${buf.slice(first, j)}; is not an XML character`);
      this.refText = String.fromCodePoint(v);
      return j;
    }
    while (j < end && j - amp <= 5 && NAME_CHAR[buf.charCodeAt(j)] === 1) j++;
    if (j >= end || buf.charCodeAt(j) !== 59) this.fail(amp, 'a reference must be &name; or &#N; (only &lt; &gt; &amp; &quot; &apos; are defined)');
    switch (buf.slice(amp + 1, j)) {
      case 'lt': this.refText = '<'; break;
      case 'gt': this.refText = '>'; break;
      case 'amp': this.refText = '&'; break;
      case 'quot': this.refText = '"'; break;
      case 'apos': this.refText = "'"; break;
      default: this.fail(amp, `undefined entity &${buf.slice(amp + 1, j)};`);
    }
    return j;
  }

  /** Tokenizes the markup at `lt`; returns the index after it, or -1 when it is not complete yet. */
  private markup(buf: string, lt: number, final: boolean): number {
    const c = buf.charCodeAt(lt + 1);
    if (c === SLASH) return this.endTag(buf, lt, final);
    if (c === BANG) return this.bang(buf, lt, final);
    if (c === QUESTION) return this.instruction(buf, lt, final);
    if (lt + 1 >= buf.length) return this.incomplete(lt, final, 'a tag');
    return this.startTag(buf, lt, final);
  }

  /**
   * The end of the name starting at i: -1 if the buffer ends first (it may go on in the next
   * chunk). Fails when no name starts at i.
   */
  private nameEnd(buf: string, i: number): number {
    const len = buf.length;
    if (i >= len) return -1;
    let c = buf.charCodeAt(i);
    if (c < 128) {
      if (NAME_START[c] !== 1) this.fail(i, c === 32 || c === 9 || c === 10 || c === 13 ? 'white space where a name must start' : `a name cannot start with "${buf[i]!}"`);
      i++;
    } else {
      i = this.wideNameChar(buf, i, true);
      if (i < 0) return -1;
    }
    while (i < len) {
      c = buf.charCodeAt(i);
      if (c < 128) {
        if (NAME_CHAR[c] !== 1) return i;
        i++;
      } else {
        const next = this.wideNameChar(buf, i, false);
        if (next === i) return i;
        if (next < 0) return -1;
        i = next;
      }
    }
    return -1;
  }

  /**
   * A non-ASCII name character at i (XML 1.0 fifth edition classes, surrogate pairs as one code
   * point): the index after it, i itself if it is no name character (fails instead when it must
   * start a name), or -1 if a surrogate pair is cut by the chunk end.
   */
  private wideNameChar(buf: string, i: number, start: boolean): number {
    let c = buf.charCodeAt(i);
    let n = 1;
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 1 >= buf.length) return -1;
      const d = buf.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        n = 2;
      }
    }
    if (start ? isNameStartChar(c) : isNameChar(c)) return i + n;
    if (start) this.fail(i, `a name cannot start with U+${c.toString(16).toUpperCase()}`);
    return i;
  }

  private startTag(buf: string, lt: number, final: boolean): number {
    const len = buf.length;
    let i = this.nameEnd(buf, lt + 1);
    if (i < 0) return this.incomplete(lt, final, 'a start tag');
    const name = intern(buf, lt + 1, i, true);
    const attrs = this.attrs;
    let n = 0;
    for (;;) {
      if (i >= len) return this.incomplete(lt, final, `the start tag of ${name}`);
      let c = buf.charCodeAt(i);
      const spaceAt = i;
      while (c === 32 || c === 10 || c === 9 || c === 13) {
        if (++i >= len) return this.incomplete(lt, final, `the start tag of ${name}`);
        c = buf.charCodeAt(i);
      }
      if (c === GT) {
        this.open(lt, name, n);
        return i + 1;
      }
      if (c === SLASH) {
        if (i + 1 >= len) return this.incomplete(lt, final, `the start tag of ${name}`);
        if (buf.charCodeAt(i + 1) !== GT) this.fail(i + 1, `expected ">" after "/" in the tag of ${name}`);
        this.open(lt, name, n);
        this.depth--;
        if (this.depth === 0) this.stage = Stage.Epilog;
        this.sink.closeTag(name);
        return i + 2;
      }
      if (i === spaceAt) this.fail(i, n === 0 ? `character "${buf[i]!}" is not allowed in the name ${name}` : `attributes of ${name} must be separated by white space`);
      const nameAt = i;
      const ae = this.nameEnd(buf, i);
      if (ae < 0) return this.incomplete(lt, final, `the start tag of ${name}`);
      const an = intern(buf, i, ae, true);
      i = ae;
      while (i < len && ((c = buf.charCodeAt(i)) === 32 || c === 10 || c === 9 || c === 13)) i++;
      if (i >= len) return this.incomplete(lt, final, `the start tag of ${name}`);
      if (buf.charCodeAt(i) !== 61) this.fail(i, `attribute ${an} of ${name} needs "=" and a value`);
      i++;
      while (i < len && ((c = buf.charCodeAt(i)) === 32 || c === 10 || c === 9 || c === 13)) i++;
      if (i >= len) return this.incomplete(lt, final, `the start tag of ${name}`);
      const q = buf.charCodeAt(i);
      if (q !== 34 && q !== 39) this.fail(i, `the value of attribute ${an} of ${name} must be quoted`);
      // The usual value is plain text up to the quote: one loop finds that; anything else (a
      // reference, white space to normalise, '<', non-BMP text) goes through attrValue().
      let close = i + 1;
      for (; close < len; close++) {
        c = buf.charCodeAt(close);
        if (c > LT ? c < 0xd800 : c >= 0x20 && c !== AMP && c !== LT && c !== q) continue;
        break;
      }
      let value: string;
      if (close < len && c === q) {
        value = intern(buf, i + 1, close, false);
      } else {
        close = buf.indexOf(q === 34 ? '"' : "'", close);
        if (close < 0) return this.incomplete(lt, final, `the start tag of ${name}`);
        value = this.attrValue(buf, i + 1, close);
      }
      for (let k = 0; k < n; k++) if (attrs[2 * k] === an) this.fail(nameAt, `attribute ${an} appears twice on ${name}`);
      attrs[2 * n] = an;
      attrs[2 * n + 1] = value;
      n++;
      i = close + 1;
    }
  }

  private open(lt: number, name: string, n: number): void {
    if (this.stage !== Stage.Root) {
      if (this.stage === Stage.Epilog) this.fail(lt, `element ${name} after the root element (a document has exactly one)`);
      this.stage = Stage.Root;
    }
    this.names[this.depth++] = name;
    this.sink.openTag(name, this.attrs, n);
  }

  /**
   * An attribute value between its quotes: references resolved, then TAB, CR, LF and CRLF each
   * become one space (XML 1.0 section 3.3.3; characters from references are kept as they are).
   */
  private attrValue(buf: string, start: number, end: number): string {
    let out = '';
    let seg = start;
    for (let i = start; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c > LT ? c < 0xd800 : c >= 0x20 && c !== AMP && c !== LT) continue;
      if (c === AMP) {
        out += buf.slice(seg, i);
        i = this.reference(buf, i, end);
        out += this.refText;
        seg = i + 1;
      } else if (c === LT) {
        this.fail(i, '"<" is not allowed in an attribute value');
      } else if (c === 9 || c === 10 || c === 13) {
        out += buf.slice(seg, i) + ' ';
        if (c === 13 && buf.charCodeAt(i + 1) === 10 && i + 1 < end) i++;
        seg = i + 1;
      } else {
        i = this.nonBmpOrFail(buf, i, c, end);
      }
    }
    return seg === start ? intern(buf, start, end, false) : out + buf.slice(seg, end);
  }

  private endTag(buf: string, lt: number, final: boolean): number {
    if (this.depth > 0) {
      // The usual case: exactly </name> of the open element.
      const open = this.names[this.depth - 1]!;
      const at = lt + 2 + open.length;
      if (buf.charCodeAt(at) === GT && buf.startsWith(open, lt + 2)) {
        if (--this.depth === 0) this.stage = Stage.Epilog;
        this.sink.closeTag(open);
        return at + 1;
      }
    }
    const gt = buf.indexOf('>', lt + 2);
    if (gt < 0) return this.incomplete(lt, final, 'an end tag');
    if (this.depth === 0) this.fail(lt, 'an end tag without a start tag');
    const name = this.names[this.depth - 1]!;
    let i = lt + 2 + name.length;
    if (i > gt || !buf.startsWith(name, lt + 2)) this.mismatch(buf, lt, gt, name);
    for (; i < gt; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 9 && c !== 13) this.mismatch(buf, lt, gt, name);
    }
    if (--this.depth === 0) this.stage = Stage.Epilog;
    this.sink.closeTag(name);
    return gt + 1;
  }

  private mismatch(buf: string, lt: number, gt: number, open: string): never {
    let e = lt + 2;
    while (e < gt && buf.charCodeAt(e) !== 32 && buf.charCodeAt(e) !== 10 && buf.charCodeAt(e) !== 9 && buf.charCodeAt(e) !== 13) e++;
    return this.fail(lt, `end tag </${buf.slice(lt + 2, e)}> does not match the open element ${open}`);
  }

  /** `<!--`, `<![CDATA[` or `<!DOCTYPE`; nothing else starts with `<!`. */
  private bang(buf: string, lt: number, final: boolean): number {
    if (buf.startsWith('<!--', lt)) {
      const e = buf.indexOf('-->', lt + 4);
      if (e < 0) return this.incomplete(lt, final, 'a comment');
      const dd = buf.indexOf('--', lt + 4);
      if (dd < e) this.fail(dd, '"--" is not allowed inside a comment');
      this.checkChars(buf, lt + 4, e);
      return e + 3;
    }
    if (buf.startsWith('<![CDATA[', lt)) {
      if (this.depth === 0) this.fail(lt, 'CDATA outside the root element');
      const e = buf.indexOf(']]>', lt + 9);
      if (e < 0) return this.incomplete(lt, final, 'a CDATA section');
      this.cdata(buf, lt + 9, e);
      return e + 3;
    }
    if (buf.startsWith('<!DOCTYPE', lt)) {
      if (this.stage === Stage.Prolog) this.sink.doctype();
      this.fail(lt, 'a DOCTYPE can only come before the root element');
    }
    const head = buf.slice(lt, lt + 9);
    if (head.length < 9 && ('<!--'.startsWith(head) || '<![CDATA['.startsWith(head) || '<!DOCTYPE'.startsWith(head))) {
      return this.incomplete(lt, final, 'markup');
    }
    return this.fail(lt, '"<!" must start a comment or a CDATA section');
  }

  private cdata(buf: string, start: number, end: number): void {
    let out = '';
    let seg = start;
    for (let i = start; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c >= 0x20 && c < 0xd800) continue;
      if (c === 13) {
        out += buf.slice(seg, i) + '\n';
        if (buf.charCodeAt(i + 1) === 10 && i + 1 < end) i++;
        seg = i + 1;
      } else if (c !== 9 && c !== 10) {
        i = this.nonBmpOrFail(buf, i, c, end);
      }
    }
    this.sink.text(seg === start ? buf.slice(start, end) : out + buf.slice(seg, end));
  }

  /** Checks that buf[start, end) holds only XML characters (comments, processing instructions). */
  private checkChars(buf: string, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c >= 0x20 ? c >= 0xd800 : c !== 9 && c !== 10 && c !== 13) i = this.nonBmpOrFail(buf, i, c, end);
    }
  }

  /** A processing instruction (skipped) or, at the very start, the XML declaration. */
  private instruction(buf: string, lt: number, final: boolean): number {
    if (this.base + lt === 0) {
      // Every message starts with one of a few declarations: known ones skip the general check,
      // whose regular expression costs as much as tokenizing a handful of elements.
      for (const d of COMMON_DECLARATIONS) if (buf.startsWith(d, lt)) return lt + d.length;
    }
    const e = buf.indexOf('?>', lt + 2);
    if (e < 0) return this.incomplete(lt, final, 'a processing instruction');
    const ne = this.nameEnd(buf, lt + 2);
    const target = buf.slice(lt + 2, ne);
    if (target === 'xml') {
      if (this.base + lt !== 0) this.fail(lt, 'the XML declaration must be at the very start of the document');
      this.declaration(buf, ne, e);
      return e + 2;
    }
    if (target.toLowerCase() === 'xml') this.fail(lt, `"${target}" is reserved and cannot name a processing instruction`);
    const c = buf.charCodeAt(ne);
    if (ne < e && c !== 32 && c !== 10 && c !== 9 && c !== 13) this.fail(ne, `processing instruction ${target} needs white space after its name`);
    this.checkChars(buf, ne, e);
    return e + 2;
  }

  /** `version` (1.x), then optional `encoding` and `standalone`, in that order (XML 1.0 2.8). */
  private declaration(buf: string, start: number, end: number): void {
    const body = buf.slice(start, end);
    const m = /^(?:[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"(1\.[0-9]+)"|'(1\.[0-9]+)'))(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*$/.exec(body);
    if (m === null) this.fail(start, 'malformed XML declaration (version="1.0", then optional encoding and standalone)');
  }
}
