// `tvdc policy ...`: a TVDc's one sHype policy: set it from a Xen ACM file, read it, export it,
// deploy it to the TVDc's hosts, and edit its Chinese Wall conflict sets.
import { readFileSync, writeFileSync } from 'node:fs';
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, indented, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';

export interface PolicyView {
  name: string; version: string; updatedAt: string; updatedBy: string; bootstrap: string;
  steTypes: string[]; cwTypes: string[];
  vmLabels: { name: string; ste: string[]; cw: string[] }[];
  resourceLabels: { name: string; ste: string }[];
  conflictSets: { name: string; types: string[] }[];
  deployments?: DeploymentInfo[];
  /** After an edit: why its version skips the next one (a host already holds that), and the hosts left out below. */
  versionNote?: string;
  /** After an edit: hosts holding a version that leaves no room above it, left out of the choice; deploying there fails until their policy is reset. */
  versionsLeftOut?: { host: string; version: string }[];
  /** After an edit or a set: hosts the server could not ask what they hold. */
  hostsNotRead?: { host: string; message: string }[];
}

/** What an edit or a set reports beside the new version: a skipped version, hosts not read. */
export function printEditNotes(io: Io, p: PolicyView, what: 'edit' | 'set'): void {
  if (p.versionNote) io.out(`note: ${p.versionNote}`);
  for (const n of p.hostsNotRead ?? []) {
    io.out(what === 'edit'
      ? `warning: host ${n.host} could not be read (${n.message}); the version was chosen from what the server recorded of it`
      : `warning: host ${n.host} could not be read (${n.message}); whether it runs another ${p.name} ${p.version} is not known`);
  }
}

/** Where a host stands with the TVDc's policy: the server's record checked against what the host runs. */
export interface DeploymentInfo {
  host?: string;
  state: string;
  status: string;
  drifted: boolean;
  running: { name: string; version: string } | null;
  reachable?: boolean;
  version: string | null;
  message: string | null;
}

interface DeployAnswer { group: string; policy: { name: string; version: string }; ok: boolean; results: { host: string; ok: boolean; state: string; message: string }[] }

/** Comma-separated types of --types. */
export function typesOption(opts: Map<string, string>, usage: string): string[] {
  const v = opts.get('types');
  if (!v) throw new UsageError(`--types is required: ${usage}`);
  const types = v.split(',').map((t) => t.trim()).filter(Boolean);
  if (types.length === 0) throw new UsageError(`--types names no type: ${usage}`);
  return types;
}

function printPolicy(io: Io, p: PolicyView): void {
  io.out(`policy ${p.name} ${p.version} (set by ${p.updatedBy} at ${p.updatedAt}), bootstrap label ${p.bootstrap}`);
  io.out('labels:');
  printTable(indented(io), ['LABEL', 'KIND', 'TYPES', 'CHINESE WALL'], [
    ...p.vmLabels.map((l) => [l.name, 'vm', l.ste.join(','), l.cw.join(',') || '-']),
    ...p.resourceLabels.map((l) => [l.name, 'resource', l.ste, '-']),
  ]);
  io.out(`conflict sets: ${p.conflictSets.map((c) => `${c.name} (${c.types.join(',')})`).join(', ') || 'none'}`);
  if (p.deployments) {
    io.out('deployment:');
    if (p.deployments.length === 0) io.out('  no hosts');
    else {
      printTable(indented(io), ['HOST', 'RUNS', 'STATE', 'LAST DEPLOYMENT'], p.deployments.map((d) => [
        d.host ?? '', d.running ? `${d.running.name} ${d.running.version}` : d.reachable === false ? '?' : '-', d.state, d.message ?? '',
      ]));
    }
    const drifted = p.deployments.filter((d) => d.drifted).map((d) => d.host);
    if (drifted.length) io.out(`drifted: ${drifted.join(', ')} run${drifted.length === 1 ? 's' : ''} another policy than the one deployed by the server; labels cannot be assigned there until tvdc policy deploy succeeds`);
  }
}

async function set(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group, file] = expectPositional(positional, 2, 'tvdc policy set GROUP FILE');
  let xml: string;
  try {
    xml = readFileSync(file!, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const p = await ApiClient.fromOptions(opts).put<PolicyView>(`/api/groups/${seg(group!)}/policy`, { xml, file });
  printResult(io, opts, p, () => {
    io.out(`TVDc ${group}: policy ${p.name} ${p.version} set (deploy it with tvdc policy deploy ${group})`);
    printEditNotes(io, p, 'set');
  });
  return EXIT.OK;
}

async function show(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc policy show GROUP');
  const p = await ApiClient.fromOptions(opts).get<PolicyView>(`/api/groups/${seg(group!)}/policy`);
  printResult(io, opts, p, () => printPolicy(io, p));
  return EXIT.OK;
}

async function exportPolicy(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  if (positional.length < 1 || positional.length > 2) throw new UsageError('usage: tvdc policy export GROUP [FILE]');
  const [group, file] = positional;
  const r = await ApiClient.fromOptions(opts).get<{ name: string; version: string; xml: string }>(`/api/groups/${seg(group!)}/policy/xml`);
  if (file) {
    writeFileSync(file, r.xml);
    printResult(io, opts, { name: r.name, version: r.version, file }, () => io.out(`policy ${r.name} ${r.version} written to ${file}`));
  } else if (opts.has('json')) io.out(JSON.stringify(r, null, 2));
  else io.out(r.xml.replace(/\n$/, ''));
  return EXIT.OK;
}

async function deploy(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc policy deploy GROUP');
  const r = await ApiClient.fromOptions(opts).post<DeployAnswer>(`/api/groups/${seg(group!)}/policy/deploy`);
  printResult(io, opts, r, () => {
    io.out(`TVDc ${r.group}: policy ${r.policy.name} ${r.policy.version}`);
    printTable(io, ['HOST', 'RESULT', 'MESSAGE'], r.results.map((x) => [x.host, x.state, x.message]));
  });
  // Some hosts did not take it: the command did not do all it was asked.
  if (!r.ok) io.err(`tvdc: ${r.results.filter((x) => !x.ok).length} of ${r.results.length} hosts did not take the policy`);
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

const CONFLICTS_USAGE = 'tvdc policy conflicts add GROUP NAME --types T1,T2,... | tvdc policy conflicts remove GROUP NAME';

async function conflicts(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  const { positional, opts } = parseOptions(rest, [...API_OPTIONS, 'types'], ['json']);
  const [group, name] = expectPositional(positional, 2, CONFLICTS_USAGE);
  const client = () => ApiClient.fromOptions(opts);
  let p: PolicyView;
  if (action === 'add') p = await client().post<PolicyView>(`/api/groups/${seg(group!)}/conflicts`, { name, types: typesOption(opts, CONFLICTS_USAGE) });
  else if (action === 'remove') {
    if (opts.has('types')) throw new UsageError('conflicts remove takes no --types');
    p = await client().del<PolicyView>(`/api/groups/${seg(group!)}/conflicts/${seg(name!)}`);
  } else throw new UsageError(`usage: ${CONFLICTS_USAGE}`);
  printResult(io, opts, p, () => {
    io.out(`TVDc ${group}: conflict set ${name} ${action === 'add' ? 'added' : 'removed'}; policy ${p.name} ${p.version} (deploy it with tvdc policy deploy ${group})`);
    printEditNotes(io, p, 'edit');
  });
  return EXIT.OK;
}

export const POLICY_NOUNS: Record<string, Record<string, Verb>> = {
  policy: { set, show, export: exportPolicy, deploy, conflicts },
};
