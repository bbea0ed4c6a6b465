// Public encoding entry points: a whole CIM-XML message as one string, its parts (parameter
// values, IRETURNVALUE items) for the streaming encoder, and single objects (embedded-object text).
import type { CimClass } from '../cim/CimClass.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimXmlError } from './CimXmlError.js';
import type {
  Correlator, CimXmlMessage, ExpMethodCall, ExpMethodResponse, IMethodCall, IMethodResponse, MessageEnvelope, MethodCall,
  MethodResponse, ParamValue, ReturnItem, ReturnValue, WireValue,
} from './messages.js';
import {
  encodeObjectText, writeClass, writeClassName, writeError, writeFullPath, writeInstance, writeInstanceName,
  writeLocalNamespacePath, writeLocalPath, writeQualifierDeclaration, writeReference,
} from './objectEncoder.js';
import { XmlWriter } from './XmlWriter.js';

function fail(reason: string): never {
  throw new CimXmlError('XML_UNENCODABLE', reason);
}

/**
 * Encodes a message as a complete CIM-XML document, starting with the XML declaration. Every
 * element has an explicit end tag (wbemcli rejects self-closing PROPERTY, VALUE, IRETURNVALUE...),
 * KEYVALUE always carries VALUETYPE and TYPE. Throws CimXmlError('XML_UNENCODABLE') for a value
 * that does not fit its declared type or text with characters XML 1.0 cannot carry. MULTIREQ and
 * the other multiple-operation messages cannot be encoded.
 */
export function encodeMessage(msg: CimXmlMessage): string {
  const w = new XmlWriter();
  writeEnvelopeOpen(w, msg);
  switch (msg.kind) {
    case 'SIMPLEREQ':
      w.raw('<SIMPLEREQ>');
      writeCorrelators(w, msg.correlators);
      if (msg.call.kind === 'IMETHODCALL') writeIMethodCall(w, msg.call);
      else writeMethodCall(w, msg.call);
      w.raw('</SIMPLEREQ>');
      break;
    case 'SIMPLERSP':
      w.raw('<SIMPLERSP>');
      if (msg.response.kind === 'IMETHODRESPONSE') writeIMethodResponse(w, msg.response);
      else writeMethodResponse(w, msg.response);
      w.raw('</SIMPLERSP>');
      break;
    case 'SIMPLEEXPREQ':
      w.raw('<SIMPLEEXPREQ>');
      writeCorrelators(w, msg.correlators);
      writeExpMethodCall(w, msg.call);
      w.raw('</SIMPLEEXPREQ>');
      break;
    case 'SIMPLEEXPRSP':
      w.raw('<SIMPLEEXPRSP>');
      writeExpMethodResponse(w, msg.response);
      w.raw('</SIMPLEEXPRSP>');
      break;
    default:
      fail(`${msg.kind} messages are recognised but never written by tvdc`);
  }
  writeEnvelopeClose(w);
  return w.toString();
}

/** `<?xml ...?>` `<CIM ...><MESSAGE ...>` */
export function writeEnvelopeOpen(w: XmlWriter, env: MessageEnvelope): void {
  w.raw('<?xml version="1.0" encoding="utf-8" ?>\n<CIM')
    .attr('CIMVERSION', env.cimVersion ?? '2.0').attr('DTDVERSION', env.dtdVersion ?? '2.0')
    .raw('><MESSAGE').attr('ID', env.id).attr('PROTOCOLVERSION', env.protocolVersion ?? '1.0').raw('>');
}

export function writeEnvelopeClose(w: XmlWriter): void {
  w.raw('</MESSAGE></CIM>\n');
}

function writeCorrelators(w: XmlWriter, cs: Correlator[] | undefined): void {
  if (!cs) return;
  for (const c of cs) w.raw('<CORRELATOR').attr('NAME', c.name).attr('TYPE', c.type).raw('><VALUE>').text(c.text).raw('</VALUE></CORRELATOR>');
}

/** <!ELEMENT IMETHODCALL (LOCALNAMESPACEPATH, IPARAMVALUE*)> */
function writeIMethodCall(w: XmlWriter, c: IMethodCall): void {
  w.raw('<IMETHODCALL').attr('NAME', c.name).raw('>');
  writeLocalNamespacePath(w, c.namespace);
  for (const p of c.params) writeParam(w, 'IPARAMVALUE', p);
  w.raw('</IMETHODCALL>');
}

/** <!ELEMENT METHODCALL ((LOCALCLASSPATH | LOCALINSTANCEPATH), PARAMVALUE*)> */
function writeMethodCall(w: XmlWriter, c: MethodCall): void {
  w.raw('<METHODCALL').attr('NAME', c.name).raw('>');
  writeLocalPath(w, c.target);
  for (const p of c.params) writeParam(w, 'PARAMVALUE', p);
  w.raw('</METHODCALL>');
}

/** <!ELEMENT EXPMETHODCALL (EXPPARAMVALUE*)> */
function writeExpMethodCall(w: XmlWriter, c: ExpMethodCall): void {
  w.raw('<EXPMETHODCALL').attr('NAME', c.name).raw('>');
  for (const p of c.params) writeParam(w, 'EXPPARAMVALUE', p);
  w.raw('</EXPMETHODCALL>');
}

/** IPARAMVALUE / PARAMVALUE / EXPPARAMVALUE with its content; PARAMTYPE and EmbeddedObject on PARAMVALUE only. */
export function writeParam(w: XmlWriter, el: 'IPARAMVALUE' | 'PARAMVALUE' | 'EXPPARAMVALUE', p: ParamValue): void {
  w.raw(`<${el}`).attr('NAME', p.name);
  if (el === 'PARAMVALUE') {
    if (p.type !== undefined) w.attr('PARAMTYPE', p.type);
    if (p.embeddedObject !== undefined) w.attr('EmbeddedObject', p.embeddedObject);
  }
  w.raw('>');
  if (p.value !== null && p.value !== undefined) {
    if (el === 'EXPPARAMVALUE' && p.value.kind !== 'INSTANCE') fail(`EXPPARAMVALUE ${p.name} can only hold an INSTANCE`);
    writeWireValue(w, p.value);
  }
  w.raw(`</${el}>`);
}

function embeddedText(o: CimInstance | CimClass | null | undefined, text: string | null): string | null {
  return o ? encodeObjectText(o) : text;
}

/** The element a WireValue stands for. */
export function writeWireValue(w: XmlWriter, v: WireValue): void {
  switch (v.kind) {
    case 'VALUE':
      w.raw('<VALUE>').text(embeddedText(v.embedded, v.text)!).raw('</VALUE>');
      return;
    case 'VALUE.ARRAY':
      w.raw('<VALUE.ARRAY>');
      for (let i = 0; i < v.items.length; i++) {
        const t = embeddedText(v.embedded?.[i], v.items[i] ?? null);
        if (t === null) w.raw('<VALUE.NULL></VALUE.NULL>');
        else w.raw('<VALUE>').text(t).raw('</VALUE>');
      }
      w.raw('</VALUE.ARRAY>');
      return;
    case 'VALUE.REFERENCE':
      writeReference(w, v.path);
      return;
    case 'VALUE.REFARRAY':
      w.raw('<VALUE.REFARRAY>');
      for (const p of v.paths) {
        if (p === null) w.raw('<VALUE.NULL></VALUE.NULL>');
        else writeReference(w, p);
      }
      w.raw('</VALUE.REFARRAY>');
      return;
    case 'CLASSNAME':
      writeClassName(w, v.name);
      return;
    case 'INSTANCENAME':
      if (v.path.keys === null) fail(`INSTANCENAME needs an instance path, not the class path ${v.path.className}`);
      writeInstanceName(w, v.path);
      return;
    case 'CLASS':
      writeClass(w, v.cls);
      return;
    case 'INSTANCE':
      writeInstance(w, v.instance);
      return;
    case 'VALUE.NAMEDINSTANCE':
      writeNamedInstance(w, v.instance);
      return;
    case 'QUALIFIER.DECLARATION':
      writeQualifierDeclaration(w, v.declaration);
      return;
    default:
      fail(`unknown value kind ${(v as { kind: string }).kind}`);
  }
}

function needPath(inst: CimInstance | CimClass, what: string) {
  if (!inst.path) fail(`${what} needs the object's path`);
  return inst.path;
}

/** <!ELEMENT VALUE.NAMEDINSTANCE (INSTANCENAME, INSTANCE)> */
export function writeNamedInstance(w: XmlWriter, inst: CimInstance): void {
  w.raw('<VALUE.NAMEDINSTANCE>');
  writeInstanceName(w, needPath(inst, 'VALUE.NAMEDINSTANCE'));
  writeInstance(w, inst);
  w.raw('</VALUE.NAMEDINSTANCE>');
}

/** One IRETURNVALUE child. */
export function writeReturnItem(w: XmlWriter, item: ReturnItem): void {
  switch (item.kind) {
    case 'INSTANCEPATH':
      if (item.path.keys === null) fail('INSTANCEPATH needs an instance path');
      writeFullPath(w, item.path);
      return;
    case 'OBJECTPATH':
      w.raw('<OBJECTPATH>');
      writeFullPath(w, item.path);
      w.raw('</OBJECTPATH>');
      return;
    case 'VALUE.INSTANCEWITHPATH': {
      const path = needPath(item.instance, 'VALUE.INSTANCEWITHPATH');
      w.raw('<VALUE.INSTANCEWITHPATH>');
      writeFullPath(w, path);
      writeInstance(w, item.instance);
      w.raw('</VALUE.INSTANCEWITHPATH>');
      return;
    }
    case 'VALUE.OBJECT':
      w.raw('<VALUE.OBJECT>');
      writeObject(w, item.object);
      w.raw('</VALUE.OBJECT>');
      return;
    case 'VALUE.OBJECTWITHPATH': case 'VALUE.OBJECTWITHLOCALPATH': {
      const path = needPath(item.object, item.kind);
      const isInstance = item.object instanceof CimInstance;
      if (isInstance !== (path.keys !== null)) fail(`${item.kind}: an ${isInstance ? 'instance needs an instance' : 'class needs a class'} path`);
      w.raw(`<${item.kind}>`);
      if (item.kind === 'VALUE.OBJECTWITHPATH') writeFullPath(w, path);
      else writeLocalPath(w, path);
      writeObject(w, item.object);
      w.raw(`</${item.kind}>`);
      return;
    }
    default:
      writeWireValue(w, item);
  }
}

function writeObject(w: XmlWriter, o: CimInstance | CimClass): void {
  if (o instanceof CimInstance) writeInstance(w, o);
  else writeClass(w, o);
}

function writeReturnItems(w: XmlWriter, items: ReturnItem[] | null): void {
  if (items === null) return;
  w.raw('<IRETURNVALUE>');
  for (const it of items) writeReturnItem(w, it);
  w.raw('</IRETURNVALUE>');
}

/** <!ELEMENT IMETHODRESPONSE (ERROR | (IRETURNVALUE?, PARAMVALUE*))> */
function writeIMethodResponse(w: XmlWriter, r: IMethodResponse): void {
  w.raw('<IMETHODRESPONSE').attr('NAME', r.name).raw('>');
  if (r.error) writeError(w, r.error);
  else {
    writeReturnItems(w, r.returnValue);
    for (const p of r.params) writeParam(w, 'PARAMVALUE', p);
  }
  w.raw('</IMETHODRESPONSE>');
}

/** <!ELEMENT METHODRESPONSE (ERROR | (RETURNVALUE?, PARAMVALUE*))> */
function writeMethodResponse(w: XmlWriter, r: MethodResponse): void {
  w.raw('<METHODRESPONSE').attr('NAME', r.name).raw('>');
  if (r.error) writeError(w, r.error);
  else {
    if (r.returnValue) writeReturnValue(w, r.returnValue);
    for (const p of r.params) writeParam(w, 'PARAMVALUE', p);
  }
  w.raw('</METHODRESPONSE>');
}

/** <!ELEMENT RETURNVALUE (VALUE | VALUE.REFERENCE)?> */
function writeReturnValue(w: XmlWriter, rv: ReturnValue): void {
  w.raw('<RETURNVALUE');
  if (rv.embeddedObject !== undefined) w.attr('EmbeddedObject', rv.embeddedObject);
  if (rv.type !== undefined) w.attr('PARAMTYPE', rv.type);
  w.raw('>');
  if (rv.value) {
    if (rv.value.kind !== 'VALUE' && rv.value.kind !== 'VALUE.REFERENCE') fail('RETURNVALUE holds VALUE or VALUE.REFERENCE only');
    writeWireValue(w, rv.value);
  }
  w.raw('</RETURNVALUE>');
}

/** <!ELEMENT EXPMETHODRESPONSE (ERROR | IRETURNVALUE?)> */
function writeExpMethodResponse(w: XmlWriter, r: ExpMethodResponse): void {
  w.raw('<EXPMETHODRESPONSE').attr('NAME', r.name).raw('>');
  if (r.error) writeError(w, r.error);
  else writeReturnItems(w, r.returnValue);
  w.raw('</EXPMETHODRESPONSE>');
}

/** The `<INSTANCE>` or `<CLASS>` element alone: the text of an embedded object. */
export function encodeEmbeddedObject(obj: CimInstance | CimClass): string {
  return encodeObjectText(obj);
}

