// Delivery of matched indications to a real HTTP listener on 127.0.0.1: ExportIndication headers
// and body, SequenceContext/SequenceNumber, ordering, retries with backoff, and the queue
// surviving a restart of the service on the same SQLite file.
import { expect } from 'chai';
import { join } from 'node:path';
import { openStore, type Db } from '../../../src/store/Store.js';
import { IndicationService, type IndicationServiceOptions } from '../../../src/wbem/indications/index.js';
import { decodeMessage } from '../../../src/xml/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { spawnSync } from 'node:child_process';
import { Agent } from 'undici';
import { IndicationListener } from '../../../client/listener/IndicationListener.js';
import { selfSignedCert } from '../support/selfSignedCert.js';
import { writeFileSync } from 'node:fs';
import { errorResponse, instance, isa, messageId, okResponse, tempDir, TestListener, waitFor, type Received } from './support.js';

function vm(name: string, state: number): CimInstance {
  return instance('TVDc_ComputerSystem', [['Name', 'string', name], ['EnabledState', 'uint16', state]]);
}

function modification(name: string, state: number): CimInstance {
  return instance('CIM_InstModification', [['SourceInstance', 'string', vm(name, state)], ['PreviousInstance', 'string', vm(name, 3)]]);
}

/** The NewIndication of a received ExportIndication, decoded with the project's CIM-XML decoder. */
function indicationOf(r: Received): CimInstance {
  const msg = decodeMessage(r.body);
  if (msg.kind !== 'SIMPLEEXPREQ') throw new Error(`expected SIMPLEEXPREQ, got ${msg.kind}`);
  expect(msg.call.name).to.equal('ExportIndication');
  const p = msg.call.params.find((x) => x.name.toLowerCase() === 'newindication');
  if (!p || p.value?.kind !== 'INSTANCE') throw new Error('no NewIndication instance');
  return p.value.instance;
}

function sourceName(ind: CimInstance): string {
  const src = ind.get('SourceInstance');
  return src instanceof CimInstance ? String(src.get('Name')) : String(src);
}

describe('indications/delivery', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let svc: IndicationService;
  let listener: TestListener;
  const errors: Error[] = [];

  function open(extra: Partial<IndicationServiceOptions> = {}): IndicationService {
    db = openStore(join(tmp.dir, 'host.db'));
    return new IndicationService({
      db, systemName: 'host1', isa, retryAttempts: 50, retryIntervalMs: 20, maxRetryIntervalMs: 100,
      onError: (e) => errors.push(e), ...extra,
    });
  }

  function subscribe(url: string, query = 'SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_ComputerSystem AND SourceInstance.EnabledState = 2',
    extra: Parameters<typeof instance>[1] = []): { filter: CimObjectPath; dest: CimObjectPath; sub: CimObjectPath } {
    const filter = svc.createFilter('root/interop', instance('CIM_IndicationFilter', [
      ['Name', 'string', 'vm-running'], ['Query', 'string', query], ['QueryLanguage', 'string', 'WQL'],
      ['SourceNamespaces', 'string', ['root/tvdc'], true],
    ]));
    const dest = svc.createDestination('root/interop', instance('CIM_ListenerDestinationCIMXML', [['Name', 'string', 'l1'], ['Destination', 'string', url]]));
    const sub = svc.createSubscription('root/interop', instance('CIM_IndicationSubscription', [
      ['Filter', 'reference', filter], ['Handler', 'reference', dest], ...extra,
    ]));
    return { filter, dest, sub };
  }

  beforeEach(() => {
    tmp = tempDir();
    errors.length = 0;
    listener = new TestListener();
  });
  afterEach(async () => {
    await svc?.close();
    db?.close();
    await listener.stop();
    tmp.cleanup();
  });

  it('delivers matching indications with the ExportIndication headers and sequence properties, in order', async () => {
    const url = await listener.start();
    svc = open();
    subscribe(url);
    expect(svc.emit('root/tvdc', modification('vm1', 2))).to.equal(1);
    expect(svc.emit('root/tvdc', modification('vm2', 3))).to.equal(0); // WHERE is false
    expect(svc.emit('root/cimv2', modification('vm3', 2))).to.equal(0); // not a source namespace
    expect(svc.emit('root/tvdc', instance('CIM_InstModification', [['SourceInstance', 'string', instance('TVDc_Other', [['EnabledState', 'uint16', 2]])]]))).to.equal(0);
    expect(svc.emit('root/tvdc', modification('vm4', 2))).to.equal(1);
    expect(svc.emit('ROOT/TVDC/', modification('vm5', 2))).to.equal(1);
    await waitFor(() => listener.received.length === 3 && svc.queued() === 0, 10_000, 'three deliveries');

    const r = listener.received[0]!;
    expect(r.method).to.equal('POST');
    expect(r.url).to.equal('/listener');
    expect(r.headers['content-type']).to.equal('application/xml; charset=utf-8');
    expect(r.headers.cimexport).to.equal('MethodRequest');
    expect(r.headers.cimexportmethod).to.equal('ExportIndication');
    expect(r.headers.cimprotocolversion).to.equal('1.0');

    const inds = listener.received.map(indicationOf);
    expect(inds.map(sourceName)).to.deep.equal(['vm1', 'vm4', 'vm5']);
    expect(inds.map((i) => i.className)).to.deep.equal(['CIM_InstModification', 'CIM_InstModification', 'CIM_InstModification']);
    expect(inds.map((i) => BigInt(String(i.get('SequenceNumber'))))).to.deep.equal([0n, 1n, 2n]);
    const ctx = String(inds[0]!.get('SequenceContext'));
    expect(ctx).to.match(new RegExp(`^tvdc:IndicationService#${svc.instanceId}#${svc.startId}#`));
    expect(svc.instanceId).to.match(/^[0-9a-f]{16}$/);
    expect(inds.every((i) => i.get('SequenceContext') === ctx)).to.equal(true);
    expect(inds[0]!.get('IndicationFilterName')).to.equal('vm-running');
    expect(inds[0]!.get('SourceInstanceHost')).to.equal('host1');
    expect(String(inds[0]!.get('IndicationIdentifier'))).to.match(/^tvdc:/);
    expect(inds[0]!.get('IndicationTime')).to.not.equal(null);
    expect(new Set(listener.received.map((x) => messageId(x.body))).size).to.equal(3);
    expect(svc.stats.delivered).to.equal(3);
    expect(errors).to.deep.equal([]);
  });

  it('sends one delivery per matching subscription, numbered in one sequence per destination', async () => {
    const url = await listener.start();
    svc = open();
    const { dest } = subscribe(url);
    const f2 = svc.createFilter('root/interop', instance('CIM_IndicationFilter', [
      ['Name', 'string', 'all-mods'], ['Query', 'string', 'SELECT * FROM CIM_InstModification'], ['QueryLanguage', 'string', 'WQL'],
      ['SourceNamespaces', 'string', ['root/tvdc'], true],
    ]));
    svc.createSubscription('root/interop', instance('CIM_IndicationSubscription', [['Filter', 'reference', f2], ['Handler', 'reference', dest]]));
    expect(svc.emit('root/tvdc', modification('vm1', 2))).to.equal(2);
    expect(svc.emit('root/tvdc', modification('vm2', 3))).to.equal(1); // only the second filter
    await waitFor(() => listener.received.length === 3 && svc.queued() === 0, 10_000, 'three deliveries');
    const inds = listener.received.map(indicationOf);
    expect(inds.map((i) => `${sourceName(i)}/${String(i.get('IndicationFilterName'))}/${String(i.get('SequenceNumber'))}`))
      .to.deep.equal(['vm1/vm-running/0', 'vm1/all-mods/1', 'vm2/all-mods/2']);
    expect(inds[0]!.get('IndicationIdentifier')).to.equal(inds[1]!.get('IndicationIdentifier'));
  });

  it('sends bodies that validate against the DSP0203 2.4.0 DTD (xmllint)', async () => {
    const url = await listener.start();
    svc = open();
    subscribe(url, 'SELECT * FROM CIM_InstModification');
    const rich = instance('TVDc_ComputerSystem', [
      ['Name', 'string', 'vm <&> "1"'], ['EnabledState', 'uint16', 2], ['Tags', 'string', ['a', null, 'c'], true],
      ['Memory', 'uint64', 18446744073709551615n], ['Load', 'real64', 0.5], ['Trusted', 'boolean', false],
    ]);
    svc.emit('root/tvdc', instance('CIM_InstModification', [['SourceInstance', 'string', rich], ['PreviousInstance', 'string', null]]));
    svc.emit('root/tvdc', modification('vm2', 2));
    await waitFor(() => listener.received.length === 2, 10_000, 'two deliveries');
    const dtd = new URL('../../../../shared/fixtures/cim/dmtf/DSP0203_2.4.0.dtd', import.meta.url).pathname;
    const files = listener.received.map((r, i) => {
      const f = join(tmp.dir, `export${i}.xml`);
      writeFileSync(f, r.body);
      return f;
    });
    const lint = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, ...files], { encoding: 'utf8' });
    expect(lint.error).to.equal(undefined);
    expect(`${lint.stdout}${lint.stderr}`).to.equal('');
    expect(lint.status).to.equal(0);
    const src = indicationOf(listener.received[0]!).get('SourceInstance') as CimInstance;
    expect(src.get('Name')).to.equal('vm <&> "1"');
  });

  it('delivers over HTTPS with the certificate trusted through the dispatcher, and sends URL credentials as Basic auth', async () => {
    const { cert, key } = selfSignedCert();
    const tls = new IndicationListener({ tls: { cert, key }, path: '/secure' });
    const url = await tls.start();
    const names: string[] = [];
    tls.onIndication((ind) => {
      names.push(sourceName(ind));
    });
    const agent = new Agent({ connect: { ca: cert } });
    try {
      svc = open({ dispatcher: agent });
      expect(url).to.match(/^https:/);
      subscribe(url);
      svc.emit('root/tvdc', modification('vm-tls', 2));
      await waitFor(() => names.length === 1, 10_000, 'the HTTPS delivery');
      expect(names).to.deep.equal(['vm-tls']);
      await svc.close();
      db.close();

      const plain = await listener.start();
      tmp.cleanup();
      tmp = tempDir();
      svc = open();
      subscribe(plain.replace('http://', 'http://agent%20x:p%40ss@'));
      svc.emit('root/tvdc', modification('vm-auth', 2));
      await waitFor(() => listener.received.length === 1, 10_000, 'the authenticated delivery');
      const auth = listener.received[0]!.headers.authorization;
      expect(auth).to.equal(`Basic ${Buffer.from('agent x:p@ss').toString('base64')}`);
      expect(listener.received[0]!.url).to.equal('/listener');
    } finally {
      await tls.close();
      await agent.close();
    }
  });

  it('applies the filter SELECT list to what is sent, keeping the sequence properties', async () => {
    const url = await listener.start();
    svc = open();
    subscribe(url, 'SELECT SourceInstance.Name FROM CIM_InstModification');
    svc.emit('root/tvdc', modification('vm9', 2));
    await waitFor(() => listener.received.length === 1, 10_000, 'a delivery');
    const ind = indicationOf(listener.received[0]!);
    expect(ind.get('PreviousInstance')).to.equal(undefined);
    const src = ind.get('SourceInstance') as CimInstance;
    expect(src.properties.names()).to.deep.equal(['Name']);
    expect(ind.get('SequenceNumber')).to.not.equal(undefined);
  });

  it('retries refused deliveries (HTTP errors and CIM ERROR replies) and keeps the order', async () => {
    const url = await listener.start();
    let refusals = 0;
    listener.respond = (r) => {
      refusals++;
      if (refusals <= 2) return { status: 503, body: '' };
      if (refusals <= 4) return { status: 200, body: errorResponse(messageId(r.body)) };
      return { status: 200, body: `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${messageId(r.body)}" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>` };
    };
    svc = open();
    subscribe(url);
    for (let i = 0; i < 5; i++) svc.emit('root/tvdc', modification(`vm${i}`, 2));
    await waitFor(() => svc.queued() === 0, 10_000, 'the queue to drain');
    const accepted = listener.received.slice(4).map(indicationOf);
    expect(accepted.map(sourceName)).to.deep.equal(['vm0', 'vm1', 'vm2', 'vm3', 'vm4']);
    // The first four attempts were all the same indication, byte for byte.
    expect(new Set(listener.received.slice(0, 5).map((r) => r.body)).size).to.equal(1);
    expect(svc.stats.failedAttempts).to.equal(4);
    expect(errors.some((e) => /will retry/.test(e.message))).to.equal(true);
  });

  it('treats an oversized answer as a failed delivery and retries', async () => {
    const url = await listener.start();
    let calls = 0;
    listener.respond = (r) => (++calls === 1 ? { status: 200, body: 'x'.repeat(2 * 1024 * 1024) } : { status: 200, body: okResponse(messageId(r.body)) });
    svc = open();
    subscribe(url);
    svc.emit('root/tvdc', modification('vm1', 2));
    await waitFor(() => svc.queued() === 0, 10_000, 'the queue to drain');
    expect(calls).to.equal(2);
    expect(svc.stats.failedAttempts).to.equal(1);
    expect(errors.some((e) => /larger than/.test(e.message))).to.equal(true);
  });

  it('drops indications beyond a full queue but spends their sequence numbers, so the listener sees the gap', async () => {
    const url = await listener.start();
    svc = open({ maxQueuedPerDestination: 2, deliver: false });
    subscribe(url);
    const queued = [0, 1, 2, 3].map((i) => svc.emit('root/tvdc', modification(`vm${i}`, 2)));
    expect(queued).to.deep.equal([1, 1, 0, 0]);
    expect(svc.queued()).to.equal(2);
    expect(svc.stats.overflowed).to.equal(2);
    svc.startDelivery();
    await waitFor(() => svc.queued() === 0, 10_000, 'the queue to drain');
    expect(svc.emit('root/tvdc', modification('vm4', 2))).to.equal(1);
    await waitFor(() => listener.received.length === 3, 10_000, 'three deliveries');
    const inds = listener.received.map(indicationOf);
    expect(inds.map((i) => `${sourceName(i)}#${String(i.get('SequenceNumber'))}`)).to.deep.equal(['vm0#0', 'vm1#1', 'vm4#4']);
  });

  it('joins a transaction the emitter has open: rolled back with it, or delivered after it commits', async () => {
    const url = await listener.start();
    svc = open();
    subscribe(url);
    expect(() => db.transaction(() => {
      expect(svc.emit('root/tvdc', modification('rolled-back', 2))).to.equal(1);
      throw new Error('the provider write failed');
    })()).to.throw('the provider write failed');
    expect(svc.queued()).to.equal(0);
    db.transaction(() => {
      expect(svc.emit('root/tvdc', modification('committed', 2))).to.equal(1);
    })();
    await waitFor(() => listener.received.length === 1 && svc.queued() === 0, 10_000, 'one delivery');
    const ind = indicationOf(listener.received[0]!);
    expect(sourceName(ind)).to.equal('committed');
    expect(String(ind.get('SequenceNumber'))).to.equal('0');
  });

  it('holds deliveries while the listener is down and sends them all when it comes up', async () => {
    const probe = new TestListener();
    const url = await probe.start();
    const port = probe.port;
    await probe.stop();
    svc = open();
    subscribe(url);
    for (let i = 0; i < 4; i++) svc.emit('root/tvdc', modification(`vm${i}`, 2));
    await waitFor(() => svc.stats.failedAttempts >= 2, 10_000, 'failed attempts');
    expect(svc.queued()).to.equal(4);
    await listener.start(port);
    svc.retryNow();
    await waitFor(() => svc.queued() === 0, 10_000, 'the queue to drain');
    expect(listener.received.map(indicationOf).map(sourceName)).to.deep.equal(['vm0', 'vm1', 'vm2', 'vm3']);
  });

  it('gives an indication up after DeliveryRetryAttempts and applies OnFatalErrorPolicy Disable', async () => {
    const url = await listener.start();
    listener.respond = () => ({ status: 500, body: '' });
    svc = open({ retryAttempts: 1 });
    const { sub } = subscribe(url, undefined, [['OnFatalErrorPolicy', 'uint16', 3]]);
    svc.emit('root/tvdc', modification('vm1', 2));
    await waitFor(() => svc.stats.abandoned === 1, 10_000, 'the indication to be given up');
    expect(listener.received).to.have.length(2); // the attempt and one retry
    expect(svc.queued()).to.equal(0);
    expect(svc.getSubscription(sub).get('SubscriptionState')).to.equal(4);
    expect(svc.emit('root/tvdc', modification('vm2', 2))).to.equal(0);
  });

  it('applies OnFatalErrorPolicy Remove: the subscription goes, its filter and destination stay', async () => {
    const url = await listener.start();
    listener.respond = () => ({ status: 500, body: '' });
    svc = open({ retryAttempts: 0 });
    const { sub, filter, dest } = subscribe(url, undefined, [['OnFatalErrorPolicy', 'uint16', 4]]);
    svc.emit('root/tvdc', modification('vm1', 2));
    await waitFor(() => svc.stats.abandoned === 1, 10_000, 'the indication to be given up');
    expect(listener.received).to.have.length(1);
    expect(svc.enumerateSubscriptions()).to.deep.equal([]);
    expect(() => svc.getSubscription(sub)).to.throw(/CIM_ERR_NOT_FOUND/);
    expect(svc.getFilter(filter).get('Name')).to.equal('vm-running');
    expect(svc.getDestination(dest).get('Name')).to.equal('l1');
  });

  it('drains a dead listener backlog: indications that waited out a retry schedule get one attempt', async () => {
    const url = await listener.start();
    listener.respond = () => ({ status: 500, body: '' });
    svc = open({ retryAttempts: 2, retryIntervalMs: 20, maxRetryIntervalMs: 40 });
    subscribe(url);
    for (let i = 0; i < 5; i++) svc.emit('root/tvdc', modification(`vm${i}`, 2));
    await waitFor(() => svc.stats.abandoned === 5, 10_000, 'all five to be given up');
    expect(svc.queued()).to.equal(0);
    // The first went through its whole schedule (3 attempts), each later one was tried at least
    // once, and not all of them got a schedule of their own.
    expect(listener.received.length).to.be.lessThan(15);
    expect(listener.received.length).to.be.greaterThanOrEqual(7);
  });

  it('resumes the queue after a restart with the same sequence identifiers, and starts a new context', async () => {
    const url = await listener.start();
    listener.respond = () => ({ status: 503, body: '' }); // nothing is accepted before the restart
    svc = open();
    subscribe(url);
    for (let i = 0; i < 3; i++) svc.emit('root/tvdc', modification(`old${i}`, 2));
    await waitFor(() => listener.received.length >= 1, 10_000, 'a first attempt');
    const firstCtx = String(indicationOf(listener.received[0]!).get('SequenceContext'));
    await svc.close();
    db.close();

    listener.received.length = 0;
    listener.respond = (r) => ({ status: 200, body: `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${messageId(r.body)}" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"><IRETURNVALUE></IRETURNVALUE></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>` });
    svc = open();
    for (let i = 0; i < 2; i++) svc.emit('root/tvdc', modification(`new${i}`, 2));
    await waitFor(() => svc.queued() === 0, 10_000, 'the queue to drain');
    const inds = listener.received.map(indicationOf);
    expect(inds.map(sourceName)).to.deep.equal(['old0', 'old1', 'old2', 'new0', 'new1']);
    expect(inds.slice(0, 3).map((i) => i.get('SequenceContext'))).to.deep.equal([firstCtx, firstCtx, firstCtx]);
    expect(inds.slice(0, 3).map((i) => String(i.get('SequenceNumber')))).to.deep.equal(['0', '1', '2']);
    const newCtx = String(inds[3]!.get('SequenceContext'));
    expect(newCtx).to.not.equal(firstCtx);
    expect(inds.slice(3).map((i) => String(i.get('SequenceNumber')))).to.deep.equal(['0', '1']);
  });
});
