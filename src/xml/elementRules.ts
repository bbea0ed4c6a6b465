// One decoding rule per DSP0203 2.4.0 element: the DTD rule it implements in the comment, the
// attributes it allows, and a build() that validates its children in DTD order and returns the
// model object (src/cim) or message part (messages.ts) the element stands for.
import { CimClass } from '../cim/CimClass.js';
import { CimError, type CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimMethod } from '../cim/CimMethod.js';
import { CimObjectPath, type CimKeyBinding } from '../cim/CimObjectPath.js';
import { CimParameter } from '../cim/CimParameter.js';
import { CimProperty } from '../cim/CimProperty.js';
import { CimQualifier, type CimFlavor } from '../cim/CimQualifier.js';
import { CimQualifierDeclaration, type QualifierScope } from '../cim/CimQualifierDeclaration.js';
import { CIM_TYPES, type CimType } from '../cim/CimType.js';
import type { CimScalar, CimValue, EmbeddedKind } from '../cim/CimValue.js';
import { NameMap } from '../cim/NameMap.js';
import { parseCimBoolean, parseCimScalar } from '../cim/valueText.js';
import { CimXmlError } from './CimXmlError.js';
import { attr, CimXmlParser, type ElementRule, type Frame } from './CimXmlParser.js';
import type {
  Correlator, ExpMethodCall, ExpMethodResponse, IMethodCall, IMethodResponse, MethodCall, MethodResponse,
  ParamValue, ReturnItem, ReturnValue, WireValue,
} from './messages.js';

/** What the rules need from the caller: the streaming callback, if any. */
export interface DecodeContext {
  onReturnItem?: ((item: ReturnItem) => void) | undefined;
}

const TYPES: ReadonlySet<string> = new Set(CIM_TYPES);

function rule(
  attrs: string[],
  build: (f: Frame, p: CimXmlParser) => unknown,
  extra: { text?: boolean; child?: ElementRule['child'] } = {},
): ElementRule {
  const r: ElementRule = { attrs: new Set(attrs), text: extra.text === true, build };
  if (extra.child) r.child = extra.child;
  return r;
}

// ---- attribute helpers --------------------------------------------------------------------------

function req(f: Frame, p: CimXmlParser, name: string): string {
  const v = attr(f, name);
  if (v === undefined) p.fail(`${f.name} needs attribute ${name}`);
  return v;
}

/** A CIM name attribute: required and not empty. */
function cimName(f: Frame, p: CimXmlParser, attr = 'NAME'): string {
  const v = req(f, p, attr);
  if (v.length === 0) p.fail(`${f.name}@${attr} is empty`);
  return v;
}

function optBool(f: Frame, p: CimXmlParser, name: string, dflt: boolean): boolean {
  const v = attr(f, name);
  if (v === undefined) return dflt;
  if (v === 'true' || v === 'TRUE' || v === 'True') return true;
  if (v === 'false' || v === 'FALSE' || v === 'False') return false;
  return p.fail(`${f.name}@${name} must be true or false, not "${v}"`);
}

function typeAttr(f: Frame, p: CimXmlParser, name: string, required: boolean, allowReference: boolean): CimType | undefined {
  const v = attr(f, name);
  if (v === undefined) {
    if (required) p.fail(`${f.name} needs attribute ${name}`);
    return undefined;
  }
  if (!TYPES.has(v) || (v === 'reference' && !allowReference)) p.fail(`${f.name}@${name} "${v}" is not a CIM type${allowReference ? '' : ' allowed here'}`);
  return v as CimType;
}

/**
 * PARAMTYPE of PARAMVALUE / RETURNVALUE: a CIM type, `reference`, or DSP0203 2.4's `object` /
 * `instance`, which mean a string carrying an embedded object.
 */
function paramType(f: Frame, p: CimXmlParser): { type?: CimType; embedded?: EmbeddedKind } {
  const v = attr(f, 'PARAMTYPE');
  if (v === 'object' || v === 'instance') return { type: 'string', embedded: v };
  const type = typeAttr(f, p, 'PARAMTYPE', false, true);
  return type === undefined ? {} : { type };
}

/** EmbeddedObject (DSP0201 2.2+) or the older EMBEDDEDOBJECT spelling. */
function embeddedAttr(f: Frame, p: CimXmlParser): EmbeddedKind | undefined {
  const v = attr(f, 'EmbeddedObject') ?? attr(f, 'EMBEDDEDOBJECT');
  if (v === undefined) return undefined;
  if (v === 'object' || v === 'instance') return v;
  return p.fail(`${f.name}@EmbeddedObject must be object or instance, not "${v}"`);
}

function arraySize(f: Frame, p: CimXmlParser): number | undefined {
  const v = attr(f, 'ARRAYSIZE');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || v.trim() === '') p.fail(`${f.name}@ARRAYSIZE "${v}" is not a non-negative integer`);
  return n;
}

function flavor(f: Frame, p: CimXmlParser): CimFlavor {
  return {
    overridable: optBool(f, p, 'OVERRIDABLE', true),
    toSubclass: optBool(f, p, 'TOSUBCLASS', true),
    toInstance: optBool(f, p, 'TOINSTANCE', false),
    translatable: optBool(f, p, 'TRANSLATABLE', false),
  };
}

/** #PCDATA-only elements: refuse element children. */
function textOnly(f: Frame, p: CimXmlParser): string {
  if (f.kidCount > 0) p.fail(`${f.kidNames[0]} is not allowed inside ${f.name}`);
  return f.text;
}

function empty(f: Frame, p: CimXmlParser): void {
  if (f.kidCount > 0) p.fail(`${f.name} must be empty, not contain ${f.kidNames[0]}`);
}

// ---- values ---------------------------------------------------------------------------------

/** Decodes the text of an embedded object (one INSTANCE or CLASS) inside the current document. */
export function decodeEmbeddedText(p: CimXmlParser, text: string): CimInstance | CimClass {
  const inner = new CimXmlParser({
    rules: RULES, root: EMBEDDED_ROOT, limits: p.limits, depthOffset: p.depth, pathPrefix: `${p.path()}(embedded)`,
  });
  try {
    inner.write(text.trim());
    return inner.end() as CimInstance | CimClass;
  } catch (e) {
    // The message itself is well-formed; broken embedded text makes it invalid, not malformed.
    if (e instanceof CimXmlError && e.code === 'XML_NOT_WELL_FORMED') throw new CimXmlError('XML_INVALID', e.reason, e.path);
    throw e;
  }
}

function scalar(p: CimXmlParser, type: CimType, text: string, embedded: EmbeddedKind | undefined): CimScalar {
  if (embedded !== undefined && type === 'string') return text.trim() === '' ? text : decodeEmbeddedText(p, text);
  // The spellings servers send, without the lower-cased copy parseCimBoolean makes to compare.
  if (type === 'boolean') {
    if (text === 'TRUE' || text === 'true') return true;
    if (text === 'FALSE' || text === 'false') return false;
  }
  return parseCimScalar(type, text);
}

function typedValue(p: CimXmlParser, type: CimType, kind: string | undefined, raw: unknown, embedded: EmbeddedKind | undefined): CimValue {
  if (kind === undefined) return null;
  if (kind === 'VALUE') return scalar(p, type, raw as string, embedded);
  const items = raw as (string | null)[];
  // A string array is its items as they are (a new array from takeValues): no second array.
  if (type === 'string' && embedded === undefined) return items;
  const out: (CimScalar | null)[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const t = items[i];
    out[i] = t === null || t === undefined ? null : scalar(p, type, t, embedded);
  }
  return out;
}

function embeddedFromQualifiers(q: NameMap<CimQualifier>): { kind?: EmbeddedKind; cls?: string } {
  const ei = q.get('EmbeddedInstance');
  if (ei && typeof ei.value === 'string') return { kind: 'instance', cls: ei.value };
  if (q.get('EmbeddedObject')?.value === true) return { kind: 'object' };
  return {};
}

/** Wraps a child's built value as the WireValue / ReturnItem its element name stands for. */
function wrap(name: string, v: unknown): WireValue | ReturnItem {
  switch (name) {
    case 'VALUE': return { kind: 'VALUE', text: v as string };
    case 'VALUE.ARRAY': return { kind: 'VALUE.ARRAY', items: v as (string | null)[] };
    case 'VALUE.REFERENCE': return { kind: 'VALUE.REFERENCE', path: v as CimObjectPath };
    case 'VALUE.REFARRAY': return { kind: 'VALUE.REFARRAY', paths: v as (CimObjectPath | null)[] };
    case 'CLASSNAME': return { kind: 'CLASSNAME', name: v as string };
    case 'INSTANCENAME': return { kind: 'INSTANCENAME', path: v as CimObjectPath };
    case 'CLASS': return { kind: 'CLASS', cls: v as CimClass };
    case 'INSTANCE': return { kind: 'INSTANCE', instance: v as CimInstance };
    case 'VALUE.NAMEDINSTANCE': return { kind: 'VALUE.NAMEDINSTANCE', instance: v as CimInstance };
    case 'QUALIFIER.DECLARATION': return { kind: 'QUALIFIER.DECLARATION', declaration: v as CimQualifierDeclaration };
    case 'INSTANCEPATH': case 'OBJECTPATH': return { kind: name, path: v as CimObjectPath };
    case 'VALUE.INSTANCEWITHPATH': return { kind: 'VALUE.INSTANCEWITHPATH', instance: v as CimInstance };
    case 'VALUE.OBJECT': case 'VALUE.OBJECTWITHPATH': case 'VALUE.OBJECTWITHLOCALPATH':
      return { kind: name, object: v as CimInstance | CimClass };
    default: throw new Error(`no wire form for ${name}`);
  }
}

/** Embedded-object decoding for a VALUE / VALUE.ARRAY parameter marked EmbeddedObject. */
function embedParam(p: CimXmlParser, w: WireValue | null, kind: EmbeddedKind | undefined): WireValue | null {
  if (kind === undefined || w === null) return w;
  if (w.kind === 'VALUE') {
    if (w.text.trim() !== '') w.embedded = decodeEmbeddedText(p, w.text);
  } else if (w.kind === 'VALUE.ARRAY') {
    w.embedded = w.items.map((t) => (t === null || t.trim() === '' ? null : decodeEmbeddedText(p, t)));
  }
  return w;
}

// ---- sets of child names ------------------------------------------------------------------------

const S = (...n: string[]): ReadonlySet<string> => new Set(n);
const MESSAGE_KINDS = S('SIMPLEREQ', 'MULTIREQ', 'SIMPLERSP', 'MULTIRSP', 'SIMPLEEXPREQ', 'MULTIEXPREQ', 'SIMPLEEXPRSP', 'MULTIEXPRSP');
const CALLS = S('METHODCALL', 'IMETHODCALL');
const RESPONSES = S('METHODRESPONSE', 'IMETHODRESPONSE');
const LOCAL_PATHS = S('LOCALCLASSPATH', 'LOCALINSTANCEPATH');
const PARAMVALUE_CONTENT = S('VALUE', 'VALUE.REFERENCE', 'VALUE.ARRAY', 'VALUE.REFARRAY', 'CLASSNAME', 'INSTANCENAME', 'CLASS', 'INSTANCE', 'VALUE.NAMEDINSTANCE');
const IPARAMVALUE_CONTENT = S('VALUE', 'VALUE.ARRAY', 'VALUE.REFERENCE', 'CLASSNAME', 'INSTANCENAME', 'QUALIFIER.DECLARATION', 'CLASS', 'INSTANCE', 'VALUE.NAMEDINSTANCE');
const IRETURNVALUE_CONTENT = S(
  'CLASSNAME', 'INSTANCENAME', 'VALUE', 'VALUE.OBJECTWITHPATH', 'VALUE.OBJECTWITHLOCALPATH', 'VALUE.OBJECT', 'OBJECTPATH',
  'QUALIFIER.DECLARATION', 'VALUE.ARRAY', 'VALUE.REFERENCE', 'CLASS', 'INSTANCE', 'INSTANCEPATH', 'VALUE.NAMEDINSTANCE', 'VALUE.INSTANCEWITHPATH',
);
const VALUE_OR_REF = S('VALUE', 'VALUE.REFERENCE');
const VALUE_OR_ARRAY = S('VALUE', 'VALUE.ARRAY');
const REFERENCE_TARGETS = S('CLASSPATH', 'LOCALCLASSPATH', 'CLASSNAME', 'INSTANCEPATH', 'LOCALINSTANCEPATH', 'INSTANCENAME');
const PROPERTIES = S('PROPERTY', 'PROPERTY.ARRAY', 'PROPERTY.REFERENCE');
const PARAMETERS = S('PARAMETER', 'PARAMETER.REFERENCE', 'PARAMETER.ARRAY', 'PARAMETER.REFARRAY');
const CLASS_OR_INSTANCE = S('CLASS', 'INSTANCE');
const PATHS = S('INSTANCEPATH', 'CLASSPATH');
const KEY_CONTENT = S('KEYVALUE', 'VALUE.REFERENCE');
const FLAVOR = ['OVERRIDABLE', 'TOSUBCLASS', 'TOINSTANCE', 'TRANSLATABLE'];

interface NamespacePath { host: string; namespace: string }

// ---- the rules --------------------------------------------------------------------------------

const R = new Map<string, ElementRule>();

// <!ELEMENT CIM (MESSAGE | DECLARATION)>  <!ATTLIST CIM CIMVERSION, DTDVERSION #REQUIRED>
R.set('CIM', rule(['CIMVERSION', 'DTDVERSION'], (f, p) => {
  const cimVersion = req(f, p, 'CIMVERSION');
  const dtdVersion = req(f, p, 'DTDVERSION');
  const k = p.kids(f);
  if (k.peek() === 'DECLARATION') p.fail('DECLARATION documents are not messages; tvdc decodes MESSAGE only');
  const m = k.one('MESSAGE') as Record<string, unknown>;
  k.end();
  m.cimVersion = cimVersion;
  m.dtdVersion = dtdVersion;
  return m;
}));

// DECLARATION is valid CIM-XML but never a message: known, so the error says so.
R.set('DECLARATION', rule([], (f, p) => p.fail('DECLARATION documents are not messages; tvdc decodes MESSAGE only')));

// <!ELEMENT MESSAGE (SIMPLEREQ | MULTIREQ | SIMPLERSP | MULTIRSP | SIMPLEEXPREQ | MULTIEXPREQ | SIMPLEEXPRSP | MULTIEXPRSP)>
// <!ATTLIST MESSAGE ID CDATA #REQUIRED PROTOCOLVERSION CDATA #REQUIRED>
R.set('MESSAGE', rule(['ID', 'PROTOCOLVERSION'], (f, p) => {
  const id = req(f, p, 'ID');
  const protocolVersion = req(f, p, 'PROTOCOLVERSION');
  const k = p.kids(f);
  k.oneOf(MESSAGE_KINDS, 'one of SIMPLEREQ, MULTIREQ, SIMPLERSP, MULTIRSP, SIMPLEEXPREQ, MULTIEXPREQ, SIMPLEEXPRSP, MULTIEXPRSP');
  const body = k.last() as Record<string, unknown>;
  k.end();
  return { kind: body.kind, id, protocolVersion, ...body };
}));

// <!ELEMENT MULTIREQ (SIMPLEREQ, SIMPLEREQ+)> and likewise MULTIRSP, MULTIEXPREQ, MULTIEXPRSP.
for (const [multi, simple] of [['MULTIREQ', 'SIMPLEREQ'], ['MULTIRSP', 'SIMPLERSP'], ['MULTIEXPREQ', 'SIMPLEEXPREQ'], ['MULTIEXPRSP', 'SIMPLEEXPRSP']] as const) {
  R.set(multi, rule([], (f, p) => {
    const k = p.kids(f);
    const parts = k.many(simple).length;
    k.end();
    if (parts < 2) p.fail(`${multi} needs at least two ${simple}`);
    return { kind: multi, parts };
  }));
}

// <!ELEMENT SIMPLEREQ (CORRELATOR*, (METHODCALL | IMETHODCALL))>
R.set('SIMPLEREQ', rule([], (f, p) => {
  const k = p.kids(f);
  const correlators = k.many<Correlator>('CORRELATOR');
  k.oneOf(CALLS, 'METHODCALL or IMETHODCALL');
  const call = k.last() as IMethodCall | MethodCall;
  k.end();
  return correlators.length ? { kind: 'SIMPLEREQ', call, correlators } : { kind: 'SIMPLEREQ', call };
}));

// <!ELEMENT SIMPLERSP (METHODRESPONSE | IMETHODRESPONSE)>
R.set('SIMPLERSP', rule([], (f, p) => {
  const k = p.kids(f);
  k.oneOf(RESPONSES, 'METHODRESPONSE or IMETHODRESPONSE');
  const response = k.last() as IMethodResponse | MethodResponse;
  k.end();
  return { kind: 'SIMPLERSP', response };
}));

// <!ELEMENT SIMPLEEXPREQ (CORRELATOR*, EXPMETHODCALL)>
R.set('SIMPLEEXPREQ', rule([], (f, p) => {
  const k = p.kids(f);
  const correlators = k.many<Correlator>('CORRELATOR');
  const call = k.one('EXPMETHODCALL') as ExpMethodCall;
  k.end();
  return correlators.length ? { kind: 'SIMPLEEXPREQ', call, correlators } : { kind: 'SIMPLEEXPREQ', call };
}));

// <!ELEMENT SIMPLEEXPRSP (EXPMETHODRESPONSE)>
R.set('SIMPLEEXPRSP', rule([], (f, p) => {
  const k = p.kids(f);
  const response = k.one('EXPMETHODRESPONSE') as ExpMethodResponse;
  k.end();
  return { kind: 'SIMPLEEXPRSP', response };
}));

// <!ELEMENT CORRELATOR (VALUE)>  <!ATTLIST CORRELATOR %CIMName; %CIMType; #REQUIRED>
R.set('CORRELATOR', rule(['NAME', 'TYPE'], (f, p): Correlator => {
  const name = cimName(f, p);
  const type = typeAttr(f, p, 'TYPE', true, false)!;
  const k = p.kids(f);
  const text = k.one('VALUE') as string;
  k.end();
  return { name, type, text };
}));

// <!ELEMENT METHODCALL ((LOCALCLASSPATH | LOCALINSTANCEPATH), PARAMVALUE*)>  <!ATTLIST METHODCALL %CIMName;>
R.set('METHODCALL', rule(['NAME'], (f, p): MethodCall => {
  const name = cimName(f, p);
  const k = p.kids(f);
  k.oneOf(LOCAL_PATHS, 'LOCALCLASSPATH or LOCALINSTANCEPATH');
  const target = k.last() as CimObjectPath;
  const params = k.many<ParamValue>('PARAMVALUE');
  k.end();
  return { kind: 'METHODCALL', name, target, params };
}));

// <!ELEMENT IMETHODCALL (LOCALNAMESPACEPATH, IPARAMVALUE*)>  <!ATTLIST IMETHODCALL %CIMName;>
R.set('IMETHODCALL', rule(['NAME'], (f, p): IMethodCall => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const namespace = k.one('LOCALNAMESPACEPATH') as string;
  const params = k.many<ParamValue>('IPARAMVALUE');
  k.end();
  return { kind: 'IMETHODCALL', name, namespace, params };
}));

// <!ELEMENT EXPMETHODCALL (EXPPARAMVALUE*)>  <!ATTLIST EXPMETHODCALL %CIMName;>
R.set('EXPMETHODCALL', rule(['NAME'], (f, p): ExpMethodCall => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const params = k.many<ParamValue>('EXPPARAMVALUE');
  k.end();
  return { kind: 'EXPMETHODCALL', name, params };
}));

// <!ELEMENT PARAMVALUE (VALUE | VALUE.REFERENCE | VALUE.ARRAY | VALUE.REFARRAY | CLASSNAME | INSTANCENAME | CLASS
//                       | INSTANCE | VALUE.NAMEDINSTANCE)?>
// <!ATTLIST PARAMVALUE %CIMName; %ParamType; #IMPLIED %EmbeddedObject;>
R.set('PARAMVALUE', rule(['NAME', 'PARAMTYPE', 'EmbeddedObject', 'EMBEDDEDOBJECT'], (f, p): ParamValue => {
  const name = cimName(f, p);
  const pt = paramType(f, p);
  const type = pt.type;
  const embeddedObject = embeddedAttr(f, p) ?? pt.embedded;
  const k = p.kids(f);
  const n = k.optOf(PARAMVALUE_CONTENT);
  const value = n === undefined ? null : embedParam(p, wrap(n, k.last()) as WireValue, embeddedObject);
  k.end();
  const pv: ParamValue = { name, value };
  if (type !== undefined) pv.type = type;
  if (embeddedObject !== undefined) pv.embeddedObject = embeddedObject;
  return pv;
}));

// <!ELEMENT IPARAMVALUE (VALUE | VALUE.ARRAY | VALUE.REFERENCE | CLASSNAME | INSTANCENAME | QUALIFIER.DECLARATION
//                        | CLASS | INSTANCE | VALUE.NAMEDINSTANCE)?>  <!ATTLIST IPARAMVALUE %CIMName;>
R.set('IPARAMVALUE', rule(['NAME'], (f, p): ParamValue => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const n = k.optOf(IPARAMVALUE_CONTENT);
  const value = n === undefined ? null : wrap(n, k.last()) as WireValue;
  k.end();
  return { name, value };
}));

// <!ELEMENT EXPPARAMVALUE (INSTANCE?)>  <!ATTLIST EXPPARAMVALUE %CIMName;>
R.set('EXPPARAMVALUE', rule(['NAME'], (f, p): ParamValue => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const inst = k.opt('INSTANCE') as CimInstance | undefined;
  k.end();
  return { name, value: inst ? { kind: 'INSTANCE', instance: inst } : null };
}));

// <!ELEMENT IMETHODRESPONSE (ERROR | (IRETURNVALUE?, PARAMVALUE*))>  <!ATTLIST IMETHODRESPONSE %CIMName;>
R.set('IMETHODRESPONSE', rule(['NAME'], (f, p): IMethodResponse => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const error = k.opt('ERROR') as CimError | undefined;
  if (error) {
    k.end();
    return { kind: 'IMETHODRESPONSE', name, error, returnValue: null, params: [] };
  }
  const rv = k.opt('IRETURNVALUE') as ReturnItem[] | undefined;
  const params = k.many<ParamValue>('PARAMVALUE');
  k.end();
  return { kind: 'IMETHODRESPONSE', name, returnValue: rv ?? null, params };
}));

// <!ELEMENT METHODRESPONSE (ERROR | (RETURNVALUE?, PARAMVALUE*))>  <!ATTLIST METHODRESPONSE %CIMName;>
R.set('METHODRESPONSE', rule(['NAME'], (f, p): MethodResponse => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const error = k.opt('ERROR') as CimError | undefined;
  if (error) {
    k.end();
    return { kind: 'METHODRESPONSE', name, error, returnValue: null, params: [] };
  }
  const rv = k.opt('RETURNVALUE') as ReturnValue | undefined;
  const params = k.many<ParamValue>('PARAMVALUE');
  k.end();
  return { kind: 'METHODRESPONSE', name, returnValue: rv ?? null, params };
}));

// <!ELEMENT EXPMETHODRESPONSE (ERROR | IRETURNVALUE?)>  <!ATTLIST EXPMETHODRESPONSE %CIMName;>
R.set('EXPMETHODRESPONSE', rule(['NAME'], (f, p): ExpMethodResponse => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const error = k.opt('ERROR') as CimError | undefined;
  if (error) {
    k.end();
    return { kind: 'EXPMETHODRESPONSE', name, error, returnValue: null };
  }
  const rv = k.opt('IRETURNVALUE') as ReturnItem[] | undefined;
  k.end();
  return { kind: 'EXPMETHODRESPONSE', name, returnValue: rv ?? null };
}));

// <!ELEMENT ERROR (INSTANCE*)>  <!ATTLIST ERROR CODE CDATA #REQUIRED DESCRIPTION CDATA #IMPLIED>
R.set('ERROR', rule(['CODE', 'DESCRIPTION'], (f, p) => {
  const codeText = req(f, p, 'CODE').trim();
  const code = Number(codeText);
  if (!/^[0-9]{1,9}$/.test(codeText) || code < 1) p.fail(`ERROR@CODE "${codeText}" is not a positive integer`);
  const k = p.kids(f);
  const instances = k.many<CimInstance>('INSTANCE');
  k.end();
  return new CimError(code as CimStatus, attr(f, 'DESCRIPTION'), instances);
}));

// <!ELEMENT RETURNVALUE (VALUE | VALUE.REFERENCE)?>  <!ATTLIST RETURNVALUE %EmbeddedObject; %ParamType; #IMPLIED>
R.set('RETURNVALUE', rule(['PARAMTYPE', 'EmbeddedObject', 'EMBEDDEDOBJECT'], (f, p): ReturnValue => {
  const pt = paramType(f, p);
  const type = pt.type;
  const embeddedObject = embeddedAttr(f, p) ?? pt.embedded;
  const k = p.kids(f);
  const n = k.optOf(VALUE_OR_REF);
  const value = n === undefined ? null : embedParam(p, wrap(n, k.last()) as WireValue, embeddedObject) as ReturnValue['value'];
  k.end();
  const rv: ReturnValue = { value };
  if (type !== undefined) rv.type = type;
  if (embeddedObject !== undefined) rv.embeddedObject = embeddedObject;
  return rv;
}));

// <!ELEMENT IRETURNVALUE (CLASSNAME* | INSTANCENAME* | VALUE* | VALUE.OBJECTWITHPATH* | VALUE.OBJECTWITHLOCALPATH*
//   | VALUE.OBJECT* | OBJECTPATH* | QUALIFIER.DECLARATION* | VALUE.ARRAY? | VALUE.REFERENCE? | CLASS* | INSTANCE*
//   | INSTANCEPATH* | VALUE.NAMEDINSTANCE* | VALUE.INSTANCEWITHPATH*)>
// Children arrive one by one through child(): each is checked against the one kind the response
// holds, then streamed to the caller's callback or kept.
// Kept items go to the frame's value array by their count (`passed`), as no names are stored.
R.set('IRETURNVALUE', rule([], (f, p) => ((p.context as DecodeContext | undefined)?.onReturnItem ? [] : f.kidValues.slice(0, f.passed)), {
  child(f, name, value, p) {
    if (!IRETURNVALUE_CONTENT.has(name)) p.fail(`${name} is not allowed in IRETURNVALUE`);
    if (f.note === '') f.note = name;
    else if (f.note !== name) p.fail(`IRETURNVALUE holds ${f.note} and cannot also hold ${name}`);
    else if (name === 'VALUE.ARRAY' || name === 'VALUE.REFERENCE') p.fail(`IRETURNVALUE holds at most one ${name}`);
    const item = wrap(name, value) as ReturnItem;
    const cb = (p.context as DecodeContext | undefined)?.onReturnItem;
    if (cb) {
      p.releaseElements(f);
      cb(item);
    } else {
      f.kidValues[f.passed] = item;
    }
  },
}));

// <!ELEMENT VALUE (#PCDATA)>
R.set('VALUE', rule([], textOnly, { text: true }));

// <!ELEMENT VALUE.ARRAY (VALUE | VALUE.NULL)*>
R.set('VALUE.ARRAY', rule([], (f, p) => {
  const names = f.kidNames;
  for (let i = 0; i < f.kidCount; i++) {
    const n = names[i];
    if (n !== 'VALUE' && n !== 'VALUE.NULL') p.fail(`${n} is not allowed in VALUE.ARRAY`);
  }
  return p.takeValues(f) as (string | null)[];
}));

// <!ELEMENT VALUE.NULL EMPTY>
R.set('VALUE.NULL', rule([], (f, p) => {
  empty(f, p);
  return null;
}));

// <!ELEMENT VALUE.REFERENCE (CLASSPATH | LOCALCLASSPATH | CLASSNAME | INSTANCEPATH | LOCALINSTANCEPATH | INSTANCENAME)>
R.set('VALUE.REFERENCE', rule([], (f, p) => {
  const k = p.kids(f);
  const n = k.oneOf(REFERENCE_TARGETS, 'one of CLASSPATH, LOCALCLASSPATH, CLASSNAME, INSTANCEPATH, LOCALINSTANCEPATH, INSTANCENAME');
  const v = k.last();
  k.end();
  return n === 'CLASSNAME' ? new CimObjectPath(v as string) : v;
}));

// <!ELEMENT VALUE.REFARRAY (VALUE.REFERENCE | VALUE.NULL)*>
R.set('VALUE.REFARRAY', rule([], (f, p) => {
  for (let i = 0; i < f.kidCount; i++) {
    const n = f.kidNames[i];
    if (n !== 'VALUE.REFERENCE' && n !== 'VALUE.NULL') p.fail(`${n} is not allowed in VALUE.REFARRAY`);
  }
  return p.takeValues(f) as (CimObjectPath | null)[];
}));

// <!ELEMENT VALUE.OBJECT (CLASS | INSTANCE)>
R.set('VALUE.OBJECT', rule([], (f, p) => {
  const k = p.kids(f);
  k.oneOf(CLASS_OR_INSTANCE, 'CLASS or INSTANCE');
  const v = k.last();
  k.end();
  return v;
}));

// <!ELEMENT VALUE.NAMEDINSTANCE (INSTANCENAME, INSTANCE)>
R.set('VALUE.NAMEDINSTANCE', rule([], (f, p) => {
  const k = p.kids(f);
  const path = k.one('INSTANCENAME') as CimObjectPath;
  const inst = k.one('INSTANCE') as CimInstance;
  k.end();
  inst.path = path;
  return inst;
}));

// <!ELEMENT VALUE.INSTANCEWITHPATH (INSTANCEPATH, INSTANCE)>
R.set('VALUE.INSTANCEWITHPATH', rule([], (f, p) => {
  const k = p.kids(f);
  const path = k.one('INSTANCEPATH') as CimObjectPath;
  const inst = k.one('INSTANCE') as CimInstance;
  k.end();
  inst.path = path;
  return inst;
}));

// <!ELEMENT VALUE.OBJECTWITHPATH ((CLASSPATH, CLASS) | (INSTANCEPATH, INSTANCE))>
// <!ELEMENT VALUE.OBJECTWITHLOCALPATH ((LOCALCLASSPATH, CLASS) | (LOCALINSTANCEPATH, INSTANCE))>
for (const [el, cp, ip] of [['VALUE.OBJECTWITHPATH', 'CLASSPATH', 'INSTANCEPATH'], ['VALUE.OBJECTWITHLOCALPATH', 'LOCALCLASSPATH', 'LOCALINSTANCEPATH']] as const) {
  R.set(el, rule([], (f, p) => {
    const k = p.kids(f);
    let obj: CimClass | CimInstance;
    if (k.has(cp)) {
      const path = k.one(cp) as CimObjectPath;
      obj = k.one('CLASS') as CimClass;
      obj.path = path;
    } else {
      const path = k.one(ip) as CimObjectPath;
      obj = k.one('INSTANCE') as CimInstance;
      obj.path = path;
    }
    k.end();
    return obj;
  }));
}

// <!ELEMENT OBJECTPATH (INSTANCEPATH | CLASSPATH)>
R.set('OBJECTPATH', rule([], (f, p) => {
  const k = p.kids(f);
  k.oneOf(PATHS, 'INSTANCEPATH or CLASSPATH');
  const v = k.last();
  k.end();
  return v;
}));

// <!ELEMENT NAMESPACEPATH (HOST, LOCALNAMESPACEPATH)>
R.set('NAMESPACEPATH', rule([], (f, p): NamespacePath => {
  const k = p.kids(f);
  const host = k.one('HOST') as string;
  const namespace = k.one('LOCALNAMESPACEPATH') as string;
  k.end();
  return { host, namespace };
}));

// <!ELEMENT LOCALNAMESPACEPATH (NAMESPACE+)>
R.set('LOCALNAMESPACEPATH', rule([], (f, p) => {
  const k = p.kids(f);
  const parts = k.many<string>('NAMESPACE');
  k.end();
  if (parts.length === 0) p.fail('LOCALNAMESPACEPATH needs at least one NAMESPACE');
  return parts.join('/');
}));

// <!ELEMENT HOST (#PCDATA)>
R.set('HOST', rule([], (f, p) => {
  const h = textOnly(f, p).trim();
  if (h === '') p.fail('HOST is empty');
  return h;
}, { text: true }));

// <!ELEMENT NAMESPACE EMPTY>  <!ATTLIST NAMESPACE %CIMName;>
R.set('NAMESPACE', rule(['NAME'], (f, p) => {
  empty(f, p);
  return cimName(f, p);
}));

// <!ELEMENT CLASSPATH (NAMESPACEPATH, CLASSNAME)>
R.set('CLASSPATH', rule([], (f, p) => {
  const k = p.kids(f);
  const ns = k.one('NAMESPACEPATH') as NamespacePath;
  const cls = k.one('CLASSNAME') as string;
  k.end();
  return new CimObjectPath(cls, null, ns.namespace, ns.host);
}));

// <!ELEMENT LOCALCLASSPATH (LOCALNAMESPACEPATH, CLASSNAME)>
R.set('LOCALCLASSPATH', rule([], (f, p) => {
  const k = p.kids(f);
  const ns = k.one('LOCALNAMESPACEPATH') as string;
  const cls = k.one('CLASSNAME') as string;
  k.end();
  return new CimObjectPath(cls, null, ns);
}));

// <!ELEMENT CLASSNAME EMPTY>  <!ATTLIST CLASSNAME %CIMName;>
R.set('CLASSNAME', rule(['NAME'], (f, p) => {
  empty(f, p);
  return cimName(f, p);
}));

// <!ELEMENT INSTANCEPATH (NAMESPACEPATH, INSTANCENAME)>
R.set('INSTANCEPATH', rule([], (f, p) => {
  const k = p.kids(f);
  const ns = k.one('NAMESPACEPATH') as NamespacePath;
  const path = k.one('INSTANCENAME') as CimObjectPath;
  k.end();
  path.namespace = ns.namespace;
  path.host = ns.host;
  return path;
}));

// <!ELEMENT LOCALINSTANCEPATH (LOCALNAMESPACEPATH, INSTANCENAME)>
R.set('LOCALINSTANCEPATH', rule([], (f, p) => {
  const k = p.kids(f);
  const ns = k.one('LOCALNAMESPACEPATH') as string;
  const path = k.one('INSTANCENAME') as CimObjectPath;
  k.end();
  path.namespace = ns;
  return path;
}));

// <!ELEMENT INSTANCENAME (KEYBINDING* | KEYVALUE? | VALUE.REFERENCE?)>  <!ATTLIST INSTANCENAME %ClassName;>
// A lone KEYVALUE or VALUE.REFERENCE (a class with one unnamed key) becomes a binding named "".
R.set('INSTANCENAME', rule(['CLASSNAME'], (f, p) => {
  const className = cimName(f, p, 'CLASSNAME');
  const keys = new NameMap<CimKeyBinding>();
  const k = p.kids(f);
  const first = k.peek();
  if (first === 'KEYVALUE') {
    const kv = k.one('KEYVALUE') as CimKeyBinding;
    keys.set('', kv);
  } else if (first === 'VALUE.REFERENCE') {
    keys.set('', { name: '', type: 'reference', value: k.one('VALUE.REFERENCE') as CimObjectPath });
  } else {
    // Without k.many(): its array would be garbage at once, one per instance of an enumeration.
    while (k.has('KEYBINDING')) {
      const b = k.one('KEYBINDING') as CimKeyBinding;
      // One map operation: a name bound before leaves the size unchanged.
      const n = keys.size;
      keys.set(b.name, b);
      if (keys.size === n) p.fail(`key ${b.name} is bound twice`);
    }
  }
  k.end();
  return new CimObjectPath(className, keys);
}));

// <!ELEMENT KEYBINDING (KEYVALUE | VALUE.REFERENCE)>  <!ATTLIST KEYBINDING %CIMName;>
R.set('KEYBINDING', rule(['NAME'], (f, p): CimKeyBinding => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const n = k.oneOf(KEY_CONTENT, 'KEYVALUE or VALUE.REFERENCE');
  const v = k.last();
  k.end();
  if (n === 'KEYVALUE') {
    const b = v as CimKeyBinding;
    b.name = name;
    return b;
  }
  return { name, type: 'reference', value: v as CimObjectPath };
}));

// <!ELEMENT KEYVALUE (#PCDATA)>
// <!ATTLIST KEYVALUE VALUETYPE (string | boolean | numeric) "string" %CIMType; #REQUIRED>
// DSP0203 requires TYPE but wbemcli and others omit it: without TYPE the VALUETYPE decides, and
// numeric text is kept losslessly (uint64/sint64 for integers, real64 otherwise) for the
// repository to convert to the key property's declared type.
R.set('KEYVALUE', rule(['VALUETYPE', 'TYPE'], (f, p): CimKeyBinding => {
  const text = textOnly(f, p);
  const vt = attr(f, 'VALUETYPE') ?? 'string';
  if (vt !== 'string' && vt !== 'boolean' && vt !== 'numeric') p.fail(`KEYVALUE@VALUETYPE must be string, boolean or numeric, not "${vt}"`);
  const declared = typeAttr(f, p, 'TYPE', false, false);
  let type: CimType;
  if (declared !== undefined) type = declared;
  else if (vt === 'string') type = 'string';
  else if (vt === 'boolean') type = 'boolean';
  else type = inferNumeric(text);
  return { name: '', type, value: type === 'boolean' ? parseCimBoolean(text) : parseCimScalar(type, text) };
}, { text: true }));

const INTEGER_TEXT = /^\s*[+-]?(?:[0-9]+|0[xX][0-9a-fA-F]+)\s*$/;

function inferNumeric(text: string): CimType {
  if (!INTEGER_TEXT.test(text)) return 'real64';
  return text.trim().startsWith('-') ? 'sint64' : 'uint64';
}

// <!ELEMENT CLASS (QUALIFIER*, (PROPERTY | PROPERTY.ARRAY | PROPERTY.REFERENCE)*, METHOD*)>
// <!ATTLIST CLASS %CIMName; %SuperClass;>
R.set('CLASS', rule(['NAME', 'SUPERCLASS'], (f, p) => {
  const name = cimName(f, p);
  const sup = attr(f, 'SUPERCLASS');
  const k = p.kids(f);
  const qualifiers = qualifierMap(p, k.many<CimQualifier>('QUALIFIER'));
  const properties = new NameMap<CimProperty>();
  k.manyOf(PROPERTIES, (_n, v) => addProperty(p, properties, v as CimProperty));
  const methods = new NameMap<CimMethod>();
  for (const m of k.many<CimMethod>('METHOD')) {
    if (methods.has(m.name)) p.fail(`method ${m.name} is declared twice`);
    methods.set(m.name, m);
  }
  k.end();
  return new CimClass(name, sup === undefined || sup === '' ? null : sup, qualifiers, properties, methods);
}));

// <!ELEMENT INSTANCE (QUALIFIER*, (PROPERTY | PROPERTY.ARRAY | PROPERTY.REFERENCE)*)>
// <!ATTLIST INSTANCE %ClassName; xml:lang NMTOKEN #IMPLIED>
R.set('INSTANCE', rule(['CLASSNAME', 'xml:lang'], (f, p) => {
  const className = cimName(f, p, 'CLASSNAME');
  const names = f.kidNames;
  const values = f.kidValues;
  const count = f.kidCount;
  let i = 0;
  let qualifiers: NameMap<CimQualifier> | undefined;
  if (count > 0 && names[0] === 'QUALIFIER') {
    const qs: CimQualifier[] = [];
    while (i < count && names[i] === 'QUALIFIER') qs.push(values[i++] as CimQualifier);
    qualifiers = qualifierMap(p, qs);
  }
  // The hot path of every enumeration: a plain loop instead of the cursor.
  const properties = new NameMap<CimProperty>();
  for (; i < count; i++) {
    const n = names[i]!;
    if (n !== 'PROPERTY' && n !== 'PROPERTY.ARRAY' && n !== 'PROPERTY.REFERENCE') p.fail(`${n} is not allowed here in INSTANCE (child ${i + 1})`);
    addProperty(p, properties, values[i] as CimProperty);
  }
  return new CimInstance(className, properties, undefined, qualifiers);
}));

function addProperty(p: CimXmlParser, props: NameMap<CimProperty>, prop: CimProperty): void {
  // One map operation: a name seen before leaves the size unchanged.
  const n = props.size;
  props.set(prop.name, prop);
  if (props.size === n) p.fail(`property ${prop.name} appears twice`);
}

function qualifierMap(p: CimXmlParser, qs: CimQualifier[]): NameMap<CimQualifier> {
  const m = new NameMap<CimQualifier>();
  for (const q of qs) {
    if (m.has(q.name)) p.fail(`qualifier ${q.name} appears twice`);
    m.set(q.name, q);
  }
  return m;
}

// <!ELEMENT QUALIFIER ((VALUE | VALUE.ARRAY)?)>
// <!ATTLIST QUALIFIER %CIMName; %CIMType; #REQUIRED %Propagated; %QualifierFlavor; xml:lang NMTOKEN #IMPLIED>
R.set('QUALIFIER', rule(['NAME', 'TYPE', 'PROPAGATED', ...FLAVOR, 'xml:lang'], (f, p) => {
  const name = cimName(f, p);
  const type = typeAttr(f, p, 'TYPE', true, false)!;
  const propagated = optBool(f, p, 'PROPAGATED', false);
  const k = p.kids(f);
  const n = k.optOf(VALUE_OR_ARRAY);
  const value = typedValue(p, type, n, n === undefined ? undefined : k.last(), undefined);
  k.end();
  return new CimQualifier(name, type, value, n === 'VALUE.ARRAY', flavor(f, p), propagated);
}));

// <!ELEMENT PROPERTY (QUALIFIER*, VALUE?)>
// <!ATTLIST PROPERTY %CIMName; %CIMType; #REQUIRED %ClassOrigin; %Propagated; %EmbeddedObject; xml:lang>
// <!ELEMENT PROPERTY.ARRAY (QUALIFIER*, VALUE.ARRAY?)>
// <!ATTLIST PROPERTY.ARRAY %CIMName; %CIMType; #REQUIRED %ArraySize; %ClassOrigin; %Propagated; %EmbeddedObject; xml:lang>
for (const [el, valueEl] of [['PROPERTY', 'VALUE'], ['PROPERTY.ARRAY', 'VALUE.ARRAY']] as const) {
  const isArray = el === 'PROPERTY.ARRAY';
  const attrs = ['NAME', 'TYPE', 'CLASSORIGIN', 'PROPAGATED', 'EmbeddedObject', 'EMBEDDEDOBJECT', 'xml:lang'];
  if (isArray) attrs.push('ARRAYSIZE');
  R.set(el, rule(attrs, (f, p) => {
    // The hottest rule: read the attributes in one pass instead of one lookup each.
    let name: string | undefined;
    let origin: string | undefined;
    let hasEmbedded = false;
    let hasPropagated = false;
    const a = f.attrs;
    for (let k = 0, n = 2 * f.attrCount; k < n; k += 2) {
      switch (a[k]) {
        case 'NAME': name = a[k + 1]; break;
        case 'CLASSORIGIN': origin = a[k + 1]; break;
        case 'EmbeddedObject': case 'EMBEDDEDOBJECT': hasEmbedded = true; break;
        case 'PROPAGATED': hasPropagated = true; break;
        default:
      }
    }
    if (name === undefined || name === '') cimName(f, p);
    const type = typeAttr(f, p, 'TYPE', true, false)!;
    const names = f.kidNames;
    const count = f.kidCount;
    let qualifiers: NameMap<CimQualifier> | undefined;
    let i = 0;
    if (count > 0 && names[0] === 'QUALIFIER') {
      const qs: CimQualifier[] = [];
      while (i < count && names[i] === 'QUALIFIER') qs.push(f.kidValues[i++] as CimQualifier);
      qualifiers = qualifierMap(p, qs);
    }
    let embedded = hasEmbedded ? embeddedAttr(f, p) : undefined;
    let embeddedClass: string | undefined;
    if (qualifiers !== undefined) {
      const q = embeddedFromQualifiers(qualifiers);
      embedded ??= q.kind;
      embeddedClass = q.cls;
    }
    let value: CimValue = null;
    if (i < count) {
      if (names[i] !== valueEl) p.fail(`${names[i]} is not allowed here in ${el} (child ${i + 1})`);
      value = typedValue(p, type, valueEl, f.kidValues[i], embedded);
      i++;
      if (i < count) p.fail(`${names[i]} is not allowed here in ${el} (child ${i + 1})`);
    }
    const propagated = hasPropagated ? optBool(f, p, 'PROPAGATED', false) : false;
    return new CimProperty(
      name!, type, value, isArray, qualifiers, undefined, embedded, embeddedClass, origin, propagated, isArray ? arraySize(f, p) : undefined,
    );
  }));
}

// <!ELEMENT PROPERTY.REFERENCE (QUALIFIER*, VALUE.REFERENCE?)>
// <!ATTLIST PROPERTY.REFERENCE %CIMName; %ReferenceClass; %ClassOrigin; %Propagated;>
R.set('PROPERTY.REFERENCE', rule(['NAME', 'REFERENCECLASS', 'CLASSORIGIN', 'PROPAGATED'], (f, p) => {
  const name = cimName(f, p);
  const k = p.kids(f);
  const qualifiers = qualifierMap(p, k.many<CimQualifier>('QUALIFIER'));
  const value = (k.opt('VALUE.REFERENCE') as CimObjectPath | undefined) ?? null;
  k.end();
  return new CimProperty(
    name, 'reference', value, false, qualifiers, attr(f, 'REFERENCECLASS'), undefined, undefined, attr(f, 'CLASSORIGIN'), optBool(f, p, 'PROPAGATED', false),
  );
}));

// <!ELEMENT METHOD (QUALIFIER*, (PARAMETER | PARAMETER.REFERENCE | PARAMETER.ARRAY | PARAMETER.REFARRAY)*)>
// <!ATTLIST METHOD %CIMName; %CIMType; #IMPLIED %ClassOrigin; %Propagated;>
// TYPE is optional in the DTD; a method without one is read as returning uint32, the DSP0004 convention.
R.set('METHOD', rule(['NAME', 'TYPE', 'CLASSORIGIN', 'PROPAGATED'], (f, p) => {
  const name = cimName(f, p);
  const type = typeAttr(f, p, 'TYPE', false, false) ?? 'uint32';
  const k = p.kids(f);
  const qualifiers = qualifierMap(p, k.many<CimQualifier>('QUALIFIER'));
  const params = new NameMap<CimParameter>();
  k.manyOf(PARAMETERS, (_n, v) => {
    const prm = v as CimParameter;
    if (params.has(prm.name)) p.fail(`parameter ${prm.name} is declared twice`);
    params.set(prm.name, prm);
  });
  k.end();
  return new CimMethod(name, type, params, qualifiers, attr(f, 'CLASSORIGIN'), optBool(f, p, 'PROPAGATED', false));
}));

// <!ELEMENT PARAMETER (QUALIFIER*)>  <!ATTLIST PARAMETER %CIMName; %CIMType; #REQUIRED>
// <!ELEMENT PARAMETER.ARRAY (QUALIFIER*)>  <!ATTLIST PARAMETER.ARRAY %CIMName; %CIMType; #REQUIRED %ArraySize;>
// <!ELEMENT PARAMETER.REFERENCE (QUALIFIER*)>  <!ATTLIST PARAMETER.REFERENCE %CIMName; %ReferenceClass;>
// <!ELEMENT PARAMETER.REFARRAY (QUALIFIER*)>  <!ATTLIST PARAMETER.REFARRAY %CIMName; %ReferenceClass; %ArraySize;>
for (const el of ['PARAMETER', 'PARAMETER.ARRAY', 'PARAMETER.REFERENCE', 'PARAMETER.REFARRAY'] as const) {
  const isRef = el === 'PARAMETER.REFERENCE' || el === 'PARAMETER.REFARRAY';
  const isArray = el === 'PARAMETER.ARRAY' || el === 'PARAMETER.REFARRAY';
  const attrs = ['NAME', isRef ? 'REFERENCECLASS' : 'TYPE'];
  if (isArray) attrs.push('ARRAYSIZE');
  R.set(el, rule(attrs, (f, p) => {
    const name = cimName(f, p);
    const type: CimType = isRef ? 'reference' : typeAttr(f, p, 'TYPE', true, false)!;
    const k = p.kids(f);
    const qualifiers = qualifierMap(p, k.many<CimQualifier>('QUALIFIER'));
    k.end();
    const e = embeddedFromQualifiers(qualifiers);
    return new CimParameter(name, type, isArray, qualifiers, isRef ? attr(f, 'REFERENCECLASS') : undefined, isArray ? arraySize(f, p) : undefined, e.kind, e.cls);
  }));
}

// <!ELEMENT QUALIFIER.DECLARATION (SCOPE?, (VALUE | VALUE.ARRAY)?)>
// <!ATTLIST QUALIFIER.DECLARATION %CIMName; %CIMType; #REQUIRED ISARRAY (true|false) #IMPLIED %ArraySize; %QualifierFlavor;>
R.set('QUALIFIER.DECLARATION', rule(['NAME', 'TYPE', 'ISARRAY', 'ARRAYSIZE', ...FLAVOR], (f, p) => {
  const name = cimName(f, p);
  const type = typeAttr(f, p, 'TYPE', true, false)!;
  const k = p.kids(f);
  const scopes = (k.opt('SCOPE') as Set<QualifierScope> | undefined) ?? new Set<QualifierScope>();
  const n = k.optOf(VALUE_OR_ARRAY);
  const isArray = optBool(f, p, 'ISARRAY', n === 'VALUE.ARRAY');
  if (n === 'VALUE.ARRAY' && !isArray) p.fail('QUALIFIER.DECLARATION has ISARRAY="false" but a VALUE.ARRAY');
  if (n === 'VALUE' && isArray) p.fail('QUALIFIER.DECLARATION has ISARRAY="true" but a single VALUE');
  const value = typedValue(p, type, n, n === undefined ? undefined : k.last(), undefined);
  k.end();
  return new CimQualifierDeclaration(name, type, value, isArray, scopes, flavor(f, p), arraySize(f, p));
}));

// <!ELEMENT SCOPE EMPTY>
// <!ATTLIST SCOPE CLASS, ASSOCIATION, REFERENCE, PROPERTY, METHOD, PARAMETER, INDICATION (true | false) "false">
// All seven true is DSP0004's `Scope(any)`.
const SCOPE_ATTRS: [string, QualifierScope][] = [
  ['CLASS', 'class'], ['ASSOCIATION', 'association'], ['REFERENCE', 'reference'], ['PROPERTY', 'property'],
  ['METHOD', 'method'], ['PARAMETER', 'parameter'], ['INDICATION', 'indication'],
];
R.set('SCOPE', rule(SCOPE_ATTRS.map(([a]) => a), (f, p) => {
  empty(f, p);
  const s = new Set<QualifierScope>();
  for (const [a, scope] of SCOPE_ATTRS) if (optBool(f, p, a, false)) s.add(scope);
  return s.size === SCOPE_ATTRS.length ? new Set<QualifierScope>(['any']) : s;
}));

/** Every element rule, by element name. */
export const RULES: ReadonlyMap<string, ElementRule> = R;

/** The document around a message: exactly one CIM element. */
export const DOCUMENT_ROOT: ElementRule = rule([], (f, p) => {
  if (f.kidCount !== 1 || f.kidNames[0] !== 'CIM') p.fail(`the root element must be CIM, not ${f.kidCount > 0 ? f.kidNames[0] : 'missing'}`);
  return f.kidValues[0];
});

/** The text of an embedded object: exactly one INSTANCE or CLASS. */
export const EMBEDDED_ROOT: ElementRule = rule([], (f, p) => {
  const n = f.kidCount > 0 ? f.kidNames[0] : undefined;
  if (f.kidCount !== 1 || (n !== 'INSTANCE' && n !== 'CLASS')) p.fail(`an embedded object must be one INSTANCE or CLASS, not ${n ?? 'empty'}`);
  return f.kidValues[0];
});
