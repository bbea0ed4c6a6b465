// `tvdc labels ...`: a TVDc's labels (created and removed by the dcadmin) and their assignment to
// VMs and to their hosts' disks and network segments (by the TVDc's administrators, the paper's
// step 6).
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';
import { printEditNotes, typesOption, type PolicyView } from './policyCommands.js';

interface LabelList {
  group: string;
  policy: { name: string; version: string };
  labels: { name: string; kind: string; ste: string[]; cw: string[]; bootstrap: boolean }[];
  conflictSets: { name: string; types: string[] }[];
}
interface Assignment { group: string; vm?: string; disk?: string; segment?: string; host: string; label: string | null; securityLabel?: string }

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
  printResult(io, opts, p, () => {
    io.out(`TVDc ${group}: label ${name} added; policy ${p.name} ${p.version} (deploy it with tvdc policy deploy ${group})`);
    printEditNotes(io, p, 'edit');
  });
  return EXIT.OK;
}

async function remove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json', 'resource']);
  const [group, name] = expectPositional(positional, 2, 'tvdc labels remove GROUP NAME [--resource]');
  const p = await ApiClient.fromOptions(opts).del<PolicyView>(`/api/groups/${seg(group!)}/labels/${seg(name!)}?kind=${opts.has('resource') ? 'resource' : 'vm'}`);
  printResult(io, opts, p, () => {
    io.out(`TVDc ${group}: label ${name} removed; policy ${p.name} ${p.version} (deploy it with tvdc policy deploy ${group})`);
    printEditNotes(io, p, 'edit');
  });
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

const ASSIGN_USAGE = 'tvdc labels assign GROUP VM LABEL | tvdc labels assign GROUP NAME LABEL --disk HOST|--segment HOST';
const UNASSIGN_USAGE = 'tvdc labels unassign GROUP VM | tvdc labels unassign GROUP NAME --disk HOST|--segment HOST';

/** The API path of the element: a VM of the TVDc, or a disk / segment of one of its hosts. */
function elementPath(group: string, name: string, opts: Map<string, string>): { path: string; what: string } {
  const disk = opts.get('disk');
  const segment = opts.get('segment');
  if (disk !== undefined && segment !== undefined) throw new UsageError('give --disk HOST or --segment HOST, not both');
  const base = `/api/groups/${seg(group)}`;
  if (disk !== undefined) return { path: `${base}/hosts/${seg(disk)}/disks/${seg(name)}/label`, what: `disk ${name} on host ${disk}` };
  if (segment !== undefined) return { path: `${base}/hosts/${seg(segment)}/segments/${seg(name)}/label`, what: `segment ${name} on host ${segment}` };
  return { path: `${base}/vms/${seg(name)}/label`, what: `VM ${name}` };
}

async function assign(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'disk', 'segment'], ['json']);
  const [group, name, label] = expectPositional(positional, 3, ASSIGN_USAGE);
  const { path, what } = elementPath(group!, name!, opts);
  const r = await ApiClient.fromOptions(opts).put<Assignment>(path, { label });
  printResult(io, opts, r, () => io.out(`${what}${r.vm ? ` on host ${r.host}` : ''} labeled ${r.label} (${r.securityLabel})`));
  return EXIT.OK;
}

async function unassign(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'disk', 'segment'], ['json']);
  const [group, name] = expectPositional(positional, 2, UNASSIGN_USAGE);
  const { path, what } = elementPath(group!, name!, opts);
  const r = await ApiClient.fromOptions(opts).del<Assignment>(path);
  printResult(io, opts, r, () => io.out(`${what}${r.vm ? ` on host ${r.host}` : ''} is unlabeled`));
  return EXIT.OK;
}

export const LABELS_NOUNS: Record<string, Record<string, Verb>> = {
  labels: { add, remove, list, assign, unassign },
};
