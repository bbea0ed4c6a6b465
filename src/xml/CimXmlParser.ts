// The decoding engine: takes the events of an XML tokenizer (XmlEventSource), keeps a stack of
// open elements, enforces the limits and the no-DOCTYPE rule, and hands each completed element to
// its rule in elementRules.ts, which builds the model object directly (no intermediate DOM).
// Errors carry the element path.
import { Buffer, isUtf8 } from 'node:buffer';
import { CimError } from '../cim/CimError.js';
import { CimXmlError, type CimXmlErrorCode } from './CimXmlError.js';
import type { DecodeLimits } from './messages.js';
import { createEventSource, type XmlEventSink, type XmlEventSource } from './XmlEventSource.js';

/**
 * One open element. Children's built values are kept in `kidNames`/`kidValues` until it closes:
 * only the first `kidCount` entries are this element's, the rest are left over from an earlier
 * element at the same depth.
 */
export interface Frame {
  name: string;
  /** Attributes as flat `[name0, value0, name1, value1, ...]`; the array is reused with the frame. */
  attrs: string[];
  attrCount: number;
  rule: ElementRule;
  /** Character data, for elements whose rule accepts it (VALUE, KEYVALUE, HOST). */
  text: string;
  kidNames: string[];
  kidValues: unknown[];
  kidCount: number;
  /** Children handed to `rule.child` instead of being stored (streamed IRETURNVALUE items). */
  passed: number;
  /** Element count when this element opened; streaming resets the count to it. */
  elementsAtOpen: number;
  /** Free slot for a rule's own bookkeeping (IRETURNVALUE remembers its item kind here). */
  note: string;
}

/** How one DTD element is decoded. */
export interface ElementRule {
  /** The attributes the element may carry (anything `xmlns...` is always tolerated). */
  attrs: ReadonlySet<string>;
  /** True for #PCDATA content; otherwise only whitespace may appear between children. */
  text: boolean;
  /** Builds the element's value from its attributes, text and children (read with p.kids()). */
  build(f: Frame, p: CimXmlParser): unknown;
  /** When present, receives each completed child instead of the child being stored. */
  child?(f: Frame, name: string, value: unknown, p: CimXmlParser): void;
}

export type RuleTable = ReadonlyMap<string, ElementRule>;

/**
 * Frame stacks of finished documents, for the next parser to take. A server decodes one small
 * request per call: building a stack of frames (each with three arrays) for every one of them
 * was most of what decoding a GetInstance request allocated. A few are kept, enough for the
 * documents decoded at one time (nested embedded objects, interleaved client responses).
 */
const spareStacks: Frame[][] = [];
const MAX_SPARE_STACKS = 8;
/** A frame whose child list grew past this is not kept: its arrays would pin that much memory. */
const MAX_KEPT_CHILDREN = 256;

/** Returns a finished document's stack to the spares, dropping what it still references. */
function releaseStack(stack: Frame[]): void {
  if (spareStacks.length >= MAX_SPARE_STACKS) return;
  for (let i = 0; i < stack.length; i++) {
    const f = stack[i]!;
    if (f.kidValues.length > MAX_KEPT_CHILDREN || f.attrs.length > MAX_KEPT_CHILDREN) {
      // Later frames are dropped with it: a stack is used from the bottom up, without gaps.
      stack.length = i;
      break;
    }
    // Values and attribute texts may be slices of the old document: keeping them would keep it.
    // Plain loops: these arrays hold a few entries, and fill() is a builtin call each.
    const values = f.kidValues;
    for (let k = 0; k < values.length; k++) values[k] = undefined;
    const attrs = f.attrs;
    for (let k = 0; k < attrs.length; k++) attrs[k] = '';
    f.text = '';
    f.kidCount = 0;
    f.passed = 0;
    f.attrCount = 0;
    f.note = '';
    f.elementsAtOpen = 0;
  }
  if (stack.length > 0) spareStacks.push(stack);
}

const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_ELEMENTS = 4 * 1024 * 1024;
const DEFAULT_MAX_CHARS = 256 * 1024 * 1024;

/** The value of attribute `name` of the element of `f`, or undefined. */
export function attr(f: Frame, name: string): string | undefined {
  const a = f.attrs;
  for (let i = 0, n = 2 * f.attrCount; i < n; i += 2) if (a[i] === name) return a[i + 1];
  return undefined;
}

function isXmlSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}

export interface ParserOptions {
  rules: RuleTable;
  /** The pseudo-element around the document: its build() returns the decode result. */
  root: ElementRule;
  limits?: DecodeLimits;
  /** Whether the caller streams (then size and element limits default to unlimited). */
  streaming?: boolean;
  /** Depth already used by an enclosing document (embedded objects). */
  depthOffset?: number;
  /** Path of the enclosing element (embedded objects), prefixed to error paths. */
  pathPrefix?: string;
  /** Context for rules (the streaming callback), opaque to the engine. */
  context?: unknown;
}

/**
 * A one-document decoder. Not reusable: after an error or end() it is finished.
 */
export class CimXmlParser implements XmlEventSink {
  readonly context: unknown;
  readonly maxDepth: number;
  readonly limits: DecodeLimits | undefined;
  private readonly maxElements: number;
  private readonly maxChars: number;
  private readonly depthOffset: number;
  private readonly pathPrefix: string;
  private readonly rules: RuleTable;
  private readonly source: XmlEventSource;
  // Frames are pooled by depth: an element's frame is reused by its next sibling, so decoding
  // allocates no frame per element (the model objects are the only garbage it makes). The whole
  // stack is handed on to the next document when this one ends (see spareStacks).
  private readonly stack: Frame[];
  private sp = 0;
  private top: Frame;
  private elements = 0;
  private chars = 0;
  /** The bytes of a UTF-8 sequence split across byte chunks, kept for the next chunk. */
  private carry: Buffer | null = null;
  private finished = false;
  private started = false;
  // A tokenizer may report a mismatched end tag only after it has closed the open element (saxes
  // does): a validity error found while building that element waits here, so that the
  // well-formedness error that follows it in the same step wins.
  private pending: CimXmlError | null = null;
  // Reusable child cursor; rules read children strictly one element at a time.
  private readonly cursor = new Kids(this);

  constructor(options: ParserOptions) {
    this.rules = options.rules;
    this.context = options.context;
    this.limits = options.limits;
    const l = options.limits ?? {};
    this.maxDepth = l.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxElements = l.maxElements ?? (options.streaming ? Infinity : DEFAULT_MAX_ELEMENTS);
    this.maxChars = l.maxChars ?? (options.streaming ? Infinity : DEFAULT_MAX_CHARS);
    this.depthOffset = options.depthOffset ?? 0;
    this.pathPrefix = options.pathPrefix ?? '';
    const spare = spareStacks.pop();
    if (spare !== undefined) {
      this.stack = spare;
      this.top = spare[0]!;
      this.top.rule = options.root;
    } else {
      this.top = this.newFrame('', options.root);
      this.stack = [this.top];
    }
    this.sp = 0;
    this.source = createEventSource(this);
  }

  // ---- XmlEventSink -------------------------------------------------------------------------

  openTag(name: string, attrs: readonly string[], attrCount: number): void {
    if (this.pending) throw this.pending;
    this.open(name, attrs, attrCount);
  }

  closeTag(): void {
    if (this.pending) throw this.pending;
    this.close();
  }

  text(t: string): void {
    if (this.pending) throw this.pending;
    this.onText(t);
  }

  // DOCTYPE is where entity declarations live (billion laughs, external entities): CIM-XML
  // never needs one, so refuse it outright rather than trying to process it safely.
  doctype(): never {
    return this.fail('DOCTYPE and entity declarations are not accepted', 'XML_FORBIDDEN');
  }

  syntaxError(message: string): never {
    return this.fail(message, 'XML_NOT_WELL_FORMED');
  }

  /** Feeds text or UTF-8 bytes. */
  write(chunk: string | Uint8Array): void {
    if (this.finished) throw new CimXmlError('XML_INVALID', 'the decoder has already finished');
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
    } else {
      text = this.utf8Text(chunk);
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.chars += text.length;
    if (this.chars > this.maxChars) {
      this.finished = true;
      throw new CimXmlError('XML_LIMIT', `the document exceeds ${this.maxChars} characters`);
    }
    try {
      this.source.write(text);
    } catch (e) {
      this.finished = true;
      throw e;
    }
    this.throwPending();
  }

  /**
   * Text of a byte chunk. Buffer's own UTF-8 decoding is used rather than TextDecoder or
   * StringDecoder: the strings those return made saxes several times slower for the rest of the
   * process (measured in bench/xml.bench.ts when the decoder ran on saxes). Validity is checked
   * with isUtf8, and a sequence split at the chunk's end waits for the next chunk.
   */
  private utf8Text(chunk: Uint8Array): string {
    let b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry !== null) {
      b = Buffer.concat([this.carry, b]);
      this.carry = null;
    }
    let end = b.length;
    let i = end - 1;
    while (i >= 0 && end - i <= 3 && (b[i]! & 0xc0) === 0x80) i--;
    if (i >= 0) {
      const lead = b[i]!;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      if (end - i < need) end = i;
    }
    // A copy: the caller may reuse its buffer for the next chunk.
    if (end < b.length) this.carry = Buffer.from(b.subarray(end));
    const part = end < b.length ? b.subarray(0, end) : b;
    if (!isUtf8(part)) {
      this.finished = true;
      throw new CimXmlError('XML_NOT_WELL_FORMED', 'the body is not valid UTF-8');
    }
    return part.toString('utf8');
  }

  /** Ends the document and returns what the root rule built. */
  end(): unknown {
    if (this.finished) throw new CimXmlError('XML_INVALID', 'the decoder has already finished');
    if (this.carry !== null) {
      this.finished = true;
      throw new CimXmlError('XML_NOT_WELL_FORMED', 'the body ends inside a UTF-8 sequence');
    }
    try {
      this.source.close();
    } catch (e) {
      this.finished = true;
      throw e;
    }
    this.throwPending();
    this.finished = true;
    if (this.sp !== 0) throw new CimXmlError('XML_NOT_WELL_FORMED', 'the document ends before its elements close', this.path());
    const root = this.top;
    const result = root.rule.build(root, this);
    releaseStack(this.stack);
    return result;
  }

  /** A validity error held back until the tokenizer's step ended (see `pending`) is thrown now. */
  private throwPending(): void {
    if (this.pending) {
      this.finished = true;
      throw this.pending;
    }
  }

  private newFrame(name: string, rule: ElementRule): Frame {
    return { name, attrs: [], attrCount: 0, rule, text: '', kidNames: [], kidValues: [], kidCount: 0, passed: 0, elementsAtOpen: this.elements, note: '' };
  }

  private open(name: string, attrs: readonly string[], attrCount: number): void {
    const rule = this.rules.get(name);
    if (rule === undefined) this.fail(`unknown element ${name}`, 'XML_INVALID', name);
    if (this.sp + 1 + this.depthOffset > this.maxDepth) this.fail(`elements nest deeper than ${this.maxDepth}`, 'XML_LIMIT', name);
    if (++this.elements > this.maxElements) this.fail(`more than ${this.maxElements} elements`, 'XML_LIMIT', name);
    const allowed = rule.attrs;
    for (let i = 0, n = 2 * attrCount; i < n; i += 2) {
      const k = attrs[i]!;
      if (!allowed.has(k) && !k.startsWith('xmlns')) this.fail(`attribute ${k} is not allowed on ${name}`, 'XML_INVALID', name);
    }
    const sp = ++this.sp;
    let f = this.stack[sp];
    if (f === undefined) {
      f = this.newFrame(name, rule);
      this.stack.push(f);
    } else {
      f.name = name;
      f.rule = rule;
      f.text = '';
      // The child arrays are kept and overwritten, not replaced or truncated: fresh arrays per
      // element (and their growth on the first push) were a third of the decoder's garbage, and
      // setting length is a slow builtin call (both measured).
      f.kidCount = 0;
      f.passed = 0;
      f.elementsAtOpen = this.elements;
      f.note = '';
    }
    // Copied: the tokenizer reuses its array for the next tag, and rules read attributes at close.
    const own = f.attrs;
    for (let i = 0, n = 2 * attrCount; i < n; i++) own[i] = attrs[i]!;
    f.attrCount = attrCount;
    this.top = f;
  }

  private close(): void {
    const f = this.top;
    let value: unknown;
    try {
      value = f.rule.build(f, this);
    } catch (e) {
      if (e instanceof CimXmlError && e.code === 'XML_INVALID') {
        this.pending = e;
        return;
      }
      // Value text the CIM model refuses (a uint8 of 300) is invalid CIM-XML at this element.
      if (e instanceof CimError) {
        this.pending = new CimXmlError('XML_INVALID', e.description, this.path());
        return;
      }
      throw e;
    }
    const parent = this.stack[--this.sp]!;
    this.top = parent;
    if (parent.rule.child !== undefined) {
      parent.rule.child(parent, f.name, value, this);
      parent.passed++;
    } else {
      const n = parent.kidCount++;
      parent.kidNames[n] = f.name;
      parent.kidValues[n] = value;
    }
  }

  /** Forgets the elements of streamed children, so that only what is held counts to maxElements. */
  releaseElements(f: Frame): void {
    this.elements = f.elementsAtOpen + 1;
  }

  private onText(t: string): void {
    const f = this.top;
    if (f.rule.text) f.text += t;
    else if (!isXmlSpace(t)) this.fail(f.name ? `character data is not allowed in ${f.name}` : 'character data outside the root element', this.sp > 0 ? 'XML_INVALID' : 'XML_NOT_WELL_FORMED');
  }

  /** The current depth including an enclosing document's (for nested embedded objects). */
  get depth(): number {
    return this.sp + this.depthOffset;
  }

  /** The element path of the innermost open element, e.g. `CIM/MESSAGE/SIMPLEREQ/IMETHODCALL/IPARAMVALUE[2]`. */
  path(extra?: string): string {
    const parts: string[] = this.pathPrefix ? [this.pathPrefix] : [];
    for (let i = 1; i <= this.sp; i++) {
      const parent = this.stack[i - 1]!;
      const name = this.stack[i]!.name;
      parts.push(segment(name, parent));
    }
    if (extra !== undefined) parts.push(segment(extra, this.top));
    return parts.join('/');
  }

  /** Throws CimXmlError at the current element (or at `extra`, a child being opened). */
  fail(reason: string, code: CimXmlErrorCode = 'XML_INVALID', extra?: string): never {
    throw new CimXmlError(code, reason, this.path(extra));
  }

  /** A new array of `f`'s child values (the frame's own arrays are reused by the next element). */
  takeValues(f: Frame): unknown[] {
    return f.kidValues.slice(0, f.kidCount);
  }

  /** The child cursor of `f`, positioned on its first child. */
  kids(f: Frame): Kids {
    this.cursor.reset(f);
    return this.cursor;
  }
}

/** `NAME` or `NAME[n]` (1-based, shown from the second same-named sibling on). */
function segment(name: string, parent: Frame): string {
  let n = 1;
  const names = parent.kidNames;
  for (let i = 0; i < parent.kidCount; i++) if (names[i] === name) n++;
  if (parent.rule.child !== undefined) n += parent.passed;
  return n > 1 ? `${name}[${n}]` : name;
}

/**
 * Reads an element's children in order, the way a DTD content model reads: `opt`, `one`, `many`,
 * then `end` refuses whatever is left.
 */
export class Kids {
  private f!: Frame;
  private i = 0;
  constructor(private readonly p: CimXmlParser) {}

  reset(f: Frame): void {
    this.f = f;
    this.i = 0;
  }

  /** The name of the child at the cursor, or undefined at the end (entries past kidCount are stale). */
  private at(): string | undefined {
    return this.i < this.f.kidCount ? this.f.kidNames[this.i] : undefined;
  }

  /** The name of the next child, or undefined at the end. */
  peek(): string | undefined {
    return this.at();
  }

  /** The next child's value when it is named `name`. */
  opt(name: string): unknown {
    if (this.at() === name) return this.f.kidValues[this.i++];
    return undefined;
  }

  has(name: string): boolean {
    return this.at() === name;
  }

  /** The next child, which must be named `name`. */
  one(name: string): unknown {
    if (this.at() !== name) this.missing(name);
    return this.f.kidValues[this.i++];
  }

  /** The next child, which must have one of `names`; returns its name (value via last()). */
  oneOf(names: ReadonlySet<string>, expected: string): string {
    const n = this.at();
    if (n === undefined || !names.has(n)) this.missing(expected);
    this.i++;
    return n;
  }

  /** The value of the child just consumed by oneOf/optOf. */
  last(): unknown {
    return this.f.kidValues[this.i - 1];
  }

  /** The next child when it has one of `names`; returns its name or undefined. */
  optOf(names: ReadonlySet<string>): string | undefined {
    const n = this.at();
    if (n === undefined || !names.has(n)) return undefined;
    this.i++;
    return n;
  }

  /** All following children named `name`. */
  many<T>(name: string): T[] {
    const out: T[] = [];
    while (this.at() === name) out.push(this.f.kidValues[this.i++] as T);
    return out;
  }

  /** Calls `each` for all following children with a name in `names`. */
  manyOf(names: ReadonlySet<string>, each: (name: string, value: unknown) => void): void {
    let n: string | undefined;
    while ((n = this.at()) !== undefined && names.has(n)) {
      each(n, this.f.kidValues[this.i]);
      this.i++;
    }
  }

  /** Refuses any child not yet consumed. */
  end(): void {
    const n = this.at();
    if (n !== undefined) this.p.fail(`${n} is not allowed here in ${this.f.name} (child ${this.i + 1})`);
  }

  private missing(expected: string): never {
    const n = this.at();
    return this.p.fail(n === undefined ? `${this.f.name} needs ${expected}` : `${this.f.name} needs ${expected} where ${n} is (child ${this.i + 1})`);
  }
}
