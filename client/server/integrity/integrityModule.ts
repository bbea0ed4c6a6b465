// The management server's integrity side (the paper's section 3.2): the reference database and
// the hosts' trust anchors (Datacenter Administrator), action plans and attestation schedules per
// TVDc (its TVDc Administrator), attestations on demand, on schedule and on new measurements
// (for the TVDcs that monitor), and the event log.
import { migrate } from '../../../src/store/Store.js';
import { BOOT_AGGREGATE } from '../../../src/tvdc/integrity/BootAggregate.js';
import { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import type { Annotation } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { validatePlan } from '../../../src/tvdc/management/ActionPlan.js';
import { ActionPlanEngine } from '../../../src/tvdc/management/ActionPlanEngine.js';
import { ActionPlanStore } from '../../../src/tvdc/management/ActionPlanStore.js';
import { NotifyTargetStore } from '../../../src/tvdc/management/NotifyTargetStore.js';
import { allowingTarget } from '../../../src/tvdc/management/NotifyTarget.js';
import { AttestationMonitorStore, type AttestationMonitor } from '../../../src/tvdc/management/AttestationMonitor.js';
import { AttestationScheduleStore, formatInterval, parseInterval, type AttestationSchedule } from '../../../src/tvdc/management/AttestationSchedule.js';
import { AttestationScheduler } from '../../../src/tvdc/management/AttestationScheduler.js';
import { EventLog, MAX_EVENT_LIMIT, type TvdcEvent } from '../../../src/tvdc/management/EventLog.js';
import { ApiError } from '../ApiError.js';
import { listedGroups, requireDcAdmin, requireGroup, type ApiRouter, type Principal } from '../ApiRouter.js';
import { bodyObject, optionalString, stringField } from '../body.js';
import { feedUnavailable, type HostIndicationFeed } from '../HostIndicationFeed.js';
import { GroupStore } from '../GroupStore.js';
import { visible } from '../hostsModule.js';
import { queryInteger } from '../queryInteger.js';
import { managementVmLabel, planMayPower } from '../managementVm.js';
import { UserStore } from '../UserStore.js';
import type { HostRecord, ServerContext, ServerModule } from '../ServerContext.js';
import { AttestationRunner, type AttestationOutcome } from './AttestationRunner.js';
import { INTEGRITY_INDICATION, MeasurementWatcher } from './MeasurementWatcher.js';
import { TrustAnchorStore } from './TrustAnchorStore.js';
import { VmCensus } from './VmCensus.js';
import { VmEffects } from './VmEffects.js';

/**
 * A dcadmin's runtime policy may be a whole distribution's (a few hundred thousand files, tens
 * of MB of JSON), far past the API's usual body limit; it is imported as one source in one
 * transaction, so it cannot be split.
 */
export const RUNTIME_POLICY_MAX_BYTES = 64 * 1024 * 1024;

/** The most reference digests one listing of the reference database gives. */
export const MAX_REFDB_LIMIT = 100_000;

/** Tuning the tests need; the defaults are what `tvdc server` runs with. */
export interface IntegrityModuleOptions {
  /** Groups attested at once by the scheduler (default 2). */
  scheduleConcurrency?: number;
  /** Targets attested at once within one run (default 4). */
  targetConcurrency?: number;
  notifyTimeoutMs?: number;
  /** Events older than this are deleted, at start and daily (default 90 days). */
  eventRetentionDays?: number;
  /**
   * The server's indication feed: with it, the targets of the TVDcs that monitor
   * (`PUT /api/groups/:group/monitor`) are attested as soon as they measure something new.
   */
  feed?: HostIndicationFeed;
  /** Quiet time after a target's last measurement before it is attested (default 1 s). */
  settleMs?: number;
  /** How long a VM name seen on several hosts is given to settle (a migration) before it is a clash (default 2 s). */
  clashGraceMs?: number;
}

/** How a TVDc's monitoring setting is reported over the API. */
export interface MonitorView {
  group: string;
  enabled: boolean;
  enabledBy?: string;
  enabledAt?: string;
}

function monitorView(group: string, m: AttestationMonitor | undefined): MonitorView {
  return m ? { group, enabled: true, enabledBy: m.enabledBy, enabledAt: m.enabledAt } : { group, enabled: false };
}

/** How an attestation is reported over the API. */
export interface AttestationResult {
  host: string;
  vm?: string;
  group: string | null;
  status: AttestationOutcome['status'];
  virtualTpm?: boolean;
  /** `tpm2` or `tpm12`, given with virtualTpm. */
  tpmFamily?: AttestationOutcome['tpmFamily'];
  findings: AttestationOutcome['findings'];
  event: number;
  actions: { planId?: number; action?: string; status: string; message: string; event: number }[];
}

function result(o: AttestationOutcome): AttestationResult {
  const r: AttestationResult = {
    host: o.target.host,
    group: o.group,
    status: o.status,
    findings: o.findings,
    event: o.event.id,
    actions: o.actions.map((a) => ({ ...(a.planId !== undefined ? { planId: a.planId } : {}), ...(a.action ? { action: a.action } : {}), status: a.status, message: a.message, event: a.id })),
  };
  if (o.target.vm !== undefined) r.vm = o.target.vm;
  if (o.virtualTpm !== undefined) r.virtualTpm = o.virtualTpm;
  if (o.tpmFamily !== undefined) r.tpmFamily = o.tpmFamily;
  return r;
}

/** A one-line tally of a run, kept as the schedule's last result. */
export function tally(outcomes: readonly AttestationOutcome[]): string {
  if (outcomes.length === 0) return 'no targets';
  const n = (s: string) => outcomes.filter((o) => o.status === s).length;
  return `${outcomes.length} targets: ${n('trusted')} trusted, ${n('unknown')} unknown, ${n('untrusted')} untrusted, ${n('failed')} failed`;
}

/** Domain errors (bad plan, bad interval, bad digest) are the caller's: 400 with their message, 404 for NOT_FOUND. */
function domain<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isTvdcError(e)) throw e.code === 'NOT_FOUND' ? ApiError.notFound(e.message) : ApiError.badRequest(e.message);
    throw e;
  }
}

function scheduleView(s: AttestationSchedule): AttestationSchedule & { every: string } {
  return { ...s, every: formatInterval(s.intervalMs) };
}

export function createIntegrityModule(options: IntegrityModuleOptions = {}): ServerModule {
  return {
    name: 'integrity',
    register(router: ApiRouter, ctx: ServerContext): () => Promise<void> {
      const { db, hosts } = ctx;
      const refs = new ReferenceDatabase(db);
      const anchors = new TrustAnchorStore(db);
      const events = new EventLog(db);
      const plans = new ActionPlanStore(db);
      const notifyTargets = new NotifyTargetStore(db);
      const groupStore = new GroupStore(db);
      /** A tvdcadmin authorized for the group, or a dcadmin; and the group must exist. */
      const requireExistingGroup = (p: Principal, group: string): void => {
        requireGroup(p, group);
        groupStore.require(group);
      };
      /** Notify plans whose URL is under no notification target: they record failed actions instead of notifying. */
      const strandedPlans = (): number[] => {
        const targets = notifyTargets.list(); // read once, not once per plan
        return plans.list().filter((p) => p.action.kind === 'notify' && !allowingTarget(targets, p.action.url)).map((p) => p.id);
      };
      const schedules = new AttestationScheduleStore(db);
      const monitors = new AttestationMonitorStore(db);
      // A deleted TVDc takes its plans, schedule and monitoring with it, in the deleting
      // transaction: a TVDc created later under the same name must not inherit another's plans
      // (a shutdown or a notification it never asked for). Rows of TVDcs deleted before this
      // step existed go at once.
      migrate(db, [{
        id: 'mgmt-integrity-group-cleanup-1',
        up: `
          DELETE FROM mgmt_action_plan WHERE grp NOT IN (SELECT name FROM tvdc_groups);
          DELETE FROM mgmt_attestation_schedule WHERE grp NOT IN (SELECT name FROM tvdc_groups);
          DELETE FROM mgmt_attestation_monitor WHERE grp NOT IN (SELECT name FROM tvdc_groups);
          CREATE TRIGGER mgmt_integrity_group_deleted AFTER DELETE ON tvdc_groups BEGIN
            DELETE FROM mgmt_action_plan WHERE grp = OLD.name;
            DELETE FROM mgmt_attestation_schedule WHERE grp = OLD.name;
            DELETE FROM mgmt_attestation_monitor WHERE grp = OLD.name;
          END;`,
      }]);
      /**
       * Whether a monitoring setting is the current TVDc's: one switched on before the TVDc of
       * that name was (re)created belonged to a deleted TVDc and is dropped.
       */
      const isCurrent = (m: AttestationMonitor): boolean => {
        const created = groupStore.createdAt(m.group);
        if (created !== null && created <= m.enabledAt) return true;
        monitors.disable(m.group);
        return false;
      };
      const monitorOf = (group: string): AttestationMonitor | undefined => {
        const m = monitors.get(group);
        return m && isCurrent(m) ? m : undefined;
      };
      const mayPower = planMayPower(hosts, new UserStore(db), groupStore);
      const engine = new ActionPlanEngine(plans, events, new VmEffects(hosts, { mayPower, ...(options.notifyTimeoutMs !== undefined ? { notifyTimeoutMs: options.notifyTimeoutMs } : {}) }), notifyTargets);
      const runner = new AttestationRunner({
        db, hosts, references: refs, anchors, events, plans: engine, log: ctx.log,
        ...(options.targetConcurrency !== undefined ? { concurrency: options.targetConcurrency } : {}),
        ...(options.clashGraceMs !== undefined ? { clashGraceMs: options.clashGraceMs } : {}),
      });
      const scheduler = new AttestationScheduler({
        store: schedules,
        runGroup: async (group) => {
          if (!groupStore.exists(group)) {
            // The TVDc was deleted: its schedule goes with it rather than attesting nothing for ever.
            schedules.remove(group);
            ctx.log(`attestation schedule of TVDc ${group} removed: the TVDc no longer exists`);
            return 'TVDc deleted';
          }
          const outcomes = await runner.attestGroup(group);
          const line = tally(outcomes);
          ctx.log(`scheduled attestation of TVDc ${group}: ${line}`);
          return line;
        },
        log: ctx.log,
        ...(options.scheduleConcurrency !== undefined ? { concurrency: options.scheduleConcurrency } : {}),
      });

      /**
       * Checks that the VM runs on a host `inside` accepts. A VM elsewhere and no VM at all get the
       * same answer, so a TVDc administrator learns nothing about other TVDcs' VMs; a VM name on
       * several hosts names to him only those of his TVDcs.
       */
      const vmWithin = async (principal: Principal, vm: string, inside: (h: HostRecord) => boolean, where: string): Promise<HostRecord> => {
        const { found } = await hosts.hostsWithVm(vm);
        const host = found.find(inside);
        if (!host) throw ApiError.notFound(`no VM named ${vm} on ${where}`);
        if (found.length > 1) {
          const mine = found.filter((h) => visible(principal, h)).map((h) => h.name);
          const others = found.length - mine.length;
          const rest = others === 0 ? '' : ` and ${others} host${others === 1 ? '' : 's'} outside your TVDcs`;
          throw ApiError.conflict(`VM ${vm} exists on several hosts: ${mine.join(', ')}${rest}`);
        }
        return host;
      };

      /**
       * Refuses (409) an explicit request to attest a VM that is not running: a stopped VM has no
       * running vTPM, so there is nothing to quote, and recording that as a failed attestation
       * would raise a problem (and fire the TVDc's plans) for a VM that was merely stopped, as a
       * run over the whole TVDc skips it. Only this request is refused: a VM the host stopped
       * because its vTPM died still gets its failed event from the monitor. A host that cannot
       * say is left to the attestation, which reports the outage.
       */
      const requireRunning = async (vm: string, host: HostRecord): Promise<void> => {
        const census = await VmCensus.take(hosts, [host]);
        if (census.unreachable.has(host.name)) return;
        if (census.hostsOf(vm).includes(host.name) && !census.running(host.name).includes(vm)) {
          throw ApiError.conflict(`VM ${vm} on host ${host.name} is stopped: nothing to attest; start it first`);
        }
      };

      // ---------------------------------------------------------------- reference database (dcadmin)

      /** Known-good boot aggregates listed: none means every VM's boot chain attests unknown. */
      const bootAggregates = (): number => refs.lookup(BOOT_AGGREGATE).length;

      router.route('GET', '/api/refdb', ({ principal, query }) => {
        requireDcAdmin(principal);
        const path = query.get('path') ?? undefined;
        const prefix = query.get('prefix') ?? undefined;
        if (path !== undefined && prefix !== undefined) throw ApiError.badRequest('give path or prefix, not both');
        const limit = queryInteger(query, 'limit', MAX_REFDB_LIMIT, 1000);
        const records = refs.list({ ...(path !== undefined ? { path } : {}), ...(prefix !== undefined ? { prefix } : {}), limit });
        return { count: refs.count(), bootAggregates: bootAggregates(), excludes: refs.excludes(), records };
      });

      router.route('POST', '/api/refdb/import', ({ principal, body }) => {
        requireDcAdmin(principal);
        const policy = bodyObject(body)['policy'];
        const text = typeof policy === 'string' ? policy : policy && typeof policy === 'object' ? JSON.stringify(policy) : undefined;
        if (text === undefined) throw ApiError.badRequest('"policy" must be a Keylime runtime policy (JSON text or object)');
        const source = optionalString(body, 'source') ?? 'runtime-policy';
        const r = domain(() => refs.importRuntimePolicy(text, source));
        runner.referencesChanged();
        ctx.audit({ user: principal.user, group: null, action: 'refdb.import', message: `reference database: ${principal.user} imported runtime policy "${source}" (${r.added} added, ${r.removed} removed, ${r.excludes} excludes)` });
        return { source, ...r, count: refs.count(), bootAggregates: bootAggregates() };
      }, { bytes: RUNTIME_POLICY_MAX_BYTES, role: 'dcadmin' });

      router.route('POST', '/api/refdb', ({ principal, body }) => {
        requireDcAdmin(principal);
        const path = stringField(body, 'path');
        // boot_aggregate is the one entry IMA logs under a name that is not a file's path.
        if (!path.startsWith('/') && path !== BOOT_AGGREGATE) throw ApiError.badRequest(`path "${path}" must be absolute (or ${BOOT_AGGREGATE}, for a known-good boot)`);
        const digest = stringField(body, 'digest');
        const annotation = optionalString(body, 'annotation') ?? 'trusted';
        const cve = optionalString(body, 'cve');
        const note = optionalString(body, 'note');
        if (cve !== undefined && annotation !== 'vulnerable') throw ApiError.badRequest('a CVE id goes with the annotation vulnerable');
        const record = domain(() => refs.add(path, digest, { annotation: annotation as Annotation, ...(cve ? { cve } : {}), ...(note ? { note } : {}), source: `manual:${principal.user}` }));
        runner.referencesChanged();
        ctx.audit({ user: principal.user, group: null, action: 'refdb.add', message: `reference database: ${principal.user} added ${path} ${digest} (${annotation})` });
        return { record, count: refs.count() };
      });

      router.route('DELETE', '/api/refdb', ({ principal, query }) => {
        requireDcAdmin(principal);
        const path = query.get('path');
        if (!path) throw ApiError.badRequest('path is required');
        const digest = query.get('digest') ?? undefined;
        const removed = domain(() => refs.remove(path, digest));
        if (removed === 0) throw ApiError.notFound(digest ? `no reference digest ${digest} for ${path}` : `no reference digests for ${path}`);
        runner.referencesChanged();
        ctx.audit({ user: principal.user, group: null, action: 'refdb.remove', message: `reference database: ${principal.user} removed ${removed} digest(s) of ${path}` });
        return { removed, count: refs.count() };
      });

      // ---------------------------------------------------------------- trust anchors (dcadmin)

      router.route('GET', '/api/attest/trust', ({ principal }) => {
        requireDcAdmin(principal);
        return { anchors: anchors.list().map(({ pem: _pem, ...a }) => a) };
      });

      router.route('PUT', '/api/attest/trust/:host', ({ principal, params, body }) => {
        requireDcAdmin(principal);
        const host = hosts.get(params['host']!).name;
        const vtpmCa = stringField(body, 'vtpmCa');
        const platformCa = optionalString(body, 'platformCa');
        // Both are checked before either is stored.
        domain(() => {
          anchors.set(host, 'virtual', vtpmCa, principal.user);
          if (platformCa) anchors.set(host, 'hardware', platformCa, principal.user);
        });
        ctx.audit({ user: principal.user, group: null, action: 'trust.register', message: `trust anchors of host ${host} registered by ${principal.user}` });
        return { anchors: anchors.list(host).map(({ pem: _pem, ...a }) => a) };
      });

      // A target whose TPM was replaced legitimately (VM redefined) stays untrusted until this.
      router.route('DELETE', '/api/attest/enrolments/:host', ({ principal, params, query }) => {
        requireDcAdmin(principal);
        const host = hosts.get(params['host']!).name;
        const vm = query.get('vm') ?? undefined;
        const target = { host, ...(vm ? { vm } : {}) };
        const was = runner.isEnrolled(target);
        runner.forget(target);
        ctx.audit({ user: principal.user, group: null, action: 'enrolment.forget', message: `enrolment of ${vm ? `VM ${vm}` : `host ${host}`} dropped by ${principal.user}` });
        return { forgotten: was, host, ...(vm ? { vm } : {}) };
      });

      // ---------------------------------------------------------------- attestation

      router.route('POST', '/api/attest/run', async ({ principal, body }) => {
        const name = stringField(body, 'target');
        const vm = optionalString(body, 'vm');
        // A host the caller may not see is no host to him: the name is then taken as a TVDc's, so
        // neither the refusal nor the choice between a host and a TVDc of one name tells a
        // tvdcadmin which TVDc another's host is in.
        const host = hosts.list().find((h) => h.name === name && visible(principal, h));
        let outcomes: AttestationOutcome[];
        if (host) {
          // A VM named that is not on this host is a mistake of the caller, not a failed attestation.
          if (vm !== undefined) await requireRunning(vm, await vmWithin(principal, vm, (h) => h.name === host.name, `host ${host.name}`));
          outcomes = await runner.attestHost(host.name, vm);
        } else {
          requireExistingGroup(principal, name);
          if (vm !== undefined) await requireRunning(vm, await vmWithin(principal, vm, (h) => h.group === name, `any host of TVDc ${name}`));
          outcomes = await runner.attestGroup(name, vm);
        }
        return { summary: tally(outcomes), results: outcomes.map(result) };
      });

      router.route('GET', '/api/attest/schedules', ({ principal }) => {
        const mine = principal.role === 'dcadmin' ? undefined : principal.groups;
        return {
          schedules: schedules.list(mine).map(scheduleView),
          running: scheduler.active(),
          // The other way a TVDc is attested: whenever its targets measure something new.
          monitors: monitors.list(mine).filter(isCurrent).map((m) => monitorView(m.group, m)),
        };
      });

      router.route('PUT', '/api/groups/:group/schedule', ({ principal, params, body }) => {
        const group = params['group']!;
        requireExistingGroup(principal, group);
        const ms = domain(() => parseInterval(stringField(body, 'every')));
        const s = schedules.set(group, ms, principal.user);
        scheduler.poke();
        ctx.audit({ user: principal.user, group: group, action: 'schedule.set', message: `TVDc ${group} attested every ${formatInterval(ms)} (set by ${principal.user})` });
        return scheduleView(s);
      });

      router.route('DELETE', '/api/groups/:group/schedule', ({ principal, params }) => {
        const group = params['group']!;
        requireGroup(principal, group);
        if (!schedules.remove(group)) throw ApiError.notFound(`TVDc ${group} has no attestation schedule`);
        ctx.audit({ user: principal.user, group: group, action: 'schedule.remove', message: `attestation schedule of TVDc ${group} removed by ${principal.user}` });
        return { group, unscheduled: true };
      });

      // A TVDc whose targets are attested on new measurements (the paper's step 4: monitoring
      // "via agents"). It needs the hosts' indications, so a server that follows none refuses
      // rather than accept a setting that would do nothing.
      router.route('PUT', '/api/groups/:group/monitor', async ({ principal, params, body }) => {
        const group = params['group']!;
        requireExistingGroup(principal, group);
        const enabled = bodyObject(body)['enabled'];
        if (typeof enabled !== 'boolean') throw ApiError.badRequest('"enabled" must be true or false');
        const why = await feedUnavailable(options.feed);
        if (why) throw ApiError.conflict(why);
        // A leftover of a deleted TVDc of this name is not kept as "who switched it on first".
        if (enabled && !monitorOf(group)) monitors.enable(group, principal.user);
        else if (!enabled) monitors.disable(group);
        ctx.audit({ user: principal.user, group: group, action: 'monitor.set', message: `TVDc ${group}: attestation on new measurements ${enabled ? 'on' : 'off'} (set by ${principal.user})` });
        return monitorView(group, monitorOf(group));
      });

      // ---------------------------------------------------------------- action plans

      router.route('GET', '/api/plans', ({ principal, query }) => ({ plans: plans.list(listedGroups(principal, query.get('group') || null, groupStore)?.map((g) => g.name)) }));

      /**
       * Refuses (409) a tvdcadmin's plan that powers VMs when its pattern names one VM (no
       * wildcard) and that VM holds the bootstrap label: his plan never powers the management VM
       * (planMayPower), so it could never act. A pattern with wildcards stays accepted; it acts on
       * the other VMs it matches and skips the management VM each time. A VM not found, or hosts
       * that cannot be asked, leave the plan accepted: it is judged again at each use.
       */
      const requireCanAct = async (principal: Principal, plan: ReturnType<typeof validatePlan>): Promise<void> => {
        if (principal.role === 'dcadmin' || plan.action.kind === 'notify') return;
        const vm = plan.vmPattern;
        if (vm === undefined || /[*?]/.test(vm)) return;
        let found: HostRecord[];
        try {
          found = (await hosts.hostsWithVm(vm, plan.group)).found;
        } catch {
          return;
        }
        for (const h of found) {
          let bootstrap: string | null;
          try {
            bootstrap = await managementVmLabel(hosts, groupStore, plan.group, h.name, vm);
          } catch {
            continue;
          }
          if (bootstrap) {
            throw ApiError.conflict(`VM ${vm} on host ${h.name} holds ${bootstrap}, the bootstrap (management VM) label: a tvdcadmin's plan never powers the management VM, so this ${plan.action.kind} plan could never act; only a dcadmin's plan may ${plan.action.kind} it`);
          }
        }
      };

      router.route('POST', '/api/groups/:group/plans', async ({ principal, params, body }) => {
        const group = params['group']!;
        requireExistingGroup(principal, group);
        const b = bodyObject(body);
        const plan = domain(() => validatePlan({ group, on: b['on'], vmPattern: b['vm'], action: b['action'], url: b['url'], createdBy: principal.user }));
        // The URL is well formed but the server is not allowed to call it: a policy refusal, so
        // 403, also for a dcadmin (he adds the prefix first; the list stays the whole truth of
        // where the server may send notifications).
        if (plan.action.kind === 'notify' && !notifyTargets.allowing(plan.action.url)) {
          throw ApiError.forbidden(`notify URL ${plan.action.url} is not under any notification target the Datacenter Administrator allows: see "tvdc plans targets list"; a dcadmin adds one with "tvdc plans targets add PREFIX"`);
        }
        await requireCanAct(principal, plan);
        const stored = plans.add(plan);
        ctx.audit({ user: principal.user, group: group, action: 'plan.add', message: `plan ${stored.id} for TVDc ${group} added by ${principal.user}` });
        return stored;
      });

      router.route('DELETE', '/api/plans/:id', ({ principal, params }) => {
        const id = Number(params['id']);
        if (!Number.isSafeInteger(id) || id < 1) throw ApiError.badRequest(`plan id must be a positive integer, not "${params['id']}"`);
        const plan = plans.get(id);
        // A tvdcadmin learns nothing about plans of other TVDcs, not even that they exist.
        if (!plan || (principal.role !== 'dcadmin' && !principal.groups.includes(plan.group))) throw ApiError.notFound(`no action plan ${id}`);
        plans.remove(id);
        ctx.audit({ user: principal.user, group: plan.group, action: 'plan.remove', message: `plan ${id} of TVDc ${plan.group} removed by ${principal.user}` });
        return { removed: plan };
      });

      // ---------------------------------------------------------------- notification targets

      // Where notify plans may point: the dcadmin's list. Every administrator may read it, since a
      // TVDc administrator needs to know where his plans can notify; only a dcadmin changes it.
      router.route('GET', '/api/notify-targets', () => ({ targets: notifyTargets.list() }));

      router.route('POST', '/api/notify-targets', ({ principal, body }) => {
        requireDcAdmin(principal);
        const prefix = stringField(body, 'prefix');
        const target = domain(() => {
          try {
            return notifyTargets.add(prefix, principal.user);
          } catch (e) {
            if (isTvdcError(e, 'ALREADY_EXISTS')) throw ApiError.conflict(e.message);
            throw e;
          }
        });
        ctx.audit({ user: principal.user, group: null, action: 'notify-target.add', message: `notification target ${target.prefix} allowed by ${principal.user}` });
        return { target };
      });

      router.route('DELETE', '/api/notify-targets', ({ principal, query }) => {
        requireDcAdmin(principal);
        const prefix = query.get('prefix');
        if (!prefix) throw ApiError.badRequest('prefix is required');
        const removed = domain(() => notifyTargets.remove(prefix));
        // Plans are kept (their TVDc administrators own them) but stop notifying: say which.
        const stranded = strandedPlans();
        ctx.audit({ user: principal.user, group: null, action: 'notify-target.remove', message: `notification target ${removed.prefix} removed by ${principal.user}${stranded.length ? `; plans ${stranded.join(', ')} no longer notify` : ''}` });
        return { removed, stranded };
      });

      // ---------------------------------------------------------------- events

      router.route('GET', '/api/events', ({ principal, query }) => {
        const groups = listedGroups(principal, query.get('group') || null, groupStore);
        const sinceText = query.get('since');
        const since = sinceText === null ? undefined : new Date(sinceText);
        if (since && Number.isNaN(since.getTime())) throw ApiError.badRequest(`since must be an ISO 8601 time, not "${sinceText}"`);
        const limit = queryInteger(query, 'limit', MAX_EVENT_LIMIT, 100);
        const vm = query.get('vm') ?? undefined;
        const kind = query.get('kind');
        if (kind !== null && kind !== 'attestation' && kind !== 'action') throw ApiError.badRequest('kind must be attestation or action');
        const list: TvdcEvent[] = events.list({ ...(groups ? { groups } : {}), ...(since ? { since } : {}), ...(vm ? { vm } : {}), ...(kind ? { kind } : {}), limit });
        return { events: list };
      });

      router.route('GET', '/api/attest/watch', ({ principal }) => {
        requireDcAdmin(principal);
        return options.feed?.status(INTEGRITY_INDICATION) ?? { enabled: false, destination: null, hosts: [] };
      });

      // After an upgrade from a server without notification targets, say which plans now stop notifying.
      const outside = strandedPlans();
      if (outside.length) ctx.log(`notify plans ${outside.join(', ')} point under no notification target: their notifications are recorded as failed until a dcadmin allows them (tvdc plans targets add PREFIX)`);
      scheduler.start();
      // Every attestation is an event: without a bound the log would grow by each target at each run.
      const retentionMs = (options.eventRetentionDays ?? 90) * 24 * 3600_000;
      const prune = () => {
        const n = events.prune(new Date(Date.now() - retentionMs));
        if (n) ctx.log(`event log: ${n} events older than ${options.eventRetentionDays ?? 90} days deleted`);
      };
      prune();
      const pruning = setInterval(prune, 24 * 3600_000);
      pruning.unref();
      const watcher = options.feed && new MeasurementWatcher({
        feed: options.feed, hosts, log: ctx.log,
        monitored: (group) => monitorOf(group) !== undefined,
        attest: (t) => runner.attest(t),
        ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
      });
      return async () => {
        clearInterval(pruning);
        watcher?.stop();
        await scheduler.stop();
      };
    },
  };
}
