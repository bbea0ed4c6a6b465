// Follows every managed host's TVDc_AccessDeniedIndications (one per denial by its reference
// monitor) and records them as violations. Each host delivers to its own secret path, handed to
// it only over the server's authenticated CIM connection, so a report is filed under the host
// whose subscription it came through and a stranger cannot file reports at all.
import { createHash } from 'node:crypto';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { IndicationListener, subscribe, unsubscribe, type IndicationContext } from '../listener/index.js';
import type { HostDirectory } from './ServerContext.js';
import type { ViolationStore } from './ViolationStore.js';

export interface AccessDeniedWatcherOptions {
  hosts: HostDirectory;
  violations: ViolationStore;
  /** Where the listener binds (default 127.0.0.1, port 0: a free one). */
  listenHost?: string;
  listenPort?: number;
  /** The URL hosts deliver to, when it is not the listener's own (another name, behind NAT). */
  destination?: string;
  /** How often hosts not yet subscribed (added later, or down) are tried again (default 30 s). */
  resubscribeMs?: number;
  log(line: string): void;
}

const PATH_PREFIX = '/tvdc/isolation/';

/** A host reuses a destination of the same name as it is, so the name follows the URL. */
function subscriptionName(destination: string): string {
  return `tvdc-mgmt-isolation-${createHash('sha256').update(destination).digest('hex').slice(0, 12)}`;
}

function text(i: CimInstance, name: string): string | null {
  const v = i.get(name);
  return v === null || v === undefined ? null : String(v);
}

export class AccessDeniedWatcher {
  private readonly listener: IndicationListener;
  private readonly subscribed = new Set<string>();
  private base = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: AccessDeniedWatcherOptions) {
    this.listener = new IndicationListener({ host: opts.listenHost ?? '127.0.0.1', port: opts.listenPort ?? 0 });
    this.listener.onIndication((i, c) => this.record(i, c));
  }

  /** Starts the listener and subscribes the hosts; resolves with the base URL hosts deliver to. */
  async start(): Promise<string> {
    const own = await this.listener.start();
    this.base = (this.opts.destination ?? own).replace(/\/+$/, '');
    await this.subscribeAll();
    this.timer = setInterval(() => void this.subscribeAll(), this.opts.resubscribeMs ?? 30_000);
    this.timer.unref();
    return this.base;
  }

  /** Subscribes every managed host not subscribed yet; one that cannot be reached is tried again later. */
  async subscribeAll(): Promise<void> {
    for (const h of this.opts.hosts.list()) {
      if (this.stopped || this.subscribed.has(h.name)) continue;
      const destination = `${this.base}${PATH_PREFIX}${this.opts.violations.tokenOf(h.name)}`;
      const name = subscriptionName(destination);
      const conn = this.opts.hosts.connection(h.name);
      try {
        // The server moved (another port or name): the host stops delivering to the old address.
        const old = this.opts.violations.subscriptionOf(h.name);
        if (old && old !== name) await unsubscribe(conn, { name: old });
        await subscribe(conn, { name, destination, query: 'SELECT * FROM TVDc_AccessDeniedIndication' });
        this.opts.violations.setSubscription(h.name, name);
        this.subscribed.add(h.name);
      } catch (e) {
        this.opts.log(`violations: cannot subscribe to host ${h.name}: ${(e as Error).message}`);
      }
    }
  }

  watching(): string[] {
    return [...this.subscribed].sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // The subscriptions stay on the hosts: a host keeps queueing reports while the server is
    // down and delivers them when it is back (the same token, the same path).
    this.subscribed.clear();
    await this.listener.close();
  }

  private record(i: CimInstance, c: IndicationContext): void {
    if (this.stopped || i.className.toLowerCase() !== 'tvdc_accessdeniedindication') return;
    const token = c.path.startsWith(PATH_PREFIX) ? c.path.slice(PATH_PREFIX.length) : '';
    const host = token ? this.opts.violations.hostOfToken(token) : null;
    if (!host) {
      this.opts.log(`violations: dropped a report from ${c.remoteAddress ?? 'an unknown sender'} on ${c.path}: not a host's path`);
      return;
    }
    let group: string | null = null;
    try {
      group = this.opts.hosts.get(host).group;
    } catch {
      return; // removed meanwhile
    }
    const when = i.get('EventTime');
    const id = this.opts.violations.add({
      at: when instanceof CimDateTime ? when.toDate().toISOString() : c.receivedAt.toISOString(),
      receivedAt: c.receivedAt.toISOString(),
      host,
      group,
      operation: text(i, 'Operation') ?? 'unknown',
      subject: text(i, 'AlertingManagedElement') ?? '',
      subjectLabel: text(i, 'SubjectLabel'),
      object: text(i, 'ObjectPath'),
      objectLabel: text(i, 'ObjectLabel'),
      rule: text(i, 'MessageID') ?? 'TVDC-ACCESS',
      reason: text(i, 'Reason') ?? text(i, 'Message') ?? '',
    });
    this.opts.log(`violation #${id} on host ${host}${group ? ` (TVDc ${group})` : ''}: ${text(i, 'Operation')} denied: ${text(i, 'Reason')}`);
  }
}
