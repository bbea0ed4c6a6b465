// The subscription helper and tvdc-cim subscribe/listen against a real tvdc-host: filter,
// destination and subscription are created once (a second run reuses them), indications the host
// emits reach the listener, and unsubscribe removes all three.
import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import { IndicationListener } from '../../client/listener/IndicationListener.js';
import { subscribe, unsubscribe } from '../../client/listener/Subscriptions.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { runTvdcCimInProcess } from './support/runners.js';
import { FIXTURES } from './support/StubServer.js';

const WIDGETS = join(dirname(fileURLToPath(import.meta.url)), '..', 'wbem', 'fixtures', 'widgets.mof');
// The DMTF indication classes in root/cimv2 too, so a filter there can select CIM_InstCreation.
const INTEROP = join(FIXTURES, 'cim', 'dmtf', 'dmtf-cim241-interop-min.mof');

describe('subscriptions against a real tvdc-host', function () {
  this.timeout(60_000);
  let host: TvdcHostProcess;
  let conn: WbemConnection;
  let listener: IndicationListener;
  let received: CimInstance[];
  let arrived: (() => void) | undefined;

  before(async () => {
    host = await spawnTvdcHost(['--name', 'clienttest', '--port', '0', '--host', '127.0.0.1', '--mof', INTEROP, WIDGETS]);
    conn = new WbemConnection(host.origin, { namespace: 'root/cimv2' });
    listener = new IndicationListener({ path: '/client-test' });
    received = [];
    listener.onIndication((i) => { received.push(i); arrived?.(); });
    await listener.start();
  });
  after(async () => {
    await conn?.close();
    await listener?.close();
    await host?.stop();
  });

  async function count(cls: string): Promise<number> {
    return (await conn.enumerateInstanceNames(cls, { namespace: 'root/interop' }).toArray()).length;
  }

  it('subscribe creates filter, destination and subscription once; indications arrive; unsubscribe removes them', async () => {
    const spec = { name: 'client-test', destination: listener.url, query: 'SELECT * FROM CIM_InstCreation', sourceNamespace: 'root/cimv2' };
    const first = await subscribe(conn, spec);
    expect(first.reused).to.deep.equal({ filter: false, destination: false, subscription: false });
    const again = await subscribe(conn, spec);
    expect(again.reused).to.deep.equal({ filter: true, destination: true, subscription: true });
    expect(again.subscription.equals(first.subscription)).to.equal(true);
    expect(await count('CIM_IndicationSubscription')).to.equal(1);

    const got = new Promise<void>((r) => { arrived = r; });
    const w = new CimInstance('TVD_Widget');
    w.properties.set('CreationClassName', new CimProperty('CreationClassName', 'string', 'TVD_Widget'));
    w.properties.set('Id', new CimProperty('Id', 'uint32', 901));
    const created = await conn.createInstance(w);
    await got;
    expect(received[0]!.className).to.equal('CIM_InstCreation');
    expect(String(received[0]!.get('SourceInstanceModelPath'))).to.contain('Id=901');

    const removed = await unsubscribe(conn, { name: 'client-test' });
    expect(removed).to.equal(3);
    expect(await count('CIM_IndicationSubscription')).to.equal(0);
    expect(await count('CIM_IndicationFilter')).to.equal(0);
    expect(await unsubscribe(conn, { name: 'client-test' })).to.equal(0);
    await conn.deleteInstance(created);
  });

  it('tvdc-cim subscribe and unsubscribe do the same from the command line', async () => {
    const url = `${host.origin}/root/interop`;
    const args = ['subscribe', url, '--destination', listener.url, '--query', 'SELECT * FROM CIM_InstCreation', '--source-namespace', 'root/cimv2', '--name', 'cli', '--json'];
    const a = await runTvdcCimInProcess(args);
    expect(a.code, a.stderr).to.equal(0);
    expect(JSON.parse(a.stdout).reused).to.deep.equal({ filter: false, destination: false, subscription: false });
    const b = await runTvdcCimInProcess(args);
    expect(JSON.parse(b.stdout).reused).to.deep.equal({ filter: true, destination: true, subscription: true });
    expect(CimObjectPath.parse(JSON.parse(b.stdout).subscription).className).to.equal('CIM_IndicationSubscription');
    const c = await runTvdcCimInProcess(['unsubscribe', url, '--name', 'cli']);
    expect(c.stdout).to.equal('removed 3\n');
  });

  it('tvdc-cim subscribe and unsubscribe with a URL naming no namespace work in root/interop; --help says so', async () => {
    const args = ['subscribe', host.origin, '--destination', listener.url, '--query', 'SELECT * FROM CIM_InstCreation', '--source-namespace', 'root/cimv2', '--name', 'bare'];
    const a = await runTvdcCimInProcess(args);
    expect(a.code, a.stderr).to.equal(0);
    expect(CimObjectPath.parse(a.stdout.trim()).namespace).to.equal('root/interop');
    expect(await count('CIM_IndicationSubscription')).to.equal(1);
    const c = await runTvdcCimInProcess(['unsubscribe', host.origin, '--name', 'bare']);
    expect([c.code, c.stdout]).to.deep.equal([0, 'removed 3\n']);
    expect(await count('CIM_IndicationSubscription')).to.equal(0);
    const help = await runTvdcCimInProcess(['--help']);
    expect(help.stderr).to.contain('[--source-namespace <ns>]').and.contain('root/interop when\n\t        the URL names none');
  });
});
