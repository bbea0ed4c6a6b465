// The paper's TVDc administrator manages the VMs of his TVDc (section 3.1): start, stop and migrate
// them between the TVDc's hosts. sHype on the hosts decides whether a VM may start, resume or
// migrate onto a host (its label covers the VM's types, no conflicting VM runs there); the server
// adds what only it knows: which hosts form the TVDc, and that they still run the policy it gave
// them, so a VM never moves outside its TVDc's one policy.
import { ApiError } from './ApiError.js';
import { requireGroup, type ApiRouter, type Principal } from './ApiRouter.js';
import { bodyObject, stringField } from './body.js';
import { recordedState } from './DeploymentState.js';
import { GroupStore } from './GroupStore.js';
import { hasVm, vmPath } from './HostCim.js';
import { requireUndrifted } from './labelOnHost.js';
import { onHost } from './hostFailure.js';
import { ChangesInFlight } from './ChangesInFlight.js';
import type { ServerContext, ServerModule } from './ServerContext.js';
import { requireMayManageVm } from './managementVm.js';
import { migrateVm } from './vmMigration.js';
import { managerKeyOf } from './ManagerKey.js';
import { resolveMigrationsInDoubt } from './migrationsInDoubt.js';
import { REQUESTED_STATE, STATE_CHANGE_JOB_TIMEOUT_MS, requestStateChange } from './VmStateChange.js';

export interface VmsModuleOptions {
  /** Longest wait for a migration, the host's call and then its job (ms; default 90 s, under the CLI's 120 s). */
  migrationTimeoutMs?: number;
  /** Longest wait for a start or stop the host runs as a job (ms; default 60 s). */
  stateChangeTimeoutMs?: number;
}

/** EnabledState (DSP1057): 2 running, 3 stopped. */
const RUNNING = 2;
const STOPPED = 3;

export function createVmsModule(options: VmsModuleOptions = {}): ServerModule {
  const migrationTimeoutMs = options.migrationTimeoutMs ?? 90_000;
  const stateChangeTimeoutMs = options.stateChangeTimeoutMs ?? STATE_CHANGE_JOB_TIMEOUT_MS;
  return {
    name: 'vms',
    register(router: ApiRouter, ctx: ServerContext): void {
      const groups = new GroupStore(ctx.db);
      const migrations = new ChangesInFlight(ctx, 'vm.migrate');

      /**
       * labelOnHost's drift check against what `host` last accepted from the TVDc. A host with
       * nothing accepted from the TVDc has nothing to drift from; it is refused when `needsPolicy`.
       */
      const requireUndriftedHost = async (group: string, host: string, doing: string, needsPolicy: boolean): Promise<void> => {
        const d = groups.deployments(group).find((x) => x.host === host);
        if (!d?.deployedName || !d.deployedVersion) {
          if (needsPolicy) throw ApiError.conflict(`host ${host} has no policy of TVDc ${group} yet: deploy it first (tvdc policy deploy ${group}) before ${doing}`);
          return;
        }
        await requireUndrifted(ctx, group, host, { name: d.deployedName, version: d.deployedVersion }, doing);
      };

      /** The VM's EnabledState and what RequestStateChange takes now (null: the host does not say). */
      const readVm = async (host: string, vm: string): Promise<{ state: number; available: number[] | null }> => {
        const i = await onHost(host, () => ctx.hosts.connection(host).getInstance(vmPath(vm), { propertyList: ['EnabledState', 'AvailableRequestedStates'] }));
        const a = i.get('AvailableRequestedStates');
        return { state: Number(i.get('EnabledState')), available: Array.isArray(a) ? a.map(Number) : null };
      };

      /** The group and VM of a route, checked as every group route checks them. */
      const authorized = (params: Readonly<Record<string, string>>, principal: Principal) => {
        const group = params['group']!;
        // Before the TVDc is looked up: a tvdcadmin learns nothing of TVDcs that are not his.
        requireGroup(principal, group);
        groups.require(group);
        return { group, vm: params['vm']! };
      };

      /** The host of the TVDc that has the VM (404 on none, 409 on several). */
      const hostOf = async (group: string, vm: string): Promise<string> => (await ctx.hosts.hostOfVm(vm, group)).name;

      /** Which of the two hosts has the VM now, or null. */
      const whereIs = async (vm: string, from: string, to: string): Promise<string | null> => {
        for (const h of [to, from]) {
          try {
            if (await hasVm(ctx.hosts.connection(h), vm)) return h;
          } catch {
            return null;
          }
        }
        return null;
      };

      const changeState = async (group: string, vm: string, host: string, requested: number, what: string): Promise<void> => {
        const r = await onHost(host, () => requestStateChange(ctx.hosts.connection(host), vm, requested, stateChangeTimeoutMs));
        if (r.outcome === 'refused') throw ApiError.hostRefused(`host ${host} refused to ${what} VM ${vm} (${r.returnValue}): ${r.reason ?? 'no reason given'}`);
        if (r.outcome === 'unknown') throw ApiError.hostTimeout(`whether host ${host} did ${what} VM ${vm} is unknown: ${r.reason}; look with tvdc vms list ${group}`);
      };

      router.route('POST', '/api/groups/:group/vms/:vm/start', async ({ principal, params, body }) => {
        const { group, vm } = authorized(params, principal);
        bodyObject(body);
        const host = await hostOf(group, vm);
        await requireMayManageVm(ctx, groups, principal, group, host, vm, 'start');
        // Starting puts the VM under the host's policy: it must be the one the TVDc gave it.
        await requireUndriftedHost(group, host, `starting VM ${vm}`, true);
        if ((await readVm(host, vm)).state === RUNNING) return { group, vm, host, state: 'running', changed: false };
        await changeState(group, vm, host, REQUESTED_STATE.start, 'start');
        ctx.audit({ user: principal.user, group, action: 'vm.start', message: `TVDc ${group}: VM ${vm} on ${host} started by ${principal.user}` });
        return { group, vm, host, state: 'running', changed: true };
      });

      // Stopping only takes a VM off a host, so it is not held back by drift (as removing a label).
      router.route('POST', '/api/groups/:group/vms/:vm/stop', async ({ principal, params, body }) => {
        const { group, vm } = authorized(params, principal);
        const hardField = bodyObject(body)['hard'];
        if (hardField !== undefined && typeof hardField !== 'boolean') throw ApiError.badRequest('"hard" must be true or false');
        const hard = hardField === true;
        const host = await hostOf(group, vm);
        await requireMayManageVm(ctx, groups, principal, group, host, vm, 'stop');
        const now = await readVm(host, vm);
        if (now.state === STOPPED) return { group, vm, host, state: 'stopped', changed: false };
        // An orderly shutdown (4) lets the guest close its files; a hard stop (3) pulls the plug.
        // The host says which it takes in the VM's present state; neither is swapped for the other.
        const requested = hard ? REQUESTED_STATE.stop : REQUESTED_STATE.shutdown;
        if (now.available && !now.available.includes(requested)) {
          const other = hard ? REQUESTED_STATE.shutdown : REQUESTED_STATE.stop;
          const hint = now.available.includes(other) ? `; it takes a ${hard ? 'soft' : 'hard'} stop (${hard ? 'without "hard"' : '"hard": true, tvdc vms stop --hard'})` : '';
          throw ApiError.conflict(`host ${host} takes no ${hard ? 'hard stop' : 'orderly shutdown'} of VM ${vm} in its present state (EnabledState ${now.state})${hint}`);
        }
        await changeState(group, vm, host, requested, hard ? 'stop' : 'shut down');
        ctx.audit({ user: principal.user, group, action: 'vm.stop', message: `TVDc ${group}: VM ${vm} on ${host} ${hard ? 'stopped (hard)' : 'shut down'} by ${principal.user}` });
        return { group, vm, host, state: 'stopped', changed: true, hard };
      });

      // A source host that restarted mid-migration keeps the VM's take-back copy and reports the
      // migration in doubt; the server knows the destination and asks it (migrationsInDoubt.ts).
      router.route('POST', '/api/groups/:group/migrations/resolve', async ({ principal, params, body }) => {
        const group = params['group']!;
        requireGroup(principal, group);
        groups.require(group);
        bodyObject(body);
        const report = await resolveMigrationsInDoubt(ctx, group, principal.user);
        for (const m of report.migrations) if (m.outcome === 'left') ctx.log(`TVDc ${group}: migration of VM ${m.vm} from ${m.host} stays in doubt: ${m.message}`);
        return { group, ...report };
      });

      router.route('POST', '/api/groups/:group/vms/:vm/migrate', async ({ principal, params, body }) => {
        const { group, vm } = authorized(params, principal);
        const to = stringField(body, 'to');
        const from = await hostOf(group, vm);
        await requireMayManageVm(ctx, groups, principal, group, from, vm, 'migrate');
        // One policy over all of a TVDc's hosts: a VM never leaves them. Another TVDc's host, one
        // in no TVDc and an unknown name get the same answer, so a tvdcadmin learns nothing of the
        // hosts outside his TVDc; the server log says which it was.
        const dest = ctx.hosts.list().find((h) => h.name === to);
        if (!dest || dest.group !== group) {
          ctx.log(`TVDc ${group}: migration of VM ${vm} to ${to} by ${principal.user} refused: ${dest ? (dest.group ? `host of TVDc ${dest.group}` : 'host in no TVDc') : 'no such host'}`);
          throw ApiError.conflict(`host ${to} is not a host of TVDc ${group}: a VM migrates only between the hosts of its TVDc`);
        }
        if (to === from) throw ApiError.conflict(`VM ${vm} is on host ${to} already`);
        const policy = groups.requirePolicy(group);
        const onDest = recordedState(policy, groups.deployments(group).find((d) => d.host === to));
        if (onDest.status !== 'deployed') {
          throw ApiError.conflict(`TVDc ${group}'s policy ${policy.name} ${policy.version} is not deployed on host ${to} (${onDest.state}): deploy it first (tvdc policy deploy ${group})`);
        }
        const doing = `migrating VM ${vm}`;
        await Promise.all([requireUndriftedHost(group, from, doing, false), requireUndriftedHost(group, to, doing, true)]);
        const who = `migration of VM ${vm} from ${from} to ${to} by ${principal.user}`;
        // In the trail before any host is asked: a server that dies midway leaves its trace.
        const underWay = migrations.begin({ user: principal.user, group, what: who, checkWith: `tvdc vms list ${group}` });
        try {
          let result;
          try {
            result = await migrateVm(ctx.hosts, { vm, source: from, destination: to, timeoutMs: migrationTimeoutMs, managerKey: managerKeyOf(ctx.db) });
          } catch (e) {
            // Asked of the hosts and not done, or perhaps done: the trail keeps the attempt.
            if (e instanceof ApiError) ctx.audit({ user: principal.user, group, action: 'vm.migrate', outcome: 'failed', message: `TVDc ${group}: ${who}: ${e.code}: ${e.message}` });
            throw e;
          }
          if (result.outcome === 'vanished') {
            // The job may be removed once it ended: where the VM is now says how it ended.
            const where = await whereIs(vm, from, to);
            if (where !== to) {
              const err = where === from
                ? ApiError.hostRefused(`host ${from}'s migration job ${result.job} was gone before it reported its end; VM ${vm} is still on ${from}`)
                : ApiError.hostTimeout(`host ${from}'s migration job ${result.job} was gone before it reported its end, and VM ${vm} is on neither ${from} nor ${to}: its fate is unknown; if ${from} restarted meanwhile, it reports the migration in doubt, and POST /api/groups/${group}/migrations/resolve settles it`);
              ctx.audit({ user: principal.user, group, action: 'vm.migrate', outcome: 'failed', message: `TVDc ${group}: ${who}: ${err.code}: ${err.message}` });
              throw err;
            }
          }
          ctx.audit({ user: principal.user, group, action: 'vm.migrate', message: `TVDc ${group}: VM ${vm} migrated from ${from} to ${to} by ${principal.user}` });
        } finally {
          // Its outcome is in the trail (or it failed before the hosts gave one): no longer in flight.
          underWay.end();
        }
        const state = await readVm(to, vm).then((v) => (v.state === RUNNING ? 'running' : `EnabledState ${v.state}`), () => null);
        return { group, vm, from, to, state };
      });
    },
  };
}
