// Configuration for the 802.1Q switch ports the hosts hang off: a host's port is a trunk allowing
// exactly the VLANs of the segments its label allows, so the physical switch keeps workloads apart
// as the hosts' bridges do. Given as data (JSON) and as switch-style text.
import type { CompiledPolicy } from '../acm/CompiledPolicy.js';
import type { NetworkSegment } from './NetworkSegment.js';
import { planHostNetwork } from './HostNetworkPlan.js';

export interface SwitchPort {
  port: string;
  host: string;
  hostLabel: string | undefined;
  mode: 'trunk';
  /** VLAN ids allowed on the port, ascending; empty means nothing passes. */
  allowedVlans: number[];
  /** Segment name per VLAN id, for people reading it. */
  segments: Record<string, string>;
}

export interface SwitchConfig {
  ports: SwitchPort[];
  /** VXLAN segments ride the underlay and need no per-segment switch configuration. */
  vxlanSegments: { name: string; vni: number }[];
}

export function switchConfig(policy: CompiledPolicy, segments: NetworkSegment[], hosts: { host: string; port: string; hostLabel: string | undefined }[]): SwitchConfig {
  const ports = hosts.map((h) => {
    const plan = planHostNetwork(policy, { host: h.host, hostLabel: h.hostLabel, segments, vms: [] });
    const vlans = plan.bridges.filter((b) => b.kind === 'vlan').sort((a, b) => a.segmentId - b.segmentId);
    return {
      port: h.port,
      host: h.host,
      hostLabel: h.hostLabel,
      mode: 'trunk' as const,
      allowedVlans: vlans.map((b) => b.segmentId),
      segments: Object.fromEntries(vlans.map((b) => [String(b.segmentId), b.segment])),
    };
  });
  return { ports, vxlanSegments: segments.filter((s) => s.kind === 'vxlan').map((s) => ({ name: s.name, vni: s.segmentId })) };
}

/** Switch-style text, one stanza per port. */
export function switchConfigText(c: SwitchConfig): string {
  const out: string[] = [];
  for (const p of c.ports) {
    out.push(`interface ${p.port}`);
    out.push(` description tvdc host ${p.host} label ${p.hostLabel ?? '__UNLABELED__'}`);
    out.push(' switchport mode trunk');
    out.push(` switchport trunk allowed vlan ${p.allowedVlans.length ? p.allowedVlans.join(',') : 'none'}`);
    out.push('!');
  }
  return out.join('\n') + '\n';
}
