// `tvdc hosts ...`: find tvdc hosts, put them under management, see what runs on them.
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, indented, parseOptions, printResult, printTable, readTextFile, type Io, type Verb } from './commandKit.js';

interface HostInfo { name: string; url: string; group: string | null; credentials: boolean }
interface VmInfo { name: string; state: string; label: string | null; securityLabel: string | null; disks: string[]; segments: string[] }
/** What a host's isolation looks like, as the API reads it from the host. */
export interface IsolationInfo {
  label: string | null;
  vms: VmInfo[];
  disks: { name: string; label: string | null }[];
  segments: { name: string; network: string; label: string | null }[];
}
interface HostDetail extends HostInfo, IsolationInfo { policies: { name: string; version: string; active: boolean }[]; deployment?: { state: string } | null }
interface Removal { removed: string; subscriptions?: { ok: boolean; removed: string[]; remaining: string[]; error?: { code: string; message: string } } }
interface Discovery { results: { url: string; ok: boolean; name?: string; managed?: boolean; error?: { code: string; message: string } }[] }

const HOST_OPTIONS = [...API_OPTIONS, 'host-user', 'host-password', 'host-cacert'];

/**
 * --host-user U [--host-password P] (or env TVDC_HOST_PASSWORD), --host-cacert FILE: how the
 * server logs in to the host, and the CA of an HTTPS host's certificate.
 */
function hostCredentials(opts: Map<string, string>): { user?: string; password?: string; ca?: string } {
  const user = opts.get('host-user');
  const password = opts.get('host-password') ?? process.env['TVDC_HOST_PASSWORD'];
  const caFile = opts.get('host-cacert');
  const ca = caFile !== undefined ? readTextFile(caFile, '--host-cacert') : undefined;
  if (user === undefined && opts.has('host-password')) throw new UsageError('--host-password needs --host-user');
  return { ...(user !== undefined ? { user, password: password ?? '' } : {}), ...(ca !== undefined ? { ca } : {}) };
}

async function discover(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, HOST_OPTIONS, ['json']);
  if (positional.length === 0) throw new UsageError('usage: tvdc hosts discover URL... [--host-user U --host-password P] [--host-cacert FILE]');
  const r = await ApiClient.fromOptions(opts).post<Discovery>('/api/hosts/discover', { urls: positional, ...hostCredentials(opts) });
  printResult(io, opts, r, () => printTable(io, ['URL', 'FOUND', 'MANAGED'], r.results.map((x) => [
    x.url, x.ok ? `tvdc host ${x.name}` : `${x.error!.code}: ${x.error!.message}`, x.ok ? (x.managed ? 'yes' : 'no') : '-',
  ])));
  return EXIT.OK;
}

async function add(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, HOST_OPTIONS, ['json']);
  const [url] = expectPositional(positional, 1, 'tvdc hosts add URL [--host-user U --host-password P] [--host-cacert FILE]');
  const h = await ApiClient.fromOptions(opts).post<HostInfo>('/api/hosts', { url, ...hostCredentials(opts) });
  printResult(io, opts, h, () => io.out(`host ${h.name} added (${h.url})`));
  return EXIT.OK;
}

async function credentials(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, HOST_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc hosts credentials NAME [--host-user U --host-password P] [--host-cacert FILE]');
  const h = await ApiClient.fromOptions(opts).put<HostInfo>(`/api/hosts/${seg(name!)}/credentials`, hostCredentials(opts));
  printResult(io, opts, h, () => io.out(`host ${h.name}: credentials replaced (${h.credentials ? 'user and password' : 'none'}), checked on ${h.url}`));
  return EXIT.OK;
}

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc hosts list');
  const r = await ApiClient.fromOptions(opts).get<{ hosts: HostInfo[] }>('/api/hosts');
  printResult(io, opts, r, () => printTable(io, ['HOST', 'URL', 'TVDC', 'CREDENTIALS'], r.hosts.map((h) => [h.name, h.url, h.group ?? '-', h.credentials ? 'yes' : 'no'])));
  return EXIT.OK;
}

async function remove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc hosts remove NAME');
  const r = await ApiClient.fromOptions(opts).del<Removal>(`/api/hosts/${seg(name!)}`);
  const subs = r.subscriptions;
  printResult(io, opts, r, () => io.out(`host ${r.removed} removed${subs?.ok && subs.removed.length ? `; its indication subscriptions removed (${subs.removed.join(', ')})` : ''}`));
  // The host is no longer managed either way (exit 0), but what stays on it needs a hand there.
  if (subs && !subs.ok) {
    io.err(`tvdc: warning: the server's indication subscriptions could not be removed from ${r.removed} (${subs.error?.code}: ${subs.error?.message})${subs.remaining.length ? `; remove ${subs.remaining.join(', ')} on the host` : ''}`);
  }
  return EXIT.OK;
}

/** A host's VMs (with the disks and segments each was given), disks and segments, with labels. */
export function printIsolation(io: Io, v: IsolationInfo): void {
  const under = indented(io);
  if (v.vms.length === 0) io.out('  (no VMs)');
  else printTable(under, ['VM', 'STATE', 'LABEL', 'DISKS', 'SEGMENTS'], v.vms.map((m) => [m.name, m.state, m.label ?? '(unlabeled)', m.disks.join(',') || '-', m.segments.join(',') || '-']));
  if (v.disks.length || v.segments.length) {
    printTable(under, ['RESOURCE', 'KIND', 'LABEL'], [
      ...v.disks.map((d) => [d.name, 'disk', d.label ?? '(unlabeled)']),
      ...v.segments.map((g) => [g.name, `segment, ${g.network}`, g.label ?? '(unlabeled)']),
    ]);
  }
}

async function show(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [name] = expectPositional(positional, 1, 'tvdc hosts show NAME');
  const h = await ApiClient.fromOptions(opts).get<HostDetail>(`/api/hosts/${seg(name!)}`);
  printResult(io, opts, h, () => {
    io.out(`host ${h.name}  ${h.url}  TVDc ${h.group ?? '-'}  label ${h.label ?? '(none)'}`);
    io.out(`policy: ${h.policies.map((p) => `${p.name} ${p.version}${p.active ? ' (active)' : ' (waiting)'}`).join(', ') || 'none'}`);
    if (h.deployment) io.out(`TVDc policy: ${h.deployment.state}`);
    printIsolation(io, h);
  });
  return EXIT.OK;
}

export const HOSTS_NOUNS: Record<string, Record<string, Verb>> = {
  hosts: { discover, add, credentials, list, remove, show },
};
