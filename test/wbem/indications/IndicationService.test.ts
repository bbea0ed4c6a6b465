// The indication service's object model: filters, destinations and subscriptions created,
// validated, listed, deleted and persisted in a real SQLite file across restarts.
import { expect } from 'chai';
import { join } from 'node:path';
import { openStore, type Db } from '../../../src/store/Store.js';
import { IndicationService } from '../../../src/wbem/indications/index.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { instance, tempDir } from './support.js';

function filter(name: string | null, query: string, language = 'WQL', extra: Parameters<typeof instance>[1] = []): CimInstance {
  const props: Parameters<typeof instance>[1] = [['Query', 'string', query], ['QueryLanguage', 'string', language], ...extra];
  if (name !== null) props.push(['Name', 'string', name]);
  return instance('CIM_IndicationFilter', props);
}

function destination(name: string, url: string | null): CimInstance {
  return instance('CIM_ListenerDestinationCIMXML', [['Name', 'string', name], ['Destination', 'string', url]]);
}

function subscription(f: CimObjectPath, h: CimObjectPath, extra: Parameters<typeof instance>[1] = []): CimInstance {
  return instance('CIM_IndicationSubscription', [['Filter', 'reference', f], ['Handler', 'reference', h], ...extra]);
}

function statusOf(fn: () => unknown): CimStatus {
  try {
    fn();
  } catch (e) {
    if (e instanceof CimError) return e.status;
    throw e;
  }
  throw new Error('expected a CimError');
}

describe('indications/IndicationService objects', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let svc: IndicationService;
  const errors: Error[] = [];

  function open(): IndicationService {
    db = openStore(join(tmp.dir, 'host.db'));
    return new IndicationService({ db, systemName: 'host1', deliver: false, onError: (e) => errors.push(e) });
  }

  beforeEach(() => {
    tmp = tempDir();
    svc = open();
  });
  afterEach(async () => {
    await svc.close();
    db.close();
    tmp.cleanup();
  });

  it('creates a filter, filling the system keys and the default source namespace', () => {
    const path = svc.createFilter('root/interop', filter('f1', 'SELECT * FROM CIM_InstCreation'));
    expect(path.className).to.equal('CIM_IndicationFilter');
    expect(path.key('SystemCreationClassName')).to.equal('CIM_ComputerSystem');
    expect(path.key('SystemName')).to.equal('host1');
    expect(path.key('CreationClassName')).to.equal('CIM_IndicationFilter');
    expect(path.key('Name')).to.equal('f1');
    const got = svc.getFilter(path);
    expect(got.get('Query')).to.equal('SELECT * FROM CIM_InstCreation');
    expect(got.get('SourceNamespaces')).to.deep.equal(['root/interop']);
    expect(svc.enumerateFilters().map((f) => f.get('Name'))).to.deep.equal(['f1']);
  });

  it('keeps system keys and SourceNamespaces the client gave, and names an unnamed filter', () => {
    const p = svc.createFilter('interop', filter(null, 'SELECT * FROM CIM_InstModification', 'wql', [
      ['SystemName', 'string', 'other'], ['SourceNamespaces', 'string', ['root/tvdc', 'root/cimv2'], true],
    ]));
    expect(p.key('SystemName')).to.equal('other');
    expect(String(p.key('Name'))).to.match(/^tvdc:[0-9a-f-]{36}$/);
    expect(svc.getFilter(p).get('SourceNamespaces')).to.deep.equal(['root/tvdc', 'root/cimv2']);
  });

  it('refuses bad filters with the DMTF status codes', () => {
    expect(statusOf(() => svc.createFilter('root/interop', filter('b1', 'SELECT * FROM')))).to.equal(CimStatus.CIM_ERR_INVALID_QUERY);
    expect(statusOf(() => svc.createFilter('root/interop', filter('b2', 'SELECT * FROM CIM_InstCreation', 'DMTF:CQL'))))
      .to.equal(CimStatus.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED);
    expect(statusOf(() => svc.createFilter('root/interop', instance('CIM_IndicationFilter', [['Name', 'string', 'b3'], ['QueryLanguage', 'string', 'WQL']]))))
      .to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    expect(statusOf(() => svc.createFilter('root/interop', filter('b4', 'SELECT * FROM C', 'WQL', [['CreationClassName', 'string', 'CIM_Other']]))))
      .to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    svc.createFilter('root/interop', filter('dup', 'SELECT * FROM C'));
    expect(statusOf(() => svc.createFilter('root/interop', filter('dup', 'SELECT * FROM D')))).to.equal(CimStatus.CIM_ERR_ALREADY_EXISTS);
    expect(svc.enumerateFilters()).to.have.length(1);
  });

  it('refuses a filter whose FROM class exists in none of its known source namespaces', async () => {
    const known: Record<string, string[]> = { 'root/tvdc': ['cim_instcreation'] };
    const strict = new IndicationService({
      db: openStore(':memory:'), systemName: 'h', deliver: false,
      classExists: (ns, c) => (known[ns] ? known[ns].includes(c.toLowerCase()) : undefined),
    });
    const ns = (list: string[]): Parameters<typeof instance>[1] => [['SourceNamespaces', 'string', list, true]];
    expect(statusOf(() => strict.createFilter('root/interop', filter('x1', 'SELECT * FROM CIM_Nope', 'WQL', ns(['root/tvdc'])))))
      .to.equal(CimStatus.CIM_ERR_INVALID_QUERY);
    strict.createFilter('root/interop', filter('x2', 'SELECT * FROM CIM_InstCreation', 'WQL', ns(['root/tvdc'])));
    strict.createFilter('root/interop', filter('x3', 'SELECT * FROM CIM_Nope', 'WQL', ns(['root/unknown'])));
    expect(strict.enumerateFilters()).to.have.length(2);
    await strict.close();
  });

  it('creates listener destinations, adding http:// to a scheme-less URL, and refuses bad ones', async () => {
    const p = svc.createDestination('root/interop', destination('d1', '127.0.0.1:5990/cimlistener'));
    expect(svc.getDestination(p).get('Destination')).to.equal('http://127.0.0.1:5990/cimlistener');
    expect(svc.getDestination(p).get('PersistenceType')).to.equal(2);
    const secret = svc.createDestination('root/interop', destination('ds', 'https://mgmt:s3cret@127.0.0.1:5990/tvdc'));
    expect(svc.getDestination(secret).get('Destination')).to.equal('https://mgmt:***@127.0.0.1:5990/tvdc');
    await svc.deleteDestination(secret);
    expect(statusOf(() => svc.createDestination('root/interop', destination('d2', null)))).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    expect(statusOf(() => svc.createDestination('root/interop', destination('d3', 'ftp://x/')))).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    expect(statusOf(() => svc.createDestination('root/interop', destination('d1', 'http://x/')))).to.equal(CimStatus.CIM_ERR_ALREADY_EXISTS);
    const h = svc.createDestination('root/interop', instance('CIM_IndicationHandlerCIMXML', [['Name', 'string', 'h1'], ['Destination', 'string', 'http://x/']]));
    expect(h.className).to.equal('CIM_IndicationHandlerCIMXML');
    expect(svc.enumerateDestinations('CIM_ListenerDestinationCIMXML').map((d) => d.get('Name'))).to.deep.equal(['d1']);
    expect(svc.enumerateDestinations().map((d) => d.get('Name'))).to.deep.equal(['d1', 'h1']);
  });

  it('subscribes, refusing missing references and duplicates, and protects what is in use', async () => {
    const f = svc.createFilter('root/interop', filter('f', 'SELECT * FROM CIM_InstCreation'));
    const d = svc.createDestination('root/interop', destination('d', 'http://127.0.0.1:1/'));
    const missingF = CimObjectPath.instance('CIM_IndicationFilter', { Name: 'nope' });
    expect(statusOf(() => svc.createSubscription('root/interop', subscription(missingF, d)))).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    const missingD = CimObjectPath.instance('CIM_ListenerDestinationCIMXML', { Name: 'nope' });
    expect(statusOf(() => svc.createSubscription('root/interop', subscription(f, missingD)))).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    expect(statusOf(() => svc.createSubscription('root/interop', instance('CIM_IndicationSubscription', [['Filter', 'string', 'x']]))))
      .to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);

    // A reference giving only some keys (as a hand-written client may) still resolves.
    const s = svc.createSubscription('root/interop', subscription(CimObjectPath.instance('CIM_IndicationFilter', { Name: 'f', CreationClassName: 'CIM_IndicationFilter' }), d));
    expect(statusOf(() => svc.createSubscription('root/interop', subscription(f, d)))).to.equal(CimStatus.CIM_ERR_ALREADY_EXISTS);
    // A reference may name the destination by its superclass.
    const f2 = svc.createFilter('root/interop', filter('f2', 'SELECT * FROM CIM_InstDeletion'));
    const s2 = svc.createSubscription('root/interop', subscription(f2, CimObjectPath.instance('CIM_ListenerDestination', { Name: 'd' })));
    svc.deleteSubscription(s2);
    svc.deleteFilter(f2);
    const got = svc.getSubscription(s);
    expect(got.get('SubscriptionState')).to.equal(2);
    expect(got.get('OnFatalErrorPolicy')).to.equal(2);
    expect((got.get('Filter') as CimObjectPath).key('Name')).to.equal('f');
    expect((got.get('Handler') as CimObjectPath).key('Name')).to.equal('d');

    expect(statusOf(() => svc.deleteFilter(f))).to.equal(CimStatus.CIM_ERR_FAILED);
    let destErr: unknown;
    await svc.deleteDestination(d).catch((e: unknown) => { destErr = e; });
    expect((destErr as CimError).status).to.equal(CimStatus.CIM_ERR_FAILED);

    svc.modifySubscription(Object.assign(instance('CIM_IndicationSubscription', [['SubscriptionState', 'uint16', 4]]), { path: s }), ['SubscriptionState']);
    expect(svc.getSubscription(s).get('SubscriptionState')).to.equal(4);
    expect(statusOf(() => svc.modifySubscription(Object.assign(instance('CIM_IndicationSubscription', [['SubscriptionState', 'uint16', 3]]), { path: s }), null)))
      .to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);

    svc.deleteSubscription(s);
    expect(statusOf(() => svc.getSubscription(s))).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
    svc.deleteFilter(f);
    await svc.deleteDestination(d);
    expect(svc.enumerateFilters()).to.deep.equal([]);
    expect(svc.enumerateDestinations()).to.deep.equal([]);
    expect(statusOf(() => svc.getFilter(f))).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
  });

  it('honours SubscriptionDuration: time remaining is reported and the subscription goes when it runs out', () => {
    const f = svc.createFilter('root/interop', filter('df', 'SELECT * FROM CIM_InstCreation', 'WQL', [['SourceNamespaces', 'string', ['root/tvdc'], true]]));
    const d = svc.createDestination('root/interop', destination('dd', 'http://127.0.0.1:1/'));
    const s = svc.createSubscription('root/interop', subscription(f, d, [['SubscriptionDuration', 'uint64', 3600n]]));
    const got = svc.getSubscription(s);
    const remaining = got.get('SubscriptionTimeRemaining') as bigint;
    expect(remaining > 3500n && remaining <= 3600n).to.equal(true);
    // A client echoing the fetched instance back with one change is fine.
    got.properties.get('SubscriptionState')!.value = 4;
    svc.modifySubscription(got, null);
    expect(svc.getSubscription(s).get('SubscriptionState')).to.equal(4);
    expect(svc.objects.removeExpired(Date.now() + 3_601_000)).to.equal(1);
    expect(statusOf(() => svc.getSubscription(s))).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
    expect(statusOf(() => svc.createSubscription('root/interop', subscription(f, d, [['SubscriptionDuration', 'string', 'soon']]))))
      .to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
  });

  it('sets itself apart from another service of the same name on its first start too (instance id)', async () => {
    const otherDb = openStore(join(tmp.dir, 'other.db'));
    const other = new IndicationService({ db: otherDb, systemName: 'host1', deliver: false, onError: (e) => errors.push(e) });
    try {
      // Every host's first start is start 1 under the default service name: only the instance id differs.
      expect([other.serviceName, other.startId]).to.deep.equal([svc.serviceName, svc.startId]);
      expect(other.instanceId).to.not.equal(svc.instanceId);
    } finally {
      await other.close();
      otherDb.close();
    }
  });

  it('keeps everything across a restart on the same store file', async () => {
    const f = svc.createFilter('root/interop', filter('pf', 'SELECT * FROM CIM_InstDeletion WHERE SourceInstance ISA TVDc_ComputerSystem', 'WQL', [['ElementName', 'string', 'kept']]));
    const d = svc.createDestination('root/interop', destination('pd', 'http://127.0.0.1:1/'));
    svc.createSubscription('root/interop', subscription(f, d, [['SubscriptionInfo', 'string', 'note']]));
    const firstStart = svc.startId;
    const instance = svc.instanceId;
    await svc.close();
    db.close();
    svc = open();
    expect(svc.startId).to.equal(firstStart + 1);
    // Same store, same service: the instance id that keeps its sequence contexts apart from other hosts' stays.
    expect(svc.instanceId).to.equal(instance);
    expect(svc.getFilter(f).get('ElementName')).to.equal('kept');
    expect(svc.getDestination(d).get('Destination')).to.equal('http://127.0.0.1:1/');
    const subs = svc.enumerateSubscriptions();
    expect(subs).to.have.length(1);
    expect(subs[0]!.get('SubscriptionInfo')).to.equal('note');
  });

  it('describes itself as a CIM_IndicationService with settable retry policy', () => {
    const s = svc.serviceInstance();
    expect(s.className).to.equal('CIM_IndicationService');
    expect(s.path!.key('SystemName')).to.equal('host1');
    expect(s.get('DeliveryRetryAttempts')).to.equal(3);
    expect(s.get('DeliveryRetryInterval')).to.equal(30);
    svc.modifyService(instance('CIM_IndicationService', [['DeliveryRetryAttempts', 'uint16', 7], ['DeliveryRetryInterval', 'uint32', 5]]), null);
    expect(svc.serviceInstance().get('DeliveryRetryAttempts')).to.equal(7);
    expect(svc.serviceInstance().get('DeliveryRetryInterval')).to.equal(5);
    expect(statusOf(() => svc.modifyService(instance('CIM_IndicationService', [['DeliveryRetryInterval', 'uint32', 0]]), null)))
      .to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
    expect(svc.capabilitiesInstance().get('SubscriptionsPersisted')).to.equal(true);
  });

  it('queues nothing for indications no enabled subscription selects', () => {
    const f = svc.createFilter('root/interop', filter('nf', 'SELECT * FROM CIM_InstCreation', 'WQL', [['SourceNamespaces', 'string', ['root/tvdc'], true]]));
    const d = svc.createDestination('root/interop', destination('nd', 'http://127.0.0.1:1/'));
    svc.createSubscription('root/interop', subscription(f, d, [['SubscriptionState', 'uint16', 4]]));
    const ind = instance('CIM_InstCreation', [['SourceInstance', 'string', instance('TVDc_X', [['Name', 'string', 'a']])]]);
    expect(svc.emit('root/tvdc', ind)).to.equal(0); // disabled
    expect(svc.queued()).to.equal(0);
    expect(errors).to.deep.equal([]);
  });

  it('refuses destinations and subscriptions beyond the limits its capabilities advertise', async () => {
    await svc.close();
    db.close();
    db = openStore(join(tmp.dir, 'limits.db'));
    svc = new IndicationService({ db, systemName: 'host1', deliver: false, maxListenerDestinations: 2, maxActiveSubscriptions: 1, onError: (e) => errors.push(e) });
    expect(svc.capabilitiesInstance().get('MaxListenerDestinations')).to.equal(2);
    expect(svc.capabilitiesInstance().get('MaxActiveSubscriptions')).to.equal(1);
    const f = svc.createFilter('root/interop', filter('lf', 'SELECT * FROM CIM_InstCreation'));
    const d1 = svc.createDestination('root/interop', destination('l1', 'http://127.0.0.1:1/'));
    const d2 = svc.createDestination('root/interop', destination('l2', 'http://127.0.0.1:1/'));
    expect(statusOf(() => svc.createDestination('root/interop', destination('l3', 'http://127.0.0.1:1/')))).to.equal(CimStatus.CIM_ERR_FAILED);
    svc.createSubscription('root/interop', subscription(f, d1));
    expect(statusOf(() => svc.createSubscription('root/interop', subscription(f, d2)))).to.equal(CimStatus.CIM_ERR_FAILED);
    // Room again once one is gone.
    await svc.deleteDestination(d2);
    svc.createDestination('root/interop', destination('l3', 'http://127.0.0.1:1/'));
    expect(svc.enumerateDestinations().map((x) => x.get('Name'))).to.deep.equal(['l1', 'l3']);
  });
});
