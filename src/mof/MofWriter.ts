// Renders model objects as MOF text: qualifier declarations, classes (as declared, or resolved with
// inherited members marked), instances and single values. What it writes, the compiler reads back.
import type { CimClass } from '../cim/CimClass.js';
import { CimClass as CimClassCtor } from '../cim/CimClass.js';
import { CimDateTime } from '../cim/CimDateTime.js';
import { CimInstance } from '../cim/CimInstance.js';
import type { CimMethod } from '../cim/CimMethod.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimParameter } from '../cim/CimParameter.js';
import type { CimProperty } from '../cim/CimProperty.js';
import type { CimQualifier, CimFlavor } from '../cim/CimQualifier.js';
import type { CimQualifierDeclaration } from '../cim/CimQualifierDeclaration.js';
import type { CimType } from '../cim/CimType.js';
import type { CimScalar, CimValue } from '../cim/CimValue.js';
import type { NameMap } from '../cim/NameMap.js';
import { formatReal32, formatReal64 } from '../cim/valueText.js';

export interface MofWriteOptions {
  /**
   * Include members and qualifiers inherited from superclasses (marked with a comment). Default
   * false: only what the class itself declares, which is what compiles back into the same class.
   */
  inherited?: boolean;
}

/** Longest string literal piece before a long text is split into adjacent literals. */
const WRAP = 70;

/** Width the writer keeps array values within. */
const LINE = 100;

/** A MOF string literal (split into adjacent literals when long); escapes what MOF needs escaped. */
export function mofString(s: string, indent = ''): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c < 32 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff && !isPairedSurrogate(s, i))) out += `\\x${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += s[i];
  }
  if (out.length <= WRAP) return `"${out}"`;
  // Split after spaces so each piece stays readable; never inside an escape.
  const pieces: string[] = [];
  let start = 0;
  while (out.length - start > WRAP) {
    let cut = out.lastIndexOf(' ', start + WRAP);
    if (cut <= start) cut = start + WRAP;
    else cut++;
    while (cut > start + 1 && inEscape(out, start, cut)) cut--;
    pieces.push(out.slice(start, cut));
    start = cut;
  }
  pieces.push(out.slice(start));
  return pieces.map((p) => `"${p}"`).join(`\n${indent}`);
}

function isPairedSurrogate(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c <= 0xdbff) return i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
  return i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800;
}

/** Would cutting `text` at `cut` split an escape sequence that starts at or after `from`? */
function inEscape(text: string, from: number, cut: number): boolean {
  // Count the backslashes just before the cut; an odd run means the cut follows a lone "\".
  let n = 0;
  for (let i = cut - 1; i >= from && text.charCodeAt(i) === 92; i--) n++;
  if (n % 2 === 1) return true;
  // A \xHHHH escape is 6 characters: a cut within it leaves hex digits on the next piece.
  for (let back = 1; back <= 5 && cut - back >= from; back++) {
    if (text.charCodeAt(cut - back) === 120 && text.charCodeAt(cut - back - 1) === 92) {
      let bs = 0;
      for (let i = cut - back - 1; i >= from && text.charCodeAt(i) === 92; i--) bs++;
      if (bs % 2 === 1) return true;
    }
  }
  return false;
}

function mofChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === "'") return "'\\''";
  if (c === '\\') return "'\\\\'";
  if (code < 32 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) return `'\\x${code.toString(16).toUpperCase().padStart(4, '0')}'`;
  return `'${c}'`;
}

/** One scalar as a MOF literal of `type`. */
export function mofScalar(type: CimType, v: CimScalar | null, indent = ''): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'NULL'; // MOF has no literal for INF or NaN
    if (type === 'real32' || type === 'real64') {
      const t = type === 'real32' ? formatReal32(v) : formatReal64(v);
      return /[.eE]/.test(t) ? t : `${t}.0`;
    }
    return String(v + 0);
  }
  if (typeof v === 'string') return type === 'char16' ? mofChar(v) : mofString(v, indent);
  if (v instanceof CimDateTime) return mofString(v.text);
  if (v instanceof CimObjectPath) return mofString(v.toString(), indent);
  if (v instanceof CimInstance) return mofString(instanceToMof(v), indent);
  if (v instanceof CimClassCtor) return mofString(classToMof(v), indent);
  return 'NULL';
}

/** A whole value: NULL, a scalar, or `{ a, b }`. */
export function mofValue(type: CimType, v: CimValue, indent = ''): string {
  if (v === null) return 'NULL';
  if (!Array.isArray(v)) return mofScalar(type, v, indent);
  // Callers pass the column of the first element, so continuation lines line up under it.
  const inner = indent;
  const items = v.map((x) => mofScalar(type, x, inner));
  const oneLine = `{ ${items.join(', ')} }`;
  if (indent.length + oneLine.length <= LINE && !oneLine.includes('\n')) return oneLine;
  // Long value maps: as many elements per line as fit, continuation lines under the first.
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && (inner.length + line.length + item.length + 2 > LINE || item.includes('\n'))) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line}, ${item}` : item;
  }
  lines.push(line);
  return `{ ${lines.join(`,\n${inner}`)} }`;
}

function qualifierText(q: CimQualifier, indent: string): string {
  if (q.type === 'boolean' && !q.isArray && q.value === true) return q.name;
  if (q.isArray && Array.isArray(q.value)) return `${q.name} ${mofValue(q.type, q.value, indent)}`;
  return `${q.name} ( ${mofValue(q.type, q.value, indent)} )`;
}

/** `[A, B (x)]` on its own line(s) before an element, or '' when there are none. */
function qualifierList(quals: NameMap<CimQualifier>, indent: string, inherited: boolean): string {
  const list = quals.values().filter((q) => inherited || !q.propagated);
  if (list.length === 0) return '';
  const inner = `${indent} `;
  return `${indent}[${list.map((q) => qualifierText(q, inner + ' '.repeat(q.name.length + 3))).join(`,\n${inner}`)}]\n`;
}

function inlineQualifiers(quals: NameMap<CimQualifier>, indent: string): string {
  const list = quals.values();
  if (list.length === 0) return '';
  return `[${list.map((q) => qualifierText(q, indent)).join(', ')}] `;
}

function typeText(type: CimType, refClass: string | undefined): string {
  return type === 'reference' ? `${refClass ?? 'CIM_ManagedElement'} REF` : type;
}

function arrayText(isArray: boolean, size: number | undefined): string {
  return isArray ? `[${size ?? ''}]` : '';
}

function propertyText(p: CimProperty, inherited: boolean): string {
  const origin = inherited && p.propagated && p.classOrigin ? `   // inherited from ${p.classOrigin}\n` : '';
  const def = p.value !== null ? ` = ${mofValue(p.type, p.value, '      ')}` : '';
  return `${origin}${qualifierList(p.qualifiers, '      ', inherited)}   ${typeText(p.type, p.referenceClass)} ${p.name}${arrayText(p.isArray, p.arraySize)}${def};\n`;
}

function parameterText(p: CimParameter): string {
  return `${inlineQualifiers(p.qualifiers, '         ')}${typeText(p.type, p.referenceClass)} ${p.name}${arrayText(p.isArray, p.arraySize)}`;
}

function methodText(m: CimMethod, inherited: boolean): string {
  const origin = inherited && m.propagated && m.classOrigin ? `   // inherited from ${m.classOrigin}\n` : '';
  const params = m.parameters.values();
  const list = params.length === 0 ? '' : `\n${params.map((p) => `      ${parameterText(p)}`).join(',\n')}`;
  return `${origin}${qualifierList(m.qualifiers, '      ', inherited)}   ${m.returnType} ${m.name}(${list});\n`;
}

/** A class declaration. */
export function classToMof(cls: CimClass, options: MofWriteOptions = {}): string {
  const inherited = options.inherited === true;
  let out = qualifierList(cls.qualifiers, '   ', inherited);
  out += `class ${cls.name}${cls.superclass ? ` : ${cls.superclass}` : ''} {\n`;
  const members: string[] = [];
  for (const p of cls.properties.values()) if (inherited || !p.propagated) members.push(propertyText(p, inherited));
  for (const m of cls.methods.values()) if (inherited || !m.propagated) members.push(methodText(m, inherited));
  out += members.map((m) => `\n${m}`).join('');
  out += '\n};\n';
  return out;
}

function flavorText(f: CimFlavor): string {
  const parts = [f.overridable ? 'EnableOverride' : 'DisableOverride', f.toSubclass ? 'ToSubclass' : 'Restricted'];
  if (f.translatable) parts.push('Translatable');
  return parts.join(', ');
}

/** A qualifier type declaration. */
export function qualifierDeclarationToMof(d: CimQualifierDeclaration): string {
  const def = d.value !== null ? ` = ${mofValue(d.type, d.value, '    ')}` : '';
  const scopes = [...d.scopes].join(', ');
  return `Qualifier ${d.name} : ${d.type}${arrayText(d.isArray, d.arraySize)}${def},\n    Scope(${scopes}),\n    Flavor(${flavorText(d.flavor)});\n`;
}

/** An instance declaration, optionally `as $alias`. */
export function instanceToMof(inst: CimInstance, alias?: string): string {
  let out = qualifierList(inst.qualifiers, '', false);
  out += `instance of ${inst.className}${alias ? ` as $${alias}` : ''} {\n`;
  for (const p of inst.properties.values()) {
    out += `   ${p.name} = ${mofValue(p.type, p.value, '      ')};\n`;
  }
  return `${out}};\n`;
}
