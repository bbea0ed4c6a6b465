// The interop-namespace providers of the indication classes, registered in the server's real
// ProviderRegistry and called as the server calls them.
import { expect } from 'chai';
import { openStore, type Db } from '../../../src/store/Store.js';
import { IndicationService, registerIndicationProviders } from '../../../src/wbem/indications/index.js';
import { ProviderRegistry } from '../../../src/wbem/ProviderRegistry.js';
import type { Provider, ProviderContext } from '../../../src/wbem/Provider.js';
import { iterateResults } from '../../../src/wbem/Provider.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { instance } from './support.js';

function ctx(namespace = 'root/interop'): ProviderContext {
  return { namespace, user: null, role: 'admin', emitIndication: () => {}, signal: new AbortController().signal };
}

async function all<T>(r: ReturnType<NonNullable<Provider['enumerateInstances']>> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterateResults(r as Iterable<T>)) out.push(x);
  return out;
}

async function statusOf(fn: () => unknown): Promise<CimStatus> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CimError) return e.status;
    throw e;
  }
  throw new Error('expected a CimError');
}

describe('indications/providers', () => {
  let db: Db;
  let svc: IndicationService;
  const registry = new ProviderRegistry();
  const host = { registerProvider: (ns: string, c: string, p: Provider) => registry.register(ns, c, p) };

  before(() => {
    db = openStore(':memory:');
    svc = new IndicationService({ db, systemName: 'h', deliver: false });
    registerIndicationProviders(host, svc);
  });
  after(async () => {
    await svc.close();
    db.close();
  });

  it('registers every DSP1054 class in root/interop, reachable as interop too', () => {
    expect(registry.classNames('root/interop').sort()).to.deep.equal([
      'CIM_IndicationFilter', 'CIM_IndicationHandlerCIMXML', 'CIM_IndicationService', 'CIM_IndicationServiceCapabilities',
      'CIM_IndicationSubscription', 'CIM_ListenerDestinationCIMXML',
    ]);
    expect(registry.get('interop', 'cim_indicationfilter')).to.not.equal(undefined);
  });

  it('creates, lists, gets and deletes through the provider calls', async () => {
    const fp = registry.get('root/interop', 'CIM_IndicationFilter')!;
    const dp = registry.get('root/interop', 'CIM_ListenerDestinationCIMXML')!;
    const sp = registry.get('root/interop', 'CIM_IndicationSubscription')!;
    const f = await fp.createInstance!(ctx(), instance('CIM_IndicationFilter', [
      ['Name', 'string', 'pf'], ['Query', 'string', 'SELECT * FROM CIM_InstCreation'], ['QueryLanguage', 'string', 'WQL'],
    ]));
    const d = await dp.createInstance!(ctx(), instance('CIM_ListenerDestinationCIMXML', [['Name', 'string', 'pd'], ['Destination', 'string', 'http://127.0.0.1:9/']]));
    const s = await sp.createInstance!(ctx(), instance('CIM_IndicationSubscription', [['Filter', 'reference', f], ['Handler', 'reference', d]]));
    expect((await all<CimInstance>(fp.enumerateInstances!(ctx(), 'CIM_IndicationFilter', {}))).map((i) => i.get('Name'))).to.deep.equal(['pf']);
    expect(await all<CimInstance>(registry.get('root/interop', 'CIM_IndicationHandlerCIMXML')!.enumerateInstances!(ctx(), 'CIM_IndicationHandlerCIMXML', {}))).to.deep.equal([]);
    const got = await sp.getInstance!(ctx(), s, {});
    expect(got.path!.className).to.equal('CIM_IndicationSubscription');
    const refs = await all<CimInstance>(sp.references!(ctx(), f, {}, {}));
    expect(refs).to.have.length(1);
    expect(await all<CimInstance>(sp.references!(ctx(), f, { role: 'Handler' }, {}))).to.have.length(0);
    expect(await all<CimInstance>(sp.references!(ctx(), d, { role: 'handler' }, {}))).to.have.length(1);
    expect(await statusOf(() => fp.modifyInstance!(ctx(), got, null))).to.equal(CimStatus.CIM_ERR_NOT_SUPPORTED);
    expect(await statusOf(() => fp.deleteInstance!(ctx(), f))).to.equal(CimStatus.CIM_ERR_FAILED);
    await sp.deleteInstance!(ctx(), s);
    await fp.deleteInstance!(ctx(), f);
    await dp.deleteInstance!(ctx(), d);
    expect(await all<CimInstance>(sp.enumerateInstances!(ctx(), 'CIM_IndicationSubscription', {}))).to.deep.equal([]);
  });

  it('serves the one CIM_IndicationService and its capabilities', async () => {
    const p = registry.get('root/interop', 'CIM_IndicationService')!;
    const [svcInst] = await all<CimInstance>(p.enumerateInstances!(ctx(), 'CIM_IndicationService', {}));
    const path = svcInst!.path as CimObjectPath;
    expect((await p.getInstance!(ctx(), path, {})).get('Name')).to.equal('tvdc:IndicationService');
    expect(await statusOf(() => p.createInstance!(ctx(), svcInst!))).to.equal(CimStatus.CIM_ERR_NOT_SUPPORTED);
    const caps = await all<CimInstance>(registry.get('root/interop', 'CIM_IndicationServiceCapabilities')!.enumerateInstances!(ctx(), 'x', {}));
    expect(caps[0]!.get('SubscriptionsPersisted')).to.equal(true);
  });
});
