// The indication classes through a real WbemServer over CIM-XML (in this process): subscribe
// with the client library, traverse the subscription association, query filters with WQL, see
// DMTF errors on the wire, and receive a repository provider's CIM_InstCreation at the project's
// IndicationListener.
import { expect } from 'chai';
import { CimRepository } from '../../../src/cim/CimRepository.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { compileMof } from '../../../src/mof/index.js';
import { WbemServer } from '../../../src/wbem/WbemServer.js';
import { attachIndications, type IndicationService } from '../../../src/wbem/indications/index.js';
import { WbemConnection } from '../../../client/cim/WbemConnection.js';
import { IndicationListener, type IndicationContext } from '../../../client/listener/IndicationListener.js';
import { subscribe } from '../../../client/listener/Subscriptions.js';
import { waitFor } from './support.js';

const FIXTURE = new URL('../../../../shared/fixtures/cim/dmtf/dmtf-cim241-interop-min.mof', import.meta.url).pathname;

async function cimStatus(p: Promise<unknown>): Promise<CimStatus> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CimError) return e.status;
    throw e;
  }
  throw new Error('expected a CimError');
}

describe('indications/through the WBEM server', function () {
  this.timeout(30_000);
  let server: WbemServer;
  let service: IndicationService;
  let listener: IndicationListener;
  let interop: WbemConnection;
  let tvdc: WbemConnection;

  before(async () => {
    const repository = new CimRepository();
    for (const ns of ['root/interop', 'root/tvdc']) compileMof({ files: [FIXTURE], repository, defaultNamespace: ns });
    compileMof({
      sources: [{ name: 'vm.mof', text: 'class TVDc_ComputerSystem : CIM_ComputerSystem { [Key, Override("Name")] string Name; };' }],
      repository, defaultNamespace: 'root/tvdc',
    });
    server = new WbemServer({ repository, name: 'host1', log: () => {} });
    service = attachIndications(server, { retryIntervalMs: 20, onError: () => {} });
    const { http } = await server.listen({ port: 0 });
    interop = new WbemConnection(http!, { namespace: 'interop' });
    tvdc = new WbemConnection(http!, { namespace: 'root/tvdc' });
    listener = new IndicationListener({ path: '/tvdc' });
    await listener.start();
  });
  after(async () => {
    await server.close();
    await listener.close();
  });

  it('delivers a CIM_InstCreation of a created instance to a subscriber', async () => {
    const got: { ind: CimInstance; ctx: IndicationContext }[] = [];
    listener.onIndication((ind, ctx) => {
      got.push({ ind, ctx });
    });
    const sub = await subscribe(interop, {
      name: 'vms', destination: listener.url,
      query: 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA TVDc_ComputerSystem',
    });
    const vm = new CimInstance('TVDc_ComputerSystem');
    vm.properties.set('CreationClassName', new CimProperty('CreationClassName', 'string', 'TVDc_ComputerSystem'));
    vm.properties.set('Name', new CimProperty('Name', 'string', 'vm1'));
    await tvdc.createInstance(vm);
    await waitFor(() => got.length === 1, 10_000, 'the indication');
    const { ind, ctx } = got[0]!;
    expect(ind.className).to.equal('CIM_InstCreation');
    expect((ind.get('SourceInstance') as CimInstance).get('Name')).to.equal('vm1');
    expect(ind.get('SourceInstanceHost')).to.equal('host1');
    expect(ind.get('IndicationFilterName')).to.equal('vms');
    expect(ctx.sequenceNumber).to.equal('0');
    expect(ctx.path).to.equal('/tvdc');
    expect(listener.stats.rejected).to.equal(0);

    // The subscription is an association between its filter and destination.
    const refs = await interop.referenceNames(sub.filter).toArray();
    expect(refs.map((r) => r.className)).to.deep.equal(['CIM_IndicationSubscription']);
    const far = await interop.associatorNames(sub.filter).toArray();
    expect(far.map((p) => p.key('Name'))).to.deep.equal(['vms']);
    expect(far[0]!.className).to.equal('CIM_ListenerDestinationCIMXML');

    // A filter in use cannot go; the error crosses the wire with its DMTF code.
    expect(await cimStatus(interop.deleteInstance(sub.filter))).to.equal(CimStatus.CIM_ERR_FAILED);
    expect(service.queued()).to.equal(0);
  });

  it('answers ExecQuery over the filters and refuses bad filters with DMTF codes', async () => {
    const rows = await interop.execQuery('WQL', "SELECT Name, QueryLanguage FROM CIM_IndicationFilter WHERE Name LIKE 'vm%'").toArray();
    expect(rows.map((r) => (r as CimInstance).properties.names())).to.deep.equal([['Name', 'QueryLanguage']]);
    const bad = new CimInstance('CIM_IndicationFilter');
    bad.properties.set('Name', new CimProperty('Name', 'string', 'bad'));
    bad.properties.set('Query', new CimProperty('Query', 'string', 'SELECT * FROM CIM_InstCreation WHERE'));
    bad.properties.set('QueryLanguage', new CimProperty('QueryLanguage', 'string', 'WQL'));
    expect(await cimStatus(interop.createInstance(bad))).to.equal(CimStatus.CIM_ERR_INVALID_QUERY);
    bad.properties.set('Query', new CimProperty('Query', 'string', 'SELECT * FROM CIM_InstCreation'));
    bad.properties.set('QueryLanguage', new CimProperty('QueryLanguage', 'string', 'DMTF:CQL'));
    expect(await cimStatus(interop.createInstance(bad))).to.equal(CimStatus.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED);
    const services = await interop.enumerateInstances('CIM_IndicationService').toArray();
    expect(services.map((s) => s.get('Name'))).to.deep.equal(['tvdc:IndicationService']);
  });
});
