// Migrations in doubt, settled by the management server: a source host that restarted while a VM
// was on its way lists the VM in TVDc_VirtualSystemMigrationService.InDoubtVirtualSystems, with the
// destination it went to. The server knows that destination (it is a host of the same TVDc): it
// looks for the VM there and tells the source what it found (ResolveMigration): found, the source
// forgets its take-back copy; the destination answers without it, the source restores the VM,
// stopped; the destination does not answer, nothing is decided and the answer says so.
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimError } from '../cim/index.js';
import { TVDC_NAMESPACE, hasVm } from './HostCim.js';
import type { HostRecord, ServerContext } from './ServerContext.js';

const SERVICE_CLASS = 'TVDc_VirtualSystemMigrationService';

/** One migration in doubt and what became of it. */
export interface InDoubtOutcome {
  /** The source host, which reported it. */
  host: string;
  vm: string;
  /** The destination as the source names it (its URL's origin). */
  destination: string;
  /** The destination host by the server's name for it; null when the server knows no such host of the TVDc. */
  destinationHost: string | null;
  /** arrived: the copy on the source was forgotten; restored: the VM is back on the source, stopped; left: still in doubt. */
  outcome: 'arrived' | 'restored' | 'left';
  /** For 'left', why; otherwise what was done. */
  message: string;
}

export interface InDoubtReport {
  migrations: InDoubtOutcome[];
  /** Hosts whose migrations in doubt could not be read. */
  unreachable: { host: string; message: string }[];
}

function migrationService(host: string): CimObjectPath {
  return CimObjectPath.instance(SERVICE_CLASS, {
    SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: SERVICE_CLASS, Name: 'VirtualSystemMigrationService',
  }, TVDC_NAMESPACE);
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function messageOf(e: unknown): string {
  return e instanceof CimError ? e.description : (e as Error).message;
}

/** The source host's migrations in doubt: VM and destination, index by index. */
async function readInDoubt(ctx: ServerContext, host: string): Promise<{ vm: string; destination: string }[]> {
  const found: { vm: string; destination: string }[] = [];
  for await (const s of ctx.hosts.connection(host).enumerateInstances(SERVICE_CLASS, { propertyList: ['InDoubtVirtualSystems', 'InDoubtDestinationHosts'] })) {
    const vms = s.get('InDoubtVirtualSystems');
    const dests = s.get('InDoubtDestinationHosts');
    if (!Array.isArray(vms)) continue;
    vms.forEach((vm, i) => {
      if (typeof vm === 'string' && vm !== '') found.push({ vm, destination: Array.isArray(dests) && typeof dests[i] === 'string' ? dests[i] : '' });
    });
  }
  return found;
}

/**
 * Settles what can be settled of the migrations in doubt the hosts of `group` report. Only a host
 * of the same TVDc is asked about a VM: a server-run migration never leaves the TVDc, and one
 * that did was not the server's to judge.
 */
export async function resolveMigrationsInDoubt(ctx: ServerContext, group: string, user: string): Promise<InDoubtReport> {
  const members = ctx.hosts.list().filter((h) => h.group === group);
  const report: InDoubtReport = { migrations: [], unreachable: [] };
  for (const source of members) {
    let doubtful;
    try {
      doubtful = await readInDoubt(ctx, source.name);
    } catch (e) {
      report.unreachable.push({ host: source.name, message: messageOf(e) });
      continue;
    }
    for (const d of doubtful) report.migrations.push(await settle(ctx, group, user, source, members, d));
  }
  return report;
}

async function settle(ctx: ServerContext, group: string, user: string, source: HostRecord, members: HostRecord[], d: { vm: string; destination: string }): Promise<InDoubtOutcome> {
  const base = { host: source.name, vm: d.vm, destination: d.destination };
  const dest = members.find((h) => h.name !== source.name && originOf(h.url) === originOf(d.destination)) ?? null;
  const left = (message: string): InDoubtOutcome => ({ ...base, destinationHost: dest?.name ?? null, outcome: 'left', message });
  if (!dest) {
    return left(`${d.destination || 'its destination'} is no host of TVDc ${group} the server knows: ask that host whether it has VM ${d.vm}, then resolve it on ${source.name} (ResolveMigration)`);
  }
  let arrived: boolean;
  try {
    arrived = await hasVm(ctx.hosts.connection(dest.name), d.vm);
  } catch (e) {
    return left(`host ${dest.name} could not be asked whether it has VM ${d.vm} (${messageOf(e)}): left in doubt, try again once it answers`);
  }
  let r;
  try {
    r = await ctx.hosts.connection(source.name).invokeMethod(migrationService(source.name), 'ResolveMigration', { VirtualSystemName: d.vm, Arrived: arrived });
  } catch (e) {
    return left(`host ${source.name} could not be told that VM ${d.vm} is ${arrived ? '' : 'not '}on ${dest.name} (${messageOf(e)})`);
  }
  const rv = Number(r.returnValue);
  if (rv !== 0) {
    const reason = r.outParams.get('Reason')?.value;
    return left(`host ${source.name} did not settle it (ResolveMigration returned ${rv}): ${typeof reason === 'string' && reason ? reason : 'no reason given'}`);
  }
  const message = arrived
    ? `VM ${d.vm} is on ${dest.name}: ${source.name} forgot its take-back copy`
    : `VM ${d.vm} is not on ${dest.name}: it is back on ${source.name}, stopped`;
  ctx.audit({ user, group, action: 'vm.migrate.resolve', message: `TVDc ${group}: migration of VM ${d.vm} from ${source.name} to ${dest.name} was in doubt; ${message} (resolved by ${user})` });
  return { ...base, destinationHost: dest.name, outcome: arrived ? 'arrived' : 'restored', message };
}
