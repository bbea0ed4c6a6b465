// What runs on one host, as Chinese Wall needs it: per type, how many running VMs hold it, and how
// many running VMs forbid it (their conflict sets, minus their own types). A label may start when
// none of its types is forbidden. The forbidden set is also kept as a bit mask, so the check costs
// a few word operations however many VMs run.
import type { CompiledPolicy } from './CompiledPolicy.js';

export class ChineseWallState {
  readonly runningTypes: Int32Array;
  readonly forbiddenCounts: Int32Array;
  readonly forbidden: Uint32Array;
  /** Running VMs and their label ids, for finding who holds a conflicting type. */
  readonly running = new Map<string, number>();

  constructor(readonly policy: CompiledPolicy) {
    this.runningTypes = new Int32Array(policy.cwNames.length);
    this.forbiddenCounts = new Int32Array(policy.cwNames.length);
    this.forbidden = new Uint32Array(policy.cwWords);
  }

  /** True when a VM with this label may start beside what runs now. */
  allows(labelId: number): boolean {
    const cw = this.policy.labels[labelId]!.cw;
    for (let w = 0; w < cw.length; w++) if ((cw[w]! & this.forbidden[w]!) !== 0) return false;
    return true;
  }

  add(vm: string, labelId: number): void {
    if (this.running.has(vm)) return;
    this.running.set(vm, labelId);
    this.count(labelId, 1);
  }

  remove(vm: string): void {
    const labelId = this.running.get(vm);
    if (labelId === undefined) return;
    this.running.delete(vm);
    this.count(labelId, -1);
  }

  private count(labelId: number, delta: number): void {
    const l = this.policy.labels[labelId]!;
    const n = this.policy.cwNames.length;
    for (let i = 0; i < n; i++) {
      const bit = 1 << (i & 31);
      const w = i >>> 5;
      if (l.cw[w]! & bit) this.runningTypes[i]! += delta;
      if (l.excludes[w]! & bit) {
        this.forbiddenCounts[i]! += delta;
        if (this.forbiddenCounts[i]! > 0) this.forbidden[w]! |= bit;
        else this.forbidden[w]! &= ~bit;
      }
    }
  }
}
