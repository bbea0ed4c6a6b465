// The WQL API: parse once, then test and project instances. See docs/indications.md.
export { parseWql, WQL_MAX_DEPTH, WQL_MAX_LENGTH } from './parseWql.js';
export { matches, evaluate, resolvePath, sameClassOnly, type WqlIsA } from './matches.js';
export { project, selectedProperties } from './project.js';
export { compareValues } from './compareValues.js';
export { WqlError } from './WqlError.js';
export type { WqlQuery, WqlExpression, WqlOperand, WqlLiteralValue, WqlComparisonOperator } from './WqlQuery.js';
