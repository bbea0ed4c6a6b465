// The syntax tree the MOF parser builds: one node per DSP0004 production, each with the position
// of its name (or first token), so the compiler can report semantic errors where they are.
import type { CimType } from '../cim/CimType.js';
import type { MofPosition } from './MofError.js';

/** A literal or initializer as written; typed only when the compiler knows the target type. */
export type MofValue =
  | { kind: 'integer'; value: bigint; text: string; pos: MofPosition }
  | { kind: 'real'; value: number; text: string; pos: MofPosition }
  | { kind: 'string'; value: string; pos: MofPosition }
  | { kind: 'char16'; value: string; pos: MofPosition }
  | { kind: 'boolean'; value: boolean; pos: MofPosition }
  | { kind: 'null'; pos: MofPosition }
  | { kind: 'alias'; name: string; pos: MofPosition }
  | { kind: 'array'; items: MofValue[]; pos: MofPosition };

/** Flavor keywords, lower-cased. */
export type MofFlavor = 'enableoverride' | 'disableoverride' | 'restricted' | 'tosubclass' | 'translatable' | 'toinstance';

/** A qualifier applied to an element: `Key`, `Description("...")`, `ValueMap {"1"}`, `Key : DisableOverride`. */
export interface MofQualifierNode {
  name: string;
  /** undefined when written without a parameter (`[Key]`). */
  value: MofValue | undefined;
  flavors: MofFlavor[];
  pos: MofPosition;
}

/** A data type as declared: an intrinsic type, or `reference` with the class named before REF. */
export interface MofTypeNode {
  type: CimType;
  refClass?: string;
  pos: MofPosition;
}

export interface MofPropertyNode {
  kind: 'property';
  qualifiers: MofQualifierNode[];
  dataType: MofTypeNode;
  name: string;
  isArray: boolean;
  arraySize?: number;
  defaultValue?: MofValue;
  pos: MofPosition;
}

export interface MofParameterNode {
  qualifiers: MofQualifierNode[];
  dataType: MofTypeNode;
  name: string;
  isArray: boolean;
  arraySize?: number;
  defaultValue?: MofValue;
  pos: MofPosition;
}

export interface MofMethodNode {
  kind: 'method';
  qualifiers: MofQualifierNode[];
  returnType: MofTypeNode;
  name: string;
  parameters: MofParameterNode[];
  pos: MofPosition;
}

export interface MofClassNode {
  kind: 'class';
  qualifiers: MofQualifierNode[];
  name: string;
  alias?: string;
  superclass?: string;
  superclassPos?: MofPosition;
  features: (MofPropertyNode | MofMethodNode)[];
  /** True when a syntax error was found inside; the compiler skips such a class. */
  broken: boolean;
  pos: MofPosition;
}

export interface MofPropertyValueNode {
  qualifiers: MofQualifierNode[];
  name: string;
  value: MofValue;
  pos: MofPosition;
}

export interface MofInstanceNode {
  kind: 'instance';
  qualifiers: MofQualifierNode[];
  className: string;
  alias?: string;
  aliasPos?: MofPosition;
  values: MofPropertyValueNode[];
  broken: boolean;
  pos: MofPosition;
}

/** Scope keywords, lower-cased (DSP0004 metaElement). */
export type MofScope = 'class' | 'association' | 'indication' | 'qualifier' | 'property' | 'reference' | 'method' | 'parameter' | 'any';

export interface MofQualifierDeclNode {
  kind: 'qualifierDecl';
  name: string;
  dataType: MofTypeNode;
  isArray: boolean;
  arraySize?: number;
  defaultValue?: MofValue;
  scopes: MofScope[];
  flavors: MofFlavor[];
  broken: boolean;
  pos: MofPosition;
}

/** `#pragma name("value")`; include, namespace and locale mean something, others are kept. */
export interface MofPragmaNode {
  kind: 'pragma';
  name: string;
  value: string;
  pos: MofPosition;
  valuePos: MofPosition;
}

export type MofProduction = MofClassNode | MofInstanceNode | MofQualifierDeclNode | MofPragmaNode;
