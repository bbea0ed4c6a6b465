// Migrations in doubt, settled by the management server: a source host that restarted while a VM
// was on its way lists the VM in TVDc_VirtualSystemMigrationService.InDoubtVirtualSystems, with the
// destination it went to and the migration's id (InDoubtMigrationIDs). The server knows that
// destination (it is a host of the same TVDc): it asks it whether it admitted that migration
// (QueryMigration) and tells the source (ResolveMigration): admitted, the source forgets its
// take-back copy; not admitted, the source restores the VM, stopped. Where a VM of that name is now
// says nothing: one that arrived may have moved on or been destroyed there since, and restoring
// the copy then would clone or resurrect it. A destination that does not answer, or cannot say (an
// agent without QueryMigration, a migration recorded without an id), leaves it in doubt, and the
// answer says so.
import { CimError, CimStatus } from '../cim/index.js';
import type { HostRecord, ServerContext } from './ServerContext.js';
import { migrationService } from './vmMigration.js';

const SERVICE_CLASS = 'TVDc_VirtualSystemMigrationService';

/** One migration in doubt and what became of it. */
export interface InDoubtOutcome {
  /** The source host, which reported it. */
  host: string;
  vm: string;
  /** The destination as the source names it (its URL's origin). */
  destination: string;
  /** The migration's id as the source recorded it; '' when it has none (an older agent's record). */
  migrationId: string;
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

/** One migration in doubt as its source lists it. */
interface InDoubt {
  vm: string;
  destination: string;
  migrationId: string;
}

/** The source host's migrations in doubt: VM, destination and migration id, index by index. */
async function readInDoubt(ctx: ServerContext, host: string): Promise<InDoubt[]> {
  const found: InDoubt[] = [];
  for await (const s of ctx.hosts.connection(host).enumerateInstances(SERVICE_CLASS, { propertyList: ['InDoubtVirtualSystems', 'InDoubtDestinationHosts', 'InDoubtMigrationIDs'] })) {
    const vms = s.get('InDoubtVirtualSystems');
    const dests = s.get('InDoubtDestinationHosts');
    const ids = s.get('InDoubtMigrationIDs');
    if (!Array.isArray(vms)) continue;
    const at = (list: unknown, i: number): string => (Array.isArray(list) && typeof list[i] === 'string' ? list[i] : '');
    vms.forEach((vm, i) => {
      if (typeof vm === 'string' && vm !== '') found.push({ vm, destination: at(dests, i), migrationId: at(ids, i) });
    });
  }
  return found;
}

/** Errors with which an agent says it has no QueryMigration (an older release). */
const NO_SUCH_METHOD = new Set<number>([CimStatus.CIM_ERR_METHOD_NOT_FOUND, CimStatus.CIM_ERR_METHOD_NOT_AVAILABLE, CimStatus.CIM_ERR_NOT_SUPPORTED]);

/**
 * Asks the destination whether it admitted migration `id` of `vm`: true or false when it says,
 * a string saying why when it cannot (an older agent); throws when it cannot be asked.
 */
async function admitted(ctx: ServerContext, dest: string, vm: string, id: string): Promise<boolean | string> {
  let r;
  try {
    r = await ctx.hosts.connection(dest).invokeMethod(migrationService(dest), 'QueryMigration', { MigrationID: id });
  } catch (e) {
    if (e instanceof CimError && NO_SUCH_METHOD.has(e.status)) return `host ${dest} cannot say whether it admitted migration ${id} of VM ${vm} (${e.description}; an older tvdc host agent without QueryMigration)`;
    throw e;
  }
  const rv = Number(r.returnValue);
  const reason = r.outParams.get('Reason')?.value;
  if (rv === 1) return `host ${dest} cannot say whether it admitted migration ${id} of VM ${vm} (QueryMigration returned 1, Not Supported)`;
  if (rv !== 0) throw new Error(`QueryMigration returned ${rv}: ${typeof reason === 'string' && reason ? reason : 'no reason given'}`);
  const answer = r.outParams.get('Admitted')?.value;
  if (typeof answer !== 'boolean') return `host ${dest} answered QueryMigration for migration ${id} of VM ${vm} without Admitted`;
  const name = r.outParams.get('VirtualSystemName')?.value;
  if (answer && name !== vm) return `host ${dest} admitted migration ${id}, but of VM ${String(name)}, not of VM ${vm}`;
  return answer;
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

async function settle(ctx: ServerContext, group: string, user: string, source: HostRecord, members: HostRecord[], d: InDoubt): Promise<InDoubtOutcome> {
  const base = { host: source.name, vm: d.vm, destination: d.destination, migrationId: d.migrationId };
  const dest = members.find((h) => h.name !== source.name && originOf(h.url) === originOf(d.destination)) ?? null;
  const left = (message: string): InDoubtOutcome => ({ ...base, destinationHost: dest?.name ?? null, outcome: 'left', message });
  const byHand = `ask it whether it admitted VM ${d.vm}, then resolve it on ${source.name} (ResolveMigration)`;
  if (!dest) {
    return left(`${d.destination || 'its destination'} is no host of TVDc ${group} the server knows: ${byHand}`);
  }
  if (d.migrationId === '') {
    return left(`host ${source.name} recorded the migration of VM ${d.vm} without an id (an older tvdc host agent), so ${dest.name} cannot be asked about it: left in doubt; ${byHand}`);
  }
  let arrived: boolean;
  try {
    const answer = await admitted(ctx, dest.name, d.vm, d.migrationId);
    if (typeof answer === 'string') return left(`${answer}: left in doubt; ${byHand}`);
    arrived = answer;
  } catch (e) {
    return left(`host ${dest.name} could not be asked whether it admitted migration ${d.migrationId} of VM ${d.vm} (${messageOf(e)}): left in doubt, try again once it answers`);
  }
  let r;
  try {
    r = await ctx.hosts.connection(source.name).invokeMethod(migrationService(source.name), 'ResolveMigration', { VirtualSystemName: d.vm, Arrived: arrived });
  } catch (e) {
    return left(`host ${source.name} could not be told that ${dest.name} ${arrived ? 'admitted' : 'did not admit'} VM ${d.vm} (${messageOf(e)})`);
  }
  const rv = Number(r.returnValue);
  if (rv !== 0) {
    const reason = r.outParams.get('Reason')?.value;
    return left(`host ${source.name} did not settle it (ResolveMigration returned ${rv}): ${typeof reason === 'string' && reason ? reason : 'no reason given'}`);
  }
  const message = arrived
    ? `${dest.name} admitted VM ${d.vm} (migration ${d.migrationId}): ${source.name} forgot its take-back copy`
    : `${dest.name} did not admit VM ${d.vm} (migration ${d.migrationId}): it is back on ${source.name}, stopped`;
  ctx.audit({ user, group, action: 'vm.migrate.resolve', message: `TVDc ${group}: migration of VM ${d.vm} from ${source.name} to ${dest.name} was in doubt; ${message} (resolved by ${user})` });
  return { ...base, destinationHost: dest.name, outcome: arrived ? 'arrived' : 'restored', message };
}
