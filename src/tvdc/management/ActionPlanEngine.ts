// Runs the action plans that match an attestation event: the effects (power a VM off, restart it,
// notify a URL) are injected, so this stays pure domain; each outcome is recorded as an event of
// its own and a failing effect never stops the others.
import type { ActionPlan } from './ActionPlan.js';
import { describeAction, planMatches } from './ActionPlan.js';
import type { ActionPlanStore } from './ActionPlanStore.js';
import type { EventLog, TvdcEvent } from './EventLog.js';
import type { NotifyTarget } from './NotifyTarget.js';

/**
 * The finding of an attestation of a VM whose name is defined on more than one managed host. The
 * verifier knows VMs by name, so such an outcome says nothing about either VM's integrity, and
 * a power action would hit whichever VM happened to be named: plans may notify, never power.
 */
export const DUPLICATE_VM_NAME = 'DUPLICATE_VM_NAME';

/** Where notify plans may send the server: the Datacenter Administrator's allowed prefixes. */
export interface NotifyPolicy {
  allowing(url: string): NotifyTarget | undefined;
}

export interface VmRef {
  host: string;
  vm: string;
}

export interface ActionEffects {
  /** `plan` is the plan that asks: whose it is may decide which VMs it may power. */
  shutdown(target: VmRef, plan: ActionPlan): Promise<void>;
  restart(target: VmRef, plan: ActionPlan): Promise<void>;
  notify(url: string, event: TvdcEvent): Promise<void>;
}

export class ActionPlanEngine {
  constructor(
    private readonly plans: ActionPlanStore,
    private readonly events: EventLog,
    private readonly effects: ActionEffects,
    private readonly targets: NotifyPolicy,
  ) {}

  /** The plans an attestation event triggers, in the order they run. */
  matching(event: TvdcEvent): ActionPlan[] {
    if (event.kind !== 'attestation' || event.status === 'trusted' || event.status === 'done' || event.group === null) return [];
    const subject = { group: event.group, status: event.status, ...(event.vm !== undefined ? { vm: event.vm } : {}) };
    const matched = this.plans.list([event.group]).filter((p) => planMatches(p, subject));
    // One power action per event: a shutdown is the stronger answer, and restarting a VM another
    // plan just shut down would undo it.
    const power = matched.find((p) => p.action.kind === 'shutdown') ?? matched.find((p) => p.action.kind === 'restart');
    const notifies = matched.filter((p) => p.action.kind === 'notify');
    // Notifications go out before the VM goes down, so a listener hears of it while it still can act.
    return power ? [...notifies, power] : notifies;
  }

  /**
   * Runs every matching plan and returns the action events recorded for them. Notify and restart
   * plans act on a change: once one has acted on a target's verdict, later attestations with the
   * same verdict (a schedule every few minutes) do not repeat it until the verdict changes, and an
   * action that failed is tried again at the next one. A restart that did not clear the verdict
   * (the bad file is in the VM's image, not only in what it loaded) would otherwise restart the
   * VM at every scheduled run, forever. A shutdown runs every time: a VM that is still running
   * was not stopped, or was started again.
   */
  async handle(event: TvdcEvent): Promise<TvdcEvent[]> {
    const out: TvdcEvent[] = [];
    for (const plan of this.matching(event)) {
      if (plan.action.kind !== 'shutdown' && this.events.actedInRun(plan.id, event)) continue;
      out.push(await this.run(plan, event));
    }
    return out;
  }

  private async run(plan: ActionPlan, event: TvdcEvent): Promise<TvdcEvent> {
    const what = describeAction(plan.action);
    const subject = event.vm !== undefined ? `VM ${event.vm} on host ${event.host}` : `host ${event.host}`;
    const base = { kind: 'action' as const, group: event.group, host: event.host, planId: plan.id, action: plan.action.kind, cause: event.id, ...(event.vm !== undefined ? { vm: event.vm } : {}) };
    try {
      const a = plan.action;
      if (a.kind === 'notify') {
        // Checked at every use, not only when the plan was added: a prefix the dcadmin removed
        // since stops the plan at once instead of leaving the server calling it.
        if (!this.targets.allowing(a.url)) throw new Error(`${a.url} is not under any notification target the Datacenter Administrator allows (tvdc plans targets list)`);
        await this.effects.notify(a.url, event);
      } else if (event.vm === undefined) throw new Error(`${a.kind} applies to VMs only`);
      else if (event.findings.some((f) => f.code === DUPLICATE_VM_NAME)) {
        throw new Error(`VM name ${event.vm} is defined on more than one host: no ${a.kind} of a VM that cannot be told apart by name`);
      } else if (a.kind === 'shutdown') await this.effects.shutdown({ host: event.host, vm: event.vm }, plan);
      else await this.effects.restart({ host: event.host, vm: event.vm }, plan);
      return this.events.record({ ...base, status: 'done', message: `plan ${plan.id}: ${what} for ${subject} (attestation ${event.status}, event ${event.id})` });
    } catch (e) {
      return this.events.record({ ...base, status: 'failed', message: `plan ${plan.id}: ${what} for ${subject} failed: ${(e as Error).message}` });
    }
  }
}
