// Builds a host network plan on Linux with iproute2, inside a given network namespace: one bridge
// per segment, joined to a VXLAN device (unicast to the peer hosts) or an 802.1Q VLAN device on
// the underlay, and veth pairs for VM interfaces. Commands run through execFile, never a shell.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TvdcError } from '../TvdcError.js';
import type { HostNetworkPlan, PlannedPort } from './HostNetworkPlan.js';

const run = promisify(execFile);

export interface HostUnderlay {
  /** Network namespace of the host's management side (undefined: the current namespace). */
  netns?: string;
  /** Underlay device the segments ride on. */
  device: string;
  /** Underlay address of this host (VXLAN source). */
  localIp: string;
  /** Underlay addresses of the other hosts (VXLAN flooding list). */
  peers: string[];
  /** VXLAN UDP port; 4789 (IANA) by default. */
  vxlanPort?: number;
}

export interface VmPortTarget {
  /** Namespace standing in for the VM (tests, containers); its interface is named `ifName`. */
  netns: string;
  ifName: string;
  /** CIDR address to give the interface, e.g. 10.0.0.1/24. */
  address?: string;
}

export class LinuxNetworkApplier {
  /** Every command run, in order; useful to show what a plan does. */
  readonly log: string[] = [];

  private async ip(netns: string | undefined, args: string[]): Promise<void> {
    await this.exec('ip', netns ? ['-n', netns, ...args] : args);
  }

  private async exec(cmd: string, args: string[]): Promise<void> {
    this.log.push([cmd, ...args].join(' '));
    try {
      await run(cmd, args, { timeout: 10_000 });
    } catch (e) {
      const err = e as Error & { stderr?: string };
      throw new TvdcError('NETWORK_FAILED', `${cmd} ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
    }
  }

  /** Creates the plan's bridges and segment links on the host; on failure removes what it made. */
  async applyHost(plan: HostNetworkPlan, u: HostUnderlay): Promise<void> {
    const ns = u.netns;
    const made: string[] = [];
    try {
      for (const b of plan.bridges) {
        await this.ip(ns, ['link', 'add', b.bridge, 'type', 'bridge']);
        made.push(b.bridge);
        if (b.kind === 'vxlan') {
          await this.ip(ns, ['link', 'add', b.link, 'type', 'vxlan', 'id', String(b.segmentId), 'local', u.localIp, 'dstport', String(u.vxlanPort ?? 4789), 'dev', u.device, 'nolearning']);
          made.push(b.link);
          // Head-end replication: broadcast and unknown frames go to every peer host, nowhere else.
          for (const peer of u.peers) await this.exec('bridge', [...(ns ? ['-n', ns] : []), 'fdb', 'append', '00:00:00:00:00:00', 'dev', b.link, 'dst', peer]);
        } else {
          await this.ip(ns, ['link', 'add', 'link', u.device, 'name', b.link, 'type', 'vlan', 'id', String(b.segmentId)]);
          made.push(b.link);
        }
        await this.ip(ns, ['link', 'set', b.link, 'master', b.bridge]);
        await this.ip(ns, ['link', 'set', b.link, 'up']);
        await this.ip(ns, ['link', 'set', b.bridge, 'up']);
      }
    } catch (e) {
      // Leave the host as it was: a half-built segment is worse than none.
      for (const dev of made.reverse()) await this.ip(ns, ['link', 'del', dev]).catch(() => undefined);
      throw e;
    }
  }

  /** Connects a VM interface to its bridge through a veth pair named `hostIf` on the host side. */
  async connectPort(plan: HostNetworkPlan, port: PlannedPort, hostNetns: string | undefined, hostIf: string, vm: VmPortTarget): Promise<void> {
    if (!plan.ports.some((p) => p.vm === port.vm && p.segment === port.segment && p.bridge === port.bridge))
      throw new TvdcError('ACCESS_DENIED', `port of '${port.vm}' on '${port.segment}' is not in the host's plan`);
    await this.ip(hostNetns, ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', vm.ifName, 'netns', vm.netns]);
    await this.ip(hostNetns, ['link', 'set', hostIf, 'master', port.bridge]);
    await this.ip(hostNetns, ['link', 'set', hostIf, 'up']);
    if (vm.address) await this.ip(vm.netns, ['addr', 'add', vm.address, 'dev', vm.ifName]);
    await this.ip(vm.netns, ['link', 'set', vm.ifName, 'up']);
  }

  /** Removes the plan's bridges and links (VM veths go with their namespaces or bridges). */
  async removeHost(plan: HostNetworkPlan, netns?: string): Promise<void> {
    for (const b of plan.bridges) {
      await this.ip(netns, ['link', 'del', b.link]).catch(() => undefined);
      await this.ip(netns, ['link', 'del', b.bridge]).catch(() => undefined);
    }
  }
}
