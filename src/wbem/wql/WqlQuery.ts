// The parsed form of a WQL query: what parseWql returns and what matches/project consume.

/** A literal: strings, integers (bigint), reals (number), booleans and NULL. */
export type WqlLiteralValue = string | number | bigint | boolean | null;

export type WqlOperand =
  /** A property, possibly reaching into embedded instances: `SourceInstance.EnabledState`. */
  | { kind: 'property'; path: string[]; pos: number }
  | { kind: 'literal'; value: WqlLiteralValue; pos: number };

export type WqlComparisonOperator = '=' | '<>' | '<' | '>' | '<=' | '>=';

export type WqlExpression =
  /** Two or more conditions; kept flat so long AND/OR chains do not deepen the tree. */
  | { kind: 'and' | 'or'; operands: WqlExpression[] }
  | { kind: 'not'; operand: WqlExpression }
  | { kind: 'compare'; op: WqlComparisonOperator; left: WqlOperand; right: WqlOperand; pos: number }
  /** `x IS NULL`, or `x IS NOT NULL` when negated. */
  | { kind: 'isNull'; operand: WqlOperand; negated: boolean; pos: number }
  /** `x ISA ClassName`: x is an embedded instance (or object) of ClassName or a subclass. */
  | { kind: 'isa'; operand: WqlOperand; className: string; pos: number }
  /** `x LIKE 'pattern'` with `%`, `_` and `[set]`; `NOT LIKE` when negated. */
  | { kind: 'like'; operand: WqlOperand; pattern: string; negated: boolean; pos: number };

export interface WqlQuery {
  /** The query text as given. */
  readonly text: string;
  /** The class named in FROM. */
  readonly className: string;
  /** True for `SELECT *`. */
  readonly selectAll: boolean;
  /** The SELECT list as property paths (empty for `*`), in the order written. */
  readonly properties: readonly (readonly string[])[];
  /** The WHERE condition; undefined when there is none. */
  readonly where?: WqlExpression;
}
