// Evaluates a parsed WQL query against an instance: the FROM class test and the WHERE condition,
// in SQL's three-valued logic (a comparison with NULL or a missing property is unknown, and only
// a condition that is true selects the instance).
import { CimInstance } from '../../cim/CimInstance.js';
import { CimClass } from '../../cim/CimClass.js';
import { compareValues } from './compareValues.js';
import { likePatternRegExp } from './likePattern.js';
import type { WqlExpression, WqlOperand, WqlQuery } from './WqlQuery.js';

/** True when class `className` is `superName` or derives from it (names compare case-insensitively). */
export type WqlIsA = (className: string, superName: string) => boolean;

/** The fallback class test when no schema is at hand: the same name only. */
export const sameClassOnly: WqlIsA = (a, b) => a.toLowerCase() === b.toLowerCase();

type Truth = boolean | null;

const likeCache = new WeakMap<object, RegExp>();

/** The value a property path names: undefined when a step is missing or not an embedded instance. */
export function resolvePath(inst: CimInstance, path: readonly string[]): unknown {
  let cur: unknown = inst;
  for (const step of path) {
    if (!(cur instanceof CimInstance)) return undefined;
    const prop = cur.properties.get(step);
    if (!prop) {
      // WMI-style clients name the class of an (embedded) instance `__CLASS`.
      if (step.toUpperCase() === '__CLASS') {
        cur = cur.className;
        continue;
      }
      return undefined;
    }
    cur = prop.value;
  }
  return cur;
}

function operandValue(o: WqlOperand, inst: CimInstance): unknown {
  return o.kind === 'literal' ? o.value : resolvePath(inst, o.path);
}

function classNameOf(v: unknown): string | null {
  if (v instanceof CimInstance) return v.className;
  if (v instanceof CimClass) return v.name;
  return null;
}

/** The WHERE condition's truth for `inst`: true, false or null (unknown). */
export function evaluate(e: WqlExpression, inst: CimInstance, isa: WqlIsA = sameClassOnly): Truth {
  switch (e.kind) {
    case 'and': {
      let r: Truth = true;
      for (const o of e.operands) {
        const v = evaluate(o, inst, isa);
        if (v === false) return false;
        if (v === null) r = null;
      }
      return r;
    }
    case 'or': {
      let r: Truth = false;
      for (const o of e.operands) {
        const v = evaluate(o, inst, isa);
        if (v === true) return true;
        if (v === null) r = null;
      }
      return r;
    }
    case 'not': {
      const v = evaluate(e.operand, inst, isa);
      return v === null ? null : !v;
    }
    case 'compare': {
      const c = compareValues(operandValue(e.left, inst), operandValue(e.right, inst));
      if (c === null) return null;
      switch (e.op) {
        case '=': return c === 0;
        case '<>': return c !== 0;
        case '<': return c < 0;
        case '>': return c > 0;
        case '<=': return c <= 0;
        case '>=': return c >= 0;
      }
      return null;
    }
    case 'isNull': {
      const v = operandValue(e.operand, inst);
      const isNull = v === null || v === undefined;
      return e.negated ? !isNull : isNull;
    }
    case 'isa': {
      const v = operandValue(e.operand, inst);
      if (v === null || v === undefined) return null;
      const cls = classNameOf(v);
      return cls === null ? false : isa(cls, e.className);
    }
    case 'like': {
      const v = operandValue(e.operand, inst);
      if (typeof v !== 'string') return null;
      let re = likeCache.get(e);
      if (!re) {
        re = likePatternRegExp(e.pattern, e.pos);
        likeCache.set(e, re);
      }
      const m = re.test(v);
      return e.negated ? !m : m;
    }
  }
}

/**
 * True when `inst` is selected by `query`: its class is the FROM class or a subclass (by `isa`),
 * and the WHERE condition, if any, is true.
 */
export function matches(query: WqlQuery, inst: CimInstance, isa: WqlIsA = sameClassOnly): boolean {
  if (!isa(inst.className, query.className)) return false;
  return query.where === undefined || evaluate(query.where, inst, isa) === true;
}
