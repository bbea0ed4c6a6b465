// The sHype security policy model: Simple Type Enforcement (STE) types, Chinese Wall (CW) types
// and conflict sets, VM labels, resource labels, the bootstrap label. Plain data, no behaviour;
// the decision engine compiles it (src/tvdc/acm) and the codecs read and write it.

export interface PolicyRef {
  name: string;
  version: string; // "major.minor"
}

export interface PolicyHeader extends PolicyRef {
  url?: string;
  reference?: string;
  date?: string;
  namespaceUrl?: string;
  /** The policy this one updates; required for an update of a running system. */
  from?: PolicyRef;
}

/** A subject label: what a VM (or a host, or the management VM) is. */
export interface VmLabel {
  name: string;
  /** Old name in the policy this one updates; VMs and resources labeled `from` take this label. */
  from?: string;
  ste: string[];
  cw: string[];
}

/** An object label: what a disk, network segment or other resource is. Exactly one STE type. */
export interface ResourceLabel {
  name: string;
  from?: string;
  ste: string;
}

/** Types of which at most one may run on a host at a time. Names need not be unique (Xen allowed it). */
export interface ConflictSet {
  name: string;
  types: string[];
}

export type PolicyComponent = 'ste' | 'chwall';

export interface Policy {
  header: PolicyHeader;
  /** Whether the document has a SimpleTypeEnforcement / ChineseWall section at all. */
  hasSte: boolean;
  hasChineseWall: boolean;
  /** Which component carried priority="PrimaryPolicyComponent", if any. */
  primary?: PolicyComponent;
  steTypes: string[];
  cwTypes: string[];
  conflictSets: ConflictSet[];
  /** The label the management VM (Xen's dom0) starts with. */
  bootstrap: string;
  vmLabels: VmLabel[];
  resourceLabels: ResourceLabel[];
}

/** The kinds of element a label can be assigned to. VMs and hosts take VM labels, the rest resource labels. */
export type LabeledKind = 'vm' | 'host' | 'disk' | 'segment';

export function takesVmLabel(kind: LabeledKind): boolean {
  return kind === 'vm' || kind === 'host';
}

/** Names one labeled element of a host: a VM, the host itself, a disk or a network segment. */
export interface ElementRef {
  kind: LabeledKind;
  name: string;
}
