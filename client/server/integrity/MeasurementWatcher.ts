// Attestation as soon as something new runs, for the TVDcs that chose it: consumes the hosts'
// TVDc_IntegrityIndications (one per new measurement, and one when a VM's or the host's TPM
// ended on its own) from the server's indication feed and attests the VM or host once its
// measurements settle, so a lost TPM becomes an event that the TVDc's plans see. An indication is only a hint to look: the
// target is on the host whose secret path it came through, the VM is looked up there over the
// server's own authenticated CIM connection, and the verdict always comes from a fresh quote, so
// a forged indication can at most cause a genuine attestation of a real target.
import { CimError, CimStatus } from '../../cim/index.js';
import type { HostIndication, HostIndicationFeed } from '../HostIndicationFeed.js';
import type { HostDirectory } from '../ServerContext.js';
import { vmPath } from '../HostCim.js';
import { describeTarget, type AttestationTarget } from './CimChallenger.js';

export const INTEGRITY_INDICATION = 'TVDc_IntegrityIndication';

export interface MeasurementWatcherOptions {
  feed: HostIndicationFeed;
  hosts: HostDirectory;
  /** Whether the TVDc asked for its targets to be attested on new measurements. */
  monitored(group: string): boolean;
  attest(target: AttestationTarget): Promise<{ status: string; event: { id: number } }>;
  /** Quiet time after a target's last measurement before it is attested (default 1 s). */
  settleMs?: number;
  log(line: string): void;
}

/**
 * IndicationIdentifier of a measurement, `TVDc:<host>:measured:vm:<vm>:<index>` or
 * `...:host:<host>:<index>`, or of a TPM that died (the host stopped the VM),
 * `TVDc:<host>:tpm-lost:vm:<vm>:<ms>` or `...:host:<host>:<ms>`.
 */
const MEASURED = /^TVDc:([^:]+):(measured|tpm-lost):(vm|host):(.+):(\d+)$/;

export class MeasurementWatcher {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** Targets whose ignored measurements were logged, so a busy VM does not flood the log. */
  private readonly ignored = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: MeasurementWatcherOptions) {
    opts.feed.consume(INTEGRITY_INDICATION, (d) => this.measured(d));
  }

  /** Drops the attestations waiting to settle; later deliveries are ignored. */
  stop(): void {
    this.stopped = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private measured({ host, indication }: HostIndication): void {
    if (this.stopped) return;
    const m = MEASURED.exec(String(indication.get('IndicationIdentifier') ?? ''));
    if (!m) {
      this.opts.log(`integrity monitor: a measurement from host ${host.name} without a usable IndicationIdentifier ignored`);
      return;
    }
    const [, claimed, what, kind, name] = m;
    // A host reports its own measurements; one naming another host is not believed.
    if (claimed !== host.name || (kind === 'host' && name !== host.name)) {
      this.opts.log(`integrity monitor: host ${host.name} reported a measurement of host ${kind === 'host' ? name : claimed}: ignored`);
      return;
    }
    const target: AttestationTarget = kind === 'vm' ? { host: host.name, vm: name! } : { host: host.name };
    // Said whether or not the TVDc is monitored: a TPM gone is news to an administrator either way.
    // The host's own words stay out of the log line (they could forge lines); its MessageID says it.
    if (what === 'tpm-lost') this.opts.log(`integrity monitor: host ${host.name} reports that the TPM of ${describeTarget(target)} ended on its own (${kind === 'vm' ? 'the host stopped the VM' : 'the host cannot be attested until it is restarted'})`);
    const key = kind === 'vm' ? `vm:${name}@${host.name}` : `host:${host.name}`;
    if (host.group === null || !this.opts.monitored(host.group)) {
      if (!this.ignored.has(key)) {
        this.ignored.add(key);
        const why = host.group === null ? `host ${host.name} is in no TVDc` : `TVDc ${host.group} is not monitored (tvdc attest monitor ${host.group} on)`;
        this.opts.log(`integrity monitor: new measurements of ${describeTarget(target)} ignored: ${why}`);
      }
      return;
    }
    this.ignored.delete(key);
    // A program start often comes with several measurements: attest once they settle.
    const t = this.pending.get(key);
    if (t) clearTimeout(t);
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      void this.look(target);
    }, this.opts.settleMs ?? 1_000));
  }

  /** Checks that the VM is on the host that reported it, then attests it. */
  private async look(target: AttestationTarget): Promise<void> {
    try {
      if (target.vm !== undefined) {
        try {
          await this.opts.hosts.connection(target.host).getInstance(vmPath(target.vm));
        } catch (e) {
          if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) {
            this.opts.log(`integrity monitor: ${describeTarget(target)} not attested: host ${target.host} has no such VM`);
            return;
          }
          throw e;
        }
      }
      if (this.stopped) return;
      const o = await this.opts.attest(target);
      this.opts.log(`integrity monitor: ${describeTarget(target)} attested after new measurements: ${o.status} (event ${o.event.id})`);
    } catch (e) {
      this.opts.log(`integrity monitor: ${describeTarget(target)} not attested: ${(e as Error).message}`);
    }
  }
}
