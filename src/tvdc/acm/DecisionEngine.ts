// The access decisions of sHype, exactly as Xen's ACM made them:
//  - share(vm, vm): two VMs may communicate when their labels have an STE type in common;
//  - access(vm, resource): a VM may use a resource when the labels have an STE type in common;
//  - run(vm, host): a VM may run on a host when the host label's STE types cover the VM's;
//  - collocation(vm, host state): Chinese Wall, a VM may not start while a running VM holds a type
//    from one of its conflict sets.
// The boolean `can*` methods work on label ids for hot paths; the others explain themselves.
import type { CompiledPolicy } from './CompiledPolicy.js';
import type { ChineseWallState } from './ChineseWallState.js';
import type { Decision } from './Decision.js';
import { and, andNot, hasBit, intersects, namesOf, subsetOf } from './TypeBits.js';

export class DecisionEngine {
  constructor(readonly policy: CompiledPolicy) {}

  canShare(a: number, b: number): boolean {
    const x = this.policy.labels[a]!.ste;
    const y = this.policy.labels[b]!.ste;
    for (let w = 0; w < x.length; w++) if ((x[w]! & y[w]!) !== 0) return true;
    return false;
  }

  /** Same rule as share; kept apart so hooks read as what they guard. */
  canAccess(vm: number, resource: number): boolean {
    return this.canShare(vm, resource);
  }

  canRun(vm: number, host: number): boolean {
    return subsetOf(this.policy.labels[vm]!.ste, this.policy.labels[host]!.ste);
  }

  share(a: number, b: number): Decision {
    return this.common('share', a, b, 'VMs');
  }

  access(vm: number, resource: number): Decision {
    return this.common('access', vm, resource, 'VM and resource');
  }

  private common(rule: 'share' | 'access', a: number, b: number, what: string): Decision {
    const la = this.policy.label(a);
    const lb = this.policy.label(b);
    const common = namesOf(and(la.ste, lb.ste), this.policy.steNames);
    const base = { rule, subjectLabel: la.name, objectLabel: lb.name, commonTypes: common };
    if (common.length) return { ...base, permitted: true, reason: `${rule} permitted: labels '${la.name}' and '${lb.name}' share STE type(s) ${list(common)}` };
    return {
      ...base,
      permitted: false,
      reason: `${rule} denied: ${what} labels '${la.name}' {${namesOf(la.ste, this.policy.steNames).join(', ')}} and '${lb.name}' {${namesOf(lb.ste, this.policy.steNames).join(', ')}} share no STE type`,
    };
  }

  run(vm: number, host: number): Decision {
    const lv = this.policy.label(vm);
    const lh = this.policy.label(host);
    // The common case (permitted) skips naming types: starts are decided on busy hosts.
    if (subsetOf(lv.ste, lh.ste))
      return { rule: 'run', subjectLabel: lv.name, objectLabel: lh.name, missingTypes: [], permitted: true, reason: `run permitted: host label '${lh.name}' covers the STE types of '${lv.name}'` };
    const missing = namesOf(andNot(lv.ste, lh.ste), this.policy.steNames);
    const base = { rule: 'run' as const, subjectLabel: lv.name, objectLabel: lh.name, missingTypes: missing };
    return { ...base, permitted: false, reason: `run denied: host label '${lh.name}' does not hold STE type(s) ${list(missing)} of VM label '${lv.name}'` };
  }

  collocation(vm: number, state: ChineseWallState): Decision {
    const lv = this.policy.label(vm);
    const base = { rule: 'collocation' as const, subjectLabel: lv.name };
    if (state.allows(vm)) return { ...base, permitted: true, reason: `collocation permitted: no running VM holds a type conflicting with '${lv.name}'` };
    // Denials are rare: find the evidence by scanning, keeping the check itself constant-time.
    const p = this.policy;
    for (let t = 0; t < p.cwNames.length; t++) {
      if (!hasBit(lv.cw, t) || !hasBit(state.forbidden, t)) continue;
      for (const [runningVm, rid] of state.running) {
        const rl = p.label(rid);
        if (!hasBit(rl.excludes, t)) continue;
        const cs = p.conflictSets.find((c) => hasBit(c.types, t) && intersects(c.types, rl.cw));
        const held = cs ? namesOf(and(cs.types, rl.cw), p.cwNames) : [];
        const type = p.cwNames[t]!;
        return {
          ...base,
          permitted: false,
          objectLabel: rl.name,
          conflictSet: cs?.name ?? '',
          conflictingType: type,
          runningVm,
          runningType: held[0] ?? '',
          reason: `collocation denied: VM label '${lv.name}' holds Chinese Wall type '${type}', which conflicts (conflict set '${cs?.name ?? '?'}') with type '${held[0] ?? '?'}' of running VM '${runningVm}' (label '${rl.name}')`,
        };
      }
    }
    return { ...base, permitted: false, reason: `collocation denied for VM label '${lv.name}'` };
  }
}

function list(types: string[]): string {
  return types.map((t) => `'${t}'`).join(', ');
}
