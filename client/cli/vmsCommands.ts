// `tvdc vms ...`: the VMs of a TVDc, and starting, stopping and migrating them between its hosts
// (the paper's section 3.1: the TVDc administrator manages the VMs of his TVDc; the hosts decide).
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';
import type { IsolationInfo } from './hostsCommands.js';

/** The part of a TVDc's view (GET /api/groups/:group, as `tvdc groups show` reads it) this noun lists. */
interface GroupView {
  name: string;
  hosts: (IsolationInfo & { name: string; reachable: boolean; error?: { code: string; message: string } })[];
}
interface StateAnswer { group: string; vm: string; host: string; state: string; changed: boolean; hard?: boolean }
interface MigrationAnswer { group: string; vm: string; from: string; to: string; state: string | null }
interface ResolveAnswer {
  group: string;
  migrations: { host: string; vm: string; destination: string; destinationHost: string | null; outcome: 'arrived' | 'restored' | 'left'; message: string }[];
  unreachable: { host: string; message: string }[];
}

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc vms list GROUP');
  const g = await ApiClient.fromOptions(opts).get<GroupView>(`/api/groups/${seg(group!)}`);
  const vms = g.hosts.flatMap((h) => h.vms.map((v) => ({ host: h.name, ...v })));
  const unreachable = g.hosts.filter((h) => !h.reachable).map((h) => ({ host: h.name, error: h.error ?? null }));
  printResult(io, opts, { group: g.name, vms, unreachable }, () => {
    if (vms.length === 0) io.out(`TVDc ${g.name}: no VMs`);
    else printTable(io, ['HOST', 'VM', 'STATE', 'LABEL'], vms.map((v) => [v.host, v.name, v.state, v.label ?? '(unlabeled)']));
  });
  // The list is short of these hosts' VMs; say so where a script reading the table will not trip on it.
  for (const u of unreachable) io.err(`tvdc vms list: host ${u.host} not reachable, its VMs are not listed${u.error ? `: ${u.error.code}: ${u.error.message}` : ''}`);
  return EXIT.OK;
}

function vmRoute(group: string, vm: string, verb: string): string {
  return `/api/groups/${seg(group)}/vms/${seg(vm)}/${verb}`;
}

async function start(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group, vm] = expectPositional(positional, 2, 'tvdc vms start GROUP VM');
  const r = await ApiClient.fromOptions(opts).post<StateAnswer>(vmRoute(group!, vm!, 'start'), {});
  printResult(io, opts, r, () => io.out(`VM ${r.vm} on host ${r.host} ${r.changed ? 'started' : 'was running already'}`));
  return EXIT.OK;
}

async function stop(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json', 'hard']);
  const [group, vm] = expectPositional(positional, 2, 'tvdc vms stop GROUP VM [--hard]');
  const r = await ApiClient.fromOptions(opts).post<StateAnswer>(vmRoute(group!, vm!, 'stop'), { hard: opts.has('hard') });
  printResult(io, opts, r, () => io.out(`VM ${r.vm} on host ${r.host} ${!r.changed ? 'was stopped already' : r.hard ? 'stopped (hard)' : 'shut down'}`));
  return EXIT.OK;
}

const MIGRATE_USAGE = 'tvdc vms migrate GROUP VM --to HOST';

async function migrate(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'to'], ['json']);
  const [group, vm] = expectPositional(positional, 2, MIGRATE_USAGE);
  const to = opts.get('to');
  if (!to) throw new UsageError(`usage: ${MIGRATE_USAGE}`);
  const r = await ApiClient.fromOptions(opts).post<MigrationAnswer>(vmRoute(group!, vm!, 'migrate'), { to });
  printResult(io, opts, r, () => io.out(`VM ${r.vm} migrated from host ${r.from} to host ${r.to}${r.state ? ` (${r.state})` : ''}`));
  return EXIT.OK;
}

/**
 * Settles the migrations the TVDc's hosts report in doubt (a source host restarted while a VM was
 * on its way). Exits 0 only when none is left in doubt and every host answered, so a script can
 * repeat it until the destinations are back.
 */
async function resolve(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc vms resolve GROUP');
  const r = await ApiClient.fromOptions(opts).post<ResolveAnswer>(`/api/groups/${seg(group!)}/migrations/resolve`, {});
  printResult(io, opts, r, () => {
    if (r.migrations.length === 0) io.out(`TVDc ${r.group}: no migration in doubt`);
    else printTable(io, ['HOST', 'VM', 'DESTINATION', 'OUTCOME', 'MESSAGE'], r.migrations.map((m) => [m.host, m.vm, m.destinationHost ?? m.destination, m.outcome, m.message]));
  });
  for (const u of r.unreachable) io.err(`tvdc vms resolve: host ${u.host} not reachable, its migrations in doubt are not known: ${u.message}`);
  return r.unreachable.length === 0 && r.migrations.every((m) => m.outcome !== 'left') ? EXIT.OK : EXIT.FAILED;
}

export const VMS_NOUNS: Record<string, Record<string, Verb>> = {
  vms: { list, start, stop, migrate, resolve },
};
