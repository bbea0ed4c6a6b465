// Lets other parts follow VMs through their lives (the integrity side starts, stops and moves a
// VM's vTPM this way). Hooks run after the isolation checks passed and the state change is
// stored. A failing onDefine undoes the definition (the listeners get onDestroy) and a failing
// onStart/onResume/onMigrateIn undoes the start, failing the operation; other hooks' failures are
// reported after the change, which stays.
import type { MigrationTicket, VmInfo } from './VirtualMachine.js';

export interface LifecycleListener {
  onDefine?(vm: VmInfo): void | Promise<void>;
  onStart?(vm: VmInfo): void | Promise<void>;
  onStop?(vm: VmInfo): void | Promise<void>;
  onPause?(vm: VmInfo): void | Promise<void>;
  onUnpause?(vm: VmInfo): void | Promise<void>;
  onSuspend?(vm: VmInfo): void | Promise<void>;
  onResume?(vm: VmInfo): void | Promise<void>;
  onDestroy?(vm: VmInfo): void | Promise<void>;
  /**
   * May add to `ticket.extensions` what the destination needs, and to `ticket.returnExtensions`
   * what takes the VM back here (stored with the departure record, never sent). Keeps what it
   * hands out until onMigratedOut: the VM is still here should the agent stop in between.
   */
  onMigrateOut?(vm: VmInfo, ticket: MigrationTicket): void | Promise<void>;
  /** The VM left: its departure record is stored, so what onMigrateOut kept may go. */
  onMigratedOut?(vm: VmInfo): void | Promise<void>;
  onMigrateIn?(vm: VmInfo, ticket: MigrationTicket): void | Promise<void>;
}
