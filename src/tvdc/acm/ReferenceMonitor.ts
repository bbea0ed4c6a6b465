// The reference monitor of one host: the active compiled policy, the host's label and Chinese Wall
// state, and the one place every hook asks. A refusal is written to the audit log and handed to
// the denial listeners before the caller sees it. Labels always come from the store the
// management VM keeps, never from what a VM says about itself.
import { TvdcError } from '../TvdcError.js';
import { INACCESSIBLE } from '../policy/reservedLabels.js';
import type { AccessDeniedEvent, DenialListener } from './AccessDeniedEvent.js';
import type { AuditLog } from './AuditLog.js';
import { ChineseWallState } from './ChineseWallState.js';
import type { CompiledPolicy } from './CompiledPolicy.js';
import type { Decision } from './Decision.js';
import { DecisionEngine } from './DecisionEngine.js';

/** Something labeled, as the monitor sees it: its name and the label the store holds for it. */
export interface Labeled {
  name: string;
  /** undefined: unlabeled. */
  label: string | undefined;
}

export class ReferenceMonitor {
  private engine: DecisionEngine;
  private state: ChineseWallState;
  private hostLabelId: number;
  private readonly listeners = new Set<DenialListener>();

  constructor(
    private compiled: CompiledPolicy,
    private host: Labeled,
    private readonly audit: AuditLog,
  ) {
    this.engine = new DecisionEngine(compiled);
    this.state = new ChineseWallState(compiled);
    this.hostLabelId = this.vmId(host.label);
  }

  get policy(): CompiledPolicy {
    return this.compiled;
  }

  get decisions(): DecisionEngine {
    return this.engine;
  }

  get chineseWall(): ChineseWallState {
    return this.state;
  }

  get hostLabel(): string | undefined {
    return this.host.label;
  }

  onDenied(l: DenialListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Installs a new policy and host label and rebuilds the Chinese Wall state from `running`.
   * The caller has checked (planPolicyUpdate) that everything running is permitted under it.
   */
  swap(compiled: CompiledPolicy, host: Labeled, running: Labeled[]): void {
    const engine = new DecisionEngine(compiled);
    const state = new ChineseWallState(compiled);
    for (const vm of running) state.add(vm.name, compiled.vmLabelId(vm.label) ?? compiled.vmLabelId(INACCESSIBLE)!);
    this.compiled = compiled;
    this.engine = engine;
    this.state = state;
    this.host = host;
    this.hostLabelId = this.vmId(host.label);
  }

  setHost(host: Labeled): void {
    this.host = host;
    this.hostLabelId = this.vmId(host.label);
  }

  // Decisions without side effects, for CheckAccess and planning.

  vmId(label: string | undefined): number {
    const id = this.compiled.vmLabelId(label);
    if (id === undefined) throw new TvdcError('LABEL_UNKNOWN', `VM label '${label}' is not defined in policy '${this.compiled.name}'`);
    return id;
  }

  resId(label: string | undefined): number {
    const id = this.compiled.resourceLabelId(label);
    if (id === undefined) throw new TvdcError('LABEL_UNKNOWN', `resource label '${label}' is not defined in policy '${this.compiled.name}'`);
    return id;
  }

  decideShare(a: Labeled, b: Labeled): Decision {
    return this.engine.share(this.vmId(a.label), this.vmId(b.label));
  }

  decideAccess(vm: Labeled, res: Labeled): Decision {
    return this.engine.access(this.vmId(vm.label), this.resId(res.label));
  }

  /** May `vm` start (resume, migrate in) here: a usable label, the host label, Chinese Wall. */
  decideStart(vm: Labeled): Decision {
    if (vm.label === INACCESSIBLE || (vm.label !== undefined && !this.compiled.hasVmLabel(vm.label)))
      return { permitted: false, rule: 'label', subjectLabel: vm.label ?? '', reason: `label denied: VM label '${vm.label}' is not defined in the active policy '${this.compiled.name}'` };
    const id = this.vmId(vm.label);
    const run = this.engine.run(id, this.hostLabelId);
    if (!run.permitted) return run;
    return this.engine.collocation(id, this.state);
  }

  // Hooks: decide, and on refusal audit + notify + throw ACCESS_DENIED.

  requireShare(operation: string, a: Labeled, b: Labeled): Decision {
    return this.enforce(operation, a, b, this.decideShare(a, b));
  }

  requireAccess(operation: string, vm: Labeled, res: Labeled): Decision {
    return this.enforce(operation, vm, res, this.decideAccess(vm, res));
  }

  requireStart(operation: string, vm: Labeled): Decision {
    return this.enforce(operation, vm, { name: this.host.name, label: this.host.label }, this.decideStart(vm));
  }

  /** Records that `vm` now runs here (after a permitted start). */
  started(vm: Labeled): void {
    this.state.add(vm.name, this.vmId(vm.label));
  }

  stopped(vmName: string): void {
    this.state.remove(vmName);
  }

  /** Refuses with a decision made elsewhere (e.g. the disk reuse rule), with the same audit trail. */
  deny(operation: string, subject: Labeled, object: Labeled | undefined, decision: Decision): never {
    this.enforce(operation, subject, object, decision);
    throw new Error('unreachable');
  }

  private enforce(operation: string, subject: Labeled, object: Labeled | undefined, d: Decision): Decision {
    if (d.permitted) return d;
    const base: Omit<AccessDeniedEvent, 'id'> = {
      time: new Date(),
      host: this.host.name,
      operation,
      subject: subject.name,
      subjectLabel: subject.label ?? '__UNLABELED__',
      rule: d.rule,
      reason: d.reason,
    };
    if (object) {
      base.object = d.runningVm ?? object.name;
      base.objectLabel = d.runningVm ? (d.objectLabel ?? '') : (object.label ?? '__UNLABELED__');
    }
    const event = this.audit.record(base);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing listener must not turn a clean refusal into a crash.
      }
    }
    throw new TvdcError('ACCESS_DENIED', `${operation} of '${subject.name}' refused: ${d.reason}`, { decision: d, event });
  }
}
