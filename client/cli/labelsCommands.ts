// `tvdc labels ...`: a TVDc's labels (created and removed by the dcadmin) and their assignment to
// VMs (by the TVDc's administrators, the paper's step 6).
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';
import { typesOption, type PolicyView } from './policyCommands.js';

interface LabelList {
  group: string;
  policy: { name: string; version: string };
  labels: { name: string; kind: string; ste: string[]; cw: string[]; bootstrap: boolean }[];
  conflictSets: { name: string; types: string[] }[];
}
interface Assignment { group: string; vm: string; host: string; label: string | null; securityLabel?: string }

const ADD_USAGE = 'tvdc labels add GROUP NAME --types T1,T2 [--cw T1,T2|none] [--resource]';

async function add(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'types', 'cw'], ['json', 'resource']);
  const [group, name] = expectPositional(positional, 2, ADD_USAGE);
  const types = typesOption(opts, ADD_USAGE);
  const cwText = opts.get('cw');
  if (cwText !== undefined && opts.has('resource')) throw new UsageError('a resource label has no Chinese Wall types (--cw)');
  const cw = cwText === undefined ? undefined : cwText === 'none' ? [] : cwText.split(',').map((t) => t.trim()).filter(Boolean);
  const p = await ApiClient.fromOptions(opts).post<PolicyView>(`/api/groups/${seg(group!)}/labels`, {
    name, types, kind: opts.has('resource') ? 'resource' : 'vm', ...(cw ? { cw } : {}),
  });
  printResult(io, opts, p, () => io.out(`TVDc ${group}: label ${name} added; policy ${p.name} ${p.version} (deploy it with tvdc policy deploy ${group})`));
  return EXIT.OK;
}

async function remove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json', 'resource']);
  const [group, name] = expectPositional(positional, 2, 'tvdc labels remove GROUP NAME [--resource]');
  const p = await ApiClient.fromOptions(opts).del<PolicyView>(`/api/groups/${seg(group!)}/labels/${seg(name!)}?kind=${opts.has('resource') ? 'resource' : 'vm'}`);
  printResult(io, opts, p, () => io.out(`TVDc ${group}: label ${name} removed; policy ${p.name} ${p.version} (deploy it with tvdc policy deploy ${group})`));
  return EXIT.OK;
}

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc labels list GROUP');
  const r = await ApiClient.fromOptions(opts).get<LabelList>(`/api/groups/${seg(group!)}/labels`);
  printResult(io, opts, r, () => {
    io.out(`TVDc ${r.group}: policy ${r.policy.name} ${r.policy.version}`);
    printTable(io, ['LABEL', 'KIND', 'TYPES', 'CHINESE WALL'], r.labels.map((l) => [l.name + (l.bootstrap ? ' (bootstrap)' : ''), l.kind, l.ste.join(','), l.cw.join(',') || '-']));
    io.out(`conflict sets: ${r.conflictSets.map((c) => `${c.name} (${c.types.join(',')})`).join(', ') || 'none'}`);
  });
  return EXIT.OK;
}

async function assign(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group, vm, label] = expectPositional(positional, 3, 'tvdc labels assign GROUP VM LABEL');
  const r = await ApiClient.fromOptions(opts).put<Assignment>(`/api/groups/${seg(group!)}/vms/${seg(vm!)}/label`, { label });
  printResult(io, opts, r, () => io.out(`VM ${r.vm} on host ${r.host} labeled ${r.label} (${r.securityLabel})`));
  return EXIT.OK;
}

async function unassign(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group, vm] = expectPositional(positional, 2, 'tvdc labels unassign GROUP VM');
  const r = await ApiClient.fromOptions(opts).del<Assignment>(`/api/groups/${seg(group!)}/vms/${seg(vm!)}/label`);
  printResult(io, opts, r, () => io.out(`VM ${r.vm} on host ${r.host} is unlabeled`));
  return EXIT.OK;
}

export const LABELS_NOUNS: Record<string, Record<string, Verb>> = {
  labels: { add, remove, list, assign, unassign },
};
