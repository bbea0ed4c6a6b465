// Random instances thrown at the indication providers' create operations: each is either created
// or refused with a CimError, never anything else, and what was created can always be listed,
// read back and deleted.
import { expect } from 'chai';
import { openStore, type Db } from '../../../src/store/Store.js';
import { IndicationService } from '../../../src/wbem/indications/index.js';
import { CimError } from '../../../src/cim/CimError.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { CimDateTime } from '../../../src/cim/CimDateTime.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import type { CimType } from '../../../src/cim/CimType.js';
import type { CimValue } from '../../../src/cim/CimValue.js';

import { seededRandom as rng } from '../../support/random.js';

const NAMES = ['Name', 'Query', 'QueryLanguage', 'SourceNamespaces', 'SourceNamespace', 'Destination', 'PersistenceType',
  'Protocol', 'CreationClassName', 'SystemName', 'SystemCreationClassName', 'Filter', 'Handler', 'SubscriptionState',
  'OnFatalErrorPolicy', 'SubscriptionDuration', 'SubscriptionInfo', 'ElementName', 'X'];

describe('indications/fuzz of the object model', () => {
  let db: Db;
  let svc: IndicationService;

  before(() => {
    db = openStore(':memory:');
    svc = new IndicationService({ db, systemName: 'h', deliver: false, onError: () => {} });
  });
  after(async () => {
    await svc.close();
    db.close();
  });

  it('creates or refuses with CimError, and keeps what it created readable', async () => {
    const r = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const filters: CimObjectPath[] = [];
    const dests: CimObjectPath[] = [];
    const scalar = (): [CimType, CimValue] => {
      switch (Math.floor(r() * 10)) {
        case 0: return ['string', pick(['', 'WQL', 'wql', 'DMTF:CQL', 'SELECT * FROM CIM_InstCreation', 'SELECT * FROM', 'http://127.0.0.1:9/x',
          '127.0.0.1:9', 'ftp://x', 'root/tvdc', 'x'.repeat(300), '\u0000\u00e9<&>"'])];
        case 1: return ['uint16', Math.floor(r() * 6)];
        case 2: return ['uint64', BigInt(Math.floor(r() * 1e6))];
        case 3: return ['boolean', r() < 0.5];
        case 4: return ['datetime', CimDateTime.fromDate(new Date(1_700_000_000_000 + Math.floor(r() * 1e9)))];
        case 5: return ['reference', pick([...filters, ...dests, CimObjectPath.instance('CIM_IndicationFilter', { Name: 'nope' })])];
        case 6: return ['string', new CimInstance('CIM_X')];
        case 7: return ['sint32', -Math.floor(r() * 1e6)];
        case 8: return ['real64', r() < 0.2 ? Number.NaN : r() * 1e9];
        default: return ['string', null];
      }
    };
    let created = 0;
    let refused = 0;
    for (let n = 0; n < 1500; n++) {
      const cls = pick(['CIM_IndicationFilter', 'CIM_ListenerDestinationCIMXML', 'CIM_IndicationSubscription', 'CIM_IndicationHandlerCIMXML', 'CIM_Other']);
      const inst = new CimInstance(cls);
      const count = Math.floor(r() * 7);
      for (let k = 0; k < count; k++) {
        const name = pick(NAMES);
        let [type, value] = scalar();
        const isArray = r() < 0.15;
        if (isArray) value = [value as never, null];
        if (type === 'reference' && value === undefined) value = null;
        inst.properties.set(name, new CimProperty(name, type, value, isArray));
      }
      // Make valid objects common enough that subscriptions get exercised too.
      if (cls === 'CIM_IndicationFilter' && r() < 0.5) {
        inst.properties.set('Query', new CimProperty('Query', 'string', 'SELECT * FROM CIM_InstCreation'));
        inst.properties.set('QueryLanguage', new CimProperty('QueryLanguage', 'string', 'WQL'));
      }
      if (cls === 'CIM_ListenerDestinationCIMXML' && r() < 0.5) {
        inst.properties.set('Destination', new CimProperty('Destination', 'string', 'http://127.0.0.1:9/l'));
      }
      if (cls === 'CIM_IndicationSubscription' && r() < 0.7 && filters.length > 0 && dests.length > 0) {
        inst.properties.set('Filter', new CimProperty('Filter', 'reference', pick(filters)));
        inst.properties.set('Handler', new CimProperty('Handler', 'reference', pick(dests)));
      }
      try {
        if (cls === 'CIM_IndicationFilter') filters.push(svc.createFilter('root/interop', inst));
        else if (cls === 'CIM_IndicationSubscription') svc.createSubscription('root/interop', inst);
        else dests.push(svc.createDestination('root/interop', inst));
        created++;
      } catch (e) {
        if (!(e instanceof CimError)) throw new Error(`create ${cls} threw ${String(e)}`);
        refused++;
      }
    }
    expect(created).to.be.greaterThan(10);
    expect(refused).to.be.greaterThan(10);
    const subs = svc.enumerateSubscriptions();
    expect(subs.length).to.be.greaterThan(0);
    for (const s of subs) svc.deleteSubscription(s.path!);
    for (const f of svc.enumerateFilters()) {
      expect(svc.getFilter(f.path!).get('Query')).to.be.a('string');
      svc.deleteFilter(f.path!);
    }
    for (const d of svc.enumerateDestinations()) await svc.deleteDestination(d.path!);
    expect(svc.enumerateFilters()).to.deep.equal([]);
    expect(svc.enumerateDestinations()).to.deep.equal([]);
  });
});
