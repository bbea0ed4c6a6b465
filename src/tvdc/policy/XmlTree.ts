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

/** Parses a whole XML document. DOCTYPE declarations are refused: a policy never needs entities. */
export function parseXmlTree(xml: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: XmlSyntaxError | undefined;
  // saxes reports the position after the tag's '>', the start of the tag is what a reader wants.
  let tagStart: SourcePos = { line: 1, col: 1 };
  parser.on('error', (e) => {
    if (!failure) failure = new XmlSyntaxError({ line: parser.line, col: parser.column + 1 }, stripPos(e.message));
  });
  parser.on('doctype', () => {
    if (!failure) failure = new XmlSyntaxError({ line: parser.line, col: parser.column + 1 }, 'DOCTYPE is not allowed in a policy');
  });
  parser.on('opentagstart', (tag) => {
    // The parser has read '<name' and one more character; step back to the '<'.
    tagStart = { line: parser.line, col: Math.max(1, parser.column - tag.name.length - 1) };
  });
  parser.on('opentag', (tag) => {
    const attrs = new Map<string, string>();
    for (const [k, a] of Object.entries(tag.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      attrs.set(a.local || k, a.value);
    }
    const el: XmlElement = { name: tag.local ?? tag.name, uri: tag.uri ?? '', attrs, children: [], text: '', at: tagStart };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
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

// saxes prefixes its messages with its own "line:col: "; we format positions ourselves.
function stripPos(message: string): string {
  return message.replace(/^(?:[^:\s]*:)?\d+:\d+: /, '');
}
