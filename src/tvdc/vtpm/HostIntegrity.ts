// The integrity side of one host agent, in one object: the VMs' vTPMs (following the VMs through
// their lives by a lifecycle listener), the host's own stand-in hardware TPM, measurement of the
// simulated VMs' images, quotes and credential activation for challengers, and the host's vTPM
// migration key with the peers' keys each migration was authorised for (pinned by an administrator,
// or taken for one migration).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TvdcError } from '../TvdcError.js';
import type { ImaEntry } from '../integrity/ImaEntry.js';
import { isBlankAsciiLine, parseAsciiLog } from '../integrity/ImaLogParser.js';
import type { QuoteBundle } from '../integrity/QuoteBundle.js';
import type { LifecycleListener } from '../hypervisor/LifecycleListener.js';
import { VM_NAME, type MigrationTicket, type VmInfo } from '../hypervisor/VirtualMachine.js';
import { Attestor, type QuoteRequest } from './Attestor.js';
import { IMA_PCR, Measurer } from './Measurer.js';
import { parseMigrationPublicKey, type MigrationPublicKey } from './MigrationKey.js';
import type { TpmFamily } from './TpmFamily.js';
import { akPublicPemOf } from './VtpmKeys.js';
import { BOOT_LIST, INIT_PATH, VmImages } from './VmImage.js';
import { reportToStderr, VtpmManager, type RecoveryReport, type VtpmInfo } from './VtpmManager.js';
import { requireVmHalted, requireVmStoppedToStart, requireVtpmToResume } from './VtpmPowerRules.js';
import { describeExit, type TpmLoss, type TpmLossCause, type TpmLossListener } from './TpmLoss.js';

/** What a quote, a PCR or a log belongs to: a VM's vTPM or the host's TPM. */
export type IntegrityTarget = { kind: 'vm'; name: string } | { kind: 'host' };

/** Told about every new measurement of any TPM of this host. */
export type TargetMeasurementListener = (target: IntegrityTarget, entry: ImaEntry) => void;

/** The key under which a migrating VM's vTPM state travels in MigrationTicket.extensions (sealed to the destination). */
export const VTPM_EXTENSION = 'tvdc.vtpm';

const HOST_TPM_ID = 'host';

/** For a VM that is not here yet (an arrival being authorised): only its name's shape can be checked. */
function requireVmName(vm: string): void {
  if (!VM_NAME.test(vm)) throw new TvdcError('INVALID_ARGUMENT', `"${vm}" is not a VM name`);
}

/** Whether process `pid` still runs: a zombie (dead, not yet reaped) does not. */
function processAlive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The VMs the host runs, as far as the integrity side needs to know them. */
export interface VmDirectory {
  getVm(name: string): VmInfo | undefined;
  listVms(): VmInfo[];
  /** Stops a VM whose vTPM was lost (fail-stop): a VM does not run without its TPM. */
  stopVm(name: string): Promise<unknown>;
}

export interface HostIntegrityOptions {
  stateDir: string;
  hostName: string;
  vms: VmDirectory;
  swtpmPath?: string;
  /** How long after its export a vTPM migration package is accepted (VtpmManager's default). */
  packageLifetimeMs?: number;
  /** Where the vTPM managers report what they did on their own (VtpmManager's default: stderr). */
  log?: (line: string) => void;
}

interface Bound {
  manager: VtpmManager;
  measurer: Measurer;
  attestor: Attestor;
  id: string;
}

export class HostIntegrity {
  readonly images: VmImages;
  private readonly vmMeasurer: Measurer;
  private readonly vmAttestor: Attestor;
  private readonly hostMeasurer: Measurer;
  private readonly hostAttestor: Attestor;
  private readonly listeners = new Set<TargetMeasurementListener>();
  private readonly lossListeners = new Set<TpmLossListener>();
  /** Losses of VMs' vTPMs being acted on (the VM being stopped), by VM. */
  private readonly losing = new Map<string, Promise<void>>();
  /**
   * vTPMs lost when the agent opened, as they could not resume exactly as they were, and what was
   * done: running or paused VMs stopped, suspended ones left not to resume (see reconcile).
   */
  readonly failStopped: TpmLoss[] = [];
  /**
   * Migrations the management side authorised, by VM: the destination key a leaving vTPM is
   * sealed to, and the source key an arriving one must be signed with. Pinned: a key offered for
   * one migration that differs is refused. In memory only: an agent restart withdraws them, and
   * the management server names them again for the next attempt.
   */
  private readonly migrationDestinations = new Map<string, MigrationPublicKey>();
  private readonly migrationSources = new Map<string, MigrationPublicKey>();
  /**
   * Keys taken for one migration only (read from the destination, or passed by the source's
   * AcceptMigration call), by VM. Kept apart from the prepared ones so they can never turn into
   * pins: whoever set one removes it when that migration ends, however it ended.
   */
  private readonly onceDestinations = new Map<string, MigrationPublicKey>();
  private readonly onceSources = new Map<string, MigrationPublicKey>();

  private constructor(
    /** The VMs' vTPMs; a vTPM's id is its VM's name. */
    readonly vtpms: VtpmManager,
    /** The host's TPM, kept apart so no VM name can ever collide with it. */
    readonly hostTpms: VtpmManager,
    private readonly opts: HostIntegrityOptions,
    /** What the two managers found and did when they opened. */
    readonly recovery: { vms: RecoveryReport; host: RecoveryReport },
  ) {
    this.images = new VmImages(join(opts.stateDir, 'vm-images'));
    this.vmMeasurer = new Measurer(vtpms);
    this.vmAttestor = new Attestor(vtpms);
    this.hostMeasurer = new Measurer(hostTpms);
    this.hostAttestor = new Attestor(hostTpms);
    this.vmMeasurer.onMeasurement((id, e) => this.notify({ kind: 'vm', name: id }, e));
    this.hostMeasurer.onMeasurement((_id, e) => this.notify({ kind: 'host' }, e));
  }

  /**
   * Opens the host's vTPM stores, recovering from a crash (stray swtpm killed, running vTPMs
   * back with their PCRs), starts the host TPM, and brings the vTPMs in line with the VMs.
   */
  static async open(opts: HostIntegrityOptions): Promise<HostIntegrity> {
    mkdirSync(opts.stateDir, { recursive: true });
    const common = { hostName: opts.hostName, ...(opts.swtpmPath ? { swtpmPath: opts.swtpmPath } : {}), ...(opts.log ? { log: opts.log } : {}) };
    const lifetime = opts.packageLifetimeMs === undefined ? {} : { packageLifetimeMs: opts.packageLifetimeMs };
    // The managers exist before the object that acts on their processes' deaths: bound late.
    let lost: ((target: IntegrityTarget, code: number | null) => void) | undefined;
    const vms = await VtpmManager.open({ stateDir: opts.stateDir, ...common, ...lifetime, onUnexpectedExit: (id, code) => lost?.({ kind: 'vm', name: id }, code) });
    let host;
    try {
      host = await VtpmManager.open({ stateDir: join(opts.stateDir, 'host-tpm'), ...common, onUnexpectedExit: (_id, code) => lost?.({ kind: 'host' }, code) });
    } catch (e) {
      await vms.manager.close();
      throw e;
    }
    const hi = new HostIntegrity(vms.manager, host.manager, opts, { vms: vms.recovery, host: host.recovery });
    lost = (target, code) => {
      const done = hi.tpmLost(target, code);
      if (target.kind !== 'vm') return;
      hi.losing.set(target.name, done);
      void done.finally(() => {
        if (hi.losing.get(target.name) === done) hi.losing.delete(target.name);
      });
    };
    try {
      await hi.startHostTpm();
      await hi.reconcile();
    } catch (e) {
      await hi.close();
      throw e;
    }
    return hi;
  }

  private async startHostTpm(): Promise<void> {
    await this.hostTpms.ensureHostTpm(HOST_TPM_ID);
    // A fresh power-on has an empty list; a resumed TPM keeps its boot_aggregate and the rest.
    if (this.hostTpms.log.count(HOST_TPM_ID) === 0) await this.hostMeasurer.boot(HOST_TPM_ID, this.opts.stateDir, []);
  }

  /**
   * After a restart: vTPMs of VMs that are gone (destroyed or migrated away while the agent was
   * down) are deleted. A vTPM that could not come back with its PCRs and measurement list exactly
   * as they were (VtpmManager.recover leaves it off) never comes back blank under a guest that ran
   * on it: a running or paused VM is stopped (fail-stop), a suspended one stays suspended with its
   * vTPM off (it will not resume), each recorded in `failStopped` (no TpmLoss listener can be
   * there yet: the provider layer raises them once it listens); only a stopped VM's vTPM is
   * booted again, as StartVTPM would. A running VM that
   * never had a vTPM here (vTPMs were off) gets one, booted now.
   */
  private async reconcile(): Promise<void> {
    for (const v of this.vtpms.list()) {
      if (!this.opts.vms.getVm(v.id)) await this.vtpms.delete(v.id);
    }
    const notResumed = new Map([...this.recovery.vms.notResumed.map((n) => [n.id, n.reason] as const), ...this.recovery.vms.failed.map((f) => [f.id, f.error] as const)]);
    for (const vm of this.opts.vms.listVms()) {
      const reason = notResumed.get(vm.name);
      if (!this.has(vm.name)) {
        if (vm.state === 'stopped' || vm.state === 'suspended') continue;
        await this.createVtpm(vm.name);
        await this.bootVtpm(vm.name);
      } else if (vm.state === 'running' || vm.state === 'paused') {
        if (this.vtpms.get(vm.name).running) continue;
        this.restartLoss(await this.failStop(vm, null, `could not resume after the agent restarted (${reason ?? 'it was not running'})`, 'not-resumed'));
        // The VMs' lifecycle is not followed yet while the agent opens: the vTPM is marked off here.
        await this.vtpms.stop(vm.name);
      } else if (reason !== undefined && vm.state === 'suspended') {
        await this.vtpms.stop(vm.name);
        this.restartLoss({ target: { kind: 'vm', name: vm.name }, exitCode: null, cause: 'not-resumed', action: 'vm-not-running', vmState: vm.state, message: `the vTPM of VM '${vm.name}' could not resume after the agent restarted: ${reason}; the VM is suspended and will not resume (stop it and start it)` });
      } else if (reason !== undefined) {
        try {
          await this.bootVtpm(vm.name);
        } catch (e) {
          (this.opts.log ?? reportToStderr)(`the vTPM of stopped VM '${vm.name}' could not resume (${reason}) nor boot again (${(e as Error).message}); it boots when the VM starts`);
        }
      }
    }
  }

  /** A vTPM lost across a restart: recorded in `failStopped` and written to the log (stderr by default). */
  private restartLoss(loss: TpmLoss): void {
    this.failStopped.push(loss);
    (this.opts.log ?? reportToStderr)(loss.message);
  }

  /** Told when a TPM of this host died on its own, after the host acted on it (see TpmLoss). */
  onTpmLoss(l: TpmLossListener): () => void {
    this.lossListeners.add(l);
    return () => this.lossListeners.delete(l);
  }

  /** A swtpm ended without being asked to: stop its VM if that runs, then tell the listeners. */
  private async tpmLost(target: IntegrityTarget, code: number | null): Promise<void> {
    let loss: TpmLoss;
    if (target.kind === 'host') {
      loss = { target, exitCode: code, cause: 'process-ended', action: 'host-tpm', message: `the TPM of host '${this.opts.hostName}' ${describeExit(code)}: the host cannot attest until the agent restarts` };
    } else {
      const vm = this.opts.vms.getVm(target.name);
      if (vm && (vm.state === 'running' || vm.state === 'paused')) {
        loss = await this.failStop(vm, code, describeExit(code));
      } else {
        const what = !vm ? 'the VM is gone' : vm.state === 'suspended' ? 'the VM is suspended and will not resume (stop it and start it)' : 'the VM is stopped';
        loss = { target, exitCode: code, cause: 'process-ended', action: 'vm-not-running', ...(vm ? { vmState: vm.state } : {}), message: `the vTPM of VM '${target.name}' ${describeExit(code)}; ${what}` };
      }
    }
    (this.opts.log ?? reportToStderr)(loss.message);
    for (const l of this.lossListeners) {
      try {
        l(loss);
      } catch {
        // The VM is stopped either way; a listener's failure cannot undo that.
      }
    }
  }

  /**
   * A vTPM export that failed may have failed because the swtpm (process `pid`) just died: then
   * its exit is awaited, and the fail-stop that follows, so whoever reports the failure finds the
   * VM as the host left it (stopped), not as it was a moment before. Bounded: 2 s.
   */
  private async lossSettled(vm: string, pid: number | undefined): Promise<void> {
    if (pid === undefined || processAlive(pid)) return;
    const end = Date.now() + 2000;
    while (this.has(vm) && this.vtpms.get(vm).running && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await this.losing.get(vm);
  }

  /** Stops a VM that lost its vTPM; never throws (the failure is in the returned record). */
  private async failStop(vm: VmInfo, code: number | null, how: string, cause: TpmLossCause = 'process-ended'): Promise<TpmLoss> {
    const target: IntegrityTarget = { kind: 'vm', name: vm.name };
    try {
      await this.opts.vms.stopVm(vm.name);
      return { target, exitCode: code, cause, action: 'vm-stopped', vmState: vm.state, message: `the vTPM of VM '${vm.name}' ${how} while the VM was ${vm.state}: the VM was stopped, as a VM does not run without its TPM; start it again to boot it with its vTPM` };
    } catch (e) {
      return { target, exitCode: code, cause, action: 'vm-stop-failed', vmState: vm.state, message: `the vTPM of VM '${vm.name}' ${how} while the VM was ${vm.state}, and stopping the VM failed (${(e as Error).message}): it may run without its TPM` };
    }
  }

  onMeasurement(l: TargetMeasurementListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private notify(target: IntegrityTarget, e: ImaEntry): void {
    for (const l of this.listeners) {
      try {
        l(target, e);
      } catch {
        // The measurement is in the TPM and the log; a failing listener cannot take it back.
      }
    }
  }

  private bind(target: IntegrityTarget): Bound {
    if (target.kind === 'host') return { manager: this.hostTpms, measurer: this.hostMeasurer, attestor: this.hostAttestor, id: HOST_TPM_ID };
    if (!this.has(target.name)) throw new TvdcError('NOT_FOUND', `VM '${target.name}' has no vTPM on host '${this.opts.hostName}'`);
    return { manager: this.vtpms, measurer: this.vmMeasurer, attestor: this.vmAttestor, id: target.name };
  }

  get hostName(): string {
    return this.opts.hostName;
  }

  has(vm: string): boolean {
    return this.vtpms.list().some((v) => v.id === vm);
  }

  /** The VMs' vTPMs. */
  list(): VtpmInfo[] {
    return this.vtpms.list();
  }

  info(target: IntegrityTarget): VtpmInfo {
    const b = this.bind(target);
    return b.manager.get(b.id);
  }

  private requireVm(name: string): VmInfo {
    const vm = this.opts.vms.getVm(name);
    if (!vm) throw new TvdcError('NOT_FOUND', `no VM '${name}' on host '${this.opts.hostName}'`);
    return vm;
  }

  /** Gives a VM its vTPM: a TPM 2.0 unless `family` asks for a TPM 1.2. */
  async createVtpm(vm: string, opts: { family?: TpmFamily } = {}): Promise<VtpmInfo> {
    this.requireVm(vm);
    this.images.ensure(vm);
    return this.vtpms.create(vm, opts.family ? { family: opts.family } : {});
  }

  /** StartVTPM: powers on the vTPM of a stopped VM (see requireVmStoppedToStart). */
  async startVtpm(vm: string): Promise<VtpmInfo> {
    requireVmStoppedToStart(this.requireVm(vm));
    return this.bootVtpm(vm);
  }

  /** Powers the vTPM on and boots the VM's image into it: boot list, boot_aggregate, init. */
  private async bootVtpm(vm: string): Promise<VtpmInfo> {
    this.requireVm(vm);
    const root = this.images.ensure(vm);
    await this.vtpms.start(vm);
    await this.vmMeasurer.boot(vm, root, BOOT_LIST);
    await this.vmMeasurer.execute(vm, root, INIT_PATH);
    return this.vtpms.get(vm);
  }

  /** StopVTPM: only while the VM is stopped or suspended. */
  async stopVtpm(vm: string): Promise<VtpmInfo> {
    requireVmHalted(this.requireVm(vm), 'stop');
    this.bind({ kind: 'vm', name: vm });
    return this.vtpms.stop(vm);
  }

  /** DeleteVTPM: only while the VM is stopped or suspended. */
  async deleteVtpm(vm: string): Promise<void> {
    requireVmHalted(this.requireVm(vm), 'delete');
    this.bind({ kind: 'vm', name: vm });
    await this.vtpms.delete(vm);
  }

  /** This host's migration public key (SPKI PEM), made on first use and kept across restarts. */
  migrationPublicKeyPem(): string {
    return this.vtpms.migrationKey.publicKeyPem;
  }

  /** The vTPM as a package only the host holding `destinationKeyPem` can open, signed by this host. */
  async exportState(vm: string, destinationKeyPem: string): Promise<Buffer> {
    const recipient = parseMigrationPublicKey(destinationKeyPem, "the destination host's migration key");
    // Exporting stops the vTPM: never under a guest that is executing.
    requireVmHalted(this.requireVm(vm), 'export');
    this.bind({ kind: 'vm', name: vm });
    const [pkg] = await this.vtpms.exportState(vm, [{ recipient, purpose: 'migrate' }]);
    return pkg!;
  }

  /** A package sealed to this host and signed by the host holding `sourceKeyPem`, as the vTPM of `vm`. */
  async importState(vm: string, data: Buffer, sourceKeyPem: string): Promise<VtpmInfo> {
    const source = parseMigrationPublicKey(sourceKeyPem, "the source host's migration key");
    this.requireVm(vm);
    this.images.ensure(vm);
    return this.vtpms.importState(data, source, vm);
  }

  /** Authorises the next migration of `vm` away from here: its vTPM is sealed to this destination key. */
  prepareMigrationOut(vm: string, destinationKeyPem: string): void {
    const key = parseMigrationPublicKey(destinationKeyPem, "the destination host's migration key");
    this.requireVm(vm);
    this.migrationDestinations.set(vm, key);
  }

  /** Authorises a migration of `vm` to here: its vTPM must be signed by this source key. */
  prepareMigrationIn(vm: string, sourceKeyPem: string): void {
    requireVmName(vm);
    this.migrationSources.set(vm, parseMigrationPublicKey(sourceKeyPem, "the source host's migration key"));
  }

  /**
   * Uses `destinationKeyPem` (the key the destination publishes) to seal the vTPM of `vm` for its
   * next migration only, unless an administrator prepared a destination key for it: a prepared
   * key is pinned and wins, and a different offered key refuses the migration (ACCESS_DENIED,
   * naming both fingerprints) before the VM moves. Returns the undo to call when that migration
   * is over, succeeded, refused or failed.
   */
  useDestinationKeyOnce(vm: string, destinationKeyPem: string): () => void {
    const key = parseMigrationPublicKey(destinationKeyPem, "the destination host's migration key");
    this.requireVm(vm);
    return this.useOnce(vm, key, this.migrationDestinations, this.onceDestinations, 'destination', 'PrepareVTPMMigrationOut', 'the key the destination host publishes');
  }

  /**
   * Uses `sourceKeyPem` (the key the source names in its AcceptMigration call) to verify the vTPM
   * `vm` brings on its next arrival only, unless an administrator prepared a source key for it:
   * that one is pinned and wins, and a different offered key refuses the arrival (ACCESS_DENIED,
   * naming both fingerprints). Returns the undo to call when that arrival is over.
   */
  useSourceKeyOnce(vm: string, sourceKeyPem: string): () => void {
    requireVmName(vm);
    const key = parseMigrationPublicKey(sourceKeyPem, "the source host's migration key");
    return this.useOnce(vm, key, this.migrationSources, this.onceSources, 'source', 'PrepareVTPMMigrationIn', 'the key the source host sent with AcceptMigration');
  }

  private useOnce(
    vm: string,
    key: MigrationPublicKey,
    pinned: Map<string, MigrationPublicKey>,
    once: Map<string, MigrationPublicKey>,
    role: 'source' | 'destination',
    prepare: string,
    offered: string,
  ): () => void {
    const pin = pinned.get(vm);
    if (pin) {
      if (pin.fingerprint !== key.fingerprint) {
        throw new TvdcError('ACCESS_DENIED', `migration of VM '${vm}' refused: the ${role} migration key prepared for it on host '${this.opts.hostName}' (${prepare}, SHA-256 fingerprint ${pin.fingerprint}) differs from ${offered} (SHA-256 fingerprint ${key.fingerprint})`);
      }
      // The pinned key is the same one: nothing to take, the pin keeps its own lifetime.
      return () => undefined;
    }
    // One migration of a VM at a time: a second one would swap the key under the first.
    if (once.has(vm)) throw new TvdcError('INVALID_STATE', `a migration of VM '${vm}' is already under way on host '${this.opts.hostName}'`);
    once.set(vm, key);
    return () => {
      if (once.get(vm) === key) once.delete(vm);
    };
  }

  /** The running VM executes `path` of its image: measured by the host into PCR 10 and logged. */
  async executeFile(vm: string, path: string): Promise<ImaEntry> {
    const info = this.requireVm(vm);
    if (info.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${vm}' is ${info.state}; only a running VM executes files`);
    this.bind({ kind: 'vm', name: vm });
    return this.vmMeasurer.execute(vm, this.images.root(vm), path);
  }

  /**
   * Imports the management VM's real IMA measurement list (ascii_runtime_measurements text):
   * every entry, each for PCR 10, is appended to the host TPM's list and extended into it as the
   * kernel did. Returns the number of entries imported. The host TPM is a swtpm the agent runs, so
   * this list is only what its importer says the management VM ran (docs/integrity-cim.md).
   */
  async importHostLog(asciiLog: string): Promise<number> {
    const entries = parseAsciiLog(asciiLog);
    if (entries.length === 0) throw new TvdcError('INVALID_ARGUMENT', 'the measurement list is empty');
    // IMA measures into PCR 10 only; a line for another PCR would extend the host's boot PCRs
    // after the fact (and break its boot_aggregate). Refused as a whole, before anything is extended.
    const stray = entries.findIndex((e) => e.pcr !== IMA_PCR);
    if (stray >= 0) {
      const lineNo = asciiLog.split('\n').flatMap((l, i) => (isBlankAsciiLine(l) ? [] : [i + 1]))[stray];
      throw new TvdcError('INVALID_ARGUMENT', `measurement list line ${lineNo}: PCR ${entries[stray]!.pcr}; the host's list takes IMA entries for PCR ${IMA_PCR} only`);
    }
    return this.hostMeasurer.importLog(HOST_TPM_ID, entries);
  }

  getQuote(target: IntegrityTarget, req: QuoteRequest): Promise<QuoteBundle> {
    const b = this.bind(target);
    return b.attestor.getQuote(b.id, req);
  }

  /**
   * The AK for enrolment: its public area (TPMT_PUBLIC; a TPM 1.2: TPM_PUBKEY), PEM, and the EK
   * certificate it is to be bound to; for a TPM 1.2 also the vTPM CA's certificate of the key.
   */
  attestationKey(target: IntegrityTarget): { family: TpmFamily; akPublicArea: Buffer; akPublicPem: string; ekCertificatePem: string; akCertificatePem?: string } {
    const i = this.info(target);
    const k = { family: i.family, akPublicArea: i.akPublic, akPublicPem: akPublicPemOf(i), ekCertificatePem: i.ekCertificatePem };
    return i.akCertificatePem ? { ...k, akCertificatePem: i.akCertificatePem } : k;
  }

  activateCredential(target: IntegrityTarget, credentialBlob: Buffer, secret: Buffer): Promise<Buffer> {
    const b = this.bind(target);
    return b.attestor.activateCredential(b.id, credentialBlob, secret);
  }

  /** PCR values of every bank (SHA-1, SHA-256; a TPM 1.2: SHA-1), by TCG algorithm id then index; empty when the TPM is off. */
  async pcrs(target: IntegrityTarget, indexes: readonly number[]): Promise<Map<number, Map<number, Buffer>>> {
    const b = this.bind(target);
    if (!b.manager.get(b.id).running) return new Map();
    return b.manager.withLock(b.id, async () => b.manager.pcrs(b.id).read(indexes));
  }

  /** Measurement-list entries from `from` on, at most `limit`. */
  log(target: IntegrityTarget, from = 0, limit?: number): ImaEntry[] {
    const b = this.bind(target);
    return b.manager.log.entries(b.id, from, limit);
  }

  logCount(target: IntegrityTarget): number {
    const b = this.bind(target);
    return b.manager.log.count(b.id);
  }

  /** Follows the VMs: a vTPM per defined VM, powered with it, carried along when it migrates. */
  lifecycleListener(): LifecycleListener {
    return {
      onDefine: async (vm) => {
        if (!this.has(vm.name)) await this.createVtpm(vm.name);
      },
      onStart: async (vm) => {
        if (!this.has(vm.name)) await this.createVtpm(vm.name);
        if (this.vtpms.get(vm.name).running) await this.vtpms.stop(vm.name);
        await this.bootVtpm(vm.name);
      },
      // The guest continues against the TPM it was suspended with, or not at all.
      onResume: (vm) => requireVtpmToResume(vm, this.has(vm.name) ? this.vtpms.get(vm.name) : undefined),
      onStop: async (vm) => {
        if (this.has(vm.name)) await this.vtpms.stop(vm.name);
      },
      onDestroy: async (vm) => {
        this.migrationDestinations.delete(vm.name);
        if (this.has(vm.name)) await this.vtpms.delete(vm.name);
        this.images.remove(vm.name);
      },
      onMigrateOut: async (vm, ticket) => {
        if (!this.has(vm.name)) return;
        const destination = this.migrationDestinations.get(vm.name) ?? this.onceDestinations.get(vm.name);
        if (!destination) {
          throw new TvdcError('INVALID_STATE', `VM '${vm.name}' has a vTPM, and no destination migration key was named for it: migrate it with MigrateVirtualSystemToHost (which reads the destination's key), or call PrepareVTPMMigrationOut with the destination host's MigrationPublicKey first`);
        }
        // The package holds the whole vTPM (state, PCRs, log), readable only at the destination;
        // if the destination refuses, or never says, the source takes the VM back from its own
        // copy: sealed to this host and for 'return' only, so it may rest in the departure record.
        const pid = this.vtpms.get(vm.name).pid;
        let packages: Buffer[];
        try {
          packages = await this.vtpms.exportState(vm.name, [
            { recipient: destination, purpose: 'migrate' },
            { recipient: this.vtpms.migrationKey.publicKey, purpose: 'return' },
          ]);
        } catch (e) {
          await this.lossSettled(vm.name, pid);
          throw e;
        }
        const [pkg, takeBack] = packages;
        ticket.extensions[VTPM_EXTENSION] = pkg!.toString('base64');
        (ticket.returnExtensions ??= {})[VTPM_EXTENSION] = takeBack!.toString('base64');
      },
      // Only once the departure record holds the take-back copy does the vTPM itself go.
      onMigratedOut: async (vm) => {
        if (this.has(vm.name)) await this.vtpms.delete(vm.name);
      },
      onMigrateIn: async (vm, ticket) => this.migrateIn(vm, ticket),
    };
  }

  /**
   * A VM arriving, or coming back from its departure record (a refused migration, or one in
   * doubt). Arriving, its vTPM must be sealed to this host and signed by the source key the
   * management side pinned for it or, without a pin, the key taken for this one arrival; coming
   * back, it is this host's own take-back copy (`returnExtensions`, which the hypervisor strips
   * from every arrival): sealed to and signed by this host for 'return', so no other package
   * passes for it, and recorded as imported like any other, so it cannot be replayed.
   */
  private async migrateIn(vm: VmInfo, ticket: MigrationTicket): Promise<void> {
    const kept = ticket.returnExtensions?.[VTPM_EXTENSION];
    const own = typeof kept === 'string' && kept !== '' ? Buffer.from(kept, 'base64') : undefined;
    const carried = ticket.extensions[VTPM_EXTENSION];
    const pkg = own ?? (typeof carried === 'string' && carried !== '' ? Buffer.from(carried, 'base64') : undefined);
    if (pkg !== undefined) {
      const source = own ? this.vtpms.migrationKey.publicKey : this.migrationSources.get(vm.name) ?? this.onceSources.get(vm.name);
      if (!source) {
        throw new TvdcError('INVALID_STATE', `VM '${vm.name}' brings a vTPM, and no source migration key was named for it: the source passes its key in AcceptMigration's SourceMigrationKey, or call PrepareVTPMMigrationIn with the source host's MigrationPublicKey first`);
      }
      if (this.has(vm.name)) await this.vtpms.delete(vm.name);
      this.images.ensure(vm.name);
      await this.vtpms.importState(pkg, source, vm.name, own ? 'return' : 'migrate');
      if (!own) this.migrationSources.delete(vm.name);
      // A VM restored stopped has its vTPM off too; it boots again when the VM starts.
      if (vm.state === 'stopped') {
        if (this.vtpms.get(vm.name).running) await this.vtpms.stop(vm.name);
      } else if (!this.vtpms.get(vm.name).running) await this.bootVtpm(vm.name);
      return;
    }
    // From a host without vTPMs: the VM gets one here, booted fresh (when it runs).
    if (!this.has(vm.name)) await this.createVtpm(vm.name);
    if (vm.state !== 'stopped' && !this.vtpms.get(vm.name).running) await this.bootVtpm(vm.name);
  }

  /** Stops every swtpm, keeping volatile state so the next open() resumes the PCRs. */
  async close(): Promise<void> {
    await this.vtpms.close();
    await this.hostTpms.close();
  }
}
