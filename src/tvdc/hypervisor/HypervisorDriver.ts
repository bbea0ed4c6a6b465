// The hypervisor operations tvdc drives on a host. A driver enforces the isolation policy at every
// hook (its reference monitor decides before anything changes), so callers cannot bypass it.
import type { Decision } from '../acm/Decision.js';
import type { LifecycleListener } from './LifecycleListener.js';
import type { MigrationTicket, VmArrival, VmDeparture, VmInfo, VmRequest } from './VirtualMachine.js';

/** A disk or a network interface (on a segment) a VM is defined with. */
export interface VmResource {
  kind: 'disk' | 'segment';
  name: string;
}

export interface HypervisorDriver {
  readonly hostName: string;
  /**
   * Defines a stopped VM with `resources`, each checked as attachDisk / attachInterface check it,
   * before anything is written: a refusal leaves no VM behind.
   */
  define(name: string, label: string | undefined, resources?: readonly VmResource[]): Promise<VmInfo>;
  start(name: string): Promise<VmInfo>;
  stop(name: string): Promise<VmInfo>;
  pause(name: string): Promise<VmInfo>;
  unpause(name: string): Promise<VmInfo>;
  suspend(name: string): Promise<VmInfo>;
  resume(name: string): Promise<VmInfo>;
  destroy(name: string): Promise<void>;
  /** Would `ticket`'s VM be allowed in here? (run on host, Chinese Wall, its disks and segments) */
  checkMigrateIn(ticket: MigrationTicket): Decision;
  /** Hands a running VM out, keeping its departure record (with what takes it back) in the store. */
  migrateOut(name: string, destination?: string): Promise<MigrationTicket>;
  /** A VM arriving from another host (any `returnExtensions` it carries are ignored). */
  migrateIn(ticket: MigrationTicket): Promise<VmInfo>;
  /** Brings a departed VM back from its record, running or stopped; the record goes once it is back. */
  takeBack(vm: string, state: 'running' | 'stopped'): Promise<VmInfo>;
  /** The destination has the VM: forgets its departure record. */
  forgetDeparture(vm: string): VmDeparture;
  departure(vm: string): VmDeparture | undefined;
  departures(): VmDeparture[];
  /** The migration with this id, when this host admitted it. */
  arrival(migrationId: string): VmArrival | undefined;
  attachDisk(vm: string, disk: string): VmInfo;
  detachDisk(vm: string, disk: string): VmInfo;
  attachInterface(vm: string, segment: string): VmInfo;
  detachInterface(vm: string, segment: string): VmInfo;
  openChannel(a: string, b: string): void;
  closeChannel(a: string, b: string): void;
  /** Keeps the last state change asked of a VM with it (undefined forgets it). */
  recordRequest(name: string, request: VmRequest | undefined): VmInfo;
  get(name: string): VmInfo | undefined;
  list(): VmInfo[];
  addLifecycleListener(l: LifecycleListener): () => void;
}
