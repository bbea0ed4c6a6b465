// Creates and removes an indication subscription on a WBEM server: a CIM_IndicationFilter (the
// query), a CIM_ListenerDestinationCIMXML (where to send) and the CIM_IndicationSubscription tying
// them. Idempotent: existing objects with the same name (and, for the subscription, the same filter
// and destination) are reused, so running it twice leaves one subscription.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import type { WbemConnection } from '../cim/WbemConnection.js';

/** Where the filter, destination and subscription live unless the spec says (DSP1054's interop namespace). */
export const INTEROP_NAMESPACE = 'root/interop';
/** Where the indications arise unless the spec says. */
const SOURCE_NAMESPACE = 'root/tvdc';

export interface SubscriptionSpec {
  /** Names the filter and the destination (their Name property). */
  name: string;
  /** Where the listener runs, e.g. `http://mgmt:5990/tvdc`. */
  destination: string;
  /** The filter query, e.g. `SELECT * FROM TVDc_AccessDeniedIndication`. */
  query?: string;
  queryLanguage?: string;
  /** Namespace the indications come from (default root/tvdc). */
  sourceNamespace?: string;
  /** Namespace of the subscription objects (default root/interop). */
  interopNamespace?: string;
}

export interface Subscription {
  filter: CimObjectPath;
  destination: CimObjectPath;
  subscription: CimObjectPath;
  /** Which of the three already existed. */
  reused: { filter: boolean; destination: boolean; subscription: boolean };
}

const FILTER = 'CIM_IndicationFilter';
const DESTINATION = 'CIM_ListenerDestinationCIMXML';
const SUBSCRIPTION = 'CIM_IndicationSubscription';

function prop(name: string, type: CimProperty['type'], value: CimProperty['value'], isArray = false): CimProperty {
  return new CimProperty(name, type, value, isArray);
}

async function findByName(conn: WbemConnection, cls: string, name: string, ns: string): Promise<CimInstance | undefined> {
  try {
    for await (const i of conn.enumerateInstances(cls, { namespace: ns, deepInheritance: true })) {
      if (i.get('Name') === name && i.path) return i;
    }
  } catch (e) {
    if (e instanceof CimError && (e.status === CimStatus.CIM_ERR_NOT_FOUND || e.status === CimStatus.CIM_ERR_INVALID_CLASS)) return undefined;
    throw e;
  }
  return undefined;
}

function samePath(a: unknown, b: CimObjectPath): boolean {
  if (!a || typeof a !== 'object' || !('canonicalKey' in a)) return false;
  const pa = (a as CimObjectPath).clone();
  const pb = b.clone();
  // A reference property may carry host and namespace, the path from enumeration only the namespace.
  pa.host = undefined;
  pb.host = undefined;
  if (pa.namespace === undefined) pa.namespace = pb.namespace;
  return pa.equals(pb);
}

export async function subscribe(conn: WbemConnection, spec: SubscriptionSpec): Promise<Subscription> {
  const ns = spec.interopNamespace ?? INTEROP_NAMESPACE;
  const source = spec.sourceNamespace ?? SOURCE_NAMESPACE;
  const reused = { filter: false, destination: false, subscription: false };

  let filter = (await findByName(conn, FILTER, spec.name, ns))?.path;
  if (filter) reused.filter = true;
  else {
    const f = new CimInstance(FILTER);
    f.properties.set('CreationClassName', prop('CreationClassName', 'string', FILTER));
    f.properties.set('Name', prop('Name', 'string', spec.name));
    f.properties.set('Query', prop('Query', 'string', spec.query ?? 'SELECT * FROM CIM_Indication'));
    f.properties.set('QueryLanguage', prop('QueryLanguage', 'string', spec.queryLanguage ?? 'WQL'));
    f.properties.set('SourceNamespace', prop('SourceNamespace', 'string', source));
    f.properties.set('SourceNamespaces', prop('SourceNamespaces', 'string', [source], true));
    filter = await conn.createInstance(f, { namespace: ns });
  }

  let destination = (await findByName(conn, DESTINATION, spec.name, ns))?.path;
  if (destination) reused.destination = true;
  else {
    const d = new CimInstance(DESTINATION);
    d.properties.set('CreationClassName', prop('CreationClassName', 'string', DESTINATION));
    d.properties.set('Name', prop('Name', 'string', spec.name));
    d.properties.set('Destination', prop('Destination', 'string', spec.destination));
    // 2 = CIM-XML; 2 = Permanent (survives a server restart).
    d.properties.set('Protocol', prop('Protocol', 'uint16', 2));
    d.properties.set('PersistenceType', prop('PersistenceType', 'uint16', 2));
    destination = await conn.createInstance(d, { namespace: ns });
  }
  if (filter.namespace === undefined) filter.namespace = ns;
  if (destination.namespace === undefined) destination.namespace = ns;

  let subscription: CimObjectPath | undefined;
  for await (const s of conn.enumerateInstances(SUBSCRIPTION, { namespace: ns })) {
    if (samePath(s.get('Filter'), filter) && samePath(s.get('Handler'), destination) && s.path) {
      subscription = s.path;
      reused.subscription = true;
      break;
    }
  }
  if (!subscription) {
    const s = new CimInstance(SUBSCRIPTION);
    s.properties.set('Filter', new CimProperty('Filter', 'reference', filter, false, undefined, FILTER));
    s.properties.set('Handler', new CimProperty('Handler', 'reference', destination, false, undefined, DESTINATION));
    // 2 = Enabled.
    s.properties.set('SubscriptionState', prop('SubscriptionState', 'uint16', 2));
    subscription = await conn.createInstance(s, { namespace: ns });
  }
  return { filter, destination, subscription, reused };
}

/** Removes the subscription(s) of the named filter/destination, then both; missing pieces are fine. */
export async function unsubscribe(conn: WbemConnection, spec: Pick<SubscriptionSpec, 'name' | 'interopNamespace'>): Promise<number> {
  const ns = spec.interopNamespace ?? INTEROP_NAMESPACE;
  const filter = (await findByName(conn, FILTER, spec.name, ns))?.path;
  const destination = (await findByName(conn, DESTINATION, spec.name, ns))?.path;
  let removed = 0;
  const del = async (p: CimObjectPath): Promise<void> => {
    try {
      await conn.deleteInstance(p, { namespace: ns });
      removed++;
    } catch (e) {
      if (!(e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND)) throw e;
    }
  };
  if (filter || destination) {
    const doomed: CimObjectPath[] = [];
    for await (const s of conn.enumerateInstances(SUBSCRIPTION, { namespace: ns })) {
      if (!s.path) continue;
      if ((filter && samePath(s.get('Filter'), filter)) || (destination && samePath(s.get('Handler'), destination))) doomed.push(s.path);
    }
    for (const p of doomed) await del(p);
  }
  if (filter) await del(filter);
  if (destination) await del(destination);
  return removed;
}
