// Recursive-descent parser for the DSP0004 MOF grammar: text -> MofProduction[] with positions.
// Syntax errors are collected, not thrown: after one, the parser skips to the next ";" or "}" of
// the production it was in and carries on, so one run reports as many errors as it can find.
import { isCimType, type CimType } from '../cim/CimType.js';
import type {
  MofClassNode, MofFlavor, MofInstanceNode, MofMethodNode, MofParameterNode, MofPragmaNode, MofProduction,
  MofPropertyNode, MofPropertyValueNode, MofQualifierDeclNode, MofQualifierNode, MofScope, MofTypeNode, MofValue,
} from './MofAst.js';
import { MofError, type MofPosition } from './MofError.js';
import { MofLexer, type MofErrorSink } from './MofLexer.js';
import { TokenKind, describeToken, kindName, type Token } from './MofToken.js';

/** After this many errors in one file the rest is most likely not MOF at all. */
export const MAX_ERRORS_PER_FILE = 200;

const FLAVORS = new Set<string>(['enableoverride', 'disableoverride', 'restricted', 'tosubclass', 'translatable', 'toinstance']);
const SCOPES = new Set<string>(['class', 'association', 'indication', 'qualifier', 'property', 'reference', 'method', 'parameter', 'any']);

/** Thrown inside the parser to unwind to the nearest recovery point; never escapes it. */
class Abort {}
const ABORT = new Abort();
class TooManyErrors {}

export interface MofParseResult {
  productions: MofProduction[];
  errors: MofError[];
}

/** Parses one MOF text. Never throws: every problem is a MofError in the result. */
export function parseMof(text: string, file: string): MofParseResult {
  const errors: MofError[] = [];
  const parser = new MofParser(text, file, (e) => errors.push(e));
  const productions = parser.parse();
  return { productions, errors };
}

export class MofParser {
  private readonly lexer: MofLexer;
  private tok: Token;
  private errorCount = 0;
  private readonly report: MofErrorSink;
  /** Set while a production is being parsed; marks it broken when an error occurs. */
  private current: { broken: boolean } | null = null;
  /** Brackets opened and not yet closed, counted over consumed tokens; error recovery resyncs by it. */
  private depth = 0;

  constructor(text: string, readonly file: string, private readonly sink: MofErrorSink) {
    this.report = (e) => {
      if (this.current) this.current.broken = true;
      if (++this.errorCount > MAX_ERRORS_PER_FILE) throw new TooManyErrors();
      sink(e);
    };
    this.lexer = new MofLexer(text, file, this.report);
    this.tok = { kind: TokenKind.EOF, text: '', line: 1, col: 1, start: 0, int: undefined, real: undefined };
  }

  /**
   * Parses the whole text. With `onProduction`, each production is handed over as soon as it is
   * parsed and not kept (so a compiler can work while the syntax tree stays small); the returned
   * list is then empty.
   */
  parse(onProduction?: (p: MofProduction) => void): MofProduction[] {
    const out: MofProduction[] = [];
    try {
      this.tok = this.lexer.next();
      while (this.k() !== TokenKind.EOF) {
        const before = this.tok.start;
        this.depth = 0;
        const p = this.production();
        this.current = null;
        if (p) {
          if (onProduction) onProduction(p);
          else out.push(p);
        }
        if (this.tok.start === before && this.k() !== TokenKind.EOF) this.advance();
      }
    } catch (e) {
      if (!(e instanceof TooManyErrors)) throw e;
      this.sink(new MofError('MOF_LIMIT', this.file, this.tok.line, this.tok.col, `more than ${MAX_ERRORS_PER_FILE} errors; giving up on this file`));
    }
    return out;
  }

  // ---- token helpers ----

  /** The current token's kind (a call, so the compiler does not narrow it across advance()). */
  private k(): TokenKind {
    return this.tok.kind;
  }

  private advance(): Token {
    const t = this.tok;
    const k = t.kind;
    if (k === TokenKind.LBrace || k === TokenKind.LParen || k === TokenKind.LBracket) this.depth++;
    else if ((k === TokenKind.RBrace || k === TokenKind.RParen || k === TokenKind.RBracket) && this.depth > 0) this.depth--;
    this.tok = this.lexer.next();
    return t;
  }

  private pos(t: Token = this.tok): MofPosition {
    return { file: this.file, line: t.line, col: t.col };
  }

  private fail(reason: string, t: Token = this.tok): never {
    this.report(new MofError('MOF_SYNTAX', this.file, t.line, t.col, reason));
    throw ABORT;
  }

  private expected(what: string): never {
    this.fail(`expected ${what}, found ${describeToken(this.tok)}`);
  }

  /**
   * Consumes the token that ends a production (checking it is `kind`) after recording whether the
   * production is broken: lexing the token after it must not count against this production.
   */
  private finish(state: { broken: boolean }, node: { broken: boolean }, kind: TokenKind, context: string): void {
    if (this.tok.kind !== kind) this.expected(`${kindName(kind)} ${context}`);
    node.broken = state.broken;
    this.current = null;
    this.advance();
  }

  /**
   * The members of a class or instance body up to its `}` (consumed). A broken member is skipped
   * to the next one, so one mistake gives one error; a body cut off by the next production or the
   * end of the file is reported once, naming what it belonged to.
   */
  private body(state: { broken: boolean }, owner: string, opener: Token, member: () => void): void {
    while (this.k() !== TokenKind.RBrace) {
      if (this.k() === TokenKind.EOF || this.atProductionStart()) {
        // At the end of a file that already has an error here, one message is enough.
        if (this.k() === TokenKind.EOF && state.broken) throw ABORT;
        this.fail(`missing "};" to close ${owner} (opened at line ${opener.line})`);
      }
      const before = this.tok.start;
      const base = this.depth;
      try {
        member();
      } catch (e) {
        if (e !== ABORT) throw e;
        this.sync(true, base);
      }
      // A member that consumed nothing must not stall the loop.
      if (this.tok.start === before && this.k() !== TokenKind.EOF && this.k() !== TokenKind.RBrace) this.advance();
    }
    this.advance();
  }

  private expect(kind: TokenKind, context?: string): Token {
    if (this.k() !== kind) this.expected(context ? `${kindName(kind)} ${context}` : kindName(kind));
    return this.advance();
  }

  private isKeyword(word: string, t: Token = this.tok): boolean {
    return t.kind === TokenKind.Identifier && t.text.length === word.length && t.text.toLowerCase() === word;
  }

  private expectKeyword(word: string, display: string): Token {
    if (!this.isKeyword(word)) this.expected(`"${display}"`);
    return this.advance();
  }

  private identifier(what: string): Token {
    if (this.k() !== TokenKind.Identifier) this.expected(what);
    return this.advance();
  }

  /** Does the current token begin a new top-level production (used to stop error recovery)? */
  private atProductionStart(): boolean {
    const t = this.tok;
    if (t.kind === TokenKind.Pragma) return true;
    return t.kind === TokenKind.Identifier && (this.isKeyword('class') || this.isKeyword('instance') || this.isKeyword('qualifier'));
  }

  /**
   * Error recovery: skips to just after the next ";" at nesting level `base` (where the failed
   * production or feature began), or to just before the "}" that closes the enclosing body (when
   * `inBody`), or to the start of the next top-level production.
   */
  private sync(inBody: boolean, base: number): void {
    for (;;) {
      const k = this.k();
      if (k === TokenKind.EOF || k === TokenKind.Pragma) return;
      if (this.depth <= base) {
        if (k === TokenKind.Semicolon) { this.advance(); return; }
        if (k === TokenKind.RBrace && inBody) return;
        if (this.atProductionStart()) return;
      } else if (!inBody && this.atProductionStart()) {
        // A body left open: the next class, instance or qualifier starts over at the top.
        return;
      }
      this.advance();
    }
  }

  // ---- productions ----

  private production(): MofProduction | null {
    const state = { broken: false };
    this.current = state;
    try {
      if (this.k() === TokenKind.Pragma) return this.pragma();
      let qualifiers: MofQualifierNode[] = [];
      if (this.k() === TokenKind.LBracket) qualifiers = this.qualifierList();
      if (this.isKeyword('class')) return this.classDecl(qualifiers, state);
      if (this.isKeyword('instance')) return this.instanceDecl(qualifiers, state);
      if (this.isKeyword('qualifier')) {
        if (qualifiers.length) this.fail('a qualifier declaration cannot itself have qualifiers', this.tok);
        return this.qualifierDecl(state);
      }
      if (qualifiers.length) this.expected('"class" or "instance" after the qualifier list');
      this.expected('"class", "instance", "qualifier" or "#pragma"');
    } catch (e) {
      if (e !== ABORT) throw e;
      this.sync(false, 0);
      return null;
    }
  }

  /** `#pragma name ( "value" )` */
  private pragma(): MofPragmaNode {
    const start = this.advance();
    const name = this.identifier('a pragma name after "#pragma"');
    this.expect(TokenKind.LParen, `after "#pragma ${name.text}"`);
    if (this.k() !== TokenKind.String) this.expected(`a string parameter for "#pragma ${name.text}"`);
    const valuePos = this.pos();
    let value = '';
    while (this.k() === TokenKind.String) value += this.advance().text;
    if (this.tok.kind !== TokenKind.RParen) this.expected(`")" to close "#pragma ${name.text}("`);
    this.current = null;
    this.advance();
    return { kind: 'pragma', name: name.text, value, pos: this.pos(start), valuePos };
  }

  /** `[ qualifier *( "," qualifier ) ]` */
  private qualifierList(): MofQualifierNode[] {
    this.expect(TokenKind.LBracket);
    const out: MofQualifierNode[] = [];
    for (;;) {
      out.push(this.qualifier());
      if (this.k() === TokenKind.Comma) { this.advance(); continue; }
      if (this.k() === TokenKind.RBracket) { this.advance(); return out; }
      this.expected('"," or "]" in the qualifier list');
    }
  }

  /** `name [ "(" constant ")" | arrayInitializer ] [ ":" 1*flavor ]` */
  private qualifier(): MofQualifierNode {
    const name = this.identifier('a qualifier name');
    let value: MofValue | undefined;
    if (this.k() === TokenKind.LParen) {
      this.advance();
      value = this.constant(`a value for qualifier ${name.text}`);
      this.expect(TokenKind.RParen, `to close the value of qualifier ${name.text}`);
    } else if (this.k() === TokenKind.LBrace) {
      value = this.arrayInitializer();
    }
    const flavors: MofFlavor[] = [];
    if (this.k() === TokenKind.Colon) {
      this.advance();
      do {
        const f = this.identifier('a flavor (EnableOverride, DisableOverride, Restricted, ToSubclass, Translatable)');
        const lower = f.text.toLowerCase();
        if (!FLAVORS.has(lower)) this.fail(`unknown flavor "${f.text}"`, f);
        flavors.push(lower as MofFlavor);
      } while (this.k() === TokenKind.Identifier);
    }
    return { name: name.text, value, flavors, pos: this.pos(name) };
  }

  /** `class Name [as $alias] [: Super] { features } ;` */
  private classDecl(qualifiers: MofQualifierNode[], state: { broken: boolean }): MofClassNode {
    this.advance();
    const name = this.identifier('a class name after "class"');
    const node: MofClassNode = { kind: 'class', qualifiers, name: name.text, features: [], broken: false, pos: this.pos(name) };
    if (this.isKeyword('as')) {
      this.advance();
      node.alias = this.expect(TokenKind.Alias, 'after "as"').text;
    }
    if (this.k() === TokenKind.Colon) {
      this.advance();
      const sup = this.identifier('a superclass name after ":"');
      node.superclass = sup.text;
      node.superclassPos = this.pos(sup);
    }
    this.expect(TokenKind.LBrace, `to open the body of class ${name.text}`);
    this.body(state, `class ${name.text}`, name, () => node.features.push(this.feature()));
    this.finish(state, node, TokenKind.Semicolon, `after the "}" of class ${name.text}`);
    return node;
  }

  /** A data type: an intrinsic type name, or `ClassName REF`. */
  private dataType(): MofTypeNode {
    const t = this.identifier('a data type or a class name followed by REF');
    const lower = t.text.toLowerCase();
    if (lower !== 'reference' && isCimType(lower)) return { type: lower as CimType, pos: this.pos(t) };
    if (!this.isKeyword('ref')) {
      this.fail(`unknown data type "${t.text}" (a reference is written "${t.text} REF name")`, t);
    }
    this.advance();
    return { type: 'reference', refClass: t.text, pos: this.pos(t) };
  }

  /** `[ "[" [ size ] "]" ]`: returns undefined when there is no array suffix. */
  private arraySuffix(): { size?: number } | undefined {
    if (this.k() !== TokenKind.LBracket) return undefined;
    this.advance();
    let size: number | undefined;
    if (this.k() === TokenKind.Integer) {
      const t = this.advance();
      const v = t.int!;
      if (v <= 0n || v > 0xffffffffn || !/^[1-9][0-9]*$/.test(t.text)) this.fail(`an array size is a positive decimal integer, not "${t.text}"`, t);
      size = Number(v);
    }
    this.expect(TokenKind.RBracket, 'to close the array brackets');
    return { size };
  }

  /** A property, reference or method declaration inside a class body. */
  private feature(): MofPropertyNode | MofMethodNode {
    const qualifiers = this.k() === TokenKind.LBracket ? this.qualifierList() : [];
    const dataType = this.dataType();
    const name = this.identifier('a property or method name');
    if (this.k() === TokenKind.LParen) return this.method(qualifiers, dataType, name);
    const node: MofPropertyNode = { kind: 'property', qualifiers, dataType, name: name.text, isArray: false, pos: this.pos(name) };
    const arr = this.arraySuffix();
    if (arr) {
      node.isArray = true;
      if (arr.size !== undefined) node.arraySize = arr.size;
    }
    if (this.k() === TokenKind.Equals) {
      this.advance();
      node.defaultValue = this.initializer();
    }
    this.expect(TokenKind.Semicolon, `after the declaration of ${name.text}`);
    return node;
  }

  private method(qualifiers: MofQualifierNode[], returnType: MofTypeNode, name: Token): MofMethodNode {
    this.advance();
    const parameters: MofParameterNode[] = [];
    if (this.k() !== TokenKind.RParen) {
      for (;;) {
        parameters.push(this.parameter());
        if (this.k() === TokenKind.Comma) { this.advance(); continue; }
        if (this.k() === TokenKind.RParen) break;
        this.expected(`"," or ")" in the parameter list of ${name.text}`);
      }
    }
    this.advance();
    this.expect(TokenKind.Semicolon, `after the declaration of method ${name.text}`);
    return { kind: 'method', qualifiers, returnType, name: name.text, parameters, pos: this.pos(name) };
  }

  private parameter(): MofParameterNode {
    const qualifiers = this.k() === TokenKind.LBracket ? this.qualifierList() : [];
    const dataType = this.dataType();
    const name = this.identifier('a parameter name');
    const node: MofParameterNode = { qualifiers, dataType, name: name.text, isArray: false, pos: this.pos(name) };
    const arr = this.arraySuffix();
    if (arr) {
      node.isArray = true;
      if (arr.size !== undefined) node.arraySize = arr.size;
    }
    if (this.k() === TokenKind.Equals) {
      this.advance();
      node.defaultValue = this.initializer();
    }
    return node;
  }

  /** `instance of Class [as $alias] { *valueInitializer } ;` */
  private instanceDecl(qualifiers: MofQualifierNode[], state: { broken: boolean }): MofInstanceNode {
    this.advance();
    this.expectKeyword('of', 'of');
    const cls = this.identifier('a class name after "instance of"');
    const node: MofInstanceNode = { kind: 'instance', qualifiers, className: cls.text, values: [], broken: false, pos: this.pos(cls) };
    if (this.isKeyword('as')) {
      this.advance();
      node.aliasPos = this.pos();
      node.alias = this.expect(TokenKind.Alias, 'after "as"').text;
    }
    this.expect(TokenKind.LBrace, `to open the body of the instance of ${cls.text}`);
    this.body(state, `the instance of ${cls.text}`, cls, () => node.values.push(this.valueInitializer()));
    this.finish(state, node, TokenKind.Semicolon, `after the "}" of the instance of ${cls.text}`);
    return node;
  }

  private valueInitializer(): MofPropertyValueNode {
    const qualifiers = this.k() === TokenKind.LBracket ? this.qualifierList() : [];
    const name = this.identifier('a property name');
    this.expect(TokenKind.Equals, `after property name ${name.text}`);
    const value = this.initializer();
    this.expect(TokenKind.Semicolon, `after the value of ${name.text}`);
    return { qualifiers, name: name.text, value, pos: this.pos(name) };
  }

  /** `qualifier Name : type [array] [= default] , scope(...) [, flavor(...)] ;` */
  private qualifierDecl(state: { broken: boolean }): MofQualifierDeclNode {
    this.advance();
    const name = this.identifier('a qualifier name after "qualifier"');
    this.expect(TokenKind.Colon, `after qualifier name ${name.text}`);
    const t = this.identifier('a data type');
    const lower = t.text.toLowerCase();
    if (lower === 'reference' || !isCimType(lower)) this.fail(`"${t.text}" is not a qualifier type (a qualifier has an intrinsic type, not a reference)`, t);
    const node: MofQualifierDeclNode = {
      kind: 'qualifierDecl', name: name.text, dataType: { type: lower as CimType, pos: this.pos(t) }, isArray: false,
      scopes: [], flavors: [], broken: false, pos: this.pos(name),
    };
    const arr = this.arraySuffix();
    if (arr) {
      node.isArray = true;
      if (arr.size !== undefined) node.arraySize = arr.size;
    }
    if (this.k() === TokenKind.Equals) {
      this.advance();
      node.defaultValue = this.initializer();
    }
    let sawScope = false;
    let sawFlavor = false;
    while (this.k() === TokenKind.Comma) {
      this.advance();
      if (this.isKeyword('scope') && !sawScope) {
        sawScope = true;
        this.advance();
        this.expect(TokenKind.LParen, 'after "Scope"');
        for (;;) {
          const s = this.identifier('a scope (class, association, indication, property, reference, method, parameter, qualifier, any)');
          const sl = s.text.toLowerCase();
          if (!SCOPES.has(sl)) this.fail(`unknown scope "${s.text}"`, s);
          node.scopes.push(sl as MofScope);
          if (this.k() === TokenKind.Comma) { this.advance(); continue; }
          this.expect(TokenKind.RParen, 'to close "Scope("');
          break;
        }
      } else if (this.isKeyword('flavor') && !sawFlavor) {
        sawFlavor = true;
        this.advance();
        this.expect(TokenKind.LParen, 'after "Flavor"');
        for (;;) {
          const f = this.identifier('a flavor (EnableOverride, DisableOverride, Restricted, ToSubclass, Translatable)');
          const fl = f.text.toLowerCase();
          if (!FLAVORS.has(fl)) this.fail(`unknown flavor "${f.text}"`, f);
          node.flavors.push(fl as MofFlavor);
          if (this.k() === TokenKind.Comma) { this.advance(); continue; }
          this.expect(TokenKind.RParen, 'to close "Flavor("');
          break;
        }
      } else {
        this.expected(sawScope ? '"Flavor"' : '"Scope"');
      }
    }
    if (!sawScope) this.expected(`", Scope(...)" in the declaration of qualifier ${name.text}`);
    this.finish(state, node, TokenKind.Semicolon, `after the declaration of qualifier ${name.text}`);
    return node;
  }

  // ---- values ----

  /** A default value or property value: a constant, an array initializer or an alias. */
  private initializer(): MofValue {
    if (this.k() === TokenKind.LBrace) return this.arrayInitializer();
    if (this.k() === TokenKind.Alias) {
      const t = this.advance();
      return { kind: 'alias', name: t.text, pos: this.pos(t) };
    }
    return this.constant('a value');
  }

  /** `{ [ value *( "," value ) ] }` whose values are constants or aliases (no nesting). */
  private arrayInitializer(): MofValue {
    const open = this.advance();
    const items: MofValue[] = [];
    if (this.k() !== TokenKind.RBrace) {
      for (;;) {
        if (this.k() === TokenKind.Alias) {
          const t = this.advance();
          items.push({ kind: 'alias', name: t.text, pos: this.pos(t) });
        } else if (this.k() === TokenKind.LBrace) {
          this.fail('arrays cannot be nested');
        } else {
          items.push(this.constant('an array element'));
        }
        if (this.k() === TokenKind.Comma) { this.advance(); continue; }
        if (this.k() === TokenKind.RBrace) break;
        this.expected('"," or "}" in the array value');
      }
    }
    this.advance();
    return { kind: 'array', items, pos: this.pos(open) };
  }

  /** integer, real, string (adjacent literals concatenated), char16, TRUE, FALSE or NULL. */
  private constant(what: string): MofValue {
    const t = this.tok;
    const pos = this.pos(t);
    switch (t.kind) {
      case TokenKind.Integer: this.advance(); return { kind: 'integer', value: t.int!, text: t.text, pos };
      case TokenKind.Real: this.advance(); return { kind: 'real', value: t.real!, text: t.text, pos };
      case TokenKind.Char: this.advance(); return { kind: 'char16', value: t.text, pos };
      case TokenKind.String: {
        this.advance();
        if (this.k() !== TokenKind.String) return { kind: 'string', value: t.text, pos };
        // Long DMTF descriptions are dozens of literals: join them once at the end.
        const parts = [t.text];
        while (this.k() === TokenKind.String) parts.push(this.advance().text);
        return { kind: 'string', value: parts.join(''), pos };
      }
      case TokenKind.Identifier: {
        const w = t.text.toLowerCase();
        if (w === 'true' || w === 'false') { this.advance(); return { kind: 'boolean', value: w === 'true', pos }; }
        if (w === 'null') { this.advance(); return { kind: 'null', pos }; }
        break;
      }
      default: break;
    }
    this.expected(what);
  }
}
