// Which segments a host carries and which VM interfaces join them, derived from labels only:
// a host gets a bridge for a segment when its label shares the segment's STE type; a VM interface
// joins a bridge only when the VM's label shares that type too. Each STE type has at most one
// segment. Anything the rules refuse is listed, never silently dropped.
import type { CompiledPolicy } from '../acm/CompiledPolicy.js';
import { DecisionEngine } from '../acm/DecisionEngine.js';
import { INACCESSIBLE } from '../policy/reservedLabels.js';
import type { NetworkSegment, SegmentKind } from './NetworkSegment.js';

export interface PlannedBridge {
  segment: string;
  kind: SegmentKind;
  segmentId: number;
  /** The STE type the segment carries. */
  type: string;
  /** Linux device names, at most 15 characters. */
  bridge: string;
  link: string;
}

export interface PlannedPort {
  vm: string;
  segment: string;
  bridge: string;
}

export interface HostNetworkPlan {
  host: string;
  hostLabel: string | undefined;
  bridges: PlannedBridge[];
  ports: PlannedPort[];
  refused: { vm?: string; segment: string; reason: string }[];
}

export interface HostNetworkInput {
  host: string;
  hostLabel: string | undefined;
  segments: NetworkSegment[];
  vms: { name: string; label: string | undefined; segments: string[] }[];
}

export function bridgeName(s: { kind: SegmentKind; segmentId: number }): string {
  return `tvbr${s.kind === 'vlan' ? 'v' : 'x'}${s.segmentId}`;
}

export function linkName(s: { kind: SegmentKind; segmentId: number }): string {
  return `tv${s.kind === 'vlan' ? 'vl' : 'vx'}${s.segmentId}`;
}

export function planHostNetwork(policy: CompiledPolicy, input: HostNetworkInput): HostNetworkPlan {
  const engine = new DecisionEngine(policy);
  const plan: HostNetworkPlan = { host: input.host, hostLabel: input.hostLabel, bridges: [], ports: [], refused: [] };
  const hostId = policy.vmLabelId(input.hostLabel) ?? policy.vmLabelId(INACCESSIBLE)!;
  const byType = new Map<string, string>();
  const bridges = new Map<string, PlannedBridge>();
  for (const s of input.segments) {
    const rid = policy.resourceLabelId(s.label) ?? policy.resourceLabelId(INACCESSIBLE)!;
    const type = policy.steTypesOf(rid)[0];
    if (type === undefined) {
      plan.refused.push({ segment: s.name, reason: `segment '${s.name}' has no usable label ('${s.label ?? '__UNLABELED__'}')` });
      continue;
    }
    const other = byType.get(type);
    if (other) {
      plan.refused.push({ segment: s.name, reason: `STE type '${type}' already has segment '${other}'` });
      continue;
    }
    byType.set(type, s.name);
    if (!engine.canAccess(hostId, rid)) {
      plan.refused.push({ segment: s.name, reason: engine.access(hostId, rid).reason });
      continue;
    }
    const b: PlannedBridge = { segment: s.name, kind: s.kind, segmentId: s.segmentId, type, bridge: bridgeName(s), link: linkName(s) };
    bridges.set(s.name, b);
    plan.bridges.push(b);
  }
  const segLabel = new Map(input.segments.map((s) => [s.name, s.label]));
  for (const vm of input.vms) {
    const vmId = policy.vmLabelId(vm.label) ?? policy.vmLabelId(INACCESSIBLE)!;
    for (const seg of vm.segments) {
      const b = bridges.get(seg);
      if (!b) {
        plan.refused.push({ vm: vm.name, segment: seg, reason: `host '${input.host}' carries no bridge for segment '${seg}'` });
        continue;
      }
      const rid = policy.resourceLabelId(segLabel.get(seg))!;
      if (!engine.canAccess(vmId, rid)) {
        plan.refused.push({ vm: vm.name, segment: seg, reason: engine.access(vmId, rid).reason });
        continue;
      }
      plan.ports.push({ vm: vm.name, segment: seg, bridge: b.bridge });
    }
  }
  return plan;
}
