// The indication test of issue 3, end to end: a subscription created over CIM-XML at a real
// WbemServer in a child process, indications raised by creating instances through the repository
// provider, the host killed with SIGKILL while a delivery is in flight and more are queued,
// restarted, and every indication arrives in order; the listener's duplicate filter lets each
// reach its callback once.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { decodeMessage } from '../../../src/xml/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import type { CimType } from '../../../src/cim/CimType.js';
import type { CimValue } from '../../../src/cim/CimValue.js';
import { WbemConnection } from '../../../client/cim/WbemConnection.js';
import { DuplicateFilter } from '../../../client/listener/DuplicateFilter.js';
import { messageId, okResponse, tempDir, TestListener, waitFor, type Received } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));

function inst(className: string, props: [string, CimType, CimValue, boolean?][]): CimInstance {
  const i = new CimInstance(className);
  for (const [n, t, v, a] of props) i.properties.set(n, new CimProperty(n, t, v, a ?? false));
  return i;
}

class HostProcess {
  readonly proc: ChildProcess;
  url: Promise<string>;
  constructor(dbFile: string, port = 0) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'serverHost.ts'), dbFile, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.url = new Promise((resolve, reject) => {
      createInterface({ input: this.proc.stdout! }).on('line', (l) => {
        if (l.startsWith('listening ')) resolve(l.slice('listening '.length));
      });
      this.proc.once('exit', (code, signal) => reject(new Error(`host exited (${code ?? signal}) before listening`)));
    });
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill(signal);
    await exited;
  }
}

interface Delivered {
  name: string;
  className: string;
  context: string;
  number: string;
}

describe('indications/crash through the WBEM server (kill -9)', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let listener: TestListener;
  const hosts: HostProcess[] = [];

  beforeEach(() => {
    tmp = tempDir();
    listener = new TestListener();
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.kill('SIGKILL');
    await listener.stop();
    tmp.cleanup();
  });

  it('subscribes over CIM-XML, survives kill -9 mid-delivery, and delivers every indication once, in order', async () => {
    const callbacks: Delivered[] = [];
    const received: Received[] = [];
    const dedup = new DuplicateFilter();
    let duplicates = 0;
    let hang = true;
    listener.respond = (r) => {
      received.push(r);
      const msg = decodeMessage(r.body);
      if (msg.kind !== 'SIMPLEEXPREQ') throw new Error(msg.kind);
      const v = msg.call.params.find((p) => p.name === 'NewIndication')!.value;
      if (v?.kind !== 'INSTANCE') throw new Error('no NewIndication');
      const ind = v.instance;
      const d: Delivered = {
        name: String((ind.get('SourceInstance') as CimInstance).get('Name')),
        className: ind.className,
        context: String(ind.get('SequenceContext')),
        number: String(ind.get('SequenceNumber')),
      };
      if (dedup.firstSeen(d.context, d.number)) callbacks.push(d);
      else duplicates++;
      // Before the crash: the third indication is processed but never answered.
      if (hang && callbacks.length === 3) return null;
      return { status: 200, body: okResponse(messageId(r.body)) };
    };
    const listenerUrl = await listener.start();
    const dbFile = join(tmp.dir, 'host.db');

    const h1 = new HostProcess(dbFile);
    hosts.push(h1);
    const url1 = await h1.url;
    const interop = new WbemConnection(url1, { namespace: 'root/interop' });
    const filter = await interop.createInstance(inst('CIM_IndicationFilter', [
      ['Name', 'string', 'vm-created'],
      ['Query', 'string', 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_ComputerSystem'],
      ['QueryLanguage', 'string', 'WQL'],
      ['SourceNamespaces', 'string', ['root/tvdc'], true],
    ]));
    const dest = await interop.createInstance(inst('CIM_ListenerDestinationCIMXML', [
      ['Name', 'string', 'test-listener'], ['Destination', 'string', listenerUrl], ['PersistenceType', 'uint16', 2],
    ]));
    await interop.createInstance(inst('CIM_IndicationSubscription', [['Filter', 'reference', filter], ['Handler', 'reference', dest]]));
    const tvdc = new WbemConnection(url1, { namespace: 'root/tvdc' });
    for (let i = 0; i < 10; i++) {
      await tvdc.createInstance(inst('TVDc_ComputerSystem', [['CreationClassName', 'string', 'TVDc_ComputerSystem'], ['Name', 'string', `vm${i}`]]));
    }
    await waitFor(() => callbacks.length === 3, 30_000, 'the third delivery to be in flight');
    const first = received[0]!;
    expect(first.headers.cimexport).to.equal('MethodRequest');
    expect(first.headers.cimexportmethod).to.equal('ExportIndication');
    expect(first.headers['content-type']).to.equal('application/xml; charset=utf-8');
    expect(first.headers.cimprotocolversion).to.equal('1.0');
    await h1.kill('SIGKILL');

    hang = false;
    const h2 = new HostProcess(dbFile);
    hosts.push(h2);
    const url2 = await h2.url;
    // The subscription survived the crash; new indications follow the queued ones.
    const subs = await new WbemConnection(url2, { namespace: 'root/interop' }).enumerateInstances('CIM_IndicationSubscription').toArray();
    expect(subs).to.have.length(1);
    const tvdc2 = new WbemConnection(url2, { namespace: 'root/tvdc' });
    for (let i = 10; i < 13; i++) {
      await tvdc2.createInstance(inst('TVDc_ComputerSystem', [['CreationClassName', 'string', 'TVDc_ComputerSystem'], ['Name', 'string', `vm${i}`]]));
    }
    await waitFor(() => callbacks.length === 13, 30_000, 'all 13 indications');
    expect(callbacks.map((c) => c.name)).to.deep.equal(Array.from({ length: 13 }, (_, i) => `vm${i}`));
    expect(callbacks.every((c) => c.className === 'CIM_InstCreation')).to.equal(true);
    expect(duplicates).to.be.greaterThanOrEqual(1); // vm2 was re-sent after the restart
    const contexts = [...new Set(callbacks.map((c) => c.context))];
    expect(contexts).to.have.length(2);
    expect(callbacks.slice(0, 10).map((c) => c.number)).to.deep.equal(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(callbacks.slice(10).map((c) => c.number)).to.deep.equal(['0', '1', '2']);
  });
});
