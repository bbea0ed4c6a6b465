// kill -9 of a host process while indications are queued or in flight: after a restart every
// indication still arrives, in order, and the listener's duplicate filter (by SequenceContext
// and SequenceNumber) lets each reach its callback exactly once.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { decodeMessage } from '../../../src/xml/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { DuplicateFilter } from '../../../client/listener/DuplicateFilter.js';
import { messageId, okResponse, tempDir, TestListener, waitFor, type Received } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));

class Host {
  readonly lines: string[] = [];
  readonly proc: ChildProcess;
  constructor(dbFile: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'indicationHost.ts'), dbFile], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.lines.push(l));
  }
  send(cmd: string): void {
    this.proc.stdin!.write(`${cmd}\n`);
  }
  async waitLine(prefix: string): Promise<string> {
    await waitFor(() => this.lines.some((l) => l.startsWith(prefix)) || this.proc.exitCode !== null, 30_000, `"${prefix}" from the host`);
    const l = this.lines.find((x) => x.startsWith(prefix));
    if (!l) throw new Error(`host exited (${this.proc.exitCode}) before printing "${prefix}"`);
    this.lines.splice(this.lines.indexOf(l), 1);
    return l;
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill(signal);
    await exited;
  }
}

/** What reached the application: one entry per distinct (SequenceContext, SequenceNumber). */
interface Delivered {
  name: string;
  context: string;
  number: string;
}

function decode(r: Received): Delivered {
  const msg = decodeMessage(r.body);
  if (msg.kind !== 'SIMPLEEXPREQ') throw new Error(msg.kind);
  const v = msg.call.params[0]!.value;
  if (v?.kind !== 'INSTANCE') throw new Error('no instance');
  const ind = v.instance;
  const src = ind.get('SourceInstance') as CimInstance;
  return { name: String(src.get('Name')), context: String(ind.get('SequenceContext')), number: String(ind.get('SequenceNumber')) };
}

describe('indications/crash (kill -9 of the host)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let listener: TestListener;
  const hosts: Host[] = [];
  let callbacks: Delivered[];
  let duplicates: number;
  let dedup: DuplicateFilter;

  /** The listener's application side: dedup by sequence identifiers, then the callback. */
  function accept(r: Received): void {
    const d = decode(r);
    if (dedup.firstSeen(d.context, d.number)) callbacks.push(d);
    else duplicates++;
  }

  beforeEach(() => {
    tmp = tempDir();
    listener = new TestListener();
    callbacks = [];
    duplicates = 0;
    dedup = new DuplicateFilter();
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.kill('SIGKILL');
    await listener.stop();
    tmp.cleanup();
  });

  function start(): Host {
    const h = new Host(join(tmp.dir, 'host.db'));
    hosts.push(h);
    return h;
  }

  it('loses nothing when killed while the listener is down', async () => {
    const probe = new TestListener();
    const url = await probe.start();
    const port = probe.port;
    await probe.stop();

    const h1 = start();
    await h1.waitLine('ready');
    h1.send(`setup ${url}`);
    h1.send('emit 10 0');
    expect(await h1.waitLine('emitted')).to.equal('emitted 10');
    await h1.kill('SIGKILL');

    listener.respond = (r) => {
      accept(r);
      return { status: 200, body: okResponse(messageId(r.body)) };
    };
    await listener.start(port);
    const h2 = start();
    await h2.waitLine('ready');
    await waitFor(() => callbacks.length === 10, 30_000, 'ten indications');
    expect(callbacks.map((c) => c.name)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `vm${i}`));
    expect(callbacks.map((c) => c.number)).to.deep.equal(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(new Set(callbacks.map((c) => c.context)).size).to.equal(1);
  });

  it('redelivers the indication in flight after kill -9, and the listener drops the duplicate', async () => {
    let received = 0;
    // The first three are accepted; the fourth is received (and processed) but never answered.
    listener.respond = (r) => {
      accept(r);
      received++;
      return received === 4 ? null : { status: 200, body: okResponse(messageId(r.body)) };
    };
    const url = await listener.start();
    const hung = () => received >= 4;

    const h1 = start();
    await h1.waitLine('ready');
    h1.send(`setup ${url}`);
    h1.send('emit 20 0');
    expect(await h1.waitLine('emitted')).to.equal('emitted 20');
    await waitFor(hung, 30_000, 'the fourth delivery to be in flight');
    await h1.kill('SIGKILL');
    expect(callbacks.map((c) => c.name)).to.deep.equal(['vm0', 'vm1', 'vm2', 'vm3']);

    listener.respond = (r) => {
      accept(r);
      return { status: 200, body: okResponse(messageId(r.body)) };
    };
    const h2 = start();
    await h2.waitLine('ready');
    h2.send('emit 5 20');
    expect(await h2.waitLine('emitted')).to.equal('emitted 5');
    await waitFor(() => callbacks.length === 25, 30_000, '25 indications');
    expect(callbacks.map((c) => c.name)).to.deep.equal(Array.from({ length: 25 }, (_, i) => `vm${i}`));
    expect(duplicates).to.be.greaterThanOrEqual(1); // vm3 came twice, with the same identifiers
    const contexts = [...new Set(callbacks.map((c) => c.context))];
    expect(contexts).to.have.length(2); // the first start's context, kept for its queued rows, then the new one
    expect(callbacks.slice(0, 20).every((c) => c.context === contexts[0])).to.equal(true);
    expect(callbacks.slice(20).map((c) => c.number)).to.deep.equal(['0', '1', '2', '3', '4']);
  });
});
