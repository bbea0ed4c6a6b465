// `tvdc refdb|attest|plans|events ...`: the integrity side of the management server over its JSON
// API. The reference database and trust anchors are the Datacenter Administrator's; plans,
// schedules, attestations and events a TVDc Administrator has for his own TVDcs.
import type { ReferenceRecord } from '../../src/tvdc/integrity/ReferenceDatabase.js';
import type { ActionPlan } from '../../src/tvdc/management/ActionPlan.js';
import { describeAction } from '../../src/tvdc/management/ActionPlan.js';
import { parseInterval, type AttestationSchedule } from '../../src/tvdc/management/AttestationSchedule.js';
import type { NotifyTarget } from '../../src/tvdc/management/NotifyTarget.js';
import { MAX_EVENT_LIMIT, type TvdcEvent } from '../../src/tvdc/management/EventLog.js';
import { MAX_REFDB_LIMIT, type AttestationResult, type MonitorView } from '../server/integrity/integrityModule.js';
import type { RegisteredAnchor } from '../server/integrity/TrustAnchorStore.js';
import { API_OPTIONS, ApiClient, query, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, integerOption, parseOptions, printResult, printTable, readTextFile, timeOption, type Io, type Verb } from './commandKit.js';

// ------------------------------------------------------------------ refdb

async function refdbImport(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'source'], ['json']);
  const [file] = expectPositional(positional, 1, 'tvdc refdb import FILE [--source NAME]   (FILE: a Keylime runtime policy, JSON)');
  const policy = readTextFile(file!, 'runtime policy');
  const r = await ApiClient.fromOptions(opts).post<{ source: string; added: number; removed: number; excludes: number; count: number; bootAggregates?: number }>('/api/refdb/import', {
    policy,
    ...(opts.has('source') ? { source: opts.get('source') } : {}),
  });
  printResult(io, opts, r, () => {
    io.out(`imported ${file} as "${r.source}": ${r.added} digests added, ${r.removed} stale removed, ${r.excludes} excludes; ${r.count} digests in the reference database${r.bootAggregates !== undefined ? `, ${r.bootAggregates} of them boot aggregates` : ''}`);
    warnNoBootAggregate(io, r);
  });
  return EXIT.OK;
}

async function refdbAdd(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'annotation', 'cve', 'note'], ['json']);
  const [path, digest] = expectPositional(positional, 2, 'tvdc refdb add PATH DIGEST [--annotation trusted|vulnerable|malicious] [--cve CVE-YYYY-NNNN] [--note TEXT]');
  const annotation = opts.get('annotation') ?? 'trusted';
  if (!['trusted', 'vulnerable', 'malicious'].includes(annotation)) throw new UsageError(`--annotation must be trusted, vulnerable or malicious, not ${annotation}`);
  if (annotation === 'vulnerable' && !opts.has('cve')) throw new UsageError('--annotation vulnerable needs --cve CVE-YYYY-NNNN');
  if (opts.has('cve') && annotation !== 'vulnerable') throw new UsageError('--cve goes with --annotation vulnerable');
  const r = await ApiClient.fromOptions(opts).post<{ record: ReferenceRecord | null; count: number }>('/api/refdb', {
    path, digest, annotation, ...(opts.has('cve') ? { cve: opts.get('cve') } : {}), ...(opts.has('note') ? { note: opts.get('note') } : {}),
  });
  printResult(io, opts, r, () => io.out(`${path} ${r.record?.digest ?? digest}: ${annotation}${opts.has('cve') ? ` (${opts.get('cve')})` : ''}; ${r.count} digests in the reference database`));
  return EXIT.OK;
}

async function refdbRemove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  if (positional.length < 1 || positional.length > 2) throw new UsageError('usage: tvdc refdb remove PATH [DIGEST]');
  const [path, digest] = positional;
  const r = await ApiClient.fromOptions(opts).del<{ removed: number; count: number }>(`/api/refdb${query({ path, digest })}`);
  printResult(io, opts, r, () => io.out(`${r.removed} digest(s) of ${path} removed; ${r.count} digests in the reference database`));
  return EXIT.OK;
}

async function refdbList(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'path', 'prefix', 'limit'], ['json']);
  expectPositional(positional, 0, 'tvdc refdb list [--path PATH | --prefix DIR] [--limit N]');
  if (opts.has('path') && opts.has('prefix')) throw new UsageError('tvdc refdb list: give --path or --prefix, not both');
  integerOption(opts, 'limit', 1, MAX_REFDB_LIMIT);
  const r = await ApiClient.fromOptions(opts).get<{ count: number; bootAggregates?: number; excludes: string[]; records: ReferenceRecord[] }>(`/api/refdb${query({ path: opts.get('path'), prefix: opts.get('prefix'), limit: opts.get('limit') })}`);
  printResult(io, opts, r, () => {
    printTable(io, ['PATH', 'DIGEST', 'ANNOTATION', 'CVE', 'SOURCE'], r.records.map((x) => [x.path, `${x.alg}:${x.digest}`, x.annotation, x.cve ?? '-', x.source]));
    io.out(`${r.records.length} of ${r.count} digests shown; ${r.excludes.length} exclude patterns${r.bootAggregates !== undefined ? `; ${r.bootAggregates} boot aggregates` : ''}`);
    warnNoBootAggregate(io, r);
  });
  return EXIT.OK;
}

/**
 * Says on stderr what a reference database of files without boot aggregates does: every VM's
 * boot_aggregate is unknown, so every VM attests unknown (servers that predate them say nothing).
 */
function warnNoBootAggregate(io: Io, r: { count: number; bootAggregates?: number }): void {
  if (r.bootAggregates !== 0 || r.count === 0) return;
  io.err('warning: the reference database lists no boot_aggregate: every VM attests unknown (its boot chain cannot be judged) until the clean VM images are imported with theirs (tvdc ima policy DIR, then tvdc refdb import) or one is added (tvdc refdb add boot_aggregate DIGEST)');
}

// ------------------------------------------------------------------ attest

async function attestTrust(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'vtpm-ca', 'platform-ca'], ['json']);
  const [host] = expectPositional(positional, 1, 'tvdc attest trust HOST --vtpm-ca FILE [--platform-ca FILE]');
  const vtpmCa = opts.get('vtpm-ca');
  if (!vtpmCa) throw new UsageError('--vtpm-ca FILE is required: the CA that certifies the EKs of the host\'s vTPMs');
  const platform = opts.get('platform-ca');
  const r = await ApiClient.fromOptions(opts).put<{ anchors: Omit<RegisteredAnchor, 'pem'>[] }>(`/api/attest/trust/${seg(host!)}`, {
    vtpmCa: readTextFile(vtpmCa, 'vTPM CA'),
    ...(platform ? { platformCa: readTextFile(platform, 'platform CA') } : {}),
  });
  printResult(io, opts, r, () => anchorRows(io, r.anchors));
  return EXIT.OK;
}

function anchorRows(io: Io, anchors: readonly Omit<RegisteredAnchor, 'pem'>[]): void {
  printTable(io, ['HOST', 'KIND', 'SUBJECT', 'SHA-256', 'NOT AFTER'], anchors.map((a) => [a.host, a.kind === 'virtual' ? 'vTPM CA' : 'platform CA', a.subject, a.fingerprint, a.notAfter]));
}

async function attestAnchors(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc attest anchors');
  const r = await ApiClient.fromOptions(opts).get<{ anchors: Omit<RegisteredAnchor, 'pem'>[] }>('/api/attest/trust');
  printResult(io, opts, r, () => anchorRows(io, r.anchors));
  return EXIT.OK;
}

async function attestRun(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'vm'], ['json']);
  const [target] = expectPositional(positional, 1, 'tvdc attest run GROUP|HOST [--vm VM]');
  const r = await ApiClient.fromOptions(opts).post<{ summary: string; results: AttestationResult[] }>('/api/attest/run', {
    target, ...(opts.has('vm') ? { vm: opts.get('vm') } : {}),
  });
  printResult(io, opts, r, () => {
    printTable(io, ['HOST', 'VM', 'STATUS', 'TPM', 'EVENT', 'ACTIONS'], r.results.map((x) => [
      x.host, x.vm ?? '(host)', x.status, x.virtualTpm === undefined ? '-' : `${x.virtualTpm ? 'virtual' : 'hardware'}${x.tpmFamily === 'tpm12' ? ' 1.2' : ''}`, String(x.event),
      x.actions.map((a) => `${a.action ?? '?'}:${a.status}`).join(',') || '-',
    ]));
    for (const x of r.results) {
      for (const f of x.findings) io.out(`  ${x.vm ?? x.host}: ${f.code}: ${f.message}`);
      for (const a of x.actions) if (a.status === 'failed') io.out(`  ${x.vm ?? x.host}: action failed: ${a.message}`);
    }
    io.out(r.summary);
  });
  return EXIT.OK;
}

async function attestSchedule(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'every'], ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc attest schedule GROUP --every 10m|1h|1d|...');
  const every = opts.get('every');
  if (!every) throw new UsageError('--every is required, e.g. --every 10m');
  try {
    parseInterval(every);
  } catch (e) {
    throw new UsageError(`--every: ${(e as Error).message}`);
  }
  const s = await ApiClient.fromOptions(opts).put<AttestationSchedule & { every: string }>(`/api/groups/${seg(group!)}/schedule`, { every });
  printResult(io, opts, s, () => io.out(`TVDc ${s.group} is attested every ${s.every}; next run at ${s.nextRunAt}`));
  return EXIT.OK;
}

async function attestUnschedule(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc attest unschedule GROUP');
  const r = await ApiClient.fromOptions(opts).del<{ group: string }>(`/api/groups/${seg(group!)}/schedule`);
  printResult(io, opts, r, () => io.out(`TVDc ${r.group} is no longer attested on a schedule`));
  return EXIT.OK;
}

async function attestSchedules(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc attest schedules');
  const r = await ApiClient.fromOptions(opts).get<{ schedules: (AttestationSchedule & { every: string })[]; running: string[]; monitors: MonitorView[] }>('/api/attest/schedules');
  printResult(io, opts, r, () => {
    printTable(io, ['TVDC', 'EVERY', 'NEXT RUN', 'LAST RUN', 'LAST RESULT'], r.schedules.map((s) => [
      s.group, s.every, r.running.includes(s.group) ? 'running now' : s.nextRunAt, s.lastRunAt ?? '-', s.lastResult ?? '-',
    ]));
    for (const m of r.monitors) io.out(`TVDc ${m.group} is also attested on new measurements (since ${m.enabledAt ?? '?'}, by ${m.enabledBy ?? '?'})`);
  });
  return EXIT.OK;
}

async function attestMonitor(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group, onOff] = expectPositional(positional, 2, 'tvdc attest monitor GROUP on|off');
  if (onOff !== 'on' && onOff !== 'off') throw new UsageError(`"${onOff}" is neither on nor off`);
  const m = await ApiClient.fromOptions(opts).put<MonitorView>(`/api/groups/${seg(group!)}/monitor`, { enabled: onOff === 'on' });
  printResult(io, opts, m, () => io.out(m.enabled
    ? `TVDc ${m.group}: its VMs and hosts are attested as soon as they measure something new`
    : `TVDc ${m.group}: new measurements no longer cause attestations`));
  return EXIT.OK;
}

async function attestForget(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'vm'], ['json']);
  const [host] = expectPositional(positional, 1, 'tvdc attest forget HOST [--vm VM]');
  const r = await ApiClient.fromOptions(opts).del<{ forgotten: boolean }>(`/api/attest/enrolments/${seg(host!)}${query({ vm: opts.get('vm') })}`);
  const what = opts.has('vm') ? `VM ${opts.get('vm')}` : `host ${host}`;
  printResult(io, opts, r, () => io.out(r.forgotten ? `${what}: enrolment dropped; its next attestation enrols its TPM again` : `${what} was not enrolled`));
  return EXIT.OK;
}

// ------------------------------------------------------------------ plans

function planRows(io: Io, plans: readonly ActionPlan[]): void {
  printTable(io, ['ID', 'TVDC', 'ON', 'VM', 'ACTION', 'BY'], plans.map((p) => [String(p.id), p.group, p.on.join(','), p.vmPattern ?? '*', describeAction(p.action), p.createdBy]));
}

async function plansAdd(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'on', 'vm', 'action', 'url'], ['json']);
  const [group] = expectPositional(positional, 1, 'tvdc plans add GROUP --on untrusted[,unknown,failed] [--vm PATTERN] --action shutdown|restart|notify [--url URL]');
  if (!opts.has('on')) throw new UsageError('--on is required: untrusted, unknown and/or failed, comma separated');
  if (!opts.has('action')) throw new UsageError('--action is required: shutdown, restart or notify');
  const p = await ApiClient.fromOptions(opts).post<ActionPlan>(`/api/groups/${seg(group!)}/plans`, {
    on: opts.get('on')!.split(','), action: opts.get('action'),
    ...(opts.has('vm') ? { vm: opts.get('vm') } : {}), ...(opts.has('url') ? { url: opts.get('url') } : {}),
  });
  printResult(io, opts, p, () => io.out(`plan ${p.id} for TVDc ${p.group}: on ${p.on.join(',')} of ${p.vmPattern ? `VMs ${p.vmPattern}` : 'any VM'}: ${describeAction(p.action)}`));
  return EXIT.OK;
}

async function plansList(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  if (positional.length > 1) throw new UsageError('usage: tvdc plans list [GROUP]');
  const r = await ApiClient.fromOptions(opts).get<{ plans: ActionPlan[] }>(`/api/plans${query({ group: positional[0] })}`);
  printResult(io, opts, r, () => planRows(io, r.plans));
  return EXIT.OK;
}

async function plansRemove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [id] = expectPositional(positional, 1, 'tvdc plans remove ID');
  if (!/^\d+$/.test(id!)) throw new UsageError(`plan ID must be a number, not ${id}`);
  const r = await ApiClient.fromOptions(opts).del<{ removed: ActionPlan }>(`/api/plans/${id}`);
  printResult(io, opts, r, () => io.out(`plan ${r.removed.id} of TVDc ${r.removed.group} removed`));
  return EXIT.OK;
}

// Where notify plans may point: `tvdc plans targets add|remove|list`, the dcadmin's allow-list.
const TARGETS_USAGE = 'tvdc plans targets add PREFIX | remove PREFIX | list';

async function plansTargets(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const { positional, opts } = parseOptions(rest, API_OPTIONS, ['json']);
  const api = () => ApiClient.fromOptions(opts);
  if (sub === 'list') {
    expectPositional(positional, 0, TARGETS_USAGE);
    const r = await api().get<{ targets: NotifyTarget[] }>('/api/notify-targets');
    printResult(io, opts, r, () => printTable(io, ['PREFIX', 'ADDED BY', 'ADDED AT'], r.targets.map((t) => [t.prefix, t.addedBy, t.addedAt])));
    return EXIT.OK;
  }
  if (sub === 'add') {
    const [prefix] = expectPositional(positional, 1, TARGETS_USAGE);
    const r = await api().post<{ target: NotifyTarget }>('/api/notify-targets', { prefix });
    printResult(io, opts, r, () => io.out(`notify plans may now point under ${r.target.prefix}`));
    return EXIT.OK;
  }
  if (sub === 'remove') {
    const [prefix] = expectPositional(positional, 1, TARGETS_USAGE);
    const r = await api().del<{ removed: NotifyTarget; stranded: number[] }>(`/api/notify-targets${query({ prefix })}`);
    printResult(io, opts, r, () => {
      io.out(`${r.removed.prefix} is no longer a notification target`);
      if (r.stranded.length) io.out(`plans ${r.stranded.join(', ')} point outside every allowed target: their notifications are recorded as failed until a target allows them again`);
    });
    return EXIT.OK;
  }
  throw new UsageError(`usage: ${TARGETS_USAGE}`);
}

// ------------------------------------------------------------------ events

async function eventsList(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'group', 'since', 'limit', 'vm', 'kind'], ['json']);
  expectPositional(positional, 0, 'tvdc events list [--group G] [--since ISO-TIME] [--limit N] [--vm VM] [--kind attestation|action]');
  const since = timeOption(opts, 'since');
  integerOption(opts, 'limit', 1, MAX_EVENT_LIMIT);
  const r = await ApiClient.fromOptions(opts).get<{ events: TvdcEvent[] }>(`/api/events${query({
    group: opts.get('group'), since: since?.toISOString(), limit: opts.get('limit'), vm: opts.get('vm'), kind: opts.get('kind'),
  })}`);
  printResult(io, opts, r, () =>
    printTable(io, ['ID', 'TIME', 'TVDC', 'KIND', 'STATUS', 'MESSAGE'], r.events.map((e) => [String(e.id), e.at, e.group ?? '-', e.kind, e.status, e.message])));
  return EXIT.OK;
}

export const INTEGRITY_NOUNS: Record<string, Record<string, Verb>> = {
  refdb: { import: refdbImport, add: refdbAdd, remove: refdbRemove, list: refdbList },
  attest: { trust: attestTrust, anchors: attestAnchors, run: attestRun, schedule: attestSchedule, unschedule: attestUnschedule, schedules: attestSchedules, monitor: attestMonitor, forget: attestForget },
  plans: { add: plansAdd, list: plansList, remove: plansRemove, targets: plansTargets },
  events: { list: eventsList },
};
