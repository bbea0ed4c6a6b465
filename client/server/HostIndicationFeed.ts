// One CIM-XML indication listener for the whole management server. Every managed host delivers
// to its own secret path on it and is subscribed once per indication class some part of the
// server consumes; each delivery goes to that class's consumers together with the host whose
// path it came through, so a consumer never has to trust what an indication says about its sender.
//
//   const feed = new HostIndicationFeed({ listenPort: 5990 });
//   feed.consume('TVDc_AccessDeniedIndication', ({ host, indication }) => ...);
//   ManagementServer.open({ db, modules: [feed.module, ...] });
//
// One subscription per class rather than one filter over their common superclass
// (CIM_AlertIndication): a host then sends only what some consumer asked for, not every alert a
// future provider may raise, and a class nobody consumes any more is unsubscribed on its own.
//
// The subscriptions are permanent (DSP1054 PersistenceType 2) and stay on the hosts when the
// server stops: a host queues what happens meanwhile (a refused start, a program run) and delivers
// it when the server is back on the same path. A server that comes back at another address
// replaces them. A host the server stops managing has them taken off (HostRegistry.remove) and
// its path forgotten.
import { createHash } from 'node:crypto';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { IndicationListener, subscribe, unsubscribe, type IndicationContext } from '../listener/index.js';
import type { WbemConnection } from '../cim/index.js';
import { hostFailure } from './hostFailure.js';
import { IndicationPathStore } from './IndicationPathStore.js';
import { HostRegistry } from './HostRegistry.js';
import { RateLimitedLog } from './RateLimitedLog.js';
import type { HostRecord, ServerContext, ServerModule } from './ServerContext.js';

export interface HostIndicationFeedOptions {
  /** Where the listener binds (default 127.0.0.1, port 0: a free one). */
  listenHost?: string;
  listenPort?: number;
  /** The base URL hosts deliver to, when it is not the listener's own (another name, behind NAT). */
  destination?: string;
  /** How often hosts not yet subscribed (added later, or down) are tried again (default 30 s). */
  resubscribeMs?: number;
  /**
   * How many dropped deliveries are logged per source (sender address, or host) and window
   * (default 10 a minute); the rest are counted in one summary line per window.
   */
  droppedLog?: { perWindow?: number; windowMs?: number };
}

/** What removing a host did to its subscriptions (the `subscriptions` field of DELETE /api/hosts/:host). */
export interface Unsubscription {
  /** Every subscription of the server is gone from the host (or it had none). */
  ok: boolean;
  /** Names of the subscriptions removed from the host. */
  removed: string[];
  /** Subscriptions the server had recorded that stay on the host (it could not be reached). */
  remaining: string[];
  error?: { code: string; message: string };
}

/** One delivered indication, with the host whose secret path it came through. */
export interface HostIndication {
  host: HostRecord;
  indication: CimInstance;
  context: IndicationContext;
}

export type IndicationConsumer = (delivery: HostIndication) => void | Promise<void>;

/** What the watch routes show for one class. */
export interface FeedStatus {
  enabled: boolean;
  /** The base URL hosts deliver to (each to its own path under it). */
  destination: string | null;
  /** Hosts subscribed to the class by this run of the server. */
  hosts: string[];
}

export const FEED_PATH_PREFIX = '/tvdc/indications/';

const NO_FEED = 'the server follows no host indications: start it with --indications-port';

/** Why the hosts' indications cannot arrive (for a 409), or null when they can; a module may run without a feed. */
export function feedUnavailable(feed: HostIndicationFeed | undefined): Promise<string | null> {
  return feed ? feed.unavailable() : Promise.resolve(NO_FEED);
}

/** A host reuses objects of the same name, so the name follows the destination (and the class). */
export function subscriptionName(className: string, destination: string): string {
  const kind = className.replace(/^tvdc_/i, '').replace(/indication$/i, '').toLowerCase();
  return `tvdc-mgmt-${kind}-${createHash('sha256').update(`${className}\n${destination}`).digest('hex').slice(0, 12)}`;
}

/** Sender-chosen text in the log: bounded and quoted. */
function quoted(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}...` : s);
}

export class HostIndicationFeed {
  /** The ServerModule that binds the feed to the server's database and hosts; register it first. */
  readonly module: ServerModule;
  /** Consumers per class (key: the class name in lower case, as CIM compares names). */
  private readonly classes = new Map<string, { className: string; consumers: IndicationConsumer[] }>();
  /**
   * Host name -> classes (lower case) subscribed on it during this run, for the host at that URL
   * with that token: a host removed and added again, or moved, is subscribed afresh.
   */
  private readonly subscribed = new Map<string, { at: string; classes: Set<string> }>();
  /** A pass's work on each host while it runs: a host being removed waits for it before unsubscribing. */
  private readonly working = new Map<string, Promise<void>>();
  private drops: RateLimitedLog | undefined;
  private ctx: ServerContext | undefined;
  private paths: IndicationPathStore | undefined;
  private listener: IndicationListener | undefined;
  private base: string | null = null;
  private failure: string | null = null;
  private listening: Promise<void> = Promise.resolve();
  private passes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Without options the feed is off: consumers may register, nothing listens and nobody is subscribed. */
  constructor(private readonly options?: HostIndicationFeedOptions) {
    this.module = { name: 'indications', register: (_router, ctx) => this.attach(ctx) };
  }

  /** Hands every indication of `className` from a managed host to `consumer`; the hosts get subscribed to it. */
  consume(className: string, consumer: IndicationConsumer): void {
    const key = className.toLowerCase();
    const entry = this.classes.get(key) ?? { className, consumers: [] };
    entry.consumers.push(consumer);
    this.classes.set(key, entry);
    // A class asked for once the feed runs: the hosts are subscribed now, not at the next retry.
    if (this.base !== null && !this.stopped) void this.subscribeAll();
  }

  /** Null when hosts can deliver; otherwise why not (the server was not given a port, or could not listen). */
  async unavailable(): Promise<string | null> {
    if (!this.options) return NO_FEED;
    await this.listening;
    return this.failure;
  }

  status(className: string): FeedStatus {
    const key = className.toLowerCase();
    const hosts = [...this.subscribed].filter(([, s]) => s.classes.has(key)).map(([h]) => h).sort();
    return { enabled: this.base !== null && !this.stopped, destination: this.base, hosts };
  }

  /**
   * Subscribes every managed host to every consumed class it is not subscribed to yet, and drops
   * subscriptions of classes nothing consumes any more. A host that cannot be reached is tried
   * again at the next pass. Passes run one at a time; a call waits for its own.
   */
  subscribeAll(): Promise<void> {
    const pass = this.passes.then(() => this.pass());
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  private attach(ctx: ServerContext): (() => Promise<void>) | void {
    this.ctx = ctx;
    this.paths = new IndicationPathStore(ctx.db);
    // Even with the feed off, a removed host loses the subscriptions an earlier run made on it.
    if (ctx.hosts instanceof HostRegistry) ctx.hosts.onRemove({ name: 'subscriptions', prepare: (h) => this.release(h) });
    const options = this.options;
    if (!options) return;
    this.drops = new RateLimitedLog(ctx.log, {
      ...options.droppedLog,
      limitReached: (source, n) => `indications: ${n} dropped deliveries from ${source} logged in this window; the next are only counted`,
      summary: (source, n, since) => `indications: ${n} more dropped deliveries from ${source} since ${since} were not logged`,
    });
    const listener = new IndicationListener({
      host: options.listenHost ?? '127.0.0.1',
      port: options.listenPort ?? 0,
      onCallbackError: (e) => ctx.log(`indications: delivery failed: ${(e as Error).message}`),
    });
    listener.onIndication((i, c) => this.deliver(i, c));
    this.listening = listener.start().then(
      (own) => {
        this.listener = listener;
        this.base = (options.destination ?? own).replace(/\/+$/, '');
        ctx.log(`indications: hosts deliver to ${this.base}${FEED_PATH_PREFIX}<host token>`);
        void this.subscribeAll();
        this.timer = setInterval(() => void this.subscribeAll(), options.resubscribeMs ?? 30_000);
        this.timer.unref();
      },
      (e: unknown) => {
        this.failure = `the server's indication listener did not start: ${(e as Error).message}`;
        ctx.log(`indications: cannot listen for the hosts: ${(e as Error).message}`);
      },
    );
    return () => this.stop();
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.listening;
    // A pass in flight stops at its next host; one host that does not answer may not hold up the
    // server's stop for long (what it still does after this fails quietly on the closed database).
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.passes, new Promise<void>((r) => (grace = setTimeout(r, 5_000)))]);
    clearTimeout(grace);
    this.subscribed.clear();
    await this.listener?.close();
    this.drops?.close();
  }

  /**
   * Runs while `host` is still recorded, just before the server forgets it: notes what the feed
   * made there and forgets the host's path (a delivery on it is dropped from now on). The work it
   * returns removes the subscriptions from the host: those recorded, and those a pass may be
   * making at this moment for the consumed classes (it waits for that pass's call to the host).
   */
  private release(host: HostRecord): (conn: WbemConnection) => Promise<Unsubscription> {
    const paths = this.paths!;
    const recorded = paths.subscriptions(host.name).map((s) => s.name);
    const token = paths.existingToken(host.name);
    const destination = token && this.base !== null ? `${this.base}${FEED_PATH_PREFIX}${token}` : null;
    const inFlight = destination ? [...this.classes.values()].map((c) => subscriptionName(c.className, destination)) : [];
    const pass = this.working.get(host.name) ?? Promise.resolve();
    paths.forgetHost(host.name);
    this.subscribed.delete(host.name);
    return async (conn) => {
      await pass;
      const removed: string[] = [];
      try {
        for (const name of new Set([...recorded, ...inFlight])) if ((await unsubscribe(conn, { name })) > 0) removed.push(name);
        if (removed.length) this.ctx?.log(`indications: removed host ${host.name} unsubscribed (${removed.join(', ')})`);
        return { ok: true, removed, remaining: [] };
      } catch (e) {
        const err = hostFailure(host.name, e);
        const error = { code: err?.code ?? 'INTERNAL', message: err?.message ?? (e as Error).message };
        const remaining = recorded.filter((n) => !removed.includes(n));
        this.ctx?.log(`indications: removed host ${host.name} keeps subscriptions ${remaining.join(', ') || '(none recorded)'}: ${error.message}`);
        return { ok: false, removed, remaining, error };
      }
    };
  }

  /** The host is still managed (not removed while a pass was talking to it). */
  private managed(ctx: ServerContext, name: string): boolean {
    return ctx.hosts.list().some((h) => h.name === name);
  }

  private async pass(): Promise<void> {
    const { ctx, paths, base } = this;
    if (!ctx || !paths || base === null || this.stopped) return;
    try {
      await this.subscribeHosts(ctx, paths, base);
    } catch (e) {
      // Passes run from timers: a failure here is logged, never an unhandled rejection.
      if (!this.stopped) ctx.log(`indications: subscribing the hosts failed: ${(e as Error).message}`);
    }
  }

  private async subscribeHosts(ctx: ServerContext, paths: IndicationPathStore, base: string): Promise<void> {
    const wanted = [...this.classes.entries()];
    const hosts = ctx.hosts.list();
    for (const name of [...this.subscribed.keys()]) if (!hosts.some((h) => h.name === name)) this.subscribed.delete(name);
    for (const h of hosts) {
      if (this.stopped) return;
      if (!this.managed(ctx, h.name)) continue;
      const work = this.subscribeHost(ctx, paths, base, h, wanted);
      this.working.set(h.name, work);
      try {
        await work;
      } finally {
        if (this.working.get(h.name) === work) this.working.delete(h.name);
      }
    }
  }

  /** One host's share of a pass: its missing subscriptions made, those of classes nobody consumes removed. */
  private async subscribeHost(ctx: ServerContext, paths: IndicationPathStore, base: string, h: HostRecord, wanted: [string, { className: string }][]): Promise<void> {
    try {
      const destination = `${base}${FEED_PATH_PREFIX}${paths.tokenOf(h.name)}`;
      const at = `${h.url} ${destination}`;
      let entry = this.subscribed.get(h.name);
      if (entry?.at !== at) this.subscribed.set(h.name, (entry = { at, classes: new Set() }));
      const done = entry.classes;
      if (wanted.every(([key]) => done.has(key)) && paths.subscriptions(h.name).length === done.size) return;
      const conn = ctx.hosts.connection(h.name);
      for (const [key, { className }] of wanted) {
        if (done.has(key) || this.stopped) continue;
        // Removed meanwhile: its removal unsubscribes what this pass made, once this call is done.
        if (!this.managed(ctx, h.name)) return;
        const name = subscriptionName(className, destination);
        // The server moved (another port or name): the host stops delivering to the old address.
        const old = paths.subscriptionOf(h.name, className);
        if (old && old !== name) await unsubscribe(conn, { name: old });
        await subscribe(conn, { name, destination, query: `SELECT * FROM ${className}` });
        if (!this.managed(ctx, h.name)) return;
        paths.setSubscription(h.name, className, name);
        done.add(key);
      }
      // Subscribed by an earlier run for a class nothing here consumes: the host stops sending it.
      for (const s of paths.subscriptions(h.name)) {
        if (this.classes.has(s.className.toLowerCase()) || this.stopped || !this.managed(ctx, h.name)) continue;
        await unsubscribe(conn, { name: s.name });
        paths.forgetSubscription(h.name, s.className);
        ctx.log(`indications: host ${h.name} no longer sends ${s.className}: nothing here consumes it`);
      }
    } catch (e) {
      if (!this.stopped) ctx.log(`indications: cannot subscribe host ${h.name}: ${(e as Error).message}`);
    }
  }

  private async deliver(indication: CimInstance, context: IndicationContext): Promise<void> {
    const { ctx, paths } = this;
    if (this.stopped || !ctx || !paths) return;
    const from = context.remoteAddress ?? 'an unknown sender';
    const token = context.path.startsWith(FEED_PATH_PREFIX) ? context.path.slice(FEED_PATH_PREFIX.length) : '';
    const name = token ? paths.hostOfToken(token) : null;
    // Anyone who reaches the listener can send these: the log gets the first few per sender.
    const dropped = (source: string, line: string) => (this.drops ? this.drops.line(source, line) : ctx.log(line));
    if (!name) {
      dropped(from, `indications: dropped ${quoted(indication.className)} from ${from} on ${quoted(context.path)}: not a host's path`);
      return;
    }
    const entry = this.classes.get(indication.className.toLowerCase());
    if (!entry) {
      dropped(`host ${name}`, `indications: dropped ${quoted(indication.className)} from host ${name}: nothing here consumes that class`);
      return;
    }
    let host: HostRecord;
    try {
      host = ctx.hosts.get(name);
    } catch {
      return; // removed meanwhile
    }
    for (const consumer of entry.consumers) {
      try {
        await consumer({ host, indication, context });
      } catch (e) {
        ctx.log(`indications: ${entry.className} from host ${name} not handled: ${(e as Error).message}`);
      }
    }
  }
}
