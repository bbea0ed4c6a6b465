// wbemcli's `name=value[,value...][,name=value...]` argument (ci, mi, sp, and the parameters of
// cm `Method.p=v,...`), typed against the class's declaration of each property or parameter.
// A comma-separated item that is not `known=...` continues the array of the previous name, so
// `Tags="a","b",Id=7` is Tags=["a","b"], Id=7. For a reference the continuations are the rest of
// its object path's keys, as wbemcli reads them: `Subject=C.A="1",B="2",Object=...` is one path,
// and in an array of references a new path starts at an item whose key has a class before it
// (`Refs=C.A="1",B="2",C.A="3",B="4"` is two paths).
import type { CimType } from '../../../src/cim/CimType.js';
import type { CimValue } from '../../../src/cim/CimValue.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { coerceValue } from '../../../src/cim/coerceValue.js';
import { CimError } from '../../../src/cim/CimError.js';
import { CommandError } from './CommandError.js';
import { splitOutsideQuotes, unquote } from './WbemcliTarget.js';

export interface RawAssignment {
  name: string;
  values: { text: string; quoted: boolean }[];
}

/** A declared property or parameter: what the assignment is typed against. */
export interface Declaration {
  name: string;
  type: CimType;
  isArray: boolean;
}

/** Splits the argument; `isName(n)` says whether `n` is a declared name (default: any identifier). */
export function parseAssignments(text: string, isName: (n: string) => boolean = () => true): RawAssignment[] {
  const out: RawAssignment[] = [];
  if (text.length === 0) return out;
  for (const item of splitOutsideQuotes(text, ',')) {
    const eq = indexOutsideQuotes(item, '=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && isName(name)) {
      out.push({ name, values: [unquote(item.slice(eq + 1))] });
    } else if (out.length > 0) {
      out[out.length - 1]!.values.push(unquote(item));
    } else {
      throw new CommandError(`Bad property assignment "${item}"; write name=value[,name=value...]`);
    }
  }
  return out;
}

function indexOutsideQuotes(s: string, c: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (s[i] === c && !quoted) return i;
  }
  return -1;
}

/**
 * The object paths a reference assignment's comma-split items make: one for a scalar, whatever
 * keys it has; for an array, a new path at each item that names a class (`Class.Key=...`, or a
 * bare `Class`), the other items being further keys of the path before.
 */
function referenceTexts(values: RawAssignment['values'], isArray: boolean): string[] {
  if (!isArray) return [values.map((v) => v.text).join(',')];
  const paths: string[] = [];
  for (const v of values) {
    if (paths.length === 0 || v.quoted || startsPath(v.text)) paths.push(v.text);
    else paths[paths.length - 1] += ',' + v.text;
  }
  return paths;
}

/** `Class.Key=...`, `ns:Class.Key=...` or a keyless `Class`: a dot (or no `=`) before the first `=` outside quotes. */
function startsPath(item: string): boolean {
  const eq = indexOutsideQuotes(item, '=');
  return eq < 0 || item.slice(0, eq).includes('.');
}

/** The typed value of one assignment for its declaration. */
export function typedValue(a: RawAssignment, d: Declaration): CimValue {
  const texts = a.values.map((v) => v.text);
  try {
    if (d.type === 'reference') {
      const paths = referenceTexts(a.values, d.isArray).map((t) => CimObjectPath.parse(t));
      return d.isArray ? paths : paths[0]!;
    }
    if (d.isArray) {
      // An unquoted empty value is an empty array (`Tags=`).
      if (texts.length === 1 && texts[0] === '' && !a.values[0]!.quoted) return [];
      return coerceValue(d.type, true, texts);
    }
    if (texts.length > 1) throw new CommandError(`${a.name} is not an array but was given ${texts.length} values`);
    return coerceValue(d.type, false, texts[0]);
  } catch (e) {
    if (e instanceof CimError) throw new CommandError(`Bad value for ${a.name}: ${e.description}`);
    throw e;
  }
}
