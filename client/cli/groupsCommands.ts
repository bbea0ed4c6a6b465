// `tvdc groups ...`: TVDcs, the hosts in each, and everything a TVDc holds at a glance.
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';
import { printIsolation, type IsolationInfo } from './hostsCommands.js';
import type { DeploymentInfo } from './policyCommands.js';

interface GroupSummary { name: string; hosts: string[]; policy: { name: string; version: string } | null; deployed: number }
interface GroupDetail {
  name: string;
  policy: { name: string; version: string; updatedAt: string; updatedBy: string } | null;
  administrators: string[];
  hosts: (IsolationInfo & {
    name: string; url: string; reachable: boolean; error?: { code: string; message: string };
    deployment: DeploymentInfo;
  })[];
}

function printSummary(io: Io, groups: readonly GroupSummary[]): void {
  printTable(io, ['TVDC', 'HOSTS', 'POLICY', 'DEPLOYED'], groups.map((g) => [
    g.name, g.hosts.join(',') || '-', g.policy ? `${g.policy.name} ${g.policy.version}` : '-', g.policy ? `${g.deployed}/${g.hosts.length}` : '-',
  ]));
}

async function create(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc groups create NAME');
  const g = await ApiClient.fromOptions(opts).post<GroupSummary>('/api/groups', { name });
  printResult(io, opts, g, () => io.out(`TVDc ${g.name} created`));
  return EXIT.OK;
}

async function add(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  if (positional.length < 2) throw new UsageError('usage: tvdc groups add NAME HOST...');
  const [name, ...hosts] = positional;
  const g = await ApiClient.fromOptions(opts).post<GroupSummary>(`/api/groups/${seg(name!)}/hosts`, { hosts });
  printResult(io, opts, g, () => printSummary(io, [g]));
  return EXIT.OK;
}

async function removeHost(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name, host] = expectPositional(positional, 2, 'tvdc groups remove-host NAME HOST');
  const g = await ApiClient.fromOptions(opts).del<GroupSummary>(`/api/groups/${seg(name!)}/hosts/${seg(host!)}`);
  printResult(io, opts, g, () => printSummary(io, [g]));
  return EXIT.OK;
}

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc groups list');
  const r = await ApiClient.fromOptions(opts).get<{ groups: GroupSummary[] }>('/api/groups');
  printResult(io, opts, r, () => printSummary(io, r.groups));
  return EXIT.OK;
}

async function show(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc groups show NAME');
  const g = await ApiClient.fromOptions(opts).get<GroupDetail>(`/api/groups/${seg(name!)}`);
  printResult(io, opts, g, () => {
    io.out(`TVDc ${g.name}`);
    io.out(`policy: ${g.policy ? `${g.policy.name} ${g.policy.version} (set by ${g.policy.updatedBy} at ${g.policy.updatedAt})` : 'none'}`);
    io.out(`administrators: ${g.administrators.join(', ') || 'none'}`);
    for (const h of g.hosts) {
      io.out(`host ${h.name}  ${h.url}  label ${h.reachable ? (h.label ?? '(none)') : '(unknown: host unreachable)'}  policy ${h.deployment.state}${h.deployment.state.startsWith('failed') && h.deployment.message ? `: ${h.deployment.message}` : ''}`);
      if (!h.reachable) io.out(`  ${h.error!.code}: ${h.error!.message}`);
      else printIsolation(io, h);
    }
    if (g.hosts.length === 0) io.out('no hosts');
  });
  return EXIT.OK;
}

async function del(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json', 'force']);
  const [name] = expectPositional(positional, 1, 'tvdc groups delete NAME [--force]');
  // Without --force the server refuses a TVDc that still has hosts (CONFLICT, naming them).
  const r = await ApiClient.fromOptions(opts).del<{ removed: string; hosts?: string[] }>(`/api/groups/${seg(name!)}${opts.has('force') ? '?force=true' : ''}`);
  printResult(io, opts, r, () => io.out(`TVDc ${r.removed} deleted${r.hosts?.length ? `; hosts ${r.hosts.join(', ')} are in no TVDc now` : ''}`));
  return EXIT.OK;
}

export const GROUPS_NOUNS: Record<string, Record<string, Verb>> = {
  groups: { create, add, 'remove-host': removeHost, list, show, delete: del },
};
