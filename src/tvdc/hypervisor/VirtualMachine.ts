// What the hypervisor layer tells about a VM, and what travels with one between hosts.
import { createHash } from 'node:crypto';

/**
 * The shape of a VM name: 1-64 letters, digits, '.', '_' or '-', not starting with a punctuation
 * mark. It names directories (disk images, the VM's vTPM state), so nothing else is accepted.
 */
export const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * stopped: defined, not in the hypervisor; running; paused: in the hypervisor but not scheduled
 * (counts as running for the policy); suspended: state saved, not in the hypervisor.
 */
export type VmState = 'stopped' | 'running' | 'paused' | 'suspended';

/**
 * A state change a manager asked for: start (also resume or unpause), stop, an orderly shut-down,
 * suspend, pause, reboot or reset.
 */
export type VmRequest = 'start' | 'stop' | 'shut-down' | 'suspend' | 'pause' | 'reboot' | 'reset';

export interface VmInfo {
  name: string;
  /** The label the management VM assigned; undefined when unlabeled. Never read from the VM. */
  label: string | undefined;
  state: VmState;
  host: string;
  disks: string[];
  /** Network segments the VM has an interface on. */
  segments: string[];
  /** Running VMs this one has an open inter-VM channel with. */
  channels: string[];
  createdAt: string;
  /**
   * The last state change asked for and not refused; undefined before any. Kept with the VM, as
   * its state is, because a manager compares it with what it asked for after an agent restart too.
   */
  lastRequest?: VmRequest;
}

/** A VM leaving a host. `extensions` carries what lifecycle listeners add (e.g. vTPM state). */
export interface MigrationTicket {
  /**
   * The migration's secret id (a UUID the source draws when the VM leaves, kept in its departure
   * record and sent only with the VM): the destination records its publicMigrationId with the
   * admission, so the source can later ask "did you admit migration X" instead of guessing from
   * where a VM of that name is now. Absent in records written before ids existed.
   */
  id?: string;
  vm: string;
  label: string | undefined;
  fromHost: string;
  disks: string[];
  segments: string[];
  extensions: Record<string, unknown>;
  /**
   * What the listeners need to take the VM back here (e.g. the vTPM sealed to this host itself).
   * Set only by the source, stored with its departure record, never sent to the destination: an
   * arrival built from a call never has it, so only this host's own record brings a VM back.
   */
  returnExtensions?: Record<string, unknown>;
}

/**
 * A VM that left this host and whose arrival at the destination was not yet confirmed: the ticket
 * (with what takes it back) is kept in the host's store until the destination admitted the VM or
 * it was taken back. After an agent restart such a record is a migration in doubt.
 */
export interface VmDeparture {
  vm: string;
  /** Where it went, as the migration named the destination (no credentials). */
  destination: string;
  /** When it left (ISO 8601). */
  leftAt: string;
  ticket: MigrationTicket;
}

/**
 * The name a migration goes by in public (the source's InDoubtMigrationIDs, job messages,
 * QueryMigration): the SHA-256 of the secret id the source drew and sent only with the VM. Whoever
 * reads the public name cannot make a destination record an admission under it, so only the
 * destination that really admitted the VM can answer yes for it.
 */
export function publicMigrationId(secretId: string): string {
  return createHash('sha256').update(secretId, 'utf8').digest('hex');
}

/** A migration this host admitted: kept with the VM's admission, so a source can ask about it by id. */
export interface VmArrival {
  /** publicMigrationId of the id the source sent. */
  migrationId: string;
  vm: string;
  /** The source host as it named itself. */
  fromHost: string;
  /** When it was admitted (ISO 8601). */
  arrivedAt: string;
}
