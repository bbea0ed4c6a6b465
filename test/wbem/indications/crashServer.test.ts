// The indication test of issue 3, end to end with the project's own client parts: a subscription
// created over CIM-XML (client/listener subscribe) at a real WbemServer in a child process,
// indications raised by creating instances through the repository provider, the host killed with
// SIGKILL while a delivery is in flight and more are queued, restarted, and every indication
// reaches the IndicationListener's callback exactly once, in order. A TCP relay between host and
// listener swallows one response so that delivery is truly in flight at the kill.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { WbemConnection } from '../../../client/cim/WbemConnection.js';
import { IndicationListener, type IndicationContext } from '../../../client/listener/IndicationListener.js';
import { subscribe } from '../../../client/listener/Subscriptions.js';
import { tempDir, waitFor } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));

class HostProcess {
  readonly proc: ChildProcess;
  readonly url: Promise<string>;
  constructor(dbFile: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'serverHost.ts'), dbFile, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.url = new Promise((resolve, reject) => {
      createInterface({ input: this.proc.stdout! }).on('line', (l) => {
        if (l.startsWith('listening ')) resolve(l.slice('listening '.length));
      });
      this.proc.once('exit', (code, signal) => reject(new Error(`host exited (${code ?? signal}) before listening`)));
    });
  }
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

/** Forwards TCP to the listener; while `swallowFrom` is reached, responses stop reaching the host. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  responses = 0;
  swallowFrom = Infinity;
  /** The head (request line and headers) of each request the host sent. */
  readonly requestHeads: string[] = [];

  async start(targetPort: number): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => this.sockets.delete(s));
      }
      client.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        const at = text.indexOf('POST ');
        if (at >= 0) this.requestHeads.push(text.slice(at, text.indexOf('\r\n\r\n', at)));
      });
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        this.responses += chunk.toString('latin1').split('HTTP/1.1 ').length - 1;
        if (this.responses < this.swallowFrom) client.write(chunk);
      });
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function vm(name: string): CimInstance {
  const i = new CimInstance('TVDc_ComputerSystem');
  i.properties.set('CreationClassName', new CimProperty('CreationClassName', 'string', 'TVDc_ComputerSystem'));
  i.properties.set('Name', new CimProperty('Name', 'string', name));
  return i;
}

describe('indications/crash through the WBEM server (kill -9)', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let listener: IndicationListener;
  let relay: Relay;
  const hosts: HostProcess[] = [];

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.kill();
    await relay?.stop();
    await listener?.close();
    tmp.cleanup();
  });

  it('subscribes over CIM-XML, survives kill -9 mid-delivery, and delivers every indication once, in order', async () => {
    listener = new IndicationListener({ path: '/tvdc' });
    await listener.start();
    const got: { name: string; className: string; ctx: IndicationContext }[] = [];
    listener.onIndication((ind, ctx) => {
      got.push({ name: String((ind.get('SourceInstance') as CimInstance).get('Name')), className: ind.className, ctx });
    });
    relay = new Relay();
    const relayPort = await relay.start(listener.port);
    relay.swallowFrom = 3; // the third answer never reaches the host: that delivery stays in flight

    const dbFile = join(tmp.dir, 'host.db');
    const h1 = new HostProcess(dbFile);
    hosts.push(h1);
    const url1 = await h1.url;
    const sub = await subscribe(new WbemConnection(url1, { namespace: 'root/interop' }), {
      name: 'crash-test',
      destination: `http://127.0.0.1:${relayPort}/tvdc`,
      query: 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_ComputerSystem',
      sourceNamespace: 'root/tvdc',
    });
    expect(sub.reused).to.deep.equal({ filter: false, destination: false, subscription: false });
    const tvdc1 = new WbemConnection(url1, { namespace: 'root/tvdc' });
    for (let i = 0; i < 10; i++) await tvdc1.createInstance(vm(`vm${i}`));
    await waitFor(() => relay.responses >= 3, 30_000, 'the third delivery to be answered by the listener');
    await h1.kill();
    expect(got.map((g) => g.name)).to.deep.equal(['vm0', 'vm1', 'vm2']);
    const head = relay.requestHeads[0]!;
    expect(head).to.match(/^POST \/tvdc HTTP\/1\.1\r\n/);
    expect(head).to.match(/^content-type: application\/xml; charset=utf-8$/im);
    expect(head).to.match(/^cimexport: MethodRequest$/im);
    expect(head).to.match(/^cimexportmethod: ExportIndication$/im);
    expect(head).to.match(/^cimprotocolversion: 1\.0$/im);

    relay.swallowFrom = Infinity;
    const h2 = new HostProcess(dbFile);
    hosts.push(h2);
    const url2 = await h2.url;
    // The subscription survived the crash: subscribing again reuses all three objects.
    const again = await subscribe(new WbemConnection(url2, { namespace: 'root/interop' }), {
      name: 'crash-test', destination: `http://127.0.0.1:${relayPort}/tvdc`,
      query: 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA CIM_ComputerSystem',
    });
    expect(again.reused).to.deep.equal({ filter: true, destination: true, subscription: true });
    const tvdc2 = new WbemConnection(url2, { namespace: 'root/tvdc' });
    for (let i = 10; i < 13; i++) await tvdc2.createInstance(vm(`vm${i}`));
    await waitFor(() => got.length === 13, 30_000, 'all 13 indications');
    await new Promise((r) => setTimeout(r, 100)); // room for a stray extra callback to show up

    expect(got.map((g) => g.name)).to.deep.equal(Array.from({ length: 13 }, (_, i) => `vm${i}`));
    expect(got.every((g) => g.className === 'CIM_InstCreation' && g.ctx.path === '/tvdc')).to.equal(true);
    expect(listener.stats.duplicates).to.be.greaterThanOrEqual(1); // vm2 was re-sent after the restart
    const contexts = [...new Set(got.map((g) => g.ctx.sequenceContext))];
    expect(contexts).to.have.length(2);
    expect(got.slice(0, 10).map((g) => g.ctx.sequenceNumber)).to.deep.equal(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(got.slice(10).map((g) => g.ctx.sequenceNumber)).to.deep.equal(['0', '1', '2']);
  });
});
