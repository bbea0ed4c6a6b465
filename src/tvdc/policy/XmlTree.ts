// A small element tree with source positions, built on the streaming saxes parser. Policy files
// are small documents read whole; the tree keeps each element's line/column for error messages.
import { SaxesParser } from 'saxes';
import type { SourcePos } from './SourcePos.js';

export interface XmlElement {
  /** Local name (namespace prefix stripped). */
  name: string;
  uri: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
  at: SourcePos;
}

export class XmlSyntaxError extends Error {
  constructor(
    readonly at: SourcePos,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Deepest element nesting a policy may have. Real sHype policies nest 6 deep; the limit stops a
 * hostile document from holding the parser (and with it the host or the server) on a deep stack.
 */
export const MAX_POLICY_DEPTH = 64;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
/** Prefix to namespace URI; '' is the default namespace. Shared with the parent until an element declares its own. */
type Scope = ReadonlyMap<string, string>;
const ROOT_SCOPE: Scope = new Map([
  ['', ''],
  ['xml', XML_NS],
  ['xmlns', XMLNS_NS],
]);

/** Thrown from a handler to stop saxes at once; the real failure is already recorded. */
class Stop extends Error {}

/**
 * Parses a whole XML document. DOCTYPE declarations are refused: a policy never needs entities.
 * Namespaces are resolved here, not by saxes, whose resolution walks the whole open-tag stack for
 * every element (time growing with the square of the depth); each element here holds its scope.
 */
export function parseXmlTree(xml: string, maxDepth = MAX_POLICY_DEPTH): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: XmlElement[] = [];
  const scopes: Scope[] = [];
  let root: XmlElement | undefined;
  let failure: XmlSyntaxError | undefined;
  // saxes reports the position after the tag's '>', the start of the tag is what a reader wants.
  let tagStart: SourcePos = { line: 1, col: 1 };
  const fail = (at: SourcePos, message: string): never => {
    if (!failure) failure = new XmlSyntaxError(at, message);
    throw new Stop();
  };
  parser.on('error', (e) => {
    if (!failure) failure = new XmlSyntaxError({ line: parser.line, col: parser.column + 1 }, stripPos(e.message));
  });
  parser.on('doctype', () => {
    fail({ line: parser.line, col: parser.column + 1 }, 'DOCTYPE is not allowed in a policy');
  });
  parser.on('opentagstart', (tag) => {
    // The parser has read '<name' and one more character; step back to the '<'.
    tagStart = { line: parser.line, col: Math.max(1, parser.column - tag.name.length - 1) };
    if (stack.length >= maxDepth) fail(tagStart, `elements nest deeper than ${maxDepth}`);
  });
  parser.on('opentag', (tag) => {
    const at = tagStart;
    const parentScope = scopes[scopes.length - 1] ?? ROOT_SCOPE;
    let scope: Map<string, string> | undefined;
    const plain: [string, string][] = [];
    for (const [k, v] of Object.entries(tag.attributes as Record<string, string>)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        const prefix = k === 'xmlns' ? '' : k.slice(6);
        if (prefix === 'xmlns' || (prefix === 'xml' && v !== XML_NS)) fail(at, `the prefix ${prefix} cannot be redeclared`);
        if (prefix !== '' && v === '') fail(at, `the prefix ${prefix} cannot be bound to the empty namespace`);
        scope ??= new Map(parentScope);
        scope.set(prefix, v);
      } else {
        plain.push([k, v]);
      }
    }
    const inScope: Scope = scope ?? parentScope;
    const [prefix, local] = splitName(tag.name);
    const uri = inScope.get(prefix);
    if (uri === undefined) fail(at, `unbound namespace prefix: "${prefix}"`);
    const attrs = new Map<string, string>();
    for (const [k, v] of plain) {
      const [p, l] = splitName(k);
      if (p !== '' && !inScope.has(p)) fail(at, `unbound namespace prefix: "${p}"`);
      attrs.set(l, v);
    }
    const el: XmlElement = { name: local, uri: uri!, attrs, children: [], text: '', at };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
    scopes.push(inScope);
  });
  parser.on('text', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
    scopes.pop();
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    if (!failure) failure = new XmlSyntaxError({ line: parser.line, col: parser.column + 1 }, stripPos((e as Error).message));
  }
  if (failure) throw failure;
  if (!root) throw new XmlSyntaxError({ line: 1, col: 1 }, 'document has no root element');
  return root;
}

function splitName(qname: string): [prefix: string, local: string] {
  const colon = qname.indexOf(':');
  return colon < 0 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

// saxes prefixes its messages with its own "line:col: "; we format positions ourselves.
function stripPos(message: string): string {
  return message.replace(/^(?:[^:\s]*:)?\d+:\d+: /, '');
}
