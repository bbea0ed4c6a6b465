// The durable object model of the indication service: CIM_IndicationFilter,
// CIM_ListenerDestinationCIMXML and CIM_IndicationSubscription rows in SQLite, validated as
// DSP1054 asks, and turned back into instances with their DMTF key paths.
import { randomUUID } from 'node:crypto';
import { CimInstance } from '../../cim/CimInstance.js';
import { CimObjectPath } from '../../cim/CimObjectPath.js';
import { CimDateTime } from '../../cim/CimDateTime.js';
import { CimError, CimStatus } from '../../cim/CimError.js';
import type { Db } from '../../store/Store.js';
import { parseWql, type WqlQuery } from '../wql/index.js';
import { namespaceKey } from '../namespaceName.js';
import { propertiesFromJson, propertiesToJson } from './storedProperties.js';
import { intProp, invalid, setProp, stringProp } from './instanceValues.js';
import {
  DESTINATION_CLASSES, FILTER_CLASS, OnFatalErrorPolicy, PersistenceType, SUBSCRIPTION_CLASS, SubscriptionState,
} from './indicationClasses.js';

export interface SubscriptionStoreConfig {
  systemName: string;
  systemCreationClassName: string;
  /** The namespace the returned paths name. */
  interopNamespace: string;
  classExists?: ((namespace: string, className: string) => boolean | undefined) | undefined;
  namespaceExists?: ((namespace: string) => boolean) | undefined;
  /** Limits advertised in CIM_IndicationServiceCapabilities (MaxListenerDestinations, MaxActiveSubscriptions). */
  maxDestinations: number;
  maxSubscriptions: number;
}

/** What the delivery side must hear about. */
export interface SubscriptionStoreHooks {
  destinationCreated(id: number, url: string): void;
  destinationDeleted(id: number): Promise<void>;
  subscriptionsChanged(): void;
}

/** An enabled subscription ready for matching: the filter parsed once. */
export interface ActiveSubscription {
  id: number;
  destinationId: number;
  filterName: string;
  query: WqlQuery;
  sourceNamespaces: Set<string>;
  /** ms since the epoch when SubscriptionDuration runs out; null for never. */
  expiresAt: number | null;
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
  on_fatal_error: number; properties: string; created_at: string; expires_at: number | null;
}

/** Identity of a filter or destination: the four keys, class names case-folded. */
function identOf(scc: string, sn: string, ccn: string, name: string): string {
  return JSON.stringify([scc.toLowerCase(), sn, ccn.toLowerCase(), name]);
}

/** The stored properties of a row, to read values from (the class name does not matter). */
function storedValues(json: string): CimInstance {
  return propertiesFromJson(new CimInstance('stored'), json);
}

/** Superclasses a reference may name instead of the class the object was created as. */
const SUPERCLASSES: Readonly<Record<string, readonly string[]>> = {
  cim_indicationfilter: ['cim_managedelement'],
  cim_listenerdestinationcimxml: ['cim_listenerdestination', 'cim_managedelement'],
  cim_indicationhandlercimxml: ['cim_indicationhandler', 'cim_listenerdestination', 'cim_managedelement'],
};

function maskPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** SubscriptionDuration in seconds; null when absent or 0 (no limit). */
function durationProp(inst: CimInstance): number | null {
  const v = inst.get('SubscriptionDuration');
  if (v === undefined || v === null) return null;
  let n: number;
  if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d+$/.test(v.trim())) n = Number(v);
  else throw invalid('SubscriptionDuration must be a number of seconds');
  if (!Number.isSafeInteger(n) || n < 0) throw invalid('SubscriptionDuration must be a non-negative number of seconds');
  return n === 0 ? null : n;
}

export class SubscriptionStore {
  constructor(
    private readonly db: Db,
    private readonly config: SubscriptionStoreConfig,
    private readonly hooks: SubscriptionStoreHooks,
  ) {}

  private get systemName(): string {
    return this.config.systemName;
  }

  private get systemCreationClassName(): string {
    return this.config.systemCreationClassName;
  }

  private get interopNamespace(): string {
    return this.config.interopNamespace;
  }

  /** Every destination's id and URL, to start their delivery workers. */
  destinationUrls(): { id: number; url: string }[] {
    return this.db.prepare('SELECT id, url FROM ind_destination').all() as { id: number; url: string }[];
  }

  /** The id of the destination named `name`, if any. */
  destinationIdByName(name: string): number | undefined {
    return this.destinationRows().find((r) => storedValues(r.properties).get('Name') === name)?.id;
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
    const inst = storedValues(props);
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
    const named = path.className.toLowerCase();
    const acceptable = (ccn: string) => ccn === named || (SUPERCLASSES[ccn] ?? []).includes(named);
    if (!classes.some((c) => acceptable(c.toLowerCase()))) return undefined;
    return rows.find((r) => {
      const stored = storedValues(r.properties);
      if (!acceptable(String(stored.get('CreationClassName')).toLowerCase())) return false;
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
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(identOf(keys.scc, keys.sn, keys.ccn, keys.name), namespaceKey(namespace), query, 'WQL',
        JSON.stringify(sources), propertiesToJson(inst), created);
    } catch (e) {
      if (String((e as Error).message).includes('UNIQUE')) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `filter "${keys.name}" already exists`);
      throw e;
    }
    return this.keyedPath(propertiesToJson(inst));
  }

  private checkFromClass(className: string, sources: string[]): void {
    const exists = this.config.classExists;
    if (!exists) return;
    const known = sources.map((ns) => exists(ns, className)).filter((v) => v !== undefined);
    if (known.length > 0 && !known.includes(true)) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_QUERY, `class ${className} of the filter query exists in none of its source namespaces (${sources.join(', ')})`);
    }
  }

  private sourceNamespacesOf(inst: CimInstance, namespace: string): string[] {
    const list = inst.get('SourceNamespaces');
    let names: string[] = [];
    if (list !== undefined && list !== null) {
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw invalid('SourceNamespaces must be an array of strings');
      names = (list as string[]).filter((s) => s.trim() !== '');
      names.forEach((ns, i) => this.requireNamespace(`SourceNamespaces[${i}]`, ns));
    }
    const single = stringProp(inst, 'SourceNamespace');
    // Checked even when SourceNamespaces wins: a wrong value is the client's mistake either way.
    if (single && single.trim() !== '') this.requireNamespace('SourceNamespace', single);
    if (names.length > 0) return names;
    if (single && single.trim() !== '') return [single];
    return [namespace]; // DSP1054: the namespace of the filter registration
  }

  /** A filter on a namespace the server lacks would be accepted and never fire (e.g. `{"root/tvdc"}` sent literally). */
  private requireNamespace(what: string, ns: string): void {
    const exists = this.config.namespaceExists;
    if (exists && !exists(ns)) throw invalid(`${what} "${ns}" is not a namespace of this server`);
  }

  private filterInstance(r: FilterRow): CimInstance {
    const stored = storedValues(r.properties);
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
    this.refuseBeyond('ind_destination', this.config.maxDestinations, 'listener destinations', 'MaxListenerDestinations');
    let id: number;
    try {
      id = Number(this.db.prepare(`INSERT INTO ind_destination (ident, namespace, url, properties, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(identOf(keys.scc, keys.sn, keys.ccn, keys.name), namespaceKey(namespace), url, propertiesToJson(inst), new Date().toISOString()).lastInsertRowid);
    } catch (e) {
      if (String((e as Error).message).includes('UNIQUE')) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `listener destination "${keys.name}" already exists`);
      throw e;
    }
    this.hooks.destinationCreated(id, url);
    return this.keyedPath(propertiesToJson(inst));
  }

  /** The capabilities promise these limits to clients, so creating past them fails (CIM_ERR_FAILED, as DSP0200 allows for CreateInstance). */
  private refuseBeyond(table: 'ind_destination' | 'ind_subscription', max: number, what: string, capability: string): void {
    const n = (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    if (n >= max) throw new CimError(CimStatus.CIM_ERR_FAILED, `the indication service already holds ${n} ${what}, its ${capability}`);
  }

  private destinationRows(): DestinationRow[] {
    return this.db.prepare('SELECT * FROM ind_destination ORDER BY id').all() as DestinationRow[];
  }

  private destinationInstance(r: DestinationRow): CimInstance {
    const stored = storedValues(r.properties);
    const inst = propertiesFromJson(new CimInstance(String(stored.get('CreationClassName'))), r.properties);
    // A password in the URL is for delivery only; anyone allowed to read instances must not see it.
    const url = inst.get('Destination');
    if (typeof url === 'string') setProp(inst, 'Destination', 'string', maskPassword(url));
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
    this.db.prepare('DELETE FROM ind_destination WHERE id = ?').run(r.id);
    await this.hooks.destinationDeleted(r.id);
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
    const duration = durationProp(inst);
    inst.properties.delete('Filter');
    inst.properties.delete('Handler');
    inst.properties.delete('SubscriptionTimeRemaining'); // computed when read
    const now = new Date();
    const expiresAt = duration === null ? null : now.getTime() + duration * 1000;
    setProp(inst, 'SubscriptionState', 'uint16', state);
    setProp(inst, 'OnFatalErrorPolicy', 'uint16', onFatal);
    setProp(inst, 'SubscriptionStartTime', 'datetime', CimDateTime.fromDate(now));
    setProp(inst, 'TimeOfLastStateChange', 'datetime', CimDateTime.fromDate(now));
    this.refuseBeyond('ind_subscription', this.config.maxSubscriptions, 'subscriptions', 'MaxActiveSubscriptions');
    try {
      this.db.prepare(`INSERT INTO ind_subscription (filter_id, destination_id, namespace, state, on_fatal_error, properties, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(filter.id, dest.id, namespaceKey(namespace), state, onFatal, propertiesToJson(inst), now.toISOString(), expiresAt);
    } catch (e) {
      if (String((e as Error).message).includes('UNIQUE')) throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, 'this filter is already subscribed to this destination');
      throw e;
    }
    this.hooks.subscriptionsChanged();
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
    if (r.expires_at !== null) {
      setProp(inst, 'SubscriptionTimeRemaining', 'uint64', BigInt(Math.max(0, Math.ceil((r.expires_at - Date.now()) / 1000))));
    }
    inst.path = path;
    return inst;
  }

  /**
   * Deletes the subscriptions whose SubscriptionDuration has run out (DSP1054 removes them);
   * returns how many went.
   */
  removeExpired(now = Date.now()): number {
    const n = this.db.prepare('DELETE FROM ind_subscription WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes;
    if (n > 0) this.hooks.subscriptionsChanged();
    return n;
  }

  enumerateSubscriptions(): CimInstance[] {
    this.removeExpired();
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
    this.removeExpired();
    return this.subscriptionInstance(this.findSubscription(path));
  }

  /** Changes SubscriptionState (2 Enabled, 4 Disabled) or SubscriptionInfo; nothing else is writable. */
  modifySubscription(input: CimInstance, propertyList: readonly string[] | null): void {
    if (!input.path) throw invalid('the modified subscription has no path');
    const r = this.findSubscription(input.path);
    const stored = propertiesFromJson(new CimInstance(SUBSCRIPTION_CLASS), r.properties);
    const wanted = propertyList ?? input.properties.names();
    let state = r.state;
    let expiresAt = r.expires_at;
    for (const name of wanted) {
      const lower = name.toLowerCase();
      if (lower === 'filter' || lower === 'handler') continue; // keys: unchanged by definition
      // Kept by the service; a client echoing a fetched instance back must not trip over them.
      if (lower === 'subscriptiontimeremaining' || lower === 'timeoflaststatechange' || lower === 'subscriptionstarttime') continue;
      if (lower === 'subscriptionstate') {
        const s = intProp(input, 'SubscriptionState');
        if (s !== SubscriptionState.Enabled && s !== SubscriptionState.Disabled) throw invalid('SubscriptionState may only be set to 2 (Enabled) or 4 (Disabled)');
        if (s !== state) setProp(stored, 'TimeOfLastStateChange', 'datetime', CimDateTime.fromDate(new Date()));
        state = s;
        setProp(stored, 'SubscriptionState', 'uint16', s);
      } else if (lower === 'subscriptioninfo') {
        setProp(stored, 'SubscriptionInfo', 'string', stringProp(input, 'SubscriptionInfo'));
      } else if (lower === 'subscriptionduration') {
        // The duration counts from SubscriptionStartTime, as DSP1054 defines it.
        const d = durationProp(input);
        setProp(stored, 'SubscriptionDuration', 'uint64', d === null ? null : BigInt(d));
        expiresAt = d === null ? null : Date.parse(r.created_at) + d * 1000;
      } else if (input.properties.has(name)) {
        const now = stored.get(name);
        const given = input.get(name);
        if (String(now ?? null) !== String(given ?? null)) throw invalid(`${name} of a subscription cannot be modified`);
      }
    }
    this.db.prepare('UPDATE ind_subscription SET state = ?, properties = ?, expires_at = ? WHERE id = ?').run(state, propertiesToJson(stored), expiresAt, r.id);
    this.hooks.subscriptionsChanged();
  }

  deleteSubscription(path: CimObjectPath): void {
    const r = this.findSubscription(path);
    this.db.prepare('DELETE FROM ind_subscription WHERE id = ?').run(r.id);
    this.hooks.subscriptionsChanged();
  }

  /** The enabled subscriptions with their filters parsed, for matching. */
  activeSubscriptions(): ActiveSubscription[] {
    const rows = this.db.prepare(`SELECT s.id, s.destination_id, s.expires_at, f.query, f.source_namespaces, f.properties AS f_props
      FROM ind_subscription s JOIN ind_filter f ON f.id = s.filter_id WHERE s.state = ? ORDER BY s.id`)
      .all(SubscriptionState.Enabled) as { id: number; destination_id: number; expires_at: number | null; query: string; source_namespaces: string; f_props: string }[];
    return rows.map((r) => ({
      id: r.id,
      destinationId: r.destination_id,
      filterName: String(storedValues(r.f_props).get('Name')),
      query: parseWql(r.query),
      sourceNamespaces: new Set((JSON.parse(r.source_namespaces) as string[]).map(namespaceKey)),
      expiresAt: r.expires_at,
    }));
  }

  /** The Name of destination `id`, for messages. */
  destinationName(id: number): string {
    const r = this.db.prepare('SELECT properties FROM ind_destination WHERE id = ?').get(id) as { properties: string } | undefined;
    return r ? String(storedValues(r.properties).get('Name')) : `#${id}`;
  }

  /** After an indication was given up: OnFatalErrorPolicy 3 disables, 4 removes the subscription. */
  applyFatalErrorPolicy(subscriptionId: number): void {
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
    this.hooks.subscriptionsChanged();
  }
}
