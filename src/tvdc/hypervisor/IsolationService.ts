// The isolation side of one host, in one object: the active policy, labels on VMs, the host, disks
// and network segments, the enforcing (simulated) hypervisor, the audit log and denial events.
// This is the API the CIM providers map TVDc_SecurityService, TVDc_ComputerSystem and friends onto.
import { dirname, resolve } from 'node:path';
import { migrate, openStore, type Db } from '../../store/Store.js';
import { TvdcError } from '../TvdcError.js';
import type { AccessDeniedEvent, DenialListener } from '../acm/AccessDeniedEvent.js';
import { AuditLog, auditLogMigrations } from '../acm/AuditLog.js';
import { CompiledPolicy } from '../acm/CompiledPolicy.js';
import type { Decision } from '../acm/Decision.js';
import { ReferenceMonitor, type Labeled } from '../acm/ReferenceMonitor.js';
import { SegmentStore, segmentStoreMigrations } from '../network/SegmentStore.js';
import type { NetworkSegment, SegmentKind } from '../network/NetworkSegment.js';
import { planHostNetwork, type HostNetworkPlan } from '../network/HostNetworkPlan.js';
import { defaultPolicy } from '../policy/defaultPolicy.js';
import { parsePolicy, policyErrors } from '../policy/loadPolicy.js';
import type { ElementRef, Policy } from '../policy/Policy.js';
import { PolicyStore, policyStoreMigrations } from '../policy/PolicyStore.js';
import { planPolicyUpdate, type PolicyWorld, type UpdateConflict } from '../policy/planPolicyUpdate.js';
import { INACCESSIBLE, UNLABELED } from '../policy/reservedLabels.js';
import { writeAcmXml } from '../policy/writeAcmXml.js';
import { confinedPath } from '../resources/confinedPath.js';
import { DiskStore, diskStoreMigrations } from '../resources/DiskStore.js';
import type { VirtualDisk } from '../resources/VirtualDisk.js';
import type { VmResource } from './HypervisorDriver.js';
import type { LifecycleListener } from './LifecycleListener.js';
import { SimulatedHypervisor, simulatedHypervisorMigrations } from './SimulatedHypervisor.js';
import type { MigrationTicket, VmArrival, VmDeparture, VmInfo, VmRequest, VmState } from './VirtualMachine.js';

const hostMigrations = [
  { id: 'isolation-host-1', up: 'CREATE TABLE iso_host (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, label TEXT)' },
];

export interface IsolationServiceOptions {
  /** An open store, or a file path (':memory:' for a private one). */
  db: Db | string;
  hostName: string;
  /** Policy text (XML or JSON) to activate on first start when the store has none. */
  initialPolicy?: string;
  /** The host's label on first start; the policy's bootstrap label when absent. */
  hostLabel?: string;
  /**
   * Where disk backing files must live. Defaults to the store file's directory; with an open Db or
   * ':memory:' and no directory given, disk paths are not confined (library use only).
   */
  diskDirectory?: string;
}

/** Outcome of SetPolicy / ActivatePolicy: `errors` has one human line per problem. */
export interface PolicyResult {
  ok: boolean;
  errors: string[];
  conflicts: UpdateConflict[];
}

export interface LabelInfo {
  name: string;
  kind: 'vm' | 'resource';
  ste: string[];
  cw: string[];
}

export interface ConflictSetInfo {
  /** Unique within the policy: the name, with `#n` added when Xen-style duplicate names occur. */
  key: string;
  name: string;
  types: string[];
}

export class IsolationService {
  readonly db: Db;
  readonly hostName: string;
  private readonly ownsDb: boolean;
  private readonly diskDirectory: string | undefined;
  private readonly policies: PolicyStore;
  readonly audit: AuditLog;
  readonly disks: DiskStore;
  readonly segments: SegmentStore;
  readonly monitor: ReferenceMonitor;
  readonly hypervisor: SimulatedHypervisor;

  private constructor(opts: IsolationServiceOptions) {
    this.ownsDb = typeof opts.db === 'string';
    this.db = typeof opts.db === 'string' ? openStore(opts.db) : opts.db;
    this.hostName = opts.hostName;
    this.diskDirectory = opts.diskDirectory ?? (typeof opts.db === 'string' && opts.db !== ':memory:' ? dirname(resolve(opts.db)) : undefined);
    migrate(this.db, [...policyStoreMigrations, ...auditLogMigrations, ...diskStoreMigrations, ...segmentStoreMigrations, ...simulatedHypervisorMigrations, ...hostMigrations]);
    this.policies = new PolicyStore(this.db);
    this.audit = new AuditLog(this.db);
    this.disks = new DiskStore(this.db);
    this.segments = new SegmentStore(this.db);

    let active = this.policies.get('active')?.policy;
    if (!active) {
      active = defaultPolicy();
      let source: string | undefined;
      if (opts.initialPolicy !== undefined) {
        const r = parsePolicy(opts.initialPolicy);
        if (!r.ok) throw new TvdcError('POLICY_INVALID', policyErrors('initial policy', r.errors).join('\n'), { errors: r.errors });
        active = r.policy;
        source = opts.initialPolicy;
      }
      this.policies.put('active', active, source);
    }
    const compiled = new CompiledPolicy(active);
    let host = this.db.prepare('SELECT name, label FROM iso_host WHERE id = 1').get() as { name: string; label: string | null } | undefined;
    if (!host) {
      const label = opts.hostLabel ?? active.bootstrap;
      if (!compiled.hasVmLabel(label)) throw new TvdcError('LABEL_UNKNOWN', `host label '${label}' is not a VM label of policy '${active.header.name}'`);
      this.db.prepare('INSERT INTO iso_host (id, name, label) VALUES (1, ?, ?)').run(opts.hostName, label);
      host = { name: opts.hostName, label };
    }
    this.monitor = new ReferenceMonitor(compiled, { name: this.hostName, label: host.label ?? undefined }, this.audit);
    this.hypervisor = new SimulatedHypervisor(this.db, this.hostName, this.monitor, this.disks, this.segments);
    // The hypervisor's VMs outlived the agent: restore the running counts Chinese Wall needs.
    this.hypervisor.restore();
  }

  /** Opens (or creates) the isolation state of a host. */
  static open(opts: IsolationServiceOptions): IsolationService {
    return new IsolationService(opts);
  }

  close(): void {
    if (this.ownsDb) this.db.close();
  }

  // ---- policy -------------------------------------------------------------------------------

  activePolicy(): Policy {
    return this.monitor.policy.policy;
  }

  /** The active policy as Xen ACM XML. */
  activePolicyXml(): string {
    return writeAcmXml(this.activePolicy());
  }

  pendingPolicy(): Policy | undefined {
    return this.policies.get('pending')?.policy;
  }

  /**
   * Loads a policy (XML or JSON). With `activate` (the default) it also becomes active, as an update
   * of the current one; otherwise it waits for activatePolicy().
   */
  setPolicy(text: string, opts: { file?: string; activate?: boolean } = {}): PolicyResult {
    const r = parsePolicy(text);
    if (!r.ok) return { ok: false, errors: policyErrors(opts.file ?? 'PolicyXML', r.errors), conflicts: [] };
    if (opts.activate === false) {
      const plan = planPolicyUpdate(this.activePolicy(), r.policy, this.world(r.policy));
      const headerOnly = plan.conflicts.filter((c) => c.rule === 'from-policy' || c.rule === 'version' || c.rule === 'bad-rename');
      if (headerOnly.length) return { ok: false, errors: headerOnly.map((c) => c.reason), conflicts: headerOnly };
      this.policies.put('pending', r.policy, text);
      return { ok: true, errors: [], conflicts: [] };
    }
    return this.activate(r.policy, text);
  }

  /** Activates the policy set with `activate: false`. */
  activatePolicy(): PolicyResult {
    const pending = this.policies.get('pending');
    if (!pending) return { ok: false, errors: ['no policy is waiting for activation'], conflicts: [] };
    return this.activate(pending.policy, pending.source);
  }

  /** What activating `text` would do, without doing it. */
  checkPolicyUpdate(text: string): PolicyResult {
    const r = parsePolicy(text);
    if (!r.ok) return { ok: false, errors: policyErrors('PolicyXML', r.errors), conflicts: [] };
    const plan = planPolicyUpdate(this.activePolicy(), r.policy, this.world(r.policy));
    return { ok: plan.ok, errors: plan.conflicts.map((c) => c.reason), conflicts: plan.conflicts };
  }

  private activate(next: Policy, source: string | undefined): PolicyResult {
    const world = this.world(next);
    const plan = planPolicyUpdate(this.activePolicy(), next, world);
    if (!plan.ok) return { ok: false, errors: plan.conflicts.map((c) => c.reason), conflicts: plan.conflicts };
    // Relabeling is a function of the old label, so it is written per label, not per element:
    // a handful of statements however many VMs and disks carry the label.
    const byLabel = new Map<string, { kind: 'vm' | 'disk' | 'segment'; from: string; to: string | undefined }>();
    for (const r of plan.relabel) if (r.kind !== 'host' && r.from !== undefined) byLabel.set(`${r.kind}\u0000${r.from}`, { kind: r.kind, from: r.from, to: r.to });
    const table = { vm: 'iso_vms', disk: 'iso_disks', segment: 'iso_segments' } as const;
    // One transaction: every relabel and the new policy land together or not at all.
    try {
      this.db.transaction(() => {
        for (const r of byLabel.values()) this.db.prepare(`UPDATE ${table[r.kind]} SET label = ? WHERE label = ?`).run(r.to ?? null, r.from);
        this.db.prepare('UPDATE iso_host SET label = ? WHERE id = 1').run(plan.hostLabel ?? null);
        this.policies.put('active', next, source);
        this.policies.clear('pending');
      })();
    } catch (e) {
      // Rolled back: the old policy stays active, on disk and (not swapped yet) in memory.
      throw new TvdcError('IO_FAILED', `policy '${next.header.name}' ${next.header.version} could not be stored: ${(e as Error).message}`);
    }
    const vmLabels = new Map(plan.relabel.filter((r) => r.kind === 'vm').map((r) => [r.name, r.to]));
    const running = world.vms.filter((v) => v.running).map((v) => ({ name: v.name, label: vmLabels.has(v.name) ? vmLabels.get(v.name) : v.label }));
    this.monitor.swap(plan.compiled, { name: this.hostName, label: plan.hostLabel }, running);
    return { ok: true, errors: [], conflicts: [] };
  }

  /**
   * What a replay of `next` has to look at: the host, everything running with its attachments,
   * and the stopped VMs and unused disks whose labels `next` renames or drops. Elements whose
   * label stays and that nothing running uses cannot change or conflict, so they are not read.
   */
  private world(next: Policy): PolicyWorld {
    const current = this.activePolicy();
    const changed = (old: { name: string }[], labels: { name: string; from?: string }[]): string[] => {
      const kept = new Set(labels.map((l) => l.name));
      const renamed = new Set(labels.flatMap((l) => (l.from === undefined ? [] : [l.from])));
      return old.map((l) => l.name).filter((n) => renamed.has(n) || !kept.has(n));
    };
    const vmLabels = changed(current.vmLabels, next.vmLabels);
    const resLabels = JSON.stringify(changed(current.resourceLabels, next.resourceLabels));
    const rows = (sql: string, ...args: unknown[]): { name: string; label: string | undefined }[] =>
      (this.db.prepare(sql).raw().all(...args) as [string, string | null][]).map(([name, label]) => ({ name, label: label ?? undefined }));
    return {
      host: this.host(),
      vms: this.hypervisor.snapshot(vmLabels),
      disks: rows(
        `SELECT name, label FROM iso_disks WHERE label IN (SELECT value FROM json_each(?))
           OR name IN (SELECT disk FROM iso_vm_disks JOIN iso_vms ON iso_vms.name = iso_vm_disks.vm WHERE iso_vms.state IN ('running', 'paused'))`,
        resLabels,
      ),
      segments: rows('SELECT name, label FROM iso_segments'),
    };
  }

  listLabels(): LabelInfo[] {
    const c = this.monitor.policy;
    return c.labels
      .filter((l) => l.declared)
      .map((l) => ({ name: l.name, kind: l.kind, ste: c.steTypesOf(l.id), cw: c.cwTypesOf(l.id) }));
  }

  listConflictSets(): ConflictSetInfo[] {
    const seen = new Map<string, number>();
    return this.activePolicy().conflictSets.map((cs) => {
      const n = (seen.get(cs.name) ?? 0) + 1;
      seen.set(cs.name, n);
      return { key: n === 1 ? cs.name : `${cs.name}#${n}`, name: cs.name, types: [...cs.types] };
    });
  }

  // ---- labels -------------------------------------------------------------------------------

  host(): { name: string; label: string | undefined } {
    return { name: this.hostName, label: this.monitor.hostLabel };
  }

  /** The label the store holds for an element (undefined: unlabeled). */
  labelOf(el: ElementRef): string | undefined {
    switch (el.kind) {
      case 'vm':
        return this.hypervisor.require(el.name).label;
      case 'host':
        this.requireHost(el.name);
        return this.monitor.hostLabel;
      case 'disk':
        return this.disks.require(el.name).label;
      case 'segment':
        return this.segments.require(el.name).label;
    }
  }

  private requireHost(name: string): void {
    if (name !== this.hostName) throw new TvdcError('NOT_FOUND', `this is host '${this.hostName}', not '${name}'`);
  }

  assignLabel(el: ElementRef, label: string): void {
    this.setLabel(el, label);
  }

  removeLabel(el: ElementRef): void {
    this.setLabel(el, undefined);
  }

  private setLabel(el: ElementRef, label: string | undefined): void {
    const c = this.monitor.policy;
    if (label === INACCESSIBLE) throw new TvdcError('INVALID_ARGUMENT', `'${INACCESSIBLE}' cannot be assigned`);
    switch (el.kind) {
      case 'vm':
        this.hypervisor.setLabel(el.name, label);
        return;
      case 'host': {
        this.requireHost(el.name);
        if (label === undefined) throw new TvdcError('INVALID_ARGUMENT', 'a host always has a label');
        if (!c.hasVmLabel(label)) throw new TvdcError('LABEL_UNKNOWN', `VM label '${label}' is not defined in the active policy '${c.name}'`);
        const hostId = c.vmLabelId(label)!;
        const engine = this.monitor.decisions;
        for (const vm of this.hypervisor.list()) {
          if (vm.state !== 'running' && vm.state !== 'paused') continue;
          const id = c.vmLabelId(vm.label) ?? c.vmLabelId(INACCESSIBLE)!;
          if (!engine.canRun(id, hostId))
            this.monitor.deny('assign-label', { name: this.hostName, label }, { name: vm.name, label: vm.label }, { ...engine.run(id, hostId), reason: `running VM '${vm.name}' could not stay: ${engine.run(id, hostId).reason}` });
        }
        // The host must keep carrying every segment a running VM has an interface on.
        const hostL = { name: this.hostName, label };
        for (const vm of this.hypervisor.list())
          if (vm.state === 'running' || vm.state === 'paused')
            for (const seg of vm.segments) this.monitor.requireAccess('assign-label', hostL, { name: seg, label: this.segments.require(seg).label });
        this.db.prepare('UPDATE iso_host SET label = ? WHERE id = 1').run(label);
        this.monitor.setHost({ name: this.hostName, label });
        return;
      }
      case 'disk': {
        const disk = this.disks.require(el.name);
        const type = this.resourceType(label);
        if (!DiskStore.reuseAllowed(disk, type))
          this.monitor.deny('assign-label', { name: el.name, label: disk.label }, { name: el.name, label }, {
            permitted: false,
            rule: 'label',
            subjectLabel: disk.label ?? UNLABELED,
            objectLabel: label ?? UNLABELED,
            reason: `disk '${el.name}' was used under type(s) ${disk.usedTypes.map((t) => `'${t}'`).join(', ')} and label '${label ?? UNLABELED}' shares none of them; sanitize it first`,
          });
        this.requireUsersKeepAccess('disk', el.name, label);
        this.disks.setLabel(el.name, label);
        return;
      }
      case 'segment': {
        this.segments.require(el.name);
        const type = this.resourceType(label);
        if (type !== undefined)
          for (const s of this.segments.list()) {
            if (s.name === el.name) continue;
            const other = this.resourceType(s.label, true);
            if (other === type) throw new TvdcError('ALREADY_EXISTS', `STE type '${type}' already has network segment '${s.name}'; one segment per type`);
          }
        this.requireUsersKeepAccess('segment', el.name, label);
        this.segments.setLabel(el.name, label);
        return;
      }
    }
  }

  /** The STE type of a resource label (undefined for unlabeled). Unknown labels are refused. */
  private resourceType(label: string | undefined, lenient = false): string | undefined {
    const c = this.monitor.policy;
    if (label !== undefined && !c.hasResourceLabel(label)) {
      if (lenient) return undefined;
      throw new TvdcError('LABEL_UNKNOWN', `resource label '${label}' is not defined in the active policy '${c.name}'`);
    }
    const id = c.resourceLabelId(label);
    return id === undefined ? undefined : c.steTypesOf(id)[0];
  }

  /** Relabeling a resource may not cut off a running VM that uses it. */
  private requireUsersKeepAccess(kind: 'disk' | 'segment', name: string, label: string | undefined): void {
    for (const vm of this.hypervisor.list()) {
      if (vm.state !== 'running' && vm.state !== 'paused') continue;
      if (!(kind === 'disk' ? vm.disks : vm.segments).includes(name)) continue;
      this.monitor.requireAccess('assign-label', { name: vm.name, label: vm.label }, { name, label });
    }
  }

  /**
   * CheckAccess for any pair: VM-VM (share), VM-disk and VM-segment (access), VM-host (run on the
   * host, and Chinese Wall against what runs there when the VM does not run yet), host-segment.
   * A query: nothing is logged.
   */
  checkAccess(subject: ElementRef, object: ElementRef): Decision {
    const s: Labeled = { name: subject.name, label: this.labelOf(subject) };
    const o: Labeled = { name: object.name, label: this.labelOf(object) };
    if (subject.kind === 'vm' && object.kind === 'vm') return this.monitor.decideShare(s, o);
    if ((subject.kind === 'vm' || subject.kind === 'host') && (object.kind === 'disk' || object.kind === 'segment')) return this.monitor.decideAccess(s, o);
    if ((object.kind === 'vm' || object.kind === 'host') && (subject.kind === 'disk' || subject.kind === 'segment')) return this.monitor.decideAccess(o, s);
    if (subject.kind === 'vm' && object.kind === 'host') return this.decideVmOnHost(subject.name, s);
    if (subject.kind === 'host' && object.kind === 'vm') return this.decideVmOnHost(object.name, o);
    throw new TvdcError('INVALID_ARGUMENT', `no access rule between a ${subject.kind} and a ${object.kind}`);
  }

  private decideVmOnHost(vmName: string, vm: Labeled): Decision {
    const state = this.hypervisor.require(vmName).state;
    if (state === 'running' || state === 'paused') {
      const c = this.monitor.policy;
      return this.monitor.decisions.run(c.vmLabelId(vm.label) ?? c.vmLabelId(INACCESSIBLE)!, c.vmLabelId(this.monitor.hostLabel)!);
    }
    return this.monitor.decideStart(vm);
  }

  // ---- resources ----------------------------------------------------------------------------

  /** Registers a disk; its backing file must lie in the disk directory (sanitize overwrites it). */
  createDisk(d: { name: string; path: string; sizeBytes: number; label?: string }): VirtualDisk {
    if (d.label !== undefined) this.resourceType(d.label);
    const path = this.diskDirectory === undefined ? d.path : confinedPath(this.diskDirectory, d.path);
    return this.disks.create({ ...d, path });
  }

  /** Unregisters a disk no VM has attached and removes its file, wiped first when it was used. */
  deleteDisk(name: string): void {
    if (this.hypervisor.list().some((v) => v.disks.includes(name))) throw new TvdcError('INVALID_STATE', `disk '${name}' is attached to a VM`);
    this.disks.remove(name);
  }

  listDisks(): VirtualDisk[] {
    return this.disks.list();
  }

  getDisk(name: string): VirtualDisk | undefined {
    return this.disks.get(name);
  }

  /** Wipes a disk (zeros, fsync) so it may take an unrelated label; records when and by whom. */
  sanitize(disk: string, by: string): VirtualDisk {
    for (const vm of this.hypervisor.list())
      if (vm.state !== 'stopped' && vm.disks.includes(disk)) throw new TvdcError('INVALID_STATE', `disk '${disk}' is in use by ${vm.state} VM '${vm.name}'`);
    return this.disks.sanitize(disk, by);
  }

  defineSegment(s: { name: string; kind: SegmentKind; segmentId: number; label?: string }): NetworkSegment {
    const created = this.segments.create({ name: s.name, kind: s.kind, segmentId: s.segmentId, label: undefined });
    if (s.label !== undefined) {
      try {
        this.setLabel({ kind: 'segment', name: s.name }, s.label);
      } catch (e) {
        this.segments.remove(s.name);
        throw e;
      }
    }
    return this.segments.get(created.name)!;
  }

  deleteSegment(name: string): void {
    if (this.hypervisor.list().some((v) => v.segments.includes(name))) throw new TvdcError('INVALID_STATE', `segment '${name}' has VM interfaces`);
    this.segments.require(name);
    this.segments.remove(name);
  }

  listSegments(): NetworkSegment[] {
    return this.segments.list();
  }

  getSegment(name: string): NetworkSegment | undefined {
    return this.segments.get(name);
  }

  /** The bridges this host carries and the VM interfaces on them, for the Linux applier. */
  networkPlan(): HostNetworkPlan {
    return planHostNetwork(this.monitor.policy, {
      host: this.hostName,
      hostLabel: this.monitor.hostLabel,
      segments: this.segments.list(),
      vms: this.hypervisor.list().map((v) => ({ name: v.name, label: v.label, segments: v.segments })),
    });
  }

  // ---- VMs ----------------------------------------------------------------------------------

  /** A refused resource is a TvdcError whose details name it: `{ resourceIndex }`, its index in `resources`. */
  defineVm(name: string, label?: string, resources: readonly VmResource[] = []): Promise<VmInfo> {
    return this.hypervisor.define(name, label, resources);
  }
  startVm(name: string): Promise<VmInfo> {
    return this.hypervisor.start(name);
  }
  stopVm(name: string): Promise<VmInfo> {
    return this.hypervisor.stop(name);
  }
  pauseVm(name: string): Promise<VmInfo> {
    return this.hypervisor.pause(name);
  }
  unpauseVm(name: string): Promise<VmInfo> {
    return this.hypervisor.unpause(name);
  }
  /** Stop, then start again through every check (the policy may have changed meanwhile). */
  async rebootVm(name: string): Promise<VmInfo> {
    await this.hypervisor.stop(name);
    return this.hypervisor.start(name);
  }
  suspendVm(name: string): Promise<VmInfo> {
    return this.hypervisor.suspend(name);
  }
  resumeVm(name: string): Promise<VmInfo> {
    return this.hypervisor.resume(name);
  }
  destroyVm(name: string): Promise<void> {
    return this.hypervisor.destroy(name);
  }
  /** Hands a running VM out to `destination`, keeping its departure record until that is resolved. */
  migrateOut(name: string, destination?: string): Promise<MigrationTicket> {
    return this.hypervisor.migrateOut(name, destination);
  }
  migrateIn(ticket: MigrationTicket): Promise<VmInfo> {
    return this.hypervisor.migrateIn(ticket);
  }
  /** Brings a departed VM back here from its departure record (running, or stopped). */
  takeBackVm(name: string, state: 'running' | 'stopped'): Promise<VmInfo> {
    return this.hypervisor.takeBack(name, state);
  }
  /** The destination admitted the VM: its departure record (and take-back copy) goes. */
  forgetDeparture(name: string): VmDeparture {
    return this.hypervisor.forgetDeparture(name);
  }
  departure(name: string): VmDeparture | undefined {
    return this.hypervisor.departure(name);
  }
  /** VMs that left and whose arrival is not confirmed: after a restart, migrations in doubt. */
  departures(): VmDeparture[] {
    return this.hypervisor.departures();
  }
  /** The migration `migrationId` (the id the source drew), when this host admitted it. */
  arrival(migrationId: string): VmArrival | undefined {
    return this.hypervisor.arrival(migrationId);
  }

  /**
   * Moves a running VM to another host: the destination decides first (run on host, Chinese Wall);
   * a refusal is logged and raised by the destination and the VM keeps running here.
   */
  async migrateTo(name: string, dest: IsolationService): Promise<VmInfo> {
    const vm = this.hypervisor.require(name);
    if (vm.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}; only a running VM migrates`);
    const probe: MigrationTicket = { vm: vm.name, label: vm.label, fromHost: this.hostName, disks: vm.disks, segments: vm.segments, extensions: {} };
    const d = dest.hypervisor.checkMigrateIn(probe);
    if (!d.permitted) dest.monitor.deny('migrate-in', { name: vm.name, label: vm.label }, { name: dest.hostName, label: dest.monitor.hostLabel }, d);
    const ticket = await this.hypervisor.migrateOut(name, dest.hostName);
    let arrived: VmInfo;
    try {
      arrived = await dest.hypervisor.migrateIn(ticket);
    } catch (e) {
      // The destination failed after all: take the VM back rather than lose it.
      await this.hypervisor.takeBack(name, 'running');
      throw e;
    }
    this.hypervisor.forgetDeparture(name);
    return arrived;
  }

  attachDisk(vm: string, disk: string): VmInfo {
    return this.hypervisor.attachDisk(vm, disk);
  }
  detachDisk(vm: string, disk: string): VmInfo {
    return this.hypervisor.detachDisk(vm, disk);
  }
  attachInterface(vm: string, segment: string): VmInfo {
    return this.hypervisor.attachInterface(vm, segment);
  }
  detachInterface(vm: string, segment: string): VmInfo {
    return this.hypervisor.detachInterface(vm, segment);
  }
  openChannel(a: string, b: string): void {
    this.hypervisor.openChannel(a, b);
  }
  closeChannel(a: string, b: string): void {
    this.hypervisor.closeChannel(a, b);
  }
  getVm(name: string): VmInfo | undefined {
    return this.hypervisor.get(name);
  }
  recordVmRequest(name: string, request: VmRequest | undefined): VmInfo {
    return this.hypervisor.recordRequest(name, request);
  }

  /**
   * Carries out a state change as a management client asks it, and keeps the request with the VM.
   * It is recorded before the change, so the lifecycle events of the change already carry it; a
   * refused or impossible request puts the previous one back. Asking for the state the VM is
   * already in succeeds and changes nothing.
   */
  async requestVm(name: string, request: VmRequest): Promise<VmInfo> {
    const vm = this.hypervisor.get(name);
    if (!vm) throw new TvdcError('NOT_FOUND', `no VM '${name}' on host '${this.hostName}'`);
    this.hypervisor.recordRequest(name, request);
    try {
      await this.carryOut(vm, request);
    } catch (e) {
      if (this.hypervisor.get(name)) this.hypervisor.recordRequest(name, vm.lastRequest);
      throw e;
    }
    return this.hypervisor.get(name)!;
  }

  private async carryOut(vm: VmInfo, request: VmRequest): Promise<void> {
    const n = vm.name;
    const only = (...from: VmState[]): void => {
      if (!from.includes(vm.state)) throw new TvdcError('INVALID_STATE', `VM '${n}' is ${vm.state}; it cannot ${request}`);
    };
    switch (request) {
      case 'start':
        if (vm.state === 'stopped') await this.hypervisor.start(n);
        else if (vm.state === 'suspended') await this.hypervisor.resume(n);
        else if (vm.state === 'paused') await this.hypervisor.unpause(n);
        return;
      case 'stop':
      case 'shut-down':
        if (vm.state !== 'stopped') await this.hypervisor.stop(n);
        return;
      case 'suspend':
        if (vm.state === 'suspended') return;
        only('running');
        await this.hypervisor.suspend(n);
        return;
      case 'pause':
        if (vm.state === 'paused') return;
        only('running');
        await this.hypervisor.pause(n);
        return;
      case 'reboot':
      case 'reset':
        only('running', 'paused');
        await this.rebootVm(n);
        return;
    }
  }
  listVms(): VmInfo[] {
    return this.hypervisor.list();
  }

  // ---- events -------------------------------------------------------------------------------

  /** Every refusal, as it happens (after it is in the audit log). Returns an unsubscribe function. */
  onDenied(listener: DenialListener): () => void {
    return this.monitor.onDenied(listener);
  }

  addLifecycleListener(l: LifecycleListener): () => void {
    return this.hypervisor.addLifecycleListener(l);
  }

  auditLog(limit = 100): AccessDeniedEvent[] {
    return this.audit.list(limit);
  }
}

