// Which managed host defines which VM names, taken from every host at one moment. The verifier
// knows a VM by its name alone (its vTPM, and so its enrolled AK, follows it across migrations),
// so VM names are the identity of VMs across the whole datacenter: a name defined on two hosts
// is two VMs the verifier cannot tell apart, and attesting either would judge it against the
// other's enrolment. The census is what lets the runner see that before it quotes.
import type { HostDirectory, HostRecord } from '../ServerContext.js';

/** TVDc_ComputerSystem.EnabledState of a running VM: only a running VM has a running vTPM. */
const RUNNING = 2;

export interface CensusEntry {
  host: string;
  vm: string;
  running: boolean;
}

export class VmCensus {
  private constructor(
    private readonly entries: readonly CensusEntry[],
    /** Hosts whose VMs could not be listed, with why. */
    readonly unreachable: ReadonlyMap<string, string>,
  ) {}

  /** Lists the VMs of every managed host, in parallel; a host that cannot answer is noted, not fatal. */
  static async take(hosts: HostDirectory, of: readonly HostRecord[] = hosts.list()): Promise<VmCensus> {
    const unreachable = new Map<string, string>();
    const lists = await Promise.all(of.map(async (h): Promise<CensusEntry[]> => {
      try {
        const vms = await hosts.connection(h.name).enumerateInstances('TVDc_ComputerSystem').toArray();
        const out: CensusEntry[] = [];
        for (const i of vms) {
          const name = i.get('Name');
          if (typeof name === 'string') out.push({ host: h.name, vm: name, running: Number(i.get('EnabledState')) === RUNNING });
        }
        return out;
      } catch (e) {
        unreachable.set(h.name, (e as Error).message);
        return [];
      }
    }));
    return new VmCensus(lists.flat(), unreachable);
  }

  /** The running VMs of one host, in the host's order. */
  running(host: string): string[] {
    return this.entries.filter((e) => e.host === host && e.running).map((e) => e.vm);
  }

  /** The hosts that define a VM of this name, running or not, sorted. */
  hostsOf(vm: string): string[] {
    return [...new Set(this.entries.filter((e) => e.vm === vm).map((e) => e.host))].sort();
  }
}
