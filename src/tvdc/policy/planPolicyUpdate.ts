// Decides whether a new policy may replace the active one on a host, and what every label becomes.
// As Xen's ACM update: FromPolicy must name the active policy and version, the version must rise,
// labels follow `from=` renames; then everything running is replayed under the new labels: each
// running VM must still run on the host, get past Chinese Wall beside the others, reach its disks
// and segments and talk over its open channels. Any failure refuses the whole update and every
// conflict is listed. The plan is pure; the caller applies it in one transaction.
import { CompiledPolicy } from '../acm/CompiledPolicy.js';
import { ChineseWallState } from '../acm/ChineseWallState.js';
import { DecisionEngine } from '../acm/DecisionEngine.js';
import type { DecisionRule } from '../acm/Decision.js';
import type { ElementRef, Policy } from './Policy.js';
import { compareVersions } from './PolicyVersion.js';
import { INACCESSIBLE, UNLABELED } from './reservedLabels.js';

export interface WorldVm {
  name: string;
  label: string | undefined;
  running: boolean;
  disks: string[];
  segments: string[];
  /** Names of the running VMs this one has open channels to. */
  channels: string[];
}

/** Everything labeled on a host, as the store holds it. */
export interface PolicyWorld {
  host: { name: string; label: string | undefined };
  vms: WorldVm[];
  disks: { name: string; label: string | undefined }[];
  segments: { name: string; label: string | undefined }[];
}

export type UpdateRule = 'from-policy' | 'version' | 'bad-rename' | 'label-removed' | DecisionRule;

export interface UpdateConflict {
  element: ElementRef;
  rule: UpdateRule;
  reason: string;
  /** The other side: the host, a disk, a segment, a VM. */
  related?: ElementRef;
}

export interface UpdatePlan {
  ok: boolean;
  conflicts: UpdateConflict[];
  compiled: CompiledPolicy;
  /** New label of every element whose label changes (undefined = unlabeled). */
  relabel: { kind: ElementRef['kind']; name: string; from: string | undefined; to: string | undefined }[];
  hostLabel: string | undefined;
}

/** The version/name rules alone; empty when `next` may follow `current`. */
export function checkUpdateHeader(current: Policy | undefined, next: Policy): UpdateConflict[] {
  if (!current) return [];
  const host: ElementRef = { kind: 'host', name: '' };
  // Xen let the boot policy be replaced by any policy (and a policy be reset to it).
  if (current.header.name === 'DEFAULT' || next.header.name === 'DEFAULT') return [];
  const out: UpdateConflict[] = [];
  const f = next.header.from;
  if (!f || f.name !== current.header.name || f.version !== current.header.version)
    out.push({
      element: host,
      rule: 'from-policy',
      reason: `FromPolicy ${f ? `'${f.name}' ${f.version}` : '(none)'} does not name the active policy '${current.header.name}' ${current.header.version}`,
    });
  if (compareVersions(next.header.version, current.header.version) <= 0)
    out.push({ element: host, rule: 'version', reason: `version ${next.header.version} is not higher than the active version ${current.header.version}` });
  return out;
}

export function planPolicyUpdate(current: Policy | undefined, next: Policy, world: PolicyWorld): UpdatePlan {
  const compiled = new CompiledPolicy(next);
  const conflicts: UpdateConflict[] = checkUpdateHeader(current, next).map((c) => ({ ...c, element: { kind: 'host', name: world.host.name } }));
  const relabel: UpdatePlan['relabel'] = [];

  const vmRenames = new Map<string, string>();
  const resRenames = new Map<string, string>();
  for (const l of next.vmLabels) if (l.from !== undefined) vmRenames.set(l.from, l.name);
  for (const l of next.resourceLabels) if (l.from !== undefined) resRenames.set(l.from, l.name);
  if (current) {
    const oldVm = new Set(current.vmLabels.map((l) => l.name));
    const oldRes = new Set(current.resourceLabels.map((l) => l.name));
    for (const [from, to] of vmRenames)
      if (!oldVm.has(from)) conflicts.push({ element: { kind: 'host', name: world.host.name }, rule: 'bad-rename', reason: `VM label '${to}' is renamed from '${from}', which the active policy does not define` });
    for (const [from, to] of resRenames)
      if (!oldRes.has(from)) conflicts.push({ element: { kind: 'host', name: world.host.name }, rule: 'bad-rename', reason: `resource label '${to}' is renamed from '${from}', which the active policy does not define` });
  }

  const vmNames = new Set(next.vmLabels.map((l) => l.name));
  const resNames = new Set(next.resourceLabels.map((l) => l.name));
  const mapVm = (label: string | undefined): string | undefined => {
    if (label === undefined || label === UNLABELED || label === INACCESSIBLE) return label;
    const renamed = vmRenames.get(label);
    if (renamed !== undefined) return renamed;
    return vmNames.has(label) ? label : INACCESSIBLE;
  };
  const mapRes = (label: string | undefined): string | undefined => {
    if (label === undefined || label === UNLABELED || label === INACCESSIBLE) return label;
    const renamed = resRenames.get(label);
    if (renamed !== undefined) return renamed;
    return resNames.has(label) ? label : INACCESSIBLE;
  };

  // The host keeps its label when the new policy has it (or a rename); otherwise it boots into
  // the new bootstrap label, as Xen's management VM did.
  let hostLabel = mapVm(world.host.label);
  if (hostLabel === INACCESSIBLE || hostLabel === undefined) hostLabel = next.bootstrap;
  if (hostLabel !== world.host.label) relabel.push({ kind: 'host', name: world.host.name, from: world.host.label, to: hostLabel });

  const diskLabel = new Map<string, number>();
  for (const d of world.disks) {
    const to = mapRes(d.label);
    if (to !== d.label) relabel.push({ kind: 'disk', name: d.name, from: d.label, to });
    diskLabel.set(d.name, compiled.resourceLabelId(to)!);
  }
  const segLabel = new Map<string, number>();
  for (const s of world.segments) {
    const to = mapRes(s.label);
    if (to !== s.label) relabel.push({ kind: 'segment', name: s.name, from: s.label, to });
    segLabel.set(s.name, compiled.resourceLabelId(to)!);
  }

  const engine = new DecisionEngine(compiled);
  const hostId = compiled.vmLabelId(hostLabel)!;
  const state = new ChineseWallState(compiled);
  const running: { vm: WorldVm; id: number; label: string | undefined }[] = [];
  const runningIds = new Map<string, number>();
  for (const vm of world.vms) {
    const to = mapVm(vm.label);
    if (to !== vm.label) relabel.push({ kind: 'vm', name: vm.name, from: vm.label, to });
    if (!vm.running) continue;
    const el: ElementRef = { kind: 'vm', name: vm.name };
    if (to === INACCESSIBLE) {
      conflicts.push({ element: el, rule: 'label-removed', reason: `running VM '${vm.name}' has label '${vm.label}', which the new policy neither keeps nor renames` });
      continue;
    }
    const id = compiled.vmLabelId(to)!;
    running.push({ vm, id, label: to });
    runningIds.set(vm.name, id);
    state.add(vm.name, id);
  }

  for (const { vm, id, label } of running) {
    const el: ElementRef = { kind: 'vm', name: vm.name };
    if (!engine.canRun(id, hostId)) {
      const d = engine.run(id, hostId);
      conflicts.push({ element: el, rule: 'run', reason: `VM '${vm.name}' (label '${label}'): ${d.reason}`, related: { kind: 'host', name: world.host.name } });
    }
    if (!state.allows(id)) {
      // Explain against the others only: take this VM out, ask, put it back.
      state.remove(vm.name);
      const d = engine.collocation(id, state);
      state.add(vm.name, id);
      conflicts.push({ element: el, rule: 'collocation', reason: `VM '${vm.name}': ${d.reason}`, ...(d.runningVm ? { related: { kind: 'vm' as const, name: d.runningVm } } : {}) });
    }
    for (const disk of vm.disks) {
      const rid = diskLabel.get(disk);
      if (rid === undefined || engine.canAccess(id, rid)) continue;
      const d = engine.access(id, rid);
      conflicts.push({ element: el, rule: 'access', reason: `VM '${vm.name}' would lose disk '${disk}': ${d.reason}`, related: { kind: 'disk', name: disk } });
    }
    for (const seg of vm.segments) {
      const rid = segLabel.get(seg);
      if (rid === undefined || engine.canAccess(id, rid)) continue;
      const d = engine.access(id, rid);
      conflicts.push({ element: el, rule: 'access', reason: `VM '${vm.name}' would lose network segment '${seg}': ${d.reason}`, related: { kind: 'segment', name: seg } });
    }
    for (const peer of vm.channels) {
      const pid = runningIds.get(peer);
      // Each channel is checked once, from the side whose name sorts first.
      if (pid === undefined || peer < vm.name || engine.canShare(id, pid)) continue;
      const d = engine.share(id, pid);
      conflicts.push({ element: el, rule: 'share', reason: `channel between '${vm.name}' and '${peer}' would break: ${d.reason}`, related: { kind: 'vm', name: peer } });
    }
  }

  return { ok: conflicts.length === 0, conflicts, compiled, relabel, hostLabel };
}
