// What action plans do to the world: shut a VM down or restart it through
// TVDc_ComputerSystem.RequestStateChange on its host, or POST the event as JSON to a URL. Each
// effect either completes or throws an Error saying why; the engine records both as events.
import { request } from 'undici';
import type { ActionPlan } from '../../../src/tvdc/management/ActionPlan.js';
import type { ActionEffects, VmRef } from '../../../src/tvdc/management/ActionPlanEngine.js';
import type { TvdcEvent } from '../../../src/tvdc/management/EventLog.js';
import { CimError, CimStatus, ClientError } from '../../cim/index.js';
import type { HostDirectory } from '../ServerContext.js';
import { REQUESTED_STATE, requestStateChange } from '../VmStateChange.js';
import { ChallengeError } from './ChallengeError.js';

export interface VmEffectsOptions {
  /** Whole notify request, connect to last byte (default 5 s). */
  notifyTimeoutMs?: number;
  /** Throws, saying why, when `plan` may not power `target` (runs before the host is asked). */
  mayPower?: (plan: ActionPlan, target: VmRef) => Promise<void>;
}

export class VmEffects implements ActionEffects {
  private readonly timeout: number;

  constructor(
    private readonly hosts: HostDirectory,
    private readonly opts: VmEffectsOptions = {},
  ) {
    this.timeout = opts.notifyTimeoutMs ?? 5_000;
  }

  async shutdown(t: VmRef, plan: ActionPlan): Promise<void> {
    await this.opts.mayPower?.(plan, t);
    return this.requestState(t, REQUESTED_STATE.shutdown, 'shut down');
  }

  async restart(t: VmRef, plan: ActionPlan): Promise<void> {
    await this.opts.mayPower?.(plan, t);
    return this.requestState(t, REQUESTED_STATE.reboot, 'restart');
  }

  async notify(url: string, event: TvdcEvent): Promise<void> {
    const body = JSON.stringify({ source: 'tvdc', event });
    let status: number;
    try {
      const r = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'tvdc-management-server' },
        body,
        headersTimeout: this.timeout,
        bodyTimeout: this.timeout,
        // undici's request() follows no redirects: a notification goes to the URL the plan names.
        signal: AbortSignal.timeout(this.timeout),
      });
      status = r.statusCode;
      // The answer is not used; reading it lets the connection be reused.
      await r.body.dump({ limit: 64 * 1024 }).catch(() => {});
    } catch (e) {
      const err = e as Error & { code?: string };
      const why = err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' ? `no answer within ${this.timeout} ms` : err.message;
      throw new Error(`POST ${url}: ${why}`);
    }
    if (status < 200 || status > 299) throw new Error(`POST ${url} answered HTTP ${status}`);
  }

  /** Asks the VM's host for a state change; a VM that moved meanwhile is looked for on the other hosts. */
  private async requestState(t: VmRef, state: number, what: string): Promise<void> {
    try {
      await this.invoke(t.host, t.vm, state, what);
    } catch (e) {
      if (!(e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND)) throw asError(e, t.host, what);
      const now = await this.hosts.hostOfVm(t.vm);
      if (now.name === t.host) throw asError(e, t.host, what);
      try {
        await this.invoke(now.name, t.vm, state, what);
      } catch (e2) {
        throw asError(e2, now.name, what);
      }
    }
  }

  private async invoke(host: string, vm: string, state: number, what: string): Promise<void> {
    const r = await requestStateChange(this.hosts.connection(host), vm, state);
    if (r.outcome === 'refused') throw new Error(`host ${host} did not ${what} VM ${vm}: RequestStateChange returned ${r.returnValue}${r.reason !== null ? ` (${r.reason})` : ''}`);
    if (r.outcome === 'unknown') throw new Error(`whether host ${host} did ${what} VM ${vm} is unknown: ${r.reason}`);
  }
}

function asError(e: unknown, host: string, what: string): Error {
  return e instanceof CimError || e instanceof ClientError ? ChallengeError.from(e, host, what) : (e as Error);
}
