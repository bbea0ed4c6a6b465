// A small string writer for CIM-XML: appends markup and escaped text to one string (V8 builds
// `+=` chains as ropes, so this is as fast as any array join) and can hand out what it has so
// far for streaming.
import { CimXmlError } from './CimXmlError.js';

// Characters that need work in character data / attribute values. Anything XML 1.0 does not allow
// (C0 controls other than TAB/LF/CR, U+FFFE, U+FFFF, unpaired surrogates) is refused: a character
// reference would not help, because `&#1;` is not allowed in XML 1.0 either, and silently
// dropping characters would change the value. Surrogates are matched so the slow path can tell a
// proper pair (fine) from a lone half (refused).
const TEXT_SPECIAL = /[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]/;
const ATTR_SPECIAL = /[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]/;

function escapeSlow(s: string, attr: boolean): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 38) rep = '&amp;';
    else if (c === 60) rep = '&lt;';
    // `>` only matters after `]]`, but escaping it always is simpler and every parser accepts it.
    else if (c === 62) rep = '&gt;';
    // A literal CR would be read back as LF (XML end-of-line handling): keep it as a reference.
    else if (c === 13) rep = '&#13;';
    else if (attr && c === 34) rep = '&quot;';
    // In attribute values TAB and LF are normalised to spaces by the reader; references survive.
    else if (attr && c === 9) rep = '&#9;';
    else if (attr && c === 10) rep = '&#10;';
    else if (c < 32 && c !== 9 && c !== 10) throw unencodable(s, i);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) throw unencodable(s, i);
      i++;
      continue;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw unencodable(s, i);
    else if (c === 0xfffe || c === 0xffff) throw unencodable(s, i);
    if (rep !== undefined) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

function unencodable(s: string, i: number): CimXmlError {
  const c = s.charCodeAt(i);
  return new CimXmlError('XML_UNENCODABLE', `character U+${c.toString(16).toUpperCase().padStart(4, '0')} at position ${i} cannot be carried by XML 1.0`);
}

/** `s` escaped for character data (`&`, `<`, `>`, CR); throws CimXmlError for characters XML 1.0 forbids. */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? escapeSlow(s, false) : s;
}

/**
 * `s` escaped for a double-quoted attribute value (`&`, `<`, `>`, `"`, TAB, LF, CR). The writer
 * never uses single-quoted attributes, so `'` needs no escaping.
 */
export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? escapeSlow(s, true) : s;
}

/**
 * Output is built as a rope (`+=`) in pieces of about this many characters; each finished piece
 * is flattened at once, so the millions of small rope nodes of a large response die young instead
 * of being promoted and flattened in one late, slow pass.
 */
const PIECE = 16 * 1024;

export class XmlWriter {
  private out = '';
  private pieces: string[] = [];
  private piecesLength = 0;

  /** Appends trusted markup as is (tag names, attribute names, fixed text). */
  raw(s: string): this {
    this.out += s;
    if (this.out.length > PIECE) this.spill();
    return this;
  }

  /** Appends escaped character data. */
  text(s: string): this {
    this.out += TEXT_SPECIAL.test(s) ? escapeSlow(s, false) : s;
    if (this.out.length > PIECE) this.spill();
    return this;
  }

  /** Appends ` name="value"` with the value escaped. */
  attr(name: string, value: string): this {
    this.out += ` ${name}="${ATTR_SPECIAL.test(value) ? escapeSlow(value, true) : value}"`;
    return this;
  }

  /** `<name>` with no attributes. */
  open(name: string): this {
    return this.raw(`<${name}>`);
  }

  /** `</name>`: every element is closed explicitly (wbemcli refuses some self-closing tags). */
  close(name: string): this {
    return this.raw(`</${name}>`);
  }

  private spill(): void {
    const s = this.out;
    // Reading a character makes V8 flatten the rope now, while its nodes are still young.
    s.charCodeAt(0);
    this.pieces.push(s);
    this.piecesLength += s.length;
    this.out = '';
  }

  /** Returns what was written since the last take() and forgets it. */
  take(): string {
    const s = this.toString();
    this.out = '';
    // A small document never spills: no new array per take() for it.
    if (this.pieces.length > 0) this.pieces = [];
    this.piecesLength = 0;
    return s;
  }

  /** Characters written since the last take(). */
  get length(): number {
    return this.piecesLength + this.out.length;
  }

  toString(): string {
    if (this.pieces.length === 0) return this.out;
    return this.pieces.join('') + this.out;
  }
}
