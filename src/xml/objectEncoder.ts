// Writes CIM model objects (src/cim) as CIM-XML elements: instances, classes, qualifiers,
// properties, methods, object paths in every form, and values. The message encoder and the
// streaming response encoder both build on these.
import { CimClass } from '../cim/CimClass.js';
import { CimDateTime } from '../cim/CimDateTime.js';
import type { CimError } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import type { CimMethod } from '../cim/CimMethod.js';
import { CimObjectPath, type CimKeyBinding } from '../cim/CimObjectPath.js';
import type { CimParameter } from '../cim/CimParameter.js';
import type { CimProperty } from '../cim/CimProperty.js';
import type { CimFlavor, CimQualifier } from '../cim/CimQualifier.js';
import type { CimQualifierDeclaration } from '../cim/CimQualifierDeclaration.js';
import { INTEGER_RANGES, type CimType } from '../cim/CimType.js';
import type { CimScalar, CimValue } from '../cim/CimValue.js';
import type { NameMap } from '../cim/NameMap.js';
import { formatReal32, formatReal64 } from '../cim/valueText.js';
import { CimXmlError } from './CimXmlError.js';
import { MarkupCache } from './MarkupCache.js';
import { escapeAttr, escapeText, XmlWriter } from './XmlWriter.js';

function fail(reason: string): never {
  throw new CimXmlError('XML_UNENCODABLE', reason);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

// Number bounds of the integer types, for the check on every integer written.
const NUMBER_RANGES = Object.fromEntries(Object.entries(INTEGER_RANGES).map(([t, [lo, hi]]) => [t, [Number(lo), Number(hi)]])) as Record<string, [number, number]>;

function label(name: string, what: string | undefined): string {
  return what === undefined ? name : `${what} ${name}`;
}

/**
 * The CIM-XML text of one scalar of `type`. Checks that the JS value fits the type (range for
 * integers, exact for 64-bit through bigint); reals get the shortest round-trip digits. Errors
 * name the value as `what name` (`property Id`); the two parts are joined only then, because
 * this runs for every value of an enumeration.
 */
export function scalarText(type: CimType, v: CimScalar, name: string, what?: string): string {
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (v instanceof CimInstance || v instanceof CimClass) return encodeObjectText(v);
      break;
    case 'boolean':
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
      break;
    case 'char16':
      if (typeof v === 'string' && v.length === 1) return v;
      break;
    case 'datetime':
      if (v instanceof CimDateTime) return v.text;
      break;
    case 'real32':
      if (typeof v === 'number') return formatReal32(v);
      break;
    case 'real64':
      if (typeof v === 'number') return formatReal64(v);
      break;
    case 'uint64': case 'sint64': {
      const [lo, hi] = INTEGER_RANGES[type];
      if (typeof v === 'bigint') {
        if (v >= lo && v <= hi) return v.toString();
        return fail(`${label(name, what)}: ${v} is out of the ${type} range`);
      }
      if (typeof v === 'number' && Number.isSafeInteger(v)) {
        if (v >= Number(lo) && v <= Number(hi)) return String(v + 0);
        return fail(`${label(name, what)}: ${v} is out of the ${type} range`);
      }
      break;
    }
    case 'reference':
      if (v instanceof CimObjectPath) return v.toString();
      break;
    default: {
      const r = NUMBER_RANGES[type];
      if (r !== undefined) {
        if (typeof v === 'number' && Number.isInteger(v)) {
          if (v >= r[0] && v <= r[1]) return String(v + 0);
          return fail(`${label(name, what)}: ${v} is out of the ${type} range`);
        }
        if (typeof v === 'bigint' && v >= BigInt(r[0]) && v <= BigInt(r[1])) return v.toString();
      }
    }
  }
  return fail(`${label(name, what)}: ${describe(v)} is not a valid ${type} value`);
}

/**
 * `<VALUE>text</VALUE>` for a scalar, `<VALUE.ARRAY>` for an array, nothing for null. Array
 * elements are written as one piece each (`<VALUE>a</VALUE>`), not three: fewer string pieces
 * make the response cheaper to flatten when it is sent.
 */
function writeValue(w: XmlWriter, type: CimType, value: CimValue, isArray: boolean, name: string, what: string): void {
  if (value === null || value === undefined) return;
  if (isArray) {
    if (!Array.isArray(value)) fail(`${label(name, what)}: an array is declared but ${describe(value)} was given`);
    w.raw('<VALUE.ARRAY>');
    for (const el of value) {
      if (el === null || el === undefined) w.raw('<VALUE.NULL></VALUE.NULL>');
      else w.raw(`<VALUE>${escapeText(scalarText(type, el, name, what))}</VALUE>`);
    }
    w.raw('</VALUE.ARRAY>');
    return;
  }
  if (Array.isArray(value)) fail(`${label(name, what)}: a single value is declared but an array was given`);
  w.raw(`<VALUE>${escapeText(scalarText(type, value, name, what))}</VALUE>`);
}

function writeFlavor(w: XmlWriter, f: CimFlavor): void {
  // Only the non-default flavors: the DTD supplies the defaults and the output stays small.
  if (!f.overridable) w.raw(' OVERRIDABLE="false"');
  if (!f.toSubclass) w.raw(' TOSUBCLASS="false"');
  if (f.toInstance) w.raw(' TOINSTANCE="true"');
  if (f.translatable) w.raw(' TRANSLATABLE="true"');
}

function checkType(t: CimType, what: string): void {
  if (t === 'reference') fail(`${what}: a reference cannot be written here`);
}

/** <!ELEMENT QUALIFIER ((VALUE | VALUE.ARRAY)?)> */
export function writeQualifier(w: XmlWriter, q: CimQualifier): void {
  checkType(q.type, `qualifier ${q.name}`);
  w.raw('<QUALIFIER').attr('NAME', q.name).raw(` TYPE="${q.type}"`);
  if (q.propagated) w.raw(' PROPAGATED="true"');
  writeFlavor(w, q.flavor);
  w.raw('>');
  writeValue(w, q.type, q.value, q.isArray, q.name, 'qualifier');
  w.raw('</QUALIFIER>');
}

function writeQualifiers(w: XmlWriter, qs: NameMap<CimQualifier> | undefined): void {
  if (qs === undefined || qs.size === 0) return;
  for (const [, q] of qs) writeQualifier(w, q);
}

/** <!ELEMENT QUALIFIER.DECLARATION (SCOPE?, (VALUE | VALUE.ARRAY)?)> */
export function writeQualifierDeclaration(w: XmlWriter, d: CimQualifierDeclaration): void {
  checkType(d.type, `qualifier declaration ${d.name}`);
  w.raw('<QUALIFIER.DECLARATION').attr('NAME', d.name).raw(` TYPE="${d.type}" ISARRAY="${d.isArray ? 'true' : 'false'}"`);
  if (d.arraySize !== undefined) w.raw(` ARRAYSIZE="${d.arraySize}"`);
  writeFlavor(w, d.flavor);
  w.raw('>');
  if (d.scopes.size > 0) {
    const any = d.scopes.has('any');
    w.raw('<SCOPE');
    for (const [attr, scope] of [['CLASS', 'class'], ['ASSOCIATION', 'association'], ['REFERENCE', 'reference'], ['PROPERTY', 'property'],
      ['METHOD', 'method'], ['PARAMETER', 'parameter'], ['INDICATION', 'indication']] as const) {
      if (any || d.scopes.has(scope)) w.raw(` ${attr}="true"`);
    }
    w.raw('></SCOPE>');
  }
  writeValue(w, d.type, d.value, d.isArray, d.name, 'qualifier declaration');
  w.raw('</QUALIFIER.DECLARATION>');
}

/** `<PROPERTY NAME TYPE><VALUE>`, which the value and `</VALUE></PROPERTY>` follow. */
const PROPERTY_OPEN = new MarkupCache((name, type) => `<PROPERTY NAME="${escapeAttr(name)}" TYPE="${type}"><VALUE>`);
/** A PROPERTY whose value is NULL, whole. */
const NULL_PROPERTY = new MarkupCache((name, type) => `<PROPERTY NAME="${escapeAttr(name)}" TYPE="${type}"></PROPERTY>`);

/** PROPERTY, PROPERTY.ARRAY or PROPERTY.REFERENCE, as the property's type and arrayness say. */
export function writeProperty(w: XmlWriter, p: CimProperty): void {
  const name = p.name;
  if (p.type === 'reference') {
    if (p.isArray) fail(`property ${name}: reference arrays cannot be properties in CIM-XML`);
    w.raw('<PROPERTY.REFERENCE NAME="').raw(escapeAttr(name)).raw('"');
    if (p.referenceClass !== undefined) w.attr('REFERENCECLASS', p.referenceClass);
    if (p.classOrigin !== undefined) w.attr('CLASSORIGIN', p.classOrigin);
    if (p.propagated) w.raw(' PROPAGATED="true"');
    w.raw('>');
    if (p.hasQualifiers) writeQualifiers(w, p.qualifiers);
    if (p.value !== null && p.value !== undefined) {
      if (!(p.value instanceof CimObjectPath)) fail(`property ${name}: ${describe(p.value)} is not a reference`);
      writeReference(w, p.value);
    }
    w.raw('</PROPERTY.REFERENCE>');
    return;
  }
  const el = p.isArray ? 'PROPERTY.ARRAY' : 'PROPERTY';
  const v = p.value;
  // The usual property (no optional attributes, no qualifiers, a plain string or number) is
  // written in one piece after its cached opening: this runs once per property of every instance
  // in an enumeration.
  if (!p.isArray && p.classOrigin === undefined && !p.propagated && p.embeddedObject === undefined && !p.hasQualifiers) {
    if (typeof v === 'string' && p.type === 'string') {
      w.raw(PROPERTY_OPEN.get(name, 'string') + escapeText(v) + '</VALUE></PROPERTY>');
      return;
    }
    if (v === null || v === undefined) {
      w.raw(NULL_PROPERTY.get(name, p.type));
      return;
    }
    if (typeof v !== 'object' && p.type !== 'string') {
      w.raw(PROPERTY_OPEN.get(name, p.type) + escapeText(scalarText(p.type, v, name, 'property')) + '</VALUE></PROPERTY>');
      return;
    }
  }
  w.raw(`<${el} NAME="${escapeAttr(name)}" TYPE="${p.type}"`);
  if (p.isArray && p.arraySize !== undefined) w.raw(` ARRAYSIZE="${p.arraySize}"`);
  if (p.classOrigin !== undefined) w.attr('CLASSORIGIN', p.classOrigin);
  if (p.propagated) w.raw(' PROPAGATED="true"');
  let embedded = p.embeddedObject;
  if (embedded === undefined && p.type === 'string' && v !== null && typeof v === 'object') {
    const sample = Array.isArray(v) ? v.find((e) => e !== null) : v;
    if (sample instanceof CimInstance) embedded = 'instance';
    else if (sample instanceof CimClass) embedded = 'object';
  }
  if (embedded !== undefined) w.raw(` EmbeddedObject="${embedded}"`);
  w.raw('>');
  // hasQualifiers, not qualifiers.size: asking the map would make one for every decoded property.
  if (p.hasQualifiers) writeQualifiers(w, p.qualifiers);
  if (v !== null && v !== undefined) {
    // The common scalar cases inline: this runs once per property of every instance written.
    writeValue(w, p.type, v, p.isArray, name, 'property');
  }
  w.raw(`</${el}>`);
}

const INSTANCE_OPEN = new MarkupCache((className) => `<INSTANCE CLASSNAME="${escapeAttr(className)}">`);

/** <!ELEMENT INSTANCE (QUALIFIER*, (PROPERTY | PROPERTY.ARRAY | PROPERTY.REFERENCE)*)> */
export function writeInstance(w: XmlWriter, inst: CimInstance): void {
  w.raw(INSTANCE_OPEN.get(inst.className, ''));
  writeQualifiers(w, inst.qualifiers);
  const props = inst.properties;
  for (let i = 0, n = props.size; i < n; i++) writeProperty(w, props.at(i));
  w.raw('</INSTANCE>');
}

/** <!ELEMENT CLASS (QUALIFIER*, (PROPERTY | PROPERTY.ARRAY | PROPERTY.REFERENCE)*, METHOD*)> */
export function writeClass(w: XmlWriter, cls: CimClass): void {
  w.raw('<CLASS').attr('NAME', cls.name);
  if (cls.superclass) w.attr('SUPERCLASS', cls.superclass);
  w.raw('>');
  writeQualifiers(w, cls.qualifiers);
  for (const [, p] of cls.properties) writeProperty(w, p);
  for (const [, m] of cls.methods) writeMethod(w, m);
  w.raw('</CLASS>');
}

/** <!ELEMENT METHOD (QUALIFIER*, (PARAMETER | PARAMETER.REFERENCE | PARAMETER.ARRAY | PARAMETER.REFARRAY)*)> */
function writeMethod(w: XmlWriter, m: CimMethod): void {
  checkType(m.returnType, `method ${m.name}`);
  w.raw('<METHOD').attr('NAME', m.name).raw(` TYPE="${m.returnType}"`);
  if (m.classOrigin !== undefined) w.attr('CLASSORIGIN', m.classOrigin);
  if (m.propagated) w.raw(' PROPAGATED="true"');
  w.raw('>');
  writeQualifiers(w, m.qualifiers);
  for (const [, prm] of m.parameters) writeParameter(w, prm);
  w.raw('</METHOD>');
}

/** PARAMETER, PARAMETER.ARRAY, PARAMETER.REFERENCE or PARAMETER.REFARRAY (each `(QUALIFIER*)`). */
function writeParameter(w: XmlWriter, prm: CimParameter): void {
  const isRef = prm.type === 'reference';
  const el = isRef ? (prm.isArray ? 'PARAMETER.REFARRAY' : 'PARAMETER.REFERENCE') : prm.isArray ? 'PARAMETER.ARRAY' : 'PARAMETER';
  w.raw(`<${el}`).attr('NAME', prm.name);
  if (isRef) {
    if (prm.referenceClass !== undefined) w.attr('REFERENCECLASS', prm.referenceClass);
  } else {
    w.raw(` TYPE="${prm.type}"`);
  }
  if (prm.isArray && prm.arraySize !== undefined) w.raw(` ARRAYSIZE="${prm.arraySize}"`);
  w.raw('>');
  writeQualifiers(w, prm.qualifiers);
  w.raw(`</${el}>`);
}

/** The text of an embedded object: its INSTANCE or CLASS element. */
export function encodeObjectText(obj: CimInstance | CimClass): string {
  const w = new XmlWriter();
  if (obj instanceof CimInstance) writeInstance(w, obj);
  else writeClass(w, obj);
  return w.toString();
}

// ---- paths --------------------------------------------------------------------------------

/** <!ELEMENT LOCALNAMESPACEPATH (NAMESPACE+)> from `root/cimv2`. */
export function writeLocalNamespacePath(w: XmlWriter, namespace: string | undefined): void {
  const parts = (namespace ?? '').split('/').filter((s) => s !== '');
  if (parts.length === 0) fail(`namespace "${namespace ?? ''}" has no components`);
  w.raw('<LOCALNAMESPACEPATH>');
  for (const p of parts) w.raw('<NAMESPACE NAME="').raw(escapeAttr(p)).raw('"></NAMESPACE>');
  w.raw('</LOCALNAMESPACEPATH>');
}

/** <!ELEMENT NAMESPACEPATH (HOST, LOCALNAMESPACEPATH)>; a path without host is written as `localhost`. */
function writeNamespacePath(w: XmlWriter, path: CimObjectPath): void {
  w.raw('<NAMESPACEPATH><HOST>').text(path.host || 'localhost').raw('</HOST>');
  writeLocalNamespacePath(w, path.namespace);
  w.raw('</NAMESPACEPATH>');
}

/** <!ELEMENT CLASSNAME EMPTY> */
export function writeClassName(w: XmlWriter, name: string): void {
  w.raw('<CLASSNAME NAME="').raw(escapeAttr(name)).raw('"></CLASSNAME>');
}

function valueType(type: CimType): string {
  if (type === 'boolean') return 'boolean';
  if (type === 'string' || type === 'char16' || type === 'datetime') return 'string';
  return 'numeric';
}

/** `<KEYVALUE VALUETYPE TYPE>`: KEYVALUE always carries VALUETYPE and TYPE (DSP0203 requires TYPE). */
function keyValueOpen(type: string): string {
  return `<KEYVALUE VALUETYPE="${valueType(type as CimType)}" TYPE="${type}">`;
}

const KEYVALUE_OPEN = new MarkupCache((_, type) => keyValueOpen(type));
/** `<KEYBINDING NAME><KEYVALUE VALUETYPE TYPE>`, which the value and KEYBINDING_CLOSE follow. */
const KEYBINDING_OPEN = new MarkupCache((name, type) => `<KEYBINDING NAME="${escapeAttr(name)}">${keyValueOpen(type)}`);
const KEYBINDING_CLOSE = '</KEYVALUE></KEYBINDING>';
const INSTANCENAME_OPEN = new MarkupCache((className) => `<INSTANCENAME CLASSNAME="${escapeAttr(className)}">`);

function keyText(b: CimKeyBinding): string {
  if (b.type === 'reference') fail(`key ${b.name}: a reference key needs a path value`);
  return escapeText(scalarText(b.type, b.value, b.name, 'key'));
}

/** <!ELEMENT INSTANCENAME (KEYBINDING* | KEYVALUE? | VALUE.REFERENCE?)> */
export function writeInstanceName(w: XmlWriter, path: CimObjectPath): void {
  w.raw(INSTANCENAME_OPEN.get(path.className, ''));
  const keys = path.keys;
  if (keys !== null) {
    // A single key bound without a name (decoded from a bare KEYVALUE) goes back the same way.
    const lone = keys.size === 1 ? keys.get('') : undefined;
    if (lone !== undefined) {
      if (lone.value instanceof CimObjectPath) writeReference(w, lone.value);
      else w.raw(KEYVALUE_OPEN.get('', lone.type) + keyText(lone) + '</KEYVALUE>');
    } else {
      for (const [name, b] of keys) {
        if (b.value instanceof CimObjectPath) {
          w.raw(`<KEYBINDING NAME="${escapeAttr(name)}">`);
          writeReference(w, b.value);
          w.raw('</KEYBINDING>');
        } else {
          w.raw(KEYBINDING_OPEN.get(name, b.type) + keyText(b) + KEYBINDING_CLOSE);
        }
      }
    }
  }
  w.raw('</INSTANCENAME>');
}

/** <!ELEMENT VALUE.REFERENCE (CLASSPATH | LOCALCLASSPATH | CLASSNAME | INSTANCEPATH | LOCALINSTANCEPATH | INSTANCENAME)> */
export function writeReference(w: XmlWriter, path: CimObjectPath): void {
  w.raw('<VALUE.REFERENCE>');
  writeReferenceTarget(w, path);
  w.raw('</VALUE.REFERENCE>');
}

/** INSTANCEPATH (NAMESPACEPATH, INSTANCENAME) or CLASSPATH (NAMESPACEPATH, CLASSNAME). */
export function writeFullPath(w: XmlWriter, path: CimObjectPath): void {
  if (path.keys === null) {
    w.raw('<CLASSPATH>');
    writeNamespacePath(w, path);
    writeClassName(w, path.className);
    w.raw('</CLASSPATH>');
  } else {
    w.raw('<INSTANCEPATH>');
    writeNamespacePath(w, path);
    writeInstanceName(w, path);
    w.raw('</INSTANCEPATH>');
  }
}

/** LOCALINSTANCEPATH or LOCALCLASSPATH. */
export function writeLocalPath(w: XmlWriter, path: CimObjectPath): void {
  if (path.keys === null) {
    w.raw('<LOCALCLASSPATH>');
    writeLocalNamespacePath(w, path.namespace);
    writeClassName(w, path.className);
    w.raw('</LOCALCLASSPATH>');
  } else {
    w.raw('<LOCALINSTANCEPATH>');
    writeLocalNamespacePath(w, path.namespace);
    writeInstanceName(w, path);
    w.raw('</LOCALINSTANCEPATH>');
  }
}

/**
 * The content of VALUE.REFERENCE: the fullest form the path supports — with host and namespace
 * INSTANCEPATH/CLASSPATH, with namespace only the LOCAL forms, else INSTANCENAME/CLASSNAME.
 */
export function writeReferenceTarget(w: XmlWriter, path: CimObjectPath): void {
  if (path.namespace && path.host) writeFullPath(w, path);
  else if (path.namespace) writeLocalPath(w, path);
  else if (path.keys === null) writeClassName(w, path.className);
  else writeInstanceName(w, path);
}

/** <!ELEMENT ERROR (INSTANCE*)> <!ATTLIST ERROR CODE CDATA #REQUIRED DESCRIPTION CDATA #IMPLIED> */
export function writeError(w: XmlWriter, e: CimError): void {
  w.raw(`<ERROR CODE="${Number(e.status)}"`);
  if (e.description !== undefined) w.attr('DESCRIPTION', e.description);
  w.raw('>');
  for (const inst of e.instances) writeInstance(w, inst);
  w.raw('</ERROR>');
}

