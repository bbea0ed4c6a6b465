// The DSP1054 indication service: filters, listener destinations and subscriptions persisted in
// SQLite; every emitted indication matched against the enabled subscriptions and queued, durably,
// per destination with its SequenceContext/SequenceNumber; DeliveryWorkers drain the queues.
// Usable alone (tests, other hosts) and as the WbemServer's IndicationSink.
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { CimInstance } from '../../cim/CimInstance.js';
import { CimObjectPath } from '../../cim/CimObjectPath.js';
import { CimDateTime } from '../../cim/CimDateTime.js';
import { migrate, type Db } from '../../store/Store.js';
import type { Statement } from 'better-sqlite3';
import { matches, project } from '../wql/index.js';
import { namespaceKey } from '../namespaceName.js';
import type { IndicationSink } from '../Provider.js';
import { INDICATION_MIGRATIONS } from './indicationMigrations.js';
import { DeliveryWorker, type DeliveryPolicy } from './DeliveryWorker.js';
import { cimXmlExportCodec, type ExportCodec } from './exportMessage.js';
import { SubscriptionStore, type ActiveSubscription } from './SubscriptionStore.js';
import { intProp, invalid, setProp } from './instanceValues.js';
import { CAPABILITIES_CLASS, SERVICE_CLASS } from './indicationClasses.js';

export interface IndicationServiceOptions {
  /** The host agent's store; the service adds its tables (migrations `indications-*`). */
  db: Db;
  /** SystemName filled into keys the client omits, and of the service itself. */
  systemName: string;
  /**
   * The class of the hosting system, in the service's keys and those filled into filters and
   * destinations; default `CIM_ComputerSystem` (attachIndications takes the server's host system).
   */
  systemCreationClassName?: string;
  /** Name of the CIM_IndicationService instance, first part of every SequenceContext. */
  serviceName?: string;
  /** The namespace the objects are created in and reported from (default `root/interop`). */
  interopNamespace?: string;
  /**
   * Class hierarchy of a namespace: true when `className` is `superName` or a subclass. Without
   * it only equal names match.
   */
  isa?: (namespace: string, className: string, superName: string) => boolean;
  /**
   * Whether a class exists in a namespace (undefined: the namespace is unknown). When given, a
   * filter whose FROM class exists in none of its known source namespaces is refused.
   */
  classExists?: (namespace: string, className: string) => boolean | undefined;
  /**
   * Whether the server has a namespace. When given, a filter whose SourceNamespaces (or
   * SourceNamespace) names another is refused: its subscription could never fire.
   */
  namespaceExists?: (namespace: string) => boolean;
  /** Defaults of DeliveryRetryAttempts (3) and DeliveryRetryInterval (30 s; ms here for tests). */
  retryAttempts?: number;
  retryIntervalMs?: number;
  /** Cap of the doubling backoff (default 10 x retryIntervalMs). */
  maxRetryIntervalMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * Most indications queued for one destination (default 100,000). Beyond it new ones are
   * dropped, still taking their SequenceNumber so the listener sees the gap.
   */
  maxQueuedPerDestination?: number;
  /** MaxListenerDestinations and MaxActiveSubscriptions of the capabilities, enforced at create (default 1000 each). */
  maxListenerDestinations?: number;
  maxActiveSubscriptions?: number;
  /** Start delivering queued indications at construction (default true). */
  deliver?: boolean;
  codec?: ExportCodec;
  /** undici dispatcher for delivery requests (e.g. an Agent with TLS options). */
  dispatcher?: Dispatcher;
  /** Where problems that must not propagate (emit, delivery) are reported; default console.warn. */
  onError?: (e: Error) => void;
}

/** Counters for tests, benchmarks and diagnostics. */
export interface IndicationStats {
  emitted: number;
  matched: number;
  delivered: number;
  failedAttempts: number;
  abandoned: number;
  /** Dropped because the destination's queue was full. */
  overflowed: number;
}

const SINT64_MAX = 9223372036854775807n;

export class IndicationService implements IndicationSink {
  readonly systemName: string;
  readonly systemCreationClassName: string;
  readonly serviceName: string;
  readonly interopNamespace: string;
  readonly stats: IndicationStats = { emitted: 0, matched: 0, delivered: 0, failedAttempts: 0, abandoned: 0, overflowed: 0 };
  /** Identifies this start of the service; part of every SequenceContext made in it. */
  readonly startId: number;
  /**
   * Random, made once per store and kept: tells this service from every other one with the same
   * name and start count (every host's first start is start 1), so that a listener serving many
   * hosts never takes one host's indications for repeats of another's.
   */
  readonly instanceId: string;
  private readonly db: Db;
  private readonly isaFn: (namespace: string, className: string, superName: string) => boolean;
  private readonly codec: ExportCodec;
  private readonly onError: (e: Error) => void;
  private readonly workers = new Map<number, DeliveryWorker>();
  private active: ActiveSubscription[] = [];
  private readonly seq = new Map<number, { context: string; next: bigint }>();
  /** Rows queued per destination, counted once from the store and then kept up to date. */
  private readonly queueLength = new Map<number, number>();
  private messageCounter = 0;
  private closed = false;
  private readonly deliveryPolicy: DeliveryPolicy;
  private readonly listeners = new Set<(e: { destination: string; seqContext: string; seqNumber: bigint }) => void>();
  /** Filters, destinations and subscriptions. */
  readonly objects: SubscriptionStore;

  constructor(private readonly options: IndicationServiceOptions) {
    this.db = options.db;
    this.systemName = options.systemName;
    this.systemCreationClassName = options.systemCreationClassName ?? 'CIM_ComputerSystem';
    this.serviceName = options.serviceName ?? 'tvdc:IndicationService';
    this.interopNamespace = options.interopNamespace ?? 'root/interop';
    this.codec = options.codec ?? cimXmlExportCodec;
    this.onError = options.onError ?? ((e) => console.warn(`tvdc indications: ${e.message}`));
    const userIsa = options.isa;
    this.isaFn = (ns, c, s) => {
      if (c.toLowerCase() === s.toLowerCase()) return true;
      if (!userIsa) return false;
      try {
        return userIsa(ns, c, s);
      } catch {
        return false; // a class the schema does not know is nobody's subclass
      }
    };
    migrate(this.db, INDICATION_MIGRATIONS);
    [this.startId, this.instanceId] = this.db.transaction((): [number, string] => {
      const row = this.db.prepare("SELECT value FROM ind_state WHERE key = 'starts'").get() as { value: string } | undefined;
      const n = (row ? Number(row.value) : 0) + 1;
      this.db.prepare("INSERT INTO ind_state (key, value) VALUES ('starts', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(n));
      this.db.prepare("INSERT INTO ind_state (key, value) VALUES ('instance', ?) ON CONFLICT(key) DO NOTHING").run(randomUUID().replace(/-/g, '').slice(0, 16));
      const instance = (this.db.prepare("SELECT value FROM ind_state WHERE key = 'instance'").get() as { value: string }).value;
      return [n, instance];
    })();
    // Values set through ModifyInstance of the service (persisted) win over the options.
    this.deliveryPolicy = {
      retryAttempts: () => this.setting('DeliveryRetryAttempts', options.retryAttempts ?? 3),
      retryIntervalMs: () => this.setting('DeliveryRetryIntervalMs', options.retryIntervalMs ?? 30_000),
      maxRetryIntervalMs: () => options.maxRetryIntervalMs ?? 10 * this.setting('DeliveryRetryIntervalMs', options.retryIntervalMs ?? 30_000),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
    this.objects = new SubscriptionStore(this.db, {
      systemName: this.systemName, systemCreationClassName: this.systemCreationClassName,
      interopNamespace: this.interopNamespace, classExists: options.classExists, namespaceExists: options.namespaceExists,
      maxDestinations: options.maxListenerDestinations ?? 1000, maxSubscriptions: options.maxActiveSubscriptions ?? 1000,
    }, {
      destinationCreated: (id, url) => void this.worker(id, url),
      destinationDeleted: async (id) => {
        const w = this.workers.get(id);
        this.workers.delete(id);
        this.seq.delete(id);
        this.queueLength.delete(id);
        await w?.close();
      },
      subscriptionsChanged: () => {
        this.active = this.objects.activeSubscriptions();
      },
    });
    this.active = this.objects.activeSubscriptions();
    for (const d of this.objects.destinationUrls()) this.worker(d.id, d.url);
    if (options.deliver !== false) this.startDelivery();
  }

  // -------------------------------------------------------------------------------------------
  // Settings (DeliveryRetryAttempts / DeliveryRetryInterval), persisted when modified.

  private setting(name: string, fallback: number): number {
    const row = this.db.prepare('SELECT value FROM ind_state WHERE key = ?').get(name) as { value: string } | undefined;
    return row ? Number(row.value) : fallback;
  }

  private setSetting(name: string, value: number): void {
    this.db.prepare('INSERT INTO ind_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(name, String(value));
  }

  // -------------------------------------------------------------------------------------------
  // The DSP1054 objects (see SubscriptionStore), as the providers call them.

  /** Creates a CIM_IndicationFilter; `namespace` is where it was created (its default source). */
  createFilter(namespace: string, inst: CimInstance): CimObjectPath {
    return this.objects.createFilter(namespace, inst);
  }

  enumerateFilters(): CimInstance[] {
    return this.objects.enumerateFilters();
  }

  getFilter(path: CimObjectPath): CimInstance {
    return this.objects.getFilter(path);
  }

  /** Refused with CIM_ERR_FAILED while a subscription refers to the filter. */
  deleteFilter(path: CimObjectPath): void {
    this.objects.deleteFilter(path);
  }

  createDestination(namespace: string, inst: CimInstance): CimObjectPath {
    return this.objects.createDestination(namespace, inst);
  }

  /** Every destination, or those of one class (CIM_ListenerDestinationCIMXML / CIM_IndicationHandlerCIMXML). */
  enumerateDestinations(className?: string): CimInstance[] {
    return this.objects.enumerateDestinations(className);
  }

  getDestination(path: CimObjectPath): CimInstance {
    return this.objects.getDestination(path);
  }

  /** Refused with CIM_ERR_FAILED while a subscription refers to it; drops its queue otherwise. */
  deleteDestination(path: CimObjectPath): Promise<void> {
    return this.objects.deleteDestination(path);
  }

  createSubscription(namespace: string, inst: CimInstance): CimObjectPath {
    return this.objects.createSubscription(namespace, inst);
  }

  enumerateSubscriptions(): CimInstance[] {
    return this.objects.enumerateSubscriptions();
  }

  getSubscription(path: CimObjectPath): CimInstance {
    return this.objects.getSubscription(path);
  }

  /** Changes SubscriptionState (2 Enabled, 4 Disabled) or SubscriptionInfo; nothing else is writable. */
  modifySubscription(inst: CimInstance, propertyList: readonly string[] | null): void {
    this.objects.modifySubscription(inst, propertyList);
  }

  deleteSubscription(path: CimObjectPath): void {
    this.objects.deleteSubscription(path);
  }

  // -------------------------------------------------------------------------------------------
  // The service and its capabilities.

  servicePath(): CimObjectPath {
    return CimObjectPath.instance(SERVICE_CLASS, [
      { name: 'SystemCreationClassName', type: 'string', value: this.systemCreationClassName },
      { name: 'SystemName', type: 'string', value: this.systemName },
      { name: 'CreationClassName', type: 'string', value: SERVICE_CLASS },
      { name: 'Name', type: 'string', value: this.serviceName },
    ], this.interopNamespace);
  }

  serviceInstance(): CimInstance {
    const inst = new CimInstance(SERVICE_CLASS);
    const path = this.servicePath();
    for (const [name, b] of path.keys!) setProp(inst, name, 'string', b.value as string);
    setProp(inst, 'ElementName', 'string', 'tvdc indication service');
    setProp(inst, 'Description', 'string', 'DSP1054 indication service: WQL filters, CIM-XML listener destinations, persisted per-destination delivery queues');
    setProp(inst, 'EnabledState', 'uint16', 2);
    setProp(inst, 'RequestedState', 'uint16', 12);
    setProp(inst, 'FilterCreationEnabled', 'boolean', true);
    setProp(inst, 'DeliveryRetryAttempts', 'uint16', this.deliveryPolicy.retryAttempts());
    setProp(inst, 'DeliveryRetryInterval', 'uint32', Math.ceil(this.deliveryPolicy.retryIntervalMs() / 1000));
    setProp(inst, 'SubscriptionRemovalAction', 'uint16', 3); // Disable: subscriptions are never removed for failures
    setProp(inst, 'SubscriptionRemovalTimeInterval', 'uint32', 0);
    inst.path = path;
    return inst;
  }

  /** ModifyInstance of the service: DeliveryRetryAttempts and DeliveryRetryInterval (seconds). */
  modifyService(input: CimInstance, propertyList: readonly string[] | null): void {
    const wanted = propertyList ?? input.properties.names();
    for (const name of wanted) {
      const lower = name.toLowerCase();
      if (lower === 'deliveryretryattempts') {
        const v = intProp(input, name);
        if (v === null || v < 0 || v > 65535) throw invalid('DeliveryRetryAttempts must be 0..65535');
        this.setSetting('DeliveryRetryAttempts', v);
      } else if (lower === 'deliveryretryinterval') {
        const v = intProp(input, name);
        if (v === null || v < 1 || v > 86_400) throw invalid('DeliveryRetryInterval must be 1..86400 seconds');
        this.setSetting('DeliveryRetryIntervalMs', v * 1000);
      }
    }
  }

  /** The CIM_IndicationServiceCapabilities of the service (linked to it by CIM_ElementCapabilities). */
  capabilitiesPath(): CimObjectPath {
    return CimObjectPath.instance(CAPABILITIES_CLASS, [{ name: 'InstanceID', type: 'string', value: `${this.serviceName}:Capabilities` }], this.interopNamespace);
  }

  capabilitiesInstance(): CimInstance {
    const inst = new CimInstance(CAPABILITIES_CLASS);
    const path = this.capabilitiesPath();
    setProp(inst, 'InstanceID', 'string', path.key('InstanceID') as string);
    setProp(inst, 'ElementName', 'string', 'tvdc indication service capabilities');
    setProp(inst, 'FilterCreationEnabledIsSettable', 'boolean', false);
    setProp(inst, 'DeliveryRetryAttemptsIsSettable', 'boolean', true);
    setProp(inst, 'DeliveryRetryIntervalIsSettable', 'boolean', true);
    setProp(inst, 'SubscriptionRemovalActionIsSettable', 'boolean', false);
    setProp(inst, 'SubscriptionRemovalTimeIntervalIsSettable', 'boolean', false);
    setProp(inst, 'MaxListenerDestinations', 'uint32', this.options.maxListenerDestinations ?? 1000);
    setProp(inst, 'MaxActiveSubscriptions', 'uint32', this.options.maxActiveSubscriptions ?? 1000);
    setProp(inst, 'SubscriptionsPersisted', 'boolean', true);
    inst.path = path;
    return inst;
  }

  // -------------------------------------------------------------------------------------------
  // The pipeline.

  /**
   * Matches `indication` (raised in `namespace`) against every enabled subscription and queues one
   * delivery per match. The queue rows are committed before this returns, so a crash right after
   * loses nothing; called inside a transaction on the same store, they commit (or roll back) with
   * it, sharing its fsync. Never throws: problems go to onError. Returns the number queued.
   */
  emit(namespace: string, indication: CimInstance): number {
    if (this.closed) return 0;
    this.stats.emitted++;
    try {
      const ns = namespaceKey(namespace);
      const isa = (c: string, s: string) => this.isaFn(namespace, c, s);
      const nowMs = Date.now();
      if (this.active.some((s) => s.expiresAt !== null && s.expiresAt <= nowMs)) this.objects.removeExpired(nowMs);
      const hits = this.active.filter((s) => s.sourceNamespaces.has(ns) && matches(s.query, indication, isa));
      if (hits.length === 0) return 0;
      this.stats.matched += hits.length;
      const now = new Date();
      const identifier = typeof indication.get('IndicationIdentifier') === 'string'
        ? (indication.get('IndicationIdentifier') as string) : `tvdc:${randomUUID()}`;
      const time = indication.get('IndicationTime') instanceof CimDateTime
        ? (indication.get('IndicationTime') as CimDateTime) : CimDateTime.fromDate(now);
      // DSP1054 requires SourceInstanceHost on CIM_InstIndications; the emitter may not know it.
      const lifecycle = isa(indication.className, 'CIM_InstIndication');
      const { insert, saveSeq } = this.enqueueStatements();
      const touched = new Set<number>();
      const overflow: number[] = [];
      this.db.transaction(() => {
        for (const s of hits) {
          const seq = this.sequenceOf(s.destinationId);
          const number = seq.next;
          seq.next = number === SINT64_MAX ? 0n : number + 1n;
          saveSeq.run(seq.context, seq.next.toString(), s.destinationId);
          if (this.queuedFor(s.destinationId) >= this.maxQueued) {
            overflow.push(s.destinationId);
            continue;
          }
          const out = this.prepareIndication(s, indication, identifier, time, seq.context, number);
          if (lifecycle && s.query.selectAll && (out.get('SourceInstanceHost') ?? null) === null) setProp(out, 'SourceInstanceHost', 'string', this.systemName);
          const body = this.codec.encodeRequest(out, `${this.startId}.${++this.messageCounter}`);
          insert.run(s.destinationId, s.id, body, seq.context, number.toString(), now.toISOString());
          this.queueLength.set(s.destinationId, this.queuedFor(s.destinationId) + 1);
          touched.add(s.destinationId);
        }
      })();
      // Inside a caller's transaction (a provider emitting as part of its own write) the rows
      // commit with it: start delivery only once that transaction is over.
      if (this.db.inTransaction) {
        // The caller may yet roll back: forget the cached sequence and queue length, so the next
        // emit reads them from the store as the caller's transaction leaves them.
        for (const id of [...touched, ...overflow]) {
          this.seq.delete(id);
          this.queueLength.delete(id);
        }
        setImmediate(() => {
          for (const id of touched) this.workers.get(id)?.kick();
        });
      } else {
        for (const id of touched) this.workers.get(id)?.kick();
      }
      for (const id of overflow) {
        this.stats.overflowed++;
        this.onError(new Error(`queue of ${this.objects.destinationName(id)} is full (${this.maxQueued}); an indication was dropped`));
      }
      return hits.length - overflow.length;
    } catch (e) {
      // Sequence numbers handed out inside a rolled-back transaction are reloaded from the store,
      // and so are the queue lengths counted in it.
      this.seq.clear();
      this.queueLength.clear();
      this.onError(e as Error);
      return 0;
    }
  }

  private get maxQueued(): number {
    return this.options.maxQueuedPerDestination ?? 100_000;
  }

  private queuedFor(destinationId: number): number {
    let n = this.queueLength.get(destinationId);
    if (n === undefined) {
      n = (this.db.prepare('SELECT count(*) AS n FROM ind_queue WHERE destination_id = ?').get(destinationId) as { n: number }).n;
      this.queueLength.set(destinationId, n);
    }
    return n;
  }

  private dequeued(destinationId: number): void {
    const n = this.queueLength.get(destinationId);
    if (n !== undefined) this.queueLength.set(destinationId, Math.max(0, n - 1));
  }

  private enqueueStmts: { insert: Statement; saveSeq: Statement } | null = null;

  private enqueueStatements(): { insert: Statement; saveSeq: Statement } {
    this.enqueueStmts ??= {
      insert: this.db.prepare(`INSERT INTO ind_queue (destination_id, subscription_id, body, seq_context, seq_number, created_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      saveSeq: this.db.prepare('UPDATE ind_destination SET seq_context = ?, next_seq = ? WHERE id = ?'),
    };
    return this.enqueueStmts;
  }

  /**
   * The destination's sequence for this start of the service. DSP1054: the context changes when
   * the service restarts (startId) and identifies the destination (its creation time); the
   * instance id sets it apart from other services; numbers start at 0 in a new context and go up
   * by one per indication.
   */
  private sequenceOf(destinationId: number): { context: string; next: bigint } {
    let s = this.seq.get(destinationId);
    if (s) return s;
    const row = this.db.prepare('SELECT created_at, seq_context, next_seq FROM ind_destination WHERE id = ?').get(destinationId) as
      { created_at: string; seq_context: string | null; next_seq: string };
    const context = `${this.serviceName}#${this.instanceId}#${this.startId}#${row.created_at}`;
    s = { context, next: row.seq_context === context ? BigInt(row.next_seq) : 0n };
    this.seq.set(destinationId, s);
    return s;
  }

  private prepareIndication(s: ActiveSubscription, indication: CimInstance, identifier: string, time: CimDateTime,
    context: string, number: bigint): CimInstance {
    const projected = project(s.query, indication);
    const out = new CimInstance(projected.className, projected.properties.clone((p) => p.clone()), projected.path, projected.qualifiers);
    for (const [, p] of out.properties) {
      // An embedded instance travels as an EmbeddedObject string whatever the provider declared.
      if (!p.embeddedObject && (p.value instanceof CimInstance || (Array.isArray(p.value) && p.value.some((v) => v instanceof CimInstance)))) {
        p.embeddedObject = 'object';
        p.type = 'string';
      }
    }
    setProp(out, 'IndicationIdentifier', 'string', identifier);
    setProp(out, 'IndicationTime', 'datetime', time);
    setProp(out, 'IndicationFilterName', 'string', s.filterName);
    setProp(out, 'SequenceContext', 'string', context);
    setProp(out, 'SequenceNumber', 'sint64', number);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Delivery.

  private worker(id: number, url: string): DeliveryWorker {
    let w = this.workers.get(id);
    if (w) return w;
    w = new DeliveryWorker(this.db, id, url, this.codec, this.deliveryPolicy, {
      delivered: (destId, ctx, n) => {
        this.dequeued(destId);
        this.stats.delivered++;
        for (const l of this.listeners) l({ destination: this.objects.destinationName(destId), seqContext: ctx, seqNumber: n });
      },
      failed: (destId, _attempt, reason, firstInStreak) => {
        this.stats.failedAttempts++;
        if (firstInStreak) this.onError(new Error(`delivery to ${this.objects.destinationName(destId)} failed, will retry: ${reason.message}`));
      },
      abandoned: (destId, subId, reason) => {
        this.dequeued(destId);
        this.stats.abandoned++;
        this.onError(new Error(`gave up an indication for ${this.objects.destinationName(destId)} after its last retry: ${reason.message}`));
        if (subId !== null) this.objects.applyFatalErrorPolicy(subId);
      },
    }, this.options.dispatcher);
    this.workers.set(id, w);
    return w;
  }

  /** Starts (or nudges) delivery of every destination's queue. */
  startDelivery(): void {
    for (const w of this.workers.values()) w.kick();
  }

  /** Retries every destination now, skipping the rest of any backoff wait. */
  retryNow(): void {
    for (const w of this.workers.values()) w.retryNow();
  }

  /** Indications still queued, for one destination (by Name) or all. */
  queued(destinationName?: string): number {
    // Rows already accepted by the listener but not yet deleted (batched) do not count.
    const count = this.db.prepare('SELECT count(*) AS n FROM ind_queue WHERE destination_id = ? AND id > ?');
    const pending = (id: number) => (count.get(id, this.workers.get(id)?.acknowledgedUpTo ?? 0) as { n: number }).n;
    if (destinationName === undefined) {
      const ids = this.db.prepare('SELECT DISTINCT destination_id AS id FROM ind_queue').all() as { id: number }[];
      return ids.reduce((n, r) => n + pending(r.id), 0);
    }
    const id = this.objects.destinationIdByName(destinationName);
    return id === undefined ? 0 : pending(id);
  }

  /** Called after each successful delivery; returns a function that unsubscribes. */
  onDelivered(listener: (e: { destination: string; seqContext: string; seqNumber: bigint }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops delivery (a request in flight is abandoned and stays queued). The store stays open. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    this.workers.clear();
  }
}
