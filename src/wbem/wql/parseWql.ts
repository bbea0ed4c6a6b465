// The WQL parser: text to a WqlQuery, by recursive descent over the lexer's tokens.
//
//   query      := SELECT select-list FROM class-name [WHERE expr] EOF
//   select-list:= '*' | prop-path (',' prop-path)*
//   prop-path  := identifier ('.' identifier)*      (a leading `Class.` is allowed and dropped)
//   expr       := and-expr (OR and-expr)*
//   and-expr   := not-expr (AND not-expr)*
//   not-expr   := NOT not-expr | '(' expr ')' | predicate
//   predicate  := operand ( comp-op operand | IS [NOT] NULL | ISA class | [NOT] LIKE string )
//   operand    := prop-path | string | ['+'|'-'] number | TRUE | FALSE | NULL
//
// Keywords and names are case-insensitive. Every failure is a WqlError (CIM_ERR_INVALID_QUERY)
// with the position of the token that broke the rule.
import { WqlError } from './WqlError.js';
import { tokenizeWql } from './tokenizeWql.js';
import { likePatternRegExp } from './likePattern.js';
import type { WqlToken } from './WqlToken.js';
import type { WqlComparisonOperator, WqlExpression, WqlOperand, WqlQuery } from './WqlQuery.js';

/** Queries longer than this are refused before lexing: a filter is a line, not a document. */
export const WQL_MAX_LENGTH = 64 * 1024;
/** Parentheses and NOTs nest at most this deep, so hostile input cannot exhaust the stack. */
export const WQL_MAX_DEPTH = 100;

export function parseWql(text: string): WqlQuery {
  if (typeof text !== 'string') throw new WqlError(0, 'the query is not a string');
  if (text.length > WQL_MAX_LENGTH) throw new WqlError(WQL_MAX_LENGTH, `the query is longer than ${WQL_MAX_LENGTH} characters`);
  return new Parser(text, tokenizeWql(text)).query();
}

function describe(t: WqlToken): string {
  switch (t.kind) {
    case 'eof': return 'the end of the query';
    case 'string': return `string ${JSON.stringify(t.text)}`;
    case 'keyword': return `keyword ${t.text}`;
    default: return `"${t.text}"`;
  }
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly text: string, private readonly tokens: WqlToken[]) {}

  private get tok(): WqlToken {
    return this.tokens[this.i]!;
  }

  private next(): WqlToken {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isKeyword(word: string): boolean {
    return this.tok.kind === 'keyword' && this.tok.text === word;
  }

  private isPunct(p: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === p;
  }

  private fail(expected: string, t: WqlToken = this.tok): never {
    throw new WqlError(t.pos, `expected ${expected}, found ${describe(t)}`);
  }

  private keyword(word: string): WqlToken {
    if (!this.isKeyword(word)) this.fail(word);
    return this.next();
  }

  private identifier(what: string): WqlToken {
    if (this.tok.kind !== 'identifier') this.fail(what);
    return this.next();
  }

  query(): WqlQuery {
    this.keyword('SELECT');
    let selectAll = false;
    const properties: string[][] = [];
    if (this.isPunct('*')) {
      this.next();
      selectAll = true;
    } else {
      properties.push(this.selectItem());
      while (this.isPunct(',')) {
        this.next();
        properties.push(this.selectItem());
      }
    }
    this.keyword('FROM');
    const className = this.identifier('a class name after FROM').text;
    let where: WqlExpression | undefined;
    if (this.isKeyword('WHERE')) {
      this.next();
      where = this.expr();
    }
    if (this.tok.kind !== 'eof') this.fail(where ? 'AND, OR or the end of the query' : 'WHERE or the end of the query');
    const q: WqlQuery = { text: this.text, className, selectAll, properties: stripClassPrefix(properties, className) };
    if (where) return { ...q, where: stripClassPrefixes(where, className) };
    return q;
  }

  private selectItem(): string[] {
    if (this.isPunct('*')) this.fail('a property name (`*` stands alone)');
    return this.propertyPath(this.identifier('a property name'));
  }

  private propertyPath(first: WqlToken): string[] {
    const path = [first.text];
    while (this.isPunct('.')) {
      this.next();
      path.push(this.identifier('a property name after "."').text);
    }
    return path;
  }

  private expr(): WqlExpression {
    const operands = [this.andExpr()];
    while (this.isKeyword('OR')) {
      this.next();
      operands.push(this.andExpr());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private andExpr(): WqlExpression {
    const operands = [this.notExpr()];
    while (this.isKeyword('AND')) {
      this.next();
      operands.push(this.notExpr());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private notExpr(): WqlExpression {
    if (++this.depth > WQL_MAX_DEPTH) throw new WqlError(this.tok.pos, `conditions nest deeper than ${WQL_MAX_DEPTH} levels`);
    try {
      if (this.isKeyword('NOT')) {
        this.next();
        return { kind: 'not', operand: this.notExpr() };
      }
      if (this.isPunct('(')) {
        this.next();
        const e = this.expr();
        if (!this.isPunct(')')) this.fail('")"');
        this.next();
        return e;
      }
      return this.predicate();
    } finally {
      this.depth--;
    }
  }

  private predicate(): WqlExpression {
    const left = this.operand();
    const t = this.tok;
    if (t.kind === 'operator') {
      this.next();
      return { kind: 'compare', op: t.text as WqlComparisonOperator, left, right: this.operand(), pos: t.pos };
    }
    if (this.isKeyword('IS')) {
      this.next();
      let negated = false;
      if (this.isKeyword('NOT')) {
        this.next();
        negated = true;
      }
      this.keyword('NULL');
      return { kind: 'isNull', operand: left, negated, pos: t.pos };
    }
    if (this.isKeyword('ISA')) {
      this.next();
      const c = this.tok;
      if (c.kind !== 'identifier' && c.kind !== 'string') this.fail('a class name after ISA');
      this.next();
      if (c.text === '') throw new WqlError(c.pos, 'the class name after ISA is empty');
      return { kind: 'isa', operand: left, className: c.text, pos: t.pos };
    }
    let negated = false;
    if (this.isKeyword('NOT')) {
      this.next();
      negated = true;
      if (!this.isKeyword('LIKE')) this.fail('LIKE after NOT');
    }
    if (this.isKeyword('LIKE')) {
      this.next();
      const p = this.tok;
      if (p.kind !== 'string') this.fail('a string pattern after LIKE');
      this.next();
      likePatternRegExp(p.text, p.pos); // refuses a malformed pattern now, not at evaluation
      return { kind: 'like', operand: left, pattern: p.text, negated, pos: t.pos };
    }
    return this.fail('a comparison operator, IS, ISA or LIKE');
  }

  private operand(): WqlOperand {
    const t = this.tok;
    if (t.kind === 'identifier') {
      this.next();
      return { kind: 'property', path: this.propertyPath(t), pos: t.pos };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'literal', value: t.text, pos: t.pos };
    }
    if (t.kind === 'punct' && (t.text === '-' || t.text === '+')) {
      this.next();
      const num = this.tok;
      if (num.kind !== 'number') this.fail(`a number after "${t.text}"`);
      this.next();
      const v = num.value!;
      return { kind: 'literal', value: t.text === '-' ? -v : v, pos: t.pos };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'literal', value: t.value!, pos: t.pos };
    }
    if (t.kind === 'keyword' && (t.text === 'TRUE' || t.text === 'FALSE' || t.text === 'NULL')) {
      this.next();
      return { kind: 'literal', value: t.text === 'NULL' ? null : t.text === 'TRUE', pos: t.pos };
    }
    return this.fail('a property name or a literal');
  }
}

/** `FROM CIM_X WHERE CIM_X.Name = ...`: the leading class name is a qualifier, not a property. */
function stripPath(path: readonly string[], className: string): string[] {
  if (path.length > 1 && path[0]!.toLowerCase() === className.toLowerCase()) return path.slice(1);
  return [...path];
}

function stripClassPrefix(paths: string[][], className: string): string[][] {
  return paths.map((p) => stripPath(p, className));
}

function stripOperand(o: WqlOperand, className: string): WqlOperand {
  return o.kind === 'property' ? { ...o, path: stripPath(o.path, className) } : o;
}

function stripClassPrefixes(e: WqlExpression, className: string): WqlExpression {
  switch (e.kind) {
    case 'and': case 'or':
      return { ...e, operands: e.operands.map((o) => stripClassPrefixes(o, className)) };
    case 'not':
      return { ...e, operand: stripClassPrefixes(e.operand, className) };
    case 'compare':
      return { ...e, left: stripOperand(e.left, className), right: stripOperand(e.right, className) };
    default:
      return { ...e, operand: stripOperand(e.operand, className) };
  }
}
