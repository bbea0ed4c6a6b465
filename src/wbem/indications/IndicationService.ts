// The DSP1054 indication service: filters, listener destinations and subscriptions persisted in
// SQLite; every emitted indication matched against the enabled subscriptions and queued, durably,
// per destination with its SequenceContext/SequenceNumber; DeliveryWorkers drain the queues.
// Usable alone (tests, other hosts) and as the WbemServer's IndicationSink.
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { CimInstance } from '../../cim/CimInstance.js';
import { CimProperty } from '../../cim/CimProperty.js';
import { CimObjectPath } from '../../cim/CimObjectPath.js';
import { CimDateTime } from '../../cim/CimDateTime.js';
import { CimError, CimStatus } from '../../cim/CimError.js';
import type { CimValue } from '../../cim/CimValue.js';
import type { CimType } from '../../cim/CimType.js';
import { migrate, type Db } from '../../store/Store.js';
import type { Statement } from 'better-sqlite3';
import { parseWql, matches, project, type WqlQuery } from '../wql/index.js';
import type { IndicationSink } from '../Provider.js';
import { INDICATION_MIGRATIONS } from './indicationMigrations.js';
import { propertiesFromJson, propertiesToJson } from './storedProperties.js';
import { DeliveryWorker, type DeliveryPolicy } from './DeliveryWorker.js';
import { cimXmlExportCodec, type ExportCodec } from './exportMessage.js';
import {
  CAPABILITIES_CLASS, DESTINATION_CLASSES, FILTER_CLASS, OnFatalErrorPolicy, PersistenceType,
  SERVICE_CLASS, SUBSCRIPTION_CLASS, SubscriptionState,
} from './indicationClasses.js';

export interface IndicationServiceOptions {
  /** The host agent's store; the service adds its tables (migrations `indications-*`). */
  db: Db;
  /** SystemName filled into keys the client omits, and of the service itself. */
  systemName: string;
  /** Default `CIM_ComputerSystem`. */
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
  /** Defaults of DeliveryRetryAttempts (3) and DeliveryRetryInterval (30 s; ms here for tests). */
  retryAttempts?: number;
  retryIntervalMs?: number;
  /** Cap of the doubling backoff (default 10 x retryIntervalMs). */
  maxRetryIntervalMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
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
}

interface FilterRow {
  id: number; ident: string; namespace: string; query: string; language: string;
  source_namespaces: string; properties: string; created_at: string;
}
interface DestinationRow {
  id: number; ident: string; namespace: string; url: string; properties: string; created_at: string;
  seq_context: string | null; next_seq: string;
}
interface SubscriptionRow {
  id: number; filter_id: number; destination_id: number; namespace: string; state: number;
  on_fatal_error: number; properties: string; created_at: string;
}

/** An enabled subscription ready for matching: the filter parsed once. */
interface ActiveSubscription {
  id: number;
  destinationId: number;
  filterName: string;
  query: WqlQuery;
  sourceNamespaces: Set<string>;
}

const SINT64_MAX = 9223372036854775807n;

function nsKey(ns: string): string {
  let s = ns.trim().toLowerCase().replace(/\/{2,}/g, '/');
  while (s.startsWith('/')) s = s.slice(1);
  while (s.endsWith('/')) s = s.slice(0, -1);
  return s === 'interop' ? 'root/interop' : s;
}

function invalid(msg: string): CimError {
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, msg);
}

function stringProp(inst: CimInstance, name: string): string | null {
  const v = inst.get(name);
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

function intProp(inst: CimInstance, name: string): number | null {
  const v = inst.get(name);
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v);
  throw invalid(`${name} must be an integer`);
}

function setProp(inst: CimInstance, name: string, type: CimType, value: CimValue, isArray = false): void {
  inst.properties.set(name, new CimProperty(name, type, value, isArray));
}

/** Identity of a filter or destination: the four keys, class names case-folded. */
function identOf(scc: string, sn: string, ccn: string, name: string): string {
  return JSON.stringify([scc.toLowerCase(), sn, ccn.toLowerCase(), name]);
}

export class IndicationService implements IndicationSink {
  readonly systemName: string;
  readonly systemCreationClassName: string;
  readonly serviceName: string;
  readonly interopNamespace: string;
  readonly stats: IndicationStats = { emitted: 0, matched: 0, delivered: 0, failedAttempts: 0, abandoned: 0 };
  /** Identifies this start of the service; part of every SequenceContext made in it. */
  readonly startId: number;
  private readonly db: Db;
  private readonly isaFn: (namespace: string, className: string, superName: string) => boolean;
  private readonly codec: ExportCodec;
  private readonly onError: (e: Error) => void;
  private readonly workers = new Map<number, DeliveryWorker>();
  private active: ActiveSubscription[] = [];
  private readonly seq = new Map<number, { context: string; next: bigint }>();
  private messageCounter = 0;
  private closed = false;
  private readonly deliveryPolicy: DeliveryPolicy;
  private readonly listeners = new Set<(e: { destination: string; seqContext: string; seqNumber: bigint }) => void>();

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
    this.startId = this.db.transaction(() => {
      const row = this.db.prepare("SELECT value FROM ind_state WHERE key = 'starts'").get() as { value: string } | undefined;
      const n = (row ? Number(row.value) : 0) + 1;
      this.db.prepare("INSERT INTO ind_state (key, value) VALUES ('starts', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(n));
      return n;
    })();
    const self = this;
    this.deliveryPolicy = {
      retryAttempts: () => self.setting('DeliveryRetryAttempts', options.retryAttempts ?? 3),
      retryIntervalMs: () => self.setting('DeliveryRetryIntervalMs', options.retryIntervalMs ?? 30_000),
      maxRetryIntervalMs: () => options.maxRetryIntervalMs ?? 10 * self.setting('DeliveryRetryIntervalMs', options.retryIntervalMs ?? 30_000),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
    this.reloadActive();
    for (const d of this.db.prepare('SELECT id, url FROM ind_destination').all() as { id: number; url: string }[]) {
      this.worker(d.id, d.url);
    }
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
  // Keys and paths.

  private fillSystemKeys(inst: CimInstance, what: string): { scc: string; sn: string; ccn: string; name: string } {
    const ccn = stringProp(inst, 'CreationClassName') ?? inst.className;
    if (ccn.toLowerCase() !== inst.className.toLowerCase()) {
      throw invalid(`CreationClassName "${ccn}" differs from the class of the new ${what}, ${inst.className}`);
    }
    const scc = stringProp(inst, 'SystemCreationClassName') || this.systemCreationClassName;
    const sn = stringProp(inst, 'SystemName') || this.systemName;
    const name = stringProp(inst, 'Name') || `tvdc:${randomUUID()}`;
    if (name.length > 256) throw invalid('Name is longer than 256 characters');
    setProp(inst, 'SystemCreationClassName', 'string', scc);
    setProp(inst, 'SystemName', 'string', sn);
    setProp(inst, 'CreationClassName', 'string', inst.className);
    setProp(inst, 'Name', 'string', name);
    return { scc, sn, ccn: inst.className, name };
  }

  private keyedPath(props: string): CimObjectPath {
    const inst = propertiesFromJson(new CimInstance('x'), props);
    const get = (n: string) => String(inst.get(n) ?? '');
    return CimObjectPath.instance(get('CreationClassName'), [
      { name: 'SystemCreationClassName', type: 'string', value: get('SystemCreationClassName') },
      { name: 'SystemName', type: 'string', value: get('SystemName') },
      { name: 'CreationClassName', type: 'string', value: get('CreationClassName') },
      { name: 'Name', type: 'string', value: get('Name') },
    ], this.interopNamespace);
  }

  /** Finds the row whose keys agree with every key `path` gives (a ref may omit some). */
  private findKeyed<T extends { properties: string }>(rows: T[], path: CimObjectPath, classes: readonly string[]): T | undefined {
    if (!classes.some((c) => c.toLowerCase() === path.className.toLowerCase())) return undefined;
    return rows.find((r) => {
      const stored = propertiesFromJson(new CimInstance('x'), r.properties);
      if (String(stored.get('CreationClassName')).toLowerCase() !== path.className.toLowerCase()) return false;
      for (const k of ['SystemCreationClassName', 'SystemName', 'CreationClassName', 'Name']) {
        const want = path.key(k);
        if (want === undefined) continue;
        const have = stored.get(k);
        const caseless = k !== 'Name' && k !== 'SystemName';
        if (caseless ? String(want).toLowerCase() !== String(have).toLowerCase() : String(want) !== String(have)) return false;
      }
      return true;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Filters.

  /** Creates a CIM_IndicationFilter; `namespace` is where it was created (its default source). */
  createFilter(namespace: string, input: CimInstance): CimObjectPath {
    const inst = new CimInstance(input.className, input.properties.clone((p) => p.clone()));
    const query = stringProp(inst, 'Query');
    const language = stringProp(inst, 'QueryLanguage');
    if (query === null) throw invalid('Query is required');
    if (language === null) throw invalid('QueryLanguage is required');
    if (language.trim().toUpperCase() !== 'WQL') {
      throw new CimError(CimStatus.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED, `query language "${language}" is not supported; use WQL`);
    }
    const parsed = parseWql(query); // CIM_ERR_INVALID_QUERY with the position
    const keys = this.fillSystemKeys(inst, 'filter');
    const sources = this.sourceNamespacesOf(inst, namespace);
    this.checkFromClass(parsed.className, sources);
    setProp(inst, 'SourceNamespaces', 'string', sources, true);
    const created = new Date().toISOString();
    try {
      this.db.prepare(`INSERT INTO ind_filter (ident, namespace, query, language, source_namespaces, properties, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(identOf(keys.scc, keys.sn, keys.ccn, keys.name), nsKey(namespace), query, 'WQL',
        JSON.stringify(sources), propertiesToJson(inst), created);
    } catch (e) {
      if (String((e as Error).message).includes('UNIQUE')) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `filter "${keys.name}" already exists`);
      throw e;
    }
    return this.keyedPath(propertiesToJson(inst));
  }

  private checkFromClass(className: string, sources: string[]): void {
    const exists = this.options.classExists;
    if (!exists) return;
    const known = sources.map((ns) => exists(ns, className)).filter((v) => v !== undefined);
    if (known.length > 0 && !known.includes(true)) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_QUERY, `class ${className} of the filter query exists in none of its source namespaces (${sources.join(', ')})`);
    }
  }

  private sourceNamespacesOf(inst: CimInstance, namespace: string): string[] {
    const list = inst.get('SourceNamespaces');
    if (list !== undefined && list !== null) {
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw invalid('SourceNamespaces must be an array of strings');
      const names = (list as string[]).filter((s) => s.trim() !== '');
      if (names.length > 0) return names;
    }
    const single = stringProp(inst, 'SourceNamespace');
    if (single && single.trim() !== '') return [single];
    return [namespace]; // DSP1054: the namespace of the filter registration
  }

  private filterInstance(r: FilterRow): CimInstance {
    const stored = propertiesFromJson(new CimInstance('x'), r.properties);
    const inst = propertiesFromJson(new CimInstance(String(stored.get('CreationClassName') ?? FILTER_CLASS)), r.properties);
    inst.path = this.keyedPath(r.properties);
    return inst;
  }

  private filterRows(): FilterRow[] {
    return this.db.prepare('SELECT * FROM ind_filter ORDER BY id').all() as FilterRow[];
  }

  enumerateFilters(): CimInstance[] {
    return this.filterRows().map((r) => this.filterInstance(r));
  }

  getFilter(path: CimObjectPath): CimInstance {
    const r = this.findKeyed(this.filterRows(), path, [FILTER_CLASS]);
    if (!r) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no filter ${path.toString()}`);
    return this.filterInstance(r);
  }

  /** Refused with CIM_ERR_FAILED while a subscription refers to the filter. */
  deleteFilter(path: CimObjectPath): void {
    const r = this.findKeyed(this.filterRows(), path, [FILTER_CLASS]);
    if (!r) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no filter ${path.toString()}`);
    const used = (this.db.prepare('SELECT count(*) AS n FROM ind_subscription WHERE filter_id = ?').get(r.id) as { n: number }).n;
    if (used > 0) throw new CimError(CimStatus.CIM_ERR_FAILED, `the filter is referenced by ${used} subscription(s); delete them first`);
    this.db.prepare('DELETE FROM ind_filter WHERE id = ?').run(r.id);
  }

  // -------------------------------------------------------------------------------------------
  // Listener destinations.

  createDestination(namespace: string, input: CimInstance): CimObjectPath {
    if (!DESTINATION_CLASSES.some((c) => c.toLowerCase() === input.className.toLowerCase())) {
      throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `listener destinations of class ${input.className} are not supported; use CIM_ListenerDestinationCIMXML`);
    }
    const inst = new CimInstance(input.className, input.properties.clone((p) => p.clone()));
    let url = stringProp(inst, 'Destination');
    if (url === null || url.trim() === '') throw invalid('Destination is required');
    url = url.trim();
    // DSP1054 lets the scheme be left out; CIM-XML listeners then mean plain http.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `http://${url}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(`Destination "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(`Destination scheme ${parsed.protocol} is not http or https`);
    setProp(inst, 'Destination', 'string', url);
    const persistence = intProp(inst, 'PersistenceType') ?? PersistenceType.Permanent;
    if (persistence < 1 || persistence > 3) throw invalid(`PersistenceType ${persistence} is not 1 (Other), 2 (Permanent) or 3 (Transient)`);
    setProp(inst, 'PersistenceType', 'uint16', persistence);
    const protocol = intProp(inst, 'Protocol');
    if (protocol !== null && protocol !== 2) throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `Protocol ${protocol} is not supported; only 2 (CIM-XML)`);
    setProp(inst, 'Protocol', 'uint16', 2);
    const keys = this.fillSystemKeys(inst, 'listener destination');
    let id: number;
    try {
      id = Number(this.db.prepare(`INSERT INTO ind_destination (ident, namespace, url, properties, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(identOf(keys.scc, keys.sn, keys.ccn, keys.name), nsKey(namespace), url, propertiesToJson(inst), new Date().toISOString()).lastInsertRowid);
    } catch (e) {
      if (String((e as Error).message).includes('UNIQUE')) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `listener destination "${keys.name}" already exists`);
      throw e;
    }
    this.worker(id, url);
    return this.keyedPath(propertiesToJson(inst));
  }

  private destinationRows(): DestinationRow[] {
    return this.db.prepare('SELECT * FROM ind_destination ORDER BY id').all() as DestinationRow[];
  }

  private destinationInstance(r: DestinationRow): CimInstance {
    const stored = propertiesFromJson(new CimInstance('x'), r.properties);
    const inst = propertiesFromJson(new CimInstance(String(stored.get('CreationClassName'))), r.properties);
    inst.path = this.keyedPath(r.properties);
    return inst;
  }

  /** Every destination, or those of one class (CIM_ListenerDestinationCIMXML / CIM_IndicationHandlerCIMXML). */
  enumerateDestinations(className?: string): CimInstance[] {
    return this.destinationRows().map((r) => this.destinationInstance(r))
      .filter((i) => className === undefined || i.className.toLowerCase() === className.toLowerCase());
  }

  getDestination(path: CimObjectPath): CimInstance {
    const r = this.findKeyed(this.destinationRows(), path, DESTINATION_CLASSES);
    if (!r) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no listener destination ${path.toString()}`);
    return this.destinationInstance(r);
  }

  /** Refused with CIM_ERR_FAILED while a subscription refers to it; drops its queue otherwise. */
  async deleteDestination(path: CimObjectPath): Promise<void> {
    const r = this.findKeyed(this.destinationRows(), path, DESTINATION_CLASSES);
    if (!r) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no listener destination ${path.toString()}`);
    const used = (this.db.prepare('SELECT count(*) AS n FROM ind_subscription WHERE destination_id = ?').get(r.id) as { n: number }).n;
    if (used > 0) throw new CimError(CimStatus.CIM_ERR_FAILED, `the listener destination is referenced by ${used} subscription(s); delete them first`);
    const w = this.workers.get(r.id);
    this.workers.delete(r.id);
    this.seq.delete(r.id);
    this.db.prepare('DELETE FROM ind_destination WHERE id = ?').run(r.id);
    await w?.close();
  }

  // -------------------------------------------------------------------------------------------
  // Subscriptions.

  createSubscription(namespace: string, input: CimInstance): CimObjectPath {
    if (input.className.toLowerCase() !== SUBSCRIPTION_CLASS.toLowerCase()) {
      throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `subscriptions of class ${input.className} are not supported`);
    }
    const filterRef = input.get('Filter');
    const handlerRef = input.get('Handler');
    if (!(filterRef instanceof CimObjectPath)) throw invalid('Filter must be a reference to a CIM_IndicationFilter');
    if (!(handlerRef instanceof CimObjectPath)) throw invalid('Handler must be a reference to a CIM_ListenerDestinationCIMXML');
    const filter = this.findKeyed(this.filterRows(), filterRef, [FILTER_CLASS]);
    if (!filter) throw invalid(`Filter ${filterRef.toString()} does not exist`);
    const dest = this.findKeyed(this.destinationRows(), handlerRef, DESTINATION_CLASSES);
    if (!dest) throw invalid(`Handler ${handlerRef.toString()} does not exist`);
    const inst = new CimInstance(input.className, input.properties.clone((p) => p.clone()));
    const state = intProp(inst, 'SubscriptionState') ?? SubscriptionState.Enabled;
    if (state !== SubscriptionState.Enabled && state !== SubscriptionState.Disabled) {
      throw invalid(`SubscriptionState ${state} cannot be requested; use 2 (Enabled) or 4 (Disabled)`);
    }
    const onFatal = intProp(inst, 'OnFatalErrorPolicy') ?? OnFatalErrorPolicy.Ignore;
    if (onFatal < 1 || onFatal > 4) throw invalid(`OnFatalErrorPolicy ${onFatal} is not 1..4`);
    inst.properties.delete('Filter');
    inst.properties.delete('Handler');
    const now = new Date();
    setProp(inst, 'SubscriptionState', 'uint16', state);
    setProp(inst, 'OnFatalErrorPolicy', 'uint16', onFatal);
    setProp(inst, 'SubscriptionStartTime', 'datetime', CimDateTime.fromDate(now));
    setProp(inst, 'TimeOfLastStateChange', 'datetime', CimDateTime.fromDate(now));
    try {
      this.db.prepare(`INSERT INTO ind_subscription (filter_id, destination_id, namespace, state, on_fatal_error, properties, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(filter.id, dest.id, nsKey(namespace), state, onFatal, propertiesToJson(inst), now.toISOString());
    } catch (e) {
      if (String((e as Error).message).includes('UNIQUE')) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, 'this filter is already subscribed to this destination');
      throw e;
    }
    this.reloadActive();
    return this.subscriptionPath(filter, dest);
  }

  private subscriptionPath(filter: { properties: string }, dest: { properties: string }): CimObjectPath {
    return CimObjectPath.instance(SUBSCRIPTION_CLASS, [
      { name: 'Filter', type: 'reference', value: this.keyedPath(filter.properties) },
      { name: 'Handler', type: 'reference', value: this.keyedPath(dest.properties) },
    ], this.interopNamespace);
  }

  private subscriptionRows(): (SubscriptionRow & { f_props: string; d_props: string })[] {
    return this.db.prepare(`SELECT s.*, f.properties AS f_props, d.properties AS d_props FROM ind_subscription s
      JOIN ind_filter f ON f.id = s.filter_id JOIN ind_destination d ON d.id = s.destination_id ORDER BY s.id`).all() as (SubscriptionRow & { f_props: string; d_props: string })[];
  }

  private subscriptionInstance(r: SubscriptionRow & { f_props: string; d_props: string }): CimInstance {
    const inst = new CimInstance(SUBSCRIPTION_CLASS);
    const path = this.subscriptionPath({ properties: r.f_props }, { properties: r.d_props });
    setProp(inst, 'Filter', 'reference', path.key('Filter') as CimObjectPath);
    setProp(inst, 'Handler', 'reference', path.key('Handler') as CimObjectPath);
    propertiesFromJson(inst, r.properties);
    inst.path = path;
    return inst;
  }

  enumerateSubscriptions(): CimInstance[] {
    return this.subscriptionRows().map((r) => this.subscriptionInstance(r));
  }

  private findSubscription(path: CimObjectPath): SubscriptionRow & { f_props: string; d_props: string } {
    const f = path.key('Filter');
    const h = path.key('Handler');
    if (!(f instanceof CimObjectPath) || !(h instanceof CimObjectPath)) throw invalid('a subscription path needs Filter and Handler references');
    const filter = this.findKeyed(this.filterRows(), f, [FILTER_CLASS]);
    const dest = this.findKeyed(this.destinationRows(), h, DESTINATION_CLASSES);
    const r = filter && dest ? this.subscriptionRows().find((s) => s.filter_id === filter.id && s.destination_id === dest.id) : undefined;
    if (!r) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no subscription ${path.toString()}`);
    return r;
  }

  getSubscription(path: CimObjectPath): CimInstance {
    return this.subscriptionInstance(this.findSubscription(path));
  }

  /** Changes SubscriptionState (2 Enabled, 4 Disabled) or SubscriptionInfo; nothing else is writable. */
  modifySubscription(input: CimInstance, propertyList: readonly string[] | null): void {
    if (!input.path) throw invalid('the modified subscription has no path');
    const r = this.findSubscription(input.path);
    const stored = propertiesFromJson(new CimInstance(SUBSCRIPTION_CLASS), r.properties);
    const wanted = propertyList ?? input.properties.names();
    let state = r.state;
    for (const name of wanted) {
      const lower = name.toLowerCase();
      if (lower === 'filter' || lower === 'handler') continue; // keys: unchanged by definition
      if (lower === 'subscriptionstate') {
        const s = intProp(input, 'SubscriptionState');
        if (s !== SubscriptionState.Enabled && s !== SubscriptionState.Disabled) throw invalid('SubscriptionState may only be set to 2 (Enabled) or 4 (Disabled)');
        if (s !== state) setProp(stored, 'TimeOfLastStateChange', 'datetime', CimDateTime.fromDate(new Date()));
        state = s;
        setProp(stored, 'SubscriptionState', 'uint16', s);
      } else if (lower === 'subscriptioninfo') {
        setProp(stored, 'SubscriptionInfo', 'string', stringProp(input, 'SubscriptionInfo'));
      } else if (input.properties.has(name)) {
        const now = stored.get(name);
        const given = input.get(name);
        if (String(now ?? null) !== String(given ?? null)) throw invalid(`${name} of a subscription cannot be modified`);
      }
    }
    this.db.prepare('UPDATE ind_subscription SET state = ?, properties = ? WHERE id = ?').run(state, propertiesToJson(stored), r.id);
    this.reloadActive();
  }

  deleteSubscription(path: CimObjectPath): void {
    const r = this.findSubscription(path);
    this.db.prepare('DELETE FROM ind_subscription WHERE id = ?').run(r.id);
    this.reloadActive();
  }

  private reloadActive(): void {
    const rows = this.db.prepare(`SELECT s.id, s.destination_id, f.query, f.source_namespaces, f.properties AS f_props
      FROM ind_subscription s JOIN ind_filter f ON f.id = s.filter_id WHERE s.state = ? ORDER BY s.id`)
      .all(SubscriptionState.Enabled) as { id: number; destination_id: number; query: string; source_namespaces: string; f_props: string }[];
    this.active = rows.map((r) => ({
      id: r.id,
      destinationId: r.destination_id,
      filterName: String(propertiesFromJson(new CimInstance('x'), r.f_props).get('Name')),
      query: parseWql(r.query),
      sourceNamespaces: new Set((JSON.parse(r.source_namespaces) as string[]).map(nsKey)),
    }));
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

  capabilitiesInstance(): CimInstance {
    const inst = new CimInstance(CAPABILITIES_CLASS);
    const id = `${this.serviceName}:Capabilities`;
    setProp(inst, 'InstanceID', 'string', id);
    setProp(inst, 'ElementName', 'string', 'tvdc indication service capabilities');
    setProp(inst, 'FilterCreationEnabledIsSettable', 'boolean', false);
    setProp(inst, 'DeliveryRetryAttemptsIsSettable', 'boolean', true);
    setProp(inst, 'DeliveryRetryIntervalIsSettable', 'boolean', true);
    setProp(inst, 'SubscriptionRemovalActionIsSettable', 'boolean', false);
    setProp(inst, 'SubscriptionRemovalTimeIntervalIsSettable', 'boolean', false);
    setProp(inst, 'MaxListenerDestinations', 'uint32', 1000);
    setProp(inst, 'MaxActiveSubscriptions', 'uint32', 1000);
    setProp(inst, 'SubscriptionsPersisted', 'boolean', true);
    inst.path = CimObjectPath.instance(CAPABILITIES_CLASS, [{ name: 'InstanceID', type: 'string', value: id }], this.interopNamespace);
    return inst;
  }

  // -------------------------------------------------------------------------------------------
  // The pipeline.

  /**
   * Matches `indication` (raised in `namespace`) against every enabled subscription and queues one
   * delivery per match. The queue rows are committed before this returns, so a crash right after
   * loses nothing. Never throws: problems go to onError. Returns the number of deliveries queued.
   */
  emit(namespace: string, indication: CimInstance): number {
    if (this.closed) return 0;
    this.stats.emitted++;
    try {
      const ns = nsKey(namespace);
      const isa = (c: string, s: string) => this.isaFn(namespace, c, s);
      const hits = this.active.filter((s) => s.sourceNamespaces.has(ns) && matches(s.query, indication, isa));
      if (hits.length === 0) return 0;
      this.stats.matched += hits.length;
      const now = new Date();
      const identifier = typeof indication.get('IndicationIdentifier') === 'string'
        ? (indication.get('IndicationIdentifier') as string) : `tvdc:${randomUUID()}`;
      const time = indication.get('IndicationTime') instanceof CimDateTime
        ? (indication.get('IndicationTime') as CimDateTime) : CimDateTime.fromDate(now);
      const { insert, saveSeq } = this.enqueueStatements();
      const touched = new Set<number>();
      this.db.transaction(() => {
        for (const s of hits) {
          const seq = this.sequenceOf(s.destinationId);
          const number = seq.next;
          const out = this.prepareIndication(s, indication, identifier, time, seq.context, number);
          const body = this.codec.encodeRequest(out, `${this.startId}.${++this.messageCounter}`);
          insert.run(s.destinationId, s.id, body, seq.context, number.toString(), now.toISOString());
          seq.next = number === SINT64_MAX ? 0n : number + 1n;
          saveSeq.run(seq.context, seq.next.toString(), s.destinationId);
          touched.add(s.destinationId);
        }
      })();
      for (const id of touched) this.workers.get(id)?.kick();
      return hits.length;
    } catch (e) {
      // Sequence numbers handed out inside a rolled-back transaction are reloaded from the store.
      this.seq.clear();
      this.onError(e as Error);
      return 0;
    }
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
   * the service restarts (startId) and identifies the destination (its creation time); numbers
   * start at 0 in a new context and go up by one per indication.
   */
  private sequenceOf(destinationId: number): { context: string; next: bigint } {
    let s = this.seq.get(destinationId);
    if (s) return s;
    const row = this.db.prepare('SELECT created_at, seq_context, next_seq FROM ind_destination WHERE id = ?').get(destinationId) as
      { created_at: string; seq_context: string | null; next_seq: string };
    const context = `${this.serviceName}#${this.startId}#${row.created_at}`;
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
        this.stats.delivered++;
        for (const l of this.listeners) l({ destination: this.destinationName(destId), seqContext: ctx, seqNumber: n });
      },
      failed: (destId, attempt, reason) => {
        this.stats.failedAttempts++;
        if (attempt === 1) this.onError(new Error(`delivery to ${this.destinationName(destId)} failed, will retry: ${reason.message}`));
      },
      abandoned: (destId, subId, reason) => {
        this.stats.abandoned++;
        this.onError(new Error(`gave up an indication for ${this.destinationName(destId)} after its last retry: ${reason.message}`));
        if (subId !== null) this.applyFatalErrorPolicy(subId);
      },
    }, this.options.dispatcher);
    this.workers.set(id, w);
    return w;
  }

  private destinationName(id: number): string {
    const r = this.db.prepare('SELECT properties FROM ind_destination WHERE id = ?').get(id) as { properties: string } | undefined;
    return r ? String(propertiesFromJson(new CimInstance('x'), r.properties).get('Name')) : `#${id}`;
  }

  private applyFatalErrorPolicy(subscriptionId: number): void {
    const r = this.db.prepare('SELECT on_fatal_error, properties FROM ind_subscription WHERE id = ?').get(subscriptionId) as
      { on_fatal_error: number; properties: string } | undefined;
    if (!r) return;
    if (r.on_fatal_error === OnFatalErrorPolicy.Disable) {
      const stored = propertiesFromJson(new CimInstance(SUBSCRIPTION_CLASS), r.properties);
      setProp(stored, 'SubscriptionState', 'uint16', SubscriptionState.Disabled);
      setProp(stored, 'TimeOfLastStateChange', 'datetime', CimDateTime.fromDate(new Date()));
      this.db.prepare('UPDATE ind_subscription SET state = ?, properties = ? WHERE id = ?').run(SubscriptionState.Disabled, propertiesToJson(stored), subscriptionId);
    } else if (r.on_fatal_error === OnFatalErrorPolicy.Remove) {
      this.db.prepare('DELETE FROM ind_subscription WHERE id = ?').run(subscriptionId);
    } else {
      return;
    }
    this.reloadActive();
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
    if (destinationName === undefined) return (this.db.prepare('SELECT count(*) AS n FROM ind_queue').get() as { n: number }).n;
    const d = this.destinationRows().find((r) => propertiesFromJson(new CimInstance('x'), r.properties).get('Name') === destinationName);
    if (!d) return 0;
    return (this.db.prepare('SELECT count(*) AS n FROM ind_queue WHERE destination_id = ?').get(d.id) as { n: number }).n;
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
