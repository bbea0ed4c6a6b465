// A policy compiled for decisions: types become bit indices, labels become bit masks, and each VM
// label gets the Chinese Wall types it forbids others to hold (the union of its conflict sets
// minus its own types, as Xen's ACM aggregated them). Label ids are dense integers for hot paths.
import type { Policy } from '../policy/Policy.js';
import { INACCESSIBLE, NULL_LABEL, UNLABELED } from '../policy/reservedLabels.js';
import { andNot, maskOf, wordsFor } from './TypeBits.js';

export interface CompiledLabel {
  id: number;
  name: string;
  kind: 'vm' | 'resource';
  ste: Uint32Array;
  cw: Uint32Array;
  /** CW types that may not run beside this label once it runs. */
  excludes: Uint32Array;
  /** False for the implicit labels (null, unlabeled without a definition, inaccessible). */
  declared: boolean;
}

export interface CompiledConflictSet {
  name: string;
  types: Uint32Array;
}

export class CompiledPolicy {
  readonly steIndex = new Map<string, number>();
  readonly cwIndex = new Map<string, number>();
  readonly steNames: string[];
  readonly cwNames: string[];
  readonly steWords: number;
  readonly cwWords: number;
  readonly labels: CompiledLabel[] = [];
  readonly conflictSets: CompiledConflictSet[];
  private readonly vmByName = new Map<string, number>();
  private readonly resByName = new Map<string, number>();

  constructor(readonly policy: Policy) {
    this.steNames = [...policy.steTypes];
    this.cwNames = [...policy.cwTypes];
    this.steNames.forEach((t, i) => this.steIndex.set(t, i));
    this.cwNames.forEach((t, i) => this.cwIndex.set(t, i));
    this.steWords = wordsFor(this.steNames.length);
    this.cwWords = wordsFor(this.cwNames.length);
    this.conflictSets = policy.conflictSets.map((cs) => ({ name: cs.name, types: maskOf(cs.types, this.cwIndex, this.cwWords) }));

    for (const l of policy.vmLabels) this.vmByName.set(l.name, this.add(l.name, 'vm', l.ste, l.cw, true));
    for (const l of policy.resourceLabels) this.resByName.set(l.name, this.add(l.name, 'resource', [l.ste], [], true));
    // Implicit labels: an element without a label is __UNLABELED__ (typeless unless the policy
    // defines it); __NULL_LABEL__ and __INACCESSIBLE__ never have types.
    if (!this.vmByName.has(UNLABELED)) this.vmByName.set(UNLABELED, this.add(UNLABELED, 'vm', [], [], false));
    if (!this.resByName.has(UNLABELED)) this.resByName.set(UNLABELED, this.add(UNLABELED, 'resource', [], [], false));
    this.vmByName.set(NULL_LABEL, this.add(NULL_LABEL, 'vm', [], [], false));
    // A VM whose label a policy update deleted: it keeps the marker and may not start.
    this.vmByName.set(INACCESSIBLE, this.add(INACCESSIBLE, 'vm', [], [], false));
    this.resByName.set(NULL_LABEL, this.add(NULL_LABEL, 'resource', [], [], false));
    this.resByName.set(INACCESSIBLE, this.add(INACCESSIBLE, 'resource', [], [], false));
  }

  private add(name: string, kind: 'vm' | 'resource', ste: string[], cw: string[], declared: boolean): number {
    const id = this.labels.length;
    const cwMask = maskOf(cw, this.cwIndex, this.cwWords);
    const excl = new Uint32Array(this.cwWords);
    for (const cs of this.conflictSets) {
      let touches = false;
      for (let w = 0; w < this.cwWords; w++) if ((cs.types[w]! & cwMask[w]!) !== 0) touches = true;
      if (touches) for (let w = 0; w < this.cwWords; w++) excl[w]! |= cs.types[w]!;
    }
    this.labels.push({ id, name, kind, ste: maskOf(ste, this.steIndex, this.steWords), cw: cwMask, excludes: andNot(excl, cwMask), declared });
    return id;
  }

  get name(): string {
    return this.policy.header.name;
  }

  get version(): string {
    return this.policy.header.version;
  }

  /** Id of a VM (subject) label; `undefined` label means unlabeled. Undefined when unknown. */
  vmLabelId(name: string | undefined): number | undefined {
    return this.vmByName.get(name ?? UNLABELED);
  }

  resourceLabelId(name: string | undefined): number | undefined {
    return this.resByName.get(name ?? UNLABELED);
  }

  hasVmLabel(name: string): boolean {
    return this.vmByName.has(name) && this.labels[this.vmByName.get(name)!]!.declared;
  }

  hasResourceLabel(name: string): boolean {
    return this.resByName.has(name) && this.labels[this.resByName.get(name)!]!.declared;
  }

  /** STE type names of a label, in declaration order. */
  steTypesOf(id: number): string[] {
    const m = this.labels[id]!.ste;
    return this.steNames.filter((_, i) => (m[i >>> 5]! & (1 << (i & 31))) !== 0);
  }

  cwTypesOf(id: number): string[] {
    const m = this.labels[id]!.cw;
    return this.cwNames.filter((_, i) => (m[i >>> 5]! & (1 << (i & 31))) !== 0);
  }

  label(id: number): CompiledLabel {
    return this.labels[id]!;
  }
}
