// Attestation as soon as something new runs: subscribes to every managed host's
// TVDc_IntegrityIndication (one per new measurement) and attests the VM or host it names once its
// measurements settle. An indication is only a hint to look: the verdict always comes from a
// fresh quote, and the VM is looked up over the server's own authenticated CIM connections, so a
// forged indication can at most cause a genuine attestation of a real target.
import { createHash } from 'node:crypto';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { IndicationListener, subscribe, unsubscribe } from '../../listener/index.js';
import type { HostDirectory } from '../ServerContext.js';
import type { AttestationTarget } from './CimChallenger.js';

export interface MeasurementWatcherOptions {
  hosts: HostDirectory;
  attest(target: AttestationTarget): Promise<unknown>;
  /** Where the listener binds (default 127.0.0.1, port 0: a free one). */
  listenHost?: string;
  listenPort?: number;
  /** The URL hosts deliver to, when it is not the listener's own (behind NAT, another name). */
  destination?: string;
  /** Quiet time after a target's last measurement before it is attested (default 1 s). */
  settleMs?: number;
  /** How often hosts not yet subscribed (added later, or down) are tried again (default 30 s). */
  resubscribeMs?: number;
  log?(line: string): void;
}

/** IndicationIdentifier of a measurement: `TVDc:<host>:measured:vm:<vm>:<index>` or `...:host:<host>:<index>`. */
const MEASURED = /^TVDc:([^:]+):measured:(vm|host):(.+):(\d+)$/;

export class MeasurementWatcher {
  private readonly listener: IndicationListener;
  private readonly subscribed = new Set<string>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private resubscribe: NodeJS.Timeout | undefined;
  private destination = '';
  private name = '';
  private stopped = false;

  constructor(private readonly opts: MeasurementWatcherOptions) {
    this.listener = new IndicationListener({ host: opts.listenHost ?? '127.0.0.1', port: opts.listenPort ?? 0, path: '/tvdc/integrity' });
    this.listener.onIndication((i) => this.onIndication(i));
  }

  /** Starts the listener and subscribes the hosts; resolves with the destination URL. */
  async start(): Promise<string> {
    const own = await this.listener.start();
    this.destination = this.opts.destination ?? own;
    // One subscription per destination: a server that moved to another port subscribes afresh.
    this.name = `tvdc-mgmt-integrity-${createHash('sha256').update(this.destination).digest('hex').slice(0, 12)}`;
    await this.subscribeAll();
    const every = this.opts.resubscribeMs ?? 30_000;
    this.resubscribe = setInterval(() => void this.subscribeAll(), every);
    this.resubscribe.unref();
    return this.destination;
  }

  /** Subscribes every managed host not subscribed yet; a host that cannot be reached is tried again later. */
  async subscribeAll(): Promise<void> {
    for (const h of this.opts.hosts.list()) {
      if (this.stopped || this.subscribed.has(h.name)) continue;
      try {
        await subscribe(this.opts.hosts.connection(h.name), { name: this.name, destination: this.destination, query: 'SELECT * FROM TVDc_IntegrityIndication' });
        this.subscribed.add(h.name);
      } catch (e) {
        this.opts.log?.(`integrity watch: cannot subscribe to host ${h.name}: ${(e as Error).message}`);
      }
    }
  }

  /** Hosts whose measurements are followed. */
  watching(): string[] {
    return [...this.subscribed];
  }

  /** Unsubscribes from the hosts (best effort) and stops listening. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resubscribe) clearInterval(this.resubscribe);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const h of this.subscribed) {
      try {
        await unsubscribe(this.opts.hosts.connection(h), { name: this.name });
      } catch (e) {
        this.opts.log?.(`integrity watch: cannot unsubscribe from host ${h}: ${(e as Error).message}`);
      }
    }
    this.subscribed.clear();
    await this.listener.close();
  }

  private onIndication(i: CimInstance): void {
    if (this.stopped || i.className.toLowerCase() !== 'tvdc_integrityindication') return;
    const m = MEASURED.exec(String(i.get('IndicationIdentifier') ?? ''));
    if (!m) return;
    const [, host, kind, name] = m;
    const key = kind === 'vm' ? `vm:${name}` : `host:${host}`;
    // A program start often comes with several measurements: attest once they settle.
    const t = this.pending.get(key);
    if (t) clearTimeout(t);
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      void this.look(kind === 'vm' ? { vm: name! } : { host: host! });
    }, this.opts.settleMs ?? 1_000));
  }

  /** Resolves the target through the server's own view of its hosts, then attests it. */
  private async look(hint: { vm: string } | { host: string }): Promise<void> {
    try {
      let target: AttestationTarget;
      if ('vm' in hint) target = { host: (await this.opts.hosts.hostOfVm(hint.vm)).name, vm: hint.vm };
      else target = { host: this.opts.hosts.get(hint.host).name };
      if (!this.stopped) await this.opts.attest(target);
    } catch (e) {
      this.opts.log?.(`integrity watch: ${'vm' in hint ? `VM ${hint.vm}` : `host ${hint.host}`} not attested: ${(e as Error).message}`);
    }
  }
}
