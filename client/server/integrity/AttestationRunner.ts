// Attests the hosts and VMs of a TVDc as the paper's remote challenger: a fresh nonce per quote,
// enrolment of the target's AK the first time, GetQuote over CIM, the Verifier's verdict against
// the reference database, one event per attestation, and the TVDc's action plans for anything
// that is not trusted (including attestations that could not be made at all).
import type { Db } from '../../../src/store/Store.js';
import { SqliteVerifierStore } from '../../../src/tvdc/integrity/VerifierStore.js';
import { Verifier, type AttestationVerdict, type EnrolmentExpectation } from '../../../src/tvdc/integrity/Verifier.js';
import type { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import type { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import type { QuoteBundle, QuoteFamily } from '../../../src/tvdc/integrity/QuoteBundle.js';
import { IntegrityError } from '../../../src/tvdc/integrity/IntegrityError.js';
import { BOOT_AGGREGATE } from '../../../src/tvdc/integrity/BootAggregate.js';
import { EkBindingError, ekVmProblem } from '../../../src/tvdc/integrity/EkBinding.js';
import { DUPLICATE_VM_NAME, type ActionPlanEngine } from '../../../src/tvdc/management/ActionPlanEngine.js';
import type { EventFinding, EventLog, TvdcEvent } from '../../../src/tvdc/management/EventLog.js';
import type { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import type { HostDirectory, HostRecord } from '../ServerContext.js';
import { ChallengeError } from './ChallengeError.js';
import { CimChallenger, describeTarget, targetPath, verifierName, type AttestationTarget, type QuoteOptions } from './CimChallenger.js';
import type { TrustAnchorStore } from './TrustAnchorStore.js';
import { VmCensus } from './VmCensus.js';

export type AttestationStatus = 'trusted' | 'unknown' | 'untrusted' | 'failed';

export interface AttestationOutcome {
  target: AttestationTarget;
  group: string | null;
  status: AttestationStatus;
  findings: EventFinding[];
  /** Whether the quote came from a virtual TPM (known once enrolled). */
  virtualTpm?: boolean;
  /** The TPM family whose key was enrolled (known with virtualTpm). */
  tpmFamily?: QuoteFamily;
  /** The attestation event recorded. */
  event: TvdcEvent;
  /** The events of the plan actions it triggered. */
  actions: TvdcEvent[];
}

/** What fetches enrolments and quotes from a host: the CIM challenger, unless a test relays it. */
export interface QuoteSource {
  /** `expect` names the VM being enrolled, whose EK certificate must name it. */
  enrol(target: CimObjectPath, verifier: Verifier, name: string, expect?: EnrolmentExpectation): Promise<unknown>;
  getQuote(target: CimObjectPath, nonce: string, opts: QuoteOptions): Promise<QuoteBundle>;
}

export interface AttestationRunnerOptions {
  /** Where enrolled AKs, nonces and replay state are kept (the management server's database). */
  db: Db;
  hosts: HostDirectory;
  references: ReferenceDatabase;
  anchors: TrustAnchorStore;
  events: EventLog;
  plans: ActionPlanEngine;
  /** Targets attested at once within one run (default 4). */
  concurrency?: number;
  quoteSource?: (host: string) => QuoteSource;
  /** How long a VM name seen on several hosts is given to settle before it is a clash (default 2 s). */
  clashGraceMs?: number;
  log?(line: string): void;
}

export class AttestationRunner {
  private readonly store: SqliteVerifierStore;
  private snapshot: ReferenceSet | undefined;
  /** Attestations in progress by verifier name: a second request for one joins the first. */
  private readonly inFlight = new Map<string, Promise<AttestationOutcome>>();
  private readonly concurrency: number;
  private readonly clashGraceMs: number;

  constructor(private readonly opts: AttestationRunnerOptions) {
    this.store = new SqliteVerifierStore(opts.db);
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.clashGraceMs = Math.max(0, opts.clashGraceMs ?? 2_000);
  }

  /** Call after the reference database changed: the next verdicts judge against the new content. */
  referencesChanged(): void {
    this.snapshot = undefined;
  }

  /** Forgets a target's enrolled AK and replay state: its next attestation enrols it again. */
  forget(target: AttestationTarget): void {
    this.store.forget(verifierName(target));
  }

  isEnrolled(target: AttestationTarget): boolean {
    return this.store.enrolment(verifierName(target)) !== undefined;
  }

  /** Every host of a group and its running VMs (or only the VM named). */
  async attestGroup(group: string, vm?: string): Promise<AttestationOutcome[]> {
    const hosts = this.opts.hosts.list().filter((h) => h.group === group);
    if (vm !== undefined) {
      // Looked for on this TVDc's hosts only: the answer must not tell of other TVDcs' hosts (a
      // namesake there is still caught, without being named, by the clash check in attest()).
      const h = await this.opts.hosts.hostOfVm(vm, group);
      return [await this.attest({ host: h.name, vm })];
    }
    const census = await VmCensus.take(this.opts.hosts);
    return this.attestAll(this.targetsOf(hosts, census), census);
  }

  /** One host and its running VMs (or only the VM named, which must run there). */
  async attestHost(host: string, vm?: string): Promise<AttestationOutcome[]> {
    const h = this.opts.hosts.get(host);
    if (vm !== undefined) return [await this.attest({ host: h.name, vm })];
    const census = await VmCensus.take(this.opts.hosts);
    return this.attestAll(this.targetsOf([h], census), census);
  }

  /**
   * Attests one target; never throws: what goes wrong is a `failed` outcome with its reason. A VM
   * is first looked for on every managed host (`census`, taken now when not given).
   */
  async attest(target: AttestationTarget, census?: VmCensus): Promise<AttestationOutcome> {
    if (target.vm !== undefined) {
      const clash = await this.clash(target, target.vm, census ?? (await VmCensus.take(this.opts.hosts)));
      if (clash) return this.conclude(target, 'failed', [clash]);
    }
    const key = verifierName(target);
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.attestOnce(target).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async attestAll(targets: AttestationTarget[], census: VmCensus): Promise<AttestationOutcome[]> {
    const results: AttestationOutcome[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        results[i] = await this.attest(targets[i]!, census);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, targets.length) }, worker));
    return results;
  }

  /** Each host itself, then its running VMs; a host whose VMs cannot be listed is still attested (and fails). */
  private targetsOf(hosts: readonly HostRecord[], census: VmCensus): AttestationTarget[] {
    const out: AttestationTarget[] = [];
    for (const h of hosts) {
      out.push({ host: h.name });
      const why = census.unreachable.get(h.name);
      // The host's own attestation reports an outage; say so here too in case it was transient.
      if (why !== undefined) this.opts.log?.(`attestation: cannot list the VMs of host ${h.name}: ${why}`);
      for (const vm of census.running(h.name)) out.push({ host: h.name, vm });
    }
    return out;
  }

  /**
   * The DUPLICATE_VM_NAME finding when `vm` is defined (running or not) on more than one managed
   * host. Either VM would be judged against the other's enrolment, so the outcome is `failed`
   * (no verdict could be made), never `untrusted`, and nothing is quoted or enrolled.
   *
   * A migration must not look like a clash for longer than it lasts. A hypervisor may show the VM
   * on both hosts while it moves (the destination's copy is created before the source's goes), so
   * a clash is looked at again after a grace period on just the hosts involved, and only one that
   * persists is reported. And nothing about a clash is remembered: no enrolment is dropped, no
   * name is marked, each attestation looks again, so once the source's copy is gone the VM is
   * attested as before (its enrolment followed it). A clash that stays is a real hazard: two VMs
   * of one name, or a leftover copy of a migrated VM that could be started a second time; the
   * dcadmin renames or undefines one of them.
   */
  private async clash(target: AttestationTarget, vm: string, census: VmCensus): Promise<EventFinding | undefined> {
    let where = census.hostsOf(vm);
    if (where.length < 2) return undefined;
    if (this.clashGraceMs > 0) {
      await new Promise((r) => setTimeout(r, this.clashGraceMs));
      const again = await VmCensus.take(this.opts.hosts, this.opts.hosts.list().filter((h) => where.includes(h.name)));
      where = again.hostsOf(vm);
      if (where.length < 2) return undefined;
    }
    // The finding goes to the event log of the target's TVDc, which its administrators read: hosts
    // of other TVDcs are not named there (to them a VM outside their TVDc is as no VM at all); the
    // server log, which only the Datacenter Administrator reads, names every host.
    const group = this.groupOf(target);
    const ours = where.filter((h) => this.groupOf({ host: h }) === group);
    const others = where.length - ours.length;
    this.opts.log?.(`attestation: VM name ${vm} is defined on hosts ${where.join(', ')}`);
    const place = others === 0
      ? `hosts ${ours.join(' and ')}`
      : `host${ours.length > 1 ? 's' : ''} ${ours.join(' and ')} and on ${others === 1 ? 'a host' : `${others} hosts`} outside ${group === null ? 'the hosts in no TVDc' : `TVDc ${group}`}`;
    return {
      code: DUPLICATE_VM_NAME,
      message: `VM name ${vm} is defined on ${place}: VM names must be unique across the datacenter (the verifier knows a VM by its name); rename or undefine one`,
    };
  }

  private groupOf(target: AttestationTarget): string | null {
    try {
      return this.opts.hosts.get(target.host).group;
    } catch {
      return null;
    }
  }

  private async attestOnce(target: AttestationTarget): Promise<AttestationOutcome> {
    let status: AttestationStatus;
    let findings: EventFinding[];
    let tpm: TpmKind | undefined;
    try {
      const v = await this.challenge(target);
      status = v.status;
      findings = v.findings.map((f) => ({ ...f }));
      if (v.virtualTpm !== undefined) {
        // The enrolment's family, not the host's word in this quote: it is what the key was proven for.
        tpm = { virtual: v.virtualTpm, family: this.store.enrolment(verifierName(target))?.family ?? 'tpm2' };
        // A VM must quote with a virtual TPM and a host with its own: neither may stand in for the other.
        if (tpm.virtual !== (target.vm !== undefined)) {
          status = 'untrusted';
          findings.unshift({ code: 'EK_CERT_INVALID', message: `${describeTarget(target)} quoted with a ${tpm.virtual ? 'virtual' : 'hardware'} TPM` });
        }
      }
    } catch (e) {
      if (e instanceof EkBindingError) {
        // Another VM's vTPM, or one TPM identity for two targets: named as such, both VMs in the message.
        status = 'untrusted';
        findings = [{ code: e.finding, message: e.message }];
      } else if (e instanceof IntegrityError && e.reason === 'ENROLMENT_FAILED') {
        // The target's TPM could not prove it holds a certified EK: that is a verdict, not an outage.
        status = 'untrusted';
        findings = [{ code: 'ENROLMENT_REFUSED', message: e.message }];
      } else {
        const c = ChallengeError.from(e, target.host, 'attestation');
        status = 'failed';
        findings = [{ code: c.code, message: c.message }];
      }
    }
    return this.conclude(target, status, findings, tpm);
  }

  /** Records the attestation event and runs the TVDc's plans for it. */
  private async conclude(target: AttestationTarget, status: AttestationStatus, findings: EventFinding[], tpm?: TpmKind): Promise<AttestationOutcome> {
    const group = this.groupOf(target);
    const event = this.opts.events.record({
      kind: 'attestation',
      group,
      host: target.host,
      ...(target.vm !== undefined ? { vm: target.vm } : {}),
      status,
      message: summary(target, status, findings, tpm),
      findings,
    });
    const actions = await this.opts.plans.handle(event);
    const outcome: AttestationOutcome = { target, group, status, findings, event, actions };
    if (tpm) {
      outcome.virtualTpm = tpm.virtual;
      outcome.tpmFamily = tpm.family;
    }
    return outcome;
  }

  /** Enrols when needed, then quotes and verifies; a log that cannot continue is verified from the start. */
  private async challenge(target: AttestationTarget): Promise<AttestationVerdict> {
    // The host the target is reached through must be registered, even where the VM's EK
    // certificate may chain to another host's vTPM CA (it migrated here).
    if (!this.opts.anchors.has(target.host, target.vm === undefined ? 'hardware' : 'virtual')) {
      const ca = target.vm === undefined ? 'platform CA' : 'vTPM CA';
      throw new ChallengeError('NO_TRUST_ANCHOR', `no ${ca} is registered for host ${target.host}: a dcadmin must run "tvdc attest trust ${target.host}" first`);
    }
    if (!this.snapshot) {
      this.snapshot = this.opts.references.snapshot();
      if (this.snapshot.size > 0 && this.snapshot.digestsOf(BOOT_AGGREGATE).length === 0) {
        this.opts.log?.('attestation: the reference database lists no boot_aggregate: every VM\'s boot chain is unknown until the clean VM images are imported again (tvdc ima policy DIR, then tvdc refdb import) or boot aggregates are added (tvdc refdb add boot_aggregate DIGEST)');
      }
    }
    // A host's own TPM is a stand-in that measures no boot: its boot_aggregate only has to match its quote.
    const verifier = new Verifier({ anchors: this.opts.anchors.anchorsFor(target), references: this.snapshot, store: this.store, bootAggregateReferences: target.vm !== undefined });
    const source = this.opts.quoteSource?.(target.host) ?? new CimChallenger(this.opts.hosts.connection(target.host), target.host);
    const name = verifierName(target);
    const path = targetPath(target);
    const enrolled = this.store.enrolment(name);
    if (enrolled && target.vm !== undefined && ekVmProblem(enrolled.ekCertificatePem, target.vm)) {
      // Enrolled before EK certificates were matched to their VM, with another VM's vTPM: the
      // enrolment is dropped, and enrolling again refuses that vTPM (EK_WRONG_VM) with the reason.
      this.opts.log?.(`attestation: the enrolment of VM ${target.vm} has an EK certificate that names another VM; it is dropped and ${target.vm} enrolled again`);
      this.store.forget(name);
    }
    if (!this.store.enrolment(name)) await source.enrol(path, verifier, name, target.vm !== undefined ? { vm: target.vm } : {});
    const fromIndex = this.store.state(name)?.replay.nextIndex ?? 0;
    const once = async (from: number) => {
      const nonce = verifier.newNonce(name);
      let bundle: QuoteBundle;
      try {
        bundle = await source.getQuote(path, nonce, { fromIndex: from });
      } catch (e) {
        // A challenge that got no answer is closed: its nonce joins the used ones, which the
        // store keeps bounded, instead of staying issued for ever.
        this.store.consumeNonce(name, nonce);
        throw e;
      }
      return verifier.verify(name, bundle, nonce);
    };
    const v = await once(fromIndex);
    // After a reboot the list starts again at 0 and the stored position is past its end.
    if (fromIndex > 0 && v.findings.length === 1 && v.findings[0]!.code === 'LOG_GAP') return once(0);
    return v;
  }
}

/** What TPM a target quoted with, once its enrolment is known. */
interface TpmKind {
  virtual: boolean;
  family: QuoteFamily;
}

function summary(t: AttestationTarget, status: AttestationStatus, findings: readonly EventFinding[], kind?: TpmKind): string {
  // TPM 2.0 is the norm and goes unnamed, as in the messages of events recorded before TPM 1.2.
  const tpm = kind === undefined ? '' : ` (${kind.virtual ? 'virtual' : 'hardware'} TPM${kind.family === 'tpm12' ? ' 1.2' : ''})`;
  if (findings.length === 0) return `${describeTarget(t)}: ${status}${tpm}`;
  const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
  return `${describeTarget(t)}: ${status}${tpm}: ${findings[0]!.message}${more}`;
}
