// A hypervisor simulated in the host's SQLite store: VMs with their states, disks, network
// interfaces and inter-VM channels survive a restart of the agent exactly as a real hypervisor's
// domains outlive its management tools. Every operation asks the reference monitor first, the way
// sHype's hooks in Xen and in its management VM did; nothing changes when it refuses.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../store/Store.js';
import { TvdcError } from '../TvdcError.js';
import { UNLABELED } from '../policy/reservedLabels.js';
import type { Decision } from '../acm/Decision.js';
import type { Labeled, ReferenceMonitor } from '../acm/ReferenceMonitor.js';
import type { DiskStore } from '../resources/DiskStore.js';
import type { SegmentStore } from '../network/SegmentStore.js';
import type { HypervisorDriver, VmResource } from './HypervisorDriver.js';
import type { LifecycleListener } from './LifecycleListener.js';
import { VM_NAME, publicMigrationId, type MigrationTicket, type VmArrival, type VmDeparture, type VmInfo, type VmRequest, type VmState } from './VirtualMachine.js';

export const simulatedHypervisorMigrations = [
  {
    id: 'isolation-vms-1',
    up: `
      CREATE TABLE iso_vms (
        name TEXT PRIMARY KEY,
        label TEXT,
        state TEXT NOT NULL CHECK (state IN ('stopped', 'running', 'paused', 'suspended')),
        created_at TEXT NOT NULL
      );
      CREATE TABLE iso_vm_disks (
        vm TEXT NOT NULL REFERENCES iso_vms(name) ON DELETE CASCADE,
        disk TEXT NOT NULL,
        PRIMARY KEY (vm, disk)
      );
      CREATE TABLE iso_vm_nics (
        vm TEXT NOT NULL REFERENCES iso_vms(name) ON DELETE CASCADE,
        segment TEXT NOT NULL,
        PRIMARY KEY (vm, segment)
      );
      CREATE TABLE iso_channels (
        a TEXT NOT NULL REFERENCES iso_vms(name) ON DELETE CASCADE,
        b TEXT NOT NULL REFERENCES iso_vms(name) ON DELETE CASCADE,
        PRIMARY KEY (a, b),
        CHECK (a < b)
      );`,
  },
  // Policy updates look VMs up by label and by state.
  { id: 'isolation-vms-2', up: 'CREATE INDEX iso_vms_label ON iso_vms (label); CREATE INDEX iso_vms_state ON iso_vms (state)' },
  { id: 'isolation-vms-3', up: 'ALTER TABLE iso_vms ADD COLUMN last_request TEXT' },
  // A VM that left, kept until the destination admitted it or it was taken back (VmDeparture).
  {
    id: 'isolation-vms-4',
    up: `
      CREATE TABLE iso_vm_departures (
        vm TEXT PRIMARY KEY,
        destination TEXT NOT NULL,
        left_at TEXT NOT NULL,
        ticket TEXT NOT NULL
      );`,
  },
  // The migrations this host admitted, by the id the source drew, so a source in doubt can ask.
  {
    id: 'isolation-vms-5',
    up: `
      CREATE TABLE iso_vm_arrivals (
        migration_id TEXT PRIMARY KEY,
        vm TEXT NOT NULL,
        from_host TEXT NOT NULL,
        arrived_at TEXT NOT NULL
      );`,
  },
];

interface ArrivalRow {
  migration_id: string;
  vm: string;
  from_host: string;
  arrived_at: string;
}

interface DepartureRow {
  vm: string;
  destination: string;
  left_at: string;
  ticket: string;
}

interface VmRow {
  name: string;
  label: string | null;
  state: VmState;
  created_at: string;
  last_request: VmRequest | null;
}


export class SimulatedHypervisor implements HypervisorDriver {
  private readonly listeners = new Set<LifecycleListener>();

  constructor(
    private readonly db: Db,
    readonly hostName: string,
    private readonly monitor: ReferenceMonitor,
    private readonly disks: DiskStore,
    private readonly segments: SegmentStore,
  ) {}

  /** After a restart: tells the monitor which VMs run, so Chinese Wall counts are what they were. */
  restore(): void {
    for (const r of this.db.prepare("SELECT name, label FROM iso_vms WHERE state IN ('running', 'paused')").all() as VmRow[])
      this.monitor.started({ name: r.name, label: r.label ?? undefined });
  }

  addLifecycleListener(l: LifecycleListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get(name: string): VmInfo | undefined {
    const r = this.db.prepare('SELECT * FROM iso_vms WHERE name = ?').get(name) as VmRow | undefined;
    return r ? this.info(r) : undefined;
  }

  list(): VmInfo[] {
    const rows = this.db.prepare('SELECT * FROM iso_vms ORDER BY name').all() as VmRow[];
    const disks = this.groupBy('SELECT vm AS k, disk AS v FROM iso_vm_disks ORDER BY disk');
    const nics = this.groupBy('SELECT vm AS k, segment AS v FROM iso_vm_nics ORDER BY segment');
    const ch = this.groupBy('SELECT a AS k, b AS v FROM iso_channels UNION ALL SELECT b AS k, a AS v FROM iso_channels ORDER BY v');
    return rows.map((r) => this.toInfo(r, disks.get(r.name) ?? [], nics.get(r.name) ?? [], ch.get(r.name) ?? []));
  }

  /**
   * Labels, states and attachments for replaying a policy update: every VM that runs (or is
   * paused) with its attachments, and the stopped VMs whose label is in `labels` (all stopped VMs
   * when `labels` is undefined). Stopped VMs with other labels cannot be affected by the update.
   */
  snapshot(labels?: readonly string[]): { name: string; label: string | undefined; running: boolean; disks: string[]; segments: string[]; channels: string[] }[] {
    const live = "state IN ('running', 'paused')";
    const rows = (
      labels === undefined
        ? this.db.prepare('SELECT name, label, state FROM iso_vms').raw().all()
        : this.db.prepare(`SELECT name, label, state FROM iso_vms WHERE ${live} OR label IN (SELECT value FROM json_each(?))`).raw().all(JSON.stringify(labels))
    ) as [string, string | null, VmState][];
    // Only running VMs' attachments are replayed (a stopped VM is checked again when it starts).
    const ofLive = `vm IN (SELECT name FROM iso_vms WHERE ${live})`;
    const disks = this.groupBy(`SELECT vm AS k, disk AS v FROM iso_vm_disks WHERE ${ofLive}`);
    const nics = this.groupBy(`SELECT vm AS k, segment AS v FROM iso_vm_nics WHERE ${ofLive}`);
    const ch = this.groupBy('SELECT a AS k, b AS v FROM iso_channels UNION ALL SELECT b AS k, a AS v FROM iso_channels');
    return rows.map(([name, label, state]) => ({
      name,
      label: label ?? undefined,
      // A paused VM is still in the hypervisor: for the policy it runs.
      running: state === 'running' || state === 'paused',
      disks: disks.get(name) ?? [],
      segments: nics.get(name) ?? [],
      channels: ch.get(name) ?? [],
    }));
  }

  private groupBy(sql: string): Map<string, string[]> {
    const m = new Map<string, string[]>();
    // raw rows (arrays) read about twice as fast as objects; this runs over every attachment.
    for (const [k, v] of this.db.prepare(sql).raw().all() as [string, string][]) {
      const list = m.get(k);
      if (list) list.push(v);
      else m.set(k, [v]);
    }
    return m;
  }

  private info(r: VmRow): VmInfo {
    const col = (sql: string): string[] => this.db.prepare(sql).pluck().all(r.name) as string[];
    return this.toInfo(
      r,
      col('SELECT disk FROM iso_vm_disks WHERE vm = ? ORDER BY disk'),
      col('SELECT segment FROM iso_vm_nics WHERE vm = ? ORDER BY segment'),
      (this.db.prepare('SELECT b FROM iso_channels WHERE a = ? UNION SELECT a FROM iso_channels WHERE b = ?').pluck().all(r.name, r.name) as string[]).sort(),
    );
  }

  private toInfo(r: VmRow, disks: string[], segments: string[], channels: string[]): VmInfo {
    return {
      name: r.name, label: r.label ?? undefined, state: r.state, host: this.hostName, disks, segments, channels, createdAt: r.created_at,
      lastRequest: r.last_request ?? undefined,
    };
  }

  require(name: string): VmInfo {
    const vm = this.get(name);
    if (!vm) throw new TvdcError('NOT_FOUND', `no VM '${name}' on host '${this.hostName}'`);
    return vm;
  }

  private labeled(vm: VmInfo): Labeled {
    return { name: vm.name, label: vm.label };
  }

  private checkVmLabel(label: string | undefined): void {
    if (label !== undefined && !this.monitor.policy.hasVmLabel(label))
      throw new TvdcError('LABEL_UNKNOWN', `VM label '${label}' is not defined in the active policy '${this.monitor.policy.name}'`);
  }

  async define(name: string, label: string | undefined, resources: readonly VmResource[] = []): Promise<VmInfo> {
    if (!VM_NAME.test(name)) throw new TvdcError('INVALID_ARGUMENT', `bad VM name '${name}' (letters, digits, . _ -; at most 64)`);
    if (this.get(name)) throw new TvdcError('ALREADY_EXISTS', `VM '${name}' already exists on host '${this.hostName}'`);
    this.checkVmLabel(label);
    const l: Labeled = { name, label };
    const disks: string[] = [];
    const segments: string[] = [];
    resources.forEach((r, resourceIndex) => {
      try {
        const has = r.kind === 'disk' ? disks : segments;
        if (has.includes(r.name)) throw new TvdcError('INVALID_ARGUMENT', `${r.kind} '${r.name}' is given twice`);
        if (r.kind === 'disk') this.checkDisk(l, disks, r.name);
        else this.checkInterface(l, segments, r.name);
        has.push(r.name);
      } catch (e) {
        // The caller names the refused resource its own way (a method parameter's index).
        if (e instanceof TvdcError) throw new TvdcError(e.code, e.message, { resourceIndex, cause: e.details });
        throw e;
      }
    });
    this.db.transaction(() => this.insertVm(name, label, 'stopped', disks, segments))();
    const vm = this.require(name);
    try {
      await this.notify('onDefine', vm, true);
    } catch (e) {
      // A listener (the VM's vTPM) could not follow: the VM is not defined after all, and the
      // listeners that did follow are told it is gone.
      this.db.prepare('DELETE FROM iso_vms WHERE name = ?').run(name);
      await this.notify('onDestroy', vm, false).catch(() => undefined);
      throw e;
    }
    return vm;
  }

  /** Records (or, with undefined, forgets) the last state change asked of a VM; it changes nothing else. */
  recordRequest(name: string, request: VmRequest | undefined): VmInfo {
    this.require(name);
    this.db.prepare('UPDATE iso_vms SET last_request = ? WHERE name = ?').run(request ?? null, name);
    return this.require(name);
  }

  /** Changes a VM's label (the management side's job); only while the VM is not running. */
  setLabel(name: string, label: string | undefined): VmInfo {
    const vm = this.require(name);
    if (vm.state === 'running' || vm.state === 'paused') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}; stop it before changing its label`);
    this.checkVmLabel(label);
    this.db.prepare('UPDATE iso_vms SET label = ? WHERE name = ?').run(label ?? null, name);
    return this.require(name);
  }

  async start(name: string): Promise<VmInfo> {
    const vm = this.require(name);
    if (vm.state !== 'stopped') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}, not stopped`);
    return this.bringUp(vm, 'start', 'onStart');
  }

  async resume(name: string): Promise<VmInfo> {
    const vm = this.require(name);
    if (vm.state !== 'suspended') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}, not suspended`);
    return this.bringUp(vm, 'resume', 'onResume');
  }

  /** The checks a VM passes before it runs here: label, host, Chinese Wall, then each disk and segment. */
  private admit(operation: string, vm: Labeled, disks: string[], segments: string[]): void {
    this.monitor.requireStart(operation, vm);
    for (const d of disks) {
      const disk = this.disks.require(d);
      this.monitor.requireAccess(operation, vm, { name: d, label: disk.label });
    }
    for (const s of segments) this.requireSegment(operation, vm, s);
  }

  private requireSegment(operation: string, vm: Labeled, segment: string): void {
    const seg = this.segments.require(segment);
    const segL = { name: segment, label: seg.label };
    // The host must carry the segment at all (it gets bridges only for its own types), then the VM.
    this.monitor.requireAccess(operation, { name: this.hostName, label: this.monitor.hostLabel }, segL);
    this.monitor.requireAccess(operation, vm, segL);
  }

  private async bringUp(vm: VmInfo, operation: string, hook: 'onStart' | 'onResume'): Promise<VmInfo> {
    const l = this.labeled(vm);
    this.admit(operation, l, vm.disks, vm.segments);
    this.db.transaction(() => {
      this.db.prepare("UPDATE iso_vms SET state = 'running' WHERE name = ?").run(vm.name);
      this.markDisksUsed(vm.disks);
    })();
    this.monitor.started(l);
    const running = this.require(vm.name);
    try {
      await this.notify(hook, running, true);
    } catch (e) {
      // A listener (e.g. the VM's vTPM) could not follow: the VM does not run after all.
      this.monitor.stopped(vm.name);
      this.db.prepare('UPDATE iso_vms SET state = ? WHERE name = ?').run(vm.state, vm.name);
      throw e;
    }
    return running;
  }

  private markDisksUsed(disks: string[]): void {
    const p = this.monitor.policy;
    for (const d of disks) {
      const id = p.resourceLabelId(this.disks.require(d).label);
      // A resource label carries one STE type; an unlabeled disk without a definition has none.
      this.disks.markUsed(d, id === undefined ? undefined : p.steTypesOf(id)[0]);
    }
  }

  /** Pauses a running VM; it stays in the hypervisor (and in Chinese Wall), so unpausing needs no new decision. */
  async pause(name: string): Promise<VmInfo> {
    const vm = this.require(name);
    if (vm.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}, not running`);
    this.db.prepare("UPDATE iso_vms SET state = 'paused' WHERE name = ?").run(name);
    const paused = this.require(name);
    await this.notify('onPause', paused, false);
    return paused;
  }

  async unpause(name: string): Promise<VmInfo> {
    const vm = this.require(name);
    if (vm.state !== 'paused') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}, not paused`);
    this.db.prepare("UPDATE iso_vms SET state = 'running' WHERE name = ?").run(name);
    const running = this.require(name);
    await this.notify('onUnpause', running, false);
    return running;
  }

  async stop(name: string): Promise<VmInfo> {
    const vm = this.require(name);
    if (vm.state === 'stopped') throw new TvdcError('INVALID_STATE', `VM '${name}' is already stopped`);
    return this.bringDown(vm, 'stopped', 'onStop');
  }

  async suspend(name: string): Promise<VmInfo> {
    const vm = this.require(name);
    if (vm.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}, not running`);
    return this.bringDown(vm, 'suspended', 'onSuspend');
  }

  private async bringDown(vm: VmInfo, to: VmState, hook: 'onStop' | 'onSuspend'): Promise<VmInfo> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE iso_vms SET state = ? WHERE name = ?').run(to, vm.name);
      this.db.prepare('DELETE FROM iso_channels WHERE a = ? OR b = ?').run(vm.name, vm.name);
    })();
    this.monitor.stopped(vm.name);
    const down = this.require(vm.name);
    await this.notify(hook, down, false);
    return down;
  }

  async destroy(name: string): Promise<void> {
    const vm = this.require(name);
    this.db.prepare('DELETE FROM iso_vms WHERE name = ?').run(name);
    this.monitor.stopped(name);
    await this.notify('onDestroy', { ...vm, state: 'stopped', channels: [] }, false);
  }

  checkMigrateIn(t: MigrationTicket): Decision {
    const vm = { name: t.vm, label: t.label };
    const start = this.monitor.decideStart(vm);
    if (!start.permitted) return start;
    for (const d of t.disks) {
      const disk = this.disks.get(d);
      if (!disk) continue;
      const a = this.monitor.decideAccess(vm, { name: d, label: disk.label });
      if (!a.permitted) return a;
    }
    for (const s of t.segments) {
      const seg = this.segments.get(s);
      if (!seg) continue;
      const segL = { name: s, label: seg.label };
      const h = this.monitor.decideAccess({ name: this.hostName, label: this.monitor.hostLabel }, segL);
      if (!h.permitted) return h;
      const a = this.monitor.decideAccess(vm, segL);
      if (!a.permitted) return a;
    }
    return start;
  }

  /**
   * Hands a running VM out: the listeners add what travels (`extensions`) and what takes it back
   * (`returnExtensions`), then the departure record (the whole ticket) is written in the same
   * transaction that removes the VM, so a crash at any point leaves the VM either here or
   * recorded as gone with what brings it back. `destination` is kept in the record as given.
   */
  async migrateOut(name: string, destination = ''): Promise<MigrationTicket> {
    const vm = this.require(name);
    if (vm.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}; only a running VM migrates`);
    const earlier = this.departure(name);
    if (earlier) throw new TvdcError('INVALID_STATE', `VM '${name}' has an unresolved departure from host '${this.hostName}' (to ${earlier.destination || 'an unnamed host'}, ${earlier.leftAt}): resolve that migration first`);
    const ticket: MigrationTicket = { id: randomUUID(), vm: vm.name, label: vm.label, fromHost: this.hostName, disks: vm.disks, segments: vm.segments, extensions: {}, returnExtensions: {} };
    // Listeners first: if one cannot let the VM go, it stays here, running.
    await this.notify('onMigrateOut', vm, true, ticket);
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO iso_vm_departures (vm, destination, left_at, ticket) VALUES (?, ?, ?, ?)').run(name, destination, new Date().toISOString(), JSON.stringify(ticket));
      this.db.prepare('DELETE FROM iso_vms WHERE name = ?').run(name);
    })();
    this.monitor.stopped(name);
    // What the listeners kept until the record was safe (the vTPM) goes now; should one fail, the
    // VM has left all the same, and the integrity side drops a vTPM without a VM when it next opens.
    await this.notify('onMigratedOut', { ...vm, state: 'stopped', channels: [] }, false).catch(() => undefined);
    return ticket;
  }

  /** The departures recorded here (VMs that left and were not yet confirmed elsewhere), by VM name. */
  departures(): VmDeparture[] {
    const out: VmDeparture[] = [];
    for (const r of this.db.prepare('SELECT * FROM iso_vm_departures ORDER BY vm').all() as DepartureRow[]) {
      // One damaged row must not hide the others (nor fail every listing of the migration service).
      try {
        out.push(this.toDeparture(r));
      } catch (e) {
        console.error(`tvdc isolation: departure record of VM '${r.vm}' left out: ${(e as Error).message} (the row stays in host.db)`);
      }
    }
    return out;
  }

  departure(vm: string): VmDeparture | undefined {
    const r = this.db.prepare('SELECT * FROM iso_vm_departures WHERE vm = ?').get(vm) as DepartureRow | undefined;
    return r ? this.toDeparture(r) : undefined;
  }

  private toDeparture(r: DepartureRow): VmDeparture {
    let ticket: unknown;
    try {
      ticket = JSON.parse(r.ticket);
    } catch (e) {
      throw new TvdcError('IO_FAILED', `the departure record of VM '${r.vm}' is unreadable: ${(e as Error).message}`);
    }
    if (typeof ticket !== 'object' || ticket === null || (ticket as MigrationTicket).vm !== r.vm) throw new TvdcError('IO_FAILED', `the departure record of VM '${r.vm}' is unreadable: its ticket is not that VM's`);
    return { vm: r.vm, destination: r.destination, leftAt: r.left_at, ticket: ticket as MigrationTicket };
  }

  /** The destination has the VM: its departure record, and with it the take-back copy, goes. */
  forgetDeparture(vm: string): VmDeparture {
    const d = this.requireDeparture(vm);
    this.db.prepare('DELETE FROM iso_vm_departures WHERE vm = ?').run(vm);
    return d;
  }

  /**
   * Brings a departed VM back from its record, `running` (a refused migration: through the checks
   * a running arrival passes) or `stopped` (a migration in doubt: through the checks a defined VM
   * passes; it is checked again when it starts). The record goes once the VM is back, listeners
   * included; a refusal leaves it for another try.
   */
  async takeBack(vm: string, state: 'running' | 'stopped'): Promise<VmInfo> {
    const d = this.requireDeparture(vm);
    // Audited as an arrival: to this host's policy, a VM coming back is one coming in.
    const info = await this.arrive(d.ticket, state, 'migrate-in');
    this.db.prepare('DELETE FROM iso_vm_departures WHERE vm = ?').run(vm);
    return info;
  }

  private requireDeparture(vm: string): VmDeparture {
    const d = this.departure(vm);
    if (!d) throw new TvdcError('NOT_FOUND', `no departure of VM '${vm}' is recorded on host '${this.hostName}': it never left, or its migration was resolved`);
    return d;
  }

  /**
   * A VM arriving from another host; what the source keeps to take it back is never part of it.
   * Its migration id is recorded with the admission (same transaction), so the source can ask
   * later whether this host admitted it. A departure record of a VM of that name here belongs to
   * a migration that evidently ended elsewhere with the VM alive (it is arriving now): once the VM
   * is admitted, that record and its take-back copy go, or the copy could later restore an older
   * vTPM beside (or instead of) this one.
   */
  async migrateIn(t: MigrationTicket): Promise<VmInfo> {
    const arrival: MigrationTicket = { ...t };
    delete arrival.returnExtensions;
    const info = await this.arrive(arrival, 'running', 'migrate-in', true);
    const stale = this.departure(t.vm);
    if (stale) {
      this.db.prepare('DELETE FROM iso_vm_departures WHERE vm = ?').run(t.vm);
      console.error(`tvdc isolation: VM '${t.vm}' arrived on '${this.hostName}' from '${t.fromHost}' while its departure to ${stale.destination || 'an unnamed host'} (${stale.leftAt}) was unresolved here: ` +
        'that migration ended with the VM alive elsewhere, so its departure record and take-back copy are forgotten');
    }
    return info;
  }

  /** The migration `migrationId` (its public id), when this host admitted it. */
  arrival(migrationId: string): VmArrival | undefined {
    const r = this.db.prepare('SELECT * FROM iso_vm_arrivals WHERE migration_id = ?').get(migrationId) as ArrivalRow | undefined;
    return r ? { migrationId: r.migration_id, vm: r.vm, fromHost: r.from_host, arrivedAt: r.arrived_at } : undefined;
  }

  private async arrive(t: MigrationTicket, state: 'running' | 'stopped', operation: string, incoming = false): Promise<VmInfo> {
    if (!VM_NAME.test(t.vm)) throw new TvdcError('INVALID_ARGUMENT', `bad VM name '${t.vm}'`);
    if (this.get(t.vm)) throw new TvdcError('ALREADY_EXISTS', `VM '${t.vm}' already exists on host '${this.hostName}'`);
    const migrationId = incoming && t.id !== undefined ? publicMigrationId(t.id) : undefined;
    if (migrationId !== undefined) {
      const earlier = this.arrival(migrationId);
      // The same migration twice would be a second VM from one departure: a replay.
      if (earlier) throw new TvdcError('ALREADY_EXISTS', `migration ${migrationId} (VM '${earlier.vm}') was already admitted on host '${this.hostName}' at ${earlier.arrivedAt}`);
    }
    const vm = { name: t.vm, label: t.label };
    // Disks and segments this host does not have are not brought along.
    const disks = t.disks.filter((d) => this.disks.get(d));
    const segments = t.segments.filter((s) => this.segments.get(s));
    // A VM arrives with its own disks only: one another VM here has is that workload's, and a disk
    // goes from one workload to another only through sanitization, never by a migration naming it.
    for (const d of disks) {
      const holder = this.db.prepare('SELECT vm FROM iso_vm_disks WHERE disk = ? ORDER BY vm LIMIT 1').pluck().get(d) as string | undefined;
      if (holder === undefined) continue;
      const label = this.disks.require(d).label;
      this.monitor.deny(operation, vm, { name: d, label }, {
        permitted: false, rule: 'access', subjectLabel: vm.label ?? UNLABELED, objectLabel: label ?? UNLABELED,
        reason: `disk '${d}' belongs to VM '${holder}' on host '${this.hostName}'; an arriving VM brings only disks no VM here has`,
      });
    }
    const running = state === 'running';
    if (running) this.admit(operation, vm, disks, segments);
    else {
      // What define checks: the label exists, and each disk and segment may be given to the VM.
      this.checkVmLabel(vm.label);
      for (const d of disks) this.monitor.requireAccess(operation, vm, { name: d, label: this.disks.require(d).label });
      for (const s of segments) this.requireSegment(operation, vm, s);
    }
    this.db.transaction(() => {
      this.insertVm(t.vm, t.label, state, disks, segments);
      if (running) this.markDisksUsed(disks);
      if (migrationId !== undefined) {
        this.db.prepare('INSERT INTO iso_vm_arrivals (migration_id, vm, from_host, arrived_at) VALUES (?, ?, ?, ?)').run(migrationId, t.vm, t.fromHost, new Date().toISOString());
      }
    })();
    if (running) this.monitor.started(vm);
    const info = this.require(t.vm);
    try {
      await this.notify('onMigrateIn', info, true, t);
    } catch (e) {
      if (running) this.monitor.stopped(t.vm);
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM iso_vms WHERE name = ?').run(t.vm);
        if (migrationId !== undefined) this.db.prepare('DELETE FROM iso_vm_arrivals WHERE migration_id = ?').run(migrationId);
      })();
      throw e;
    }
    return info;
  }

  /** The rows of a VM with its disks and interfaces; the caller holds the transaction. */
  private insertVm(name: string, label: string | undefined, state: VmState, disks: readonly string[], segments: readonly string[]): void {
    this.db.prepare('INSERT INTO iso_vms (name, label, state, created_at) VALUES (?, ?, ?, ?)').run(name, label ?? null, state, new Date().toISOString());
    for (const d of disks) this.db.prepare('INSERT INTO iso_vm_disks (vm, disk) VALUES (?, ?)').run(name, d);
    for (const g of segments) this.db.prepare('INSERT INTO iso_vm_nics (vm, segment) VALUES (?, ?)').run(name, g);
  }

  /** What giving `vm` (which has `has`) a disk takes: the disk exists, is not attached yet, and the policy permits it. */
  private checkDisk(vm: Labeled, has: readonly string[], diskName: string): void {
    const disk = this.disks.require(diskName);
    if (has.includes(diskName)) throw new TvdcError('ALREADY_EXISTS', `disk '${diskName}' is already attached to '${vm.name}'`);
    this.monitor.requireAccess('attach-disk', vm, { name: diskName, label: disk.label });
  }

  /** What giving `vm` (with interfaces on `has`) an interface on `segment` takes. */
  private checkInterface(vm: Labeled, has: readonly string[], segment: string): void {
    if (has.includes(segment)) throw new TvdcError('ALREADY_EXISTS', `'${vm.name}' already has an interface on '${segment}'`);
    this.requireSegment('attach-interface', vm, segment);
  }

  attachDisk(vmName: string, diskName: string): VmInfo {
    const vm = this.require(vmName);
    this.checkDisk(this.labeled(vm), vm.disks, diskName);
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO iso_vm_disks (vm, disk) VALUES (?, ?)').run(vmName, diskName);
      if (vm.state === 'running' || vm.state === 'paused') this.markDisksUsed([diskName]);
    })();
    return this.require(vmName);
  }

  detachDisk(vmName: string, diskName: string): VmInfo {
    this.require(vmName);
    const r = this.db.prepare('DELETE FROM iso_vm_disks WHERE vm = ? AND disk = ?').run(vmName, diskName);
    if (r.changes === 0) throw new TvdcError('NOT_FOUND', `disk '${diskName}' is not attached to '${vmName}'`);
    return this.require(vmName);
  }

  attachInterface(vmName: string, segment: string): VmInfo {
    const vm = this.require(vmName);
    this.checkInterface(this.labeled(vm), vm.segments, segment);
    this.db.prepare('INSERT INTO iso_vm_nics (vm, segment) VALUES (?, ?)').run(vmName, segment);
    return this.require(vmName);
  }

  detachInterface(vmName: string, segment: string): VmInfo {
    this.require(vmName);
    const r = this.db.prepare('DELETE FROM iso_vm_nics WHERE vm = ? AND segment = ?').run(vmName, segment);
    if (r.changes === 0) throw new TvdcError('NOT_FOUND', `'${vmName}' has no interface on '${segment}'`);
    return this.require(vmName);
  }

  openChannel(a: string, b: string): void {
    if (a === b) throw new TvdcError('INVALID_ARGUMENT', 'a channel needs two different VMs');
    const va = this.require(a);
    const vb = this.require(b);
    for (const v of [va, vb]) if (v.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${v.name}' is not running`);
    this.monitor.requireShare('open-channel', this.labeled(va), this.labeled(vb));
    const [x, y] = a < b ? [a, b] : [b, a];
    this.db.prepare('INSERT OR IGNORE INTO iso_channels (a, b) VALUES (?, ?)').run(x, y);
  }

  closeChannel(a: string, b: string): void {
    const [x, y] = a < b ? [a, b] : [b, a];
    this.db.prepare('DELETE FROM iso_channels WHERE a = ? AND b = ?').run(x, y);
  }

  private async notify(hook: keyof LifecycleListener, vm: VmInfo, undoable: boolean, ticket?: MigrationTicket): Promise<void> {
    const errors: unknown[] = [];
    for (const l of [...this.listeners]) {
      const fn = l[hook] as ((vm: VmInfo, t?: MigrationTicket) => void | Promise<void>) | undefined;
      if (!fn) continue;
      try {
        await fn.call(l, vm, ticket);
      } catch (e) {
        if (undoable) throw e;
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }
}
