// The typed model of CIM-XML messages (DSP0201, DTD DSP0203 2.4.0): what the decoder yields and
// the encoder takes. Objects inside messages are the src/cim model; parameter values stay as wire
// text (plus the type the sender declared, if any) until someone who knows the method declaration
// coerces them (see wireValue.ts).
import type { CimType } from '../cim/CimType.js';
import type { EmbeddedKind } from '../cim/CimValue.js';
import type { CimClass } from '../cim/CimClass.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimQualifierDeclaration } from '../cim/CimQualifierDeclaration.js';
import type { CimError } from '../cim/CimError.js';

// ---------------------------------------------------------------------------------------------
// Values as they travel in IPARAMVALUE / PARAMVALUE / RETURNVALUE / IRETURNVALUE.
// `kind` is always the DSP0201 element name, so a reader of the model can find the DTD rule.

/**
 * `<VALUE>`: untyped text. When the carrying element says EmbeddedObject, `embedded` holds the
 * decoded INSTANCE/CLASS and `text` its original XML text.
 */
export interface WireScalar {
  kind: 'VALUE';
  text: string;
  embedded?: CimInstance | CimClass;
}

/** `<VALUE.ARRAY>`: texts, null for `<VALUE.NULL/>`; `embedded` parallels `items` for embedded objects. */
export interface WireArray {
  kind: 'VALUE.ARRAY';
  items: (string | null)[];
  embedded?: (CimInstance | CimClass | null)[];
}

/** `<VALUE.REFERENCE>` in any of its six path forms (host/namespace set when the form has them). */
export interface WireReference {
  kind: 'VALUE.REFERENCE';
  path: CimObjectPath;
}

/** `<VALUE.REFARRAY>`: references, null for `<VALUE.NULL/>`. */
export interface WireRefArray {
  kind: 'VALUE.REFARRAY';
  paths: (CimObjectPath | null)[];
}

export interface WireClassName {
  kind: 'CLASSNAME';
  name: string;
}

export interface WireInstanceName {
  kind: 'INSTANCENAME';
  path: CimObjectPath;
}

export interface WireClass {
  kind: 'CLASS';
  cls: CimClass;
}

export interface WireInstance {
  kind: 'INSTANCE';
  instance: CimInstance;
}

/** `<VALUE.NAMEDINSTANCE>`: the INSTANCENAME is `instance.path`. */
export interface WireNamedInstance {
  kind: 'VALUE.NAMEDINSTANCE';
  instance: CimInstance;
}

export interface WireQualifierDeclaration {
  kind: 'QUALIFIER.DECLARATION';
  declaration: CimQualifierDeclaration;
}

/** The content of an IPARAMVALUE or PARAMVALUE (each element admits a subset, see the DTD). */
export type WireValue =
  | WireScalar | WireArray | WireReference | WireRefArray | WireClassName | WireInstanceName
  | WireClass | WireInstance | WireNamedInstance | WireQualifierDeclaration;

/**
 * IPARAMVALUE, PARAMVALUE or EXPPARAMVALUE. `value` null means the element was empty (a NULL
 * value). wbemcli sends PARAMVALUE without PARAMTYPE; pywbem sends it: `type` is what the sender
 * declared, or undefined, and the receiver coerces against the method declaration.
 */
export interface ParamValue {
  name: string;
  /** PARAMVALUE@PARAMTYPE (`reference` for references); never set for IPARAMVALUE. */
  type?: CimType;
  /** PARAMVALUE@EmbeddedObject (or EMBEDDEDOBJECT): the VALUE text is an escaped INSTANCE/CLASS. */
  embeddedObject?: EmbeddedKind;
  value: WireValue | null;
}

/** `<RETURNVALUE>` of an extrinsic method: VALUE or VALUE.REFERENCE, or null for a NULL result. */
export interface ReturnValue {
  type?: CimType;
  embeddedObject?: EmbeddedKind;
  value: WireScalar | WireReference | null;
}

// ---------------------------------------------------------------------------------------------
// IRETURNVALUE items: one per child element. A streaming decoder hands each to a callback.

export interface ReturnInstancePath {
  /** INSTANCEPATH (host + namespace), or OBJECTPATH wrapping an INSTANCEPATH or CLASSPATH. */
  kind: 'INSTANCEPATH' | 'OBJECTPATH';
  path: CimObjectPath;
}

/** `<VALUE.INSTANCEWITHPATH>`: the INSTANCEPATH is `instance.path`. */
export interface ReturnInstanceWithPath {
  kind: 'VALUE.INSTANCEWITHPATH';
  instance: CimInstance;
}

/**
 * `<VALUE.OBJECT>` (no path), `<VALUE.OBJECTWITHPATH>` (CLASSPATH/INSTANCEPATH in `.path`) or
 * `<VALUE.OBJECTWITHLOCALPATH>` (LOCALCLASSPATH/LOCALINSTANCEPATH in `.path`).
 */
export interface ReturnObject {
  kind: 'VALUE.OBJECT' | 'VALUE.OBJECTWITHPATH' | 'VALUE.OBJECTWITHLOCALPATH';
  object: CimInstance | CimClass;
}

export type ReturnItem =
  | WireScalar | WireArray | WireReference | WireClassName | WireInstanceName | WireClass
  | WireInstance | WireNamedInstance | WireQualifierDeclaration
  | ReturnInstancePath | ReturnInstanceWithPath | ReturnObject;

// ---------------------------------------------------------------------------------------------
// Calls.

/** `<IMETHODCALL NAME>`: an intrinsic operation (GetInstance, EnumerateInstances, OpenEnumerate...). */
export interface IMethodCall {
  kind: 'IMETHODCALL';
  name: string;
  /** LOCALNAMESPACEPATH joined with '/', e.g. `root/cimv2`. */
  namespace: string;
  params: ParamValue[];
}

/**
 * `<METHODCALL NAME>`: an extrinsic method. `target.keys` is null for LOCALCLASSPATH (a static
 * call) and a NameMap for LOCALINSTANCEPATH; `target.namespace` is always set.
 */
export interface MethodCall {
  kind: 'METHODCALL';
  name: string;
  target: CimObjectPath;
  params: ParamValue[];
}

/** `<EXPMETHODCALL NAME>`: an export call; ExportIndication carries EXPPARAMVALUE NewIndication (an INSTANCE). */
export interface ExpMethodCall {
  kind: 'EXPMETHODCALL';
  name: string;
  params: ParamValue[];
}

/** `<CORRELATOR NAME TYPE><VALUE>` (DSP0201 2.4): carried through, not interpreted. */
export interface Correlator {
  name: string;
  type: CimType;
  text: string;
}

// ---------------------------------------------------------------------------------------------
// Responses. `error` set means the ERROR branch (code, description, CIM_Error instances).

/** `<IMETHODRESPONSE NAME>`: IRETURNVALUE? then PARAMVALUE* (pull operations: EnumerationContext, EndOfSequence). */
export interface IMethodResponse {
  kind: 'IMETHODRESPONSE';
  name: string;
  error?: CimError;
  /** The IRETURNVALUE children; null when there was no IRETURNVALUE. Empty when streamed to a callback. */
  returnValue: ReturnItem[] | null;
  params: ParamValue[];
}

/** `<METHODRESPONSE NAME>`: RETURNVALUE? then the out PARAMVALUEs. */
export interface MethodResponse {
  kind: 'METHODRESPONSE';
  name: string;
  error?: CimError;
  returnValue: ReturnValue | null;
  params: ParamValue[];
}

/** `<EXPMETHODRESPONSE NAME>`: ERROR or an optional IRETURNVALUE. */
export interface ExpMethodResponse {
  kind: 'EXPMETHODRESPONSE';
  name: string;
  error?: CimError;
  returnValue: ReturnItem[] | null;
}

// ---------------------------------------------------------------------------------------------
// The envelope: <CIM CIMVERSION DTDVERSION><MESSAGE ID PROTOCOLVERSION>...

/** CIM and MESSAGE attributes. On encode the versions default to 2.0 / 2.0 / 1.0. */
export interface MessageEnvelope {
  id: string;
  protocolVersion?: string;
  cimVersion?: string;
  dtdVersion?: string;
}

export interface SimpleRequest extends MessageEnvelope {
  kind: 'SIMPLEREQ';
  call: IMethodCall | MethodCall;
  correlators?: Correlator[];
}

export interface SimpleResponse extends MessageEnvelope {
  kind: 'SIMPLERSP';
  response: IMethodResponse | MethodResponse;
}

export interface SimpleExportRequest extends MessageEnvelope {
  kind: 'SIMPLEEXPREQ';
  call: ExpMethodCall;
  correlators?: Correlator[];
}

export interface SimpleExportResponse extends MessageEnvelope {
  kind: 'SIMPLEEXPRSP';
  response: ExpMethodResponse;
}

/**
 * MULTIREQ, MULTIRSP, MULTIEXPREQ, MULTIEXPRSP: recognised (checked for well-formedness, parts
 * counted) but not decoded, so that a server can refuse them with `multiple-requests-unsupported`.
 */
export interface MultiMessage extends MessageEnvelope {
  kind: 'MULTIREQ' | 'MULTIRSP' | 'MULTIEXPREQ' | 'MULTIEXPRSP';
  parts: number;
}

export type CimXmlMessage = SimpleRequest | SimpleResponse | SimpleExportRequest | SimpleExportResponse | MultiMessage;

// ---------------------------------------------------------------------------------------------
// Decoder limits.

/** Bounds that keep a hostile or broken document from exhausting the process. */
export interface DecodeLimits {
  /** Maximum text length in UTF-16 code units (default 256 Mi; unlimited for a streaming decoder with a callback). */
  maxChars?: number;
  /** Maximum element nesting, counting the elements of embedded objects too (default 64). */
  maxDepth?: number;
  /** Maximum number of elements kept in memory at once (default 4 Mi; streamed items are not counted). */
  maxElements?: number;
}
