// Peers that take their time: a host that trickles its answer (once held an API request for five
// minutes), clients that connect and say nothing (held the server's sockets for ever), and a server
// that does not answer the CLI (reported as "cannot reach").
import { expect } from 'chai';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { ApiClient, ApiClientError } from '../../client/cli/ApiClient.js';
import { ManagementServer, openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { TcpFront } from '../support/TcpFront.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { refused, runTvdc, tempDir } from './support/serverHarness.js';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/xml; charset=utf-8\r\nCIMOperation: MethodResponse\r\nTransfer-Encoding: chunked\r\n\r\n';

/**
 * A TCP front of a real host: relays while `dripping` is off; then answers every request with a
 * valid head and a body of one byte every 50 ms, for ever (each byte resets a body timeout).
 */
class DrippingFront extends TcpFront {
  dripping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  protected relay(client: Socket, upstream: Socket): void {
    let started = false;
    client.on('data', (chunk: Buffer) => {
      if (!this.dripping) {
        upstream.write(chunk);
        return;
      }
      if (started) return;
      started = true;
      upstream.unpipe(client);
      client.write(HEAD + '26\r\n<?xml version="1.0" encoding="utf-8"?>\r\n');
      const t = setInterval(() => client.write('1\r\n \r\n'), 50);
      this.timers.add(t);
      client.on('close', () => clearInterval(t));
    });
  }

  override async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await super.stop();
  }
}

/** Resolves with the ms until the server closed a connection that sent `send` (nothing: ''); rejects after `ms`. */
function closedAfter(port: number, send: string, ms: number): Promise<{ after: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = connect(port, '127.0.0.1');
    let answer = '';
    s.on('connect', () => {
      if (send) s.write(send);
    });
    s.on('data', (d) => (answer += d.toString('latin1')));
    s.on('error', () => undefined);
    const give = setTimeout(() => {
      s.destroy();
      reject(new Error(`still open after ${ms} ms`));
    }, ms);
    s.on('close', () => {
      clearTimeout(give);
      resolve({ after: Date.now() - t0, answer });
    });
  });
}

describe('slow peers of the management server', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-slow-peers-');
  const db = join(tmp.dir, 'server.db');
  let server: ManagementServer;
  let url: string;
  let port: number;
  let host: TestHost;
  let front: DrippingFront;

  before(async () => {
    const d = openServerDb(db);
    await new UserStore(d).add('dc', 'dcadmin', 'dc-password-1');
    d.close();
    host = await startTestHost('slow1');
    front = new DrippingFront(host.origin);
    const frontUrl = (await front.start()).origin;
    server = ManagementServer.open({ db, log: () => {}, hostTimeouts: { total: 1_500 } });
    url = (await server.listen({ port: 0, headersTimeoutMs: 600 })).http!;
    port = Number(new URL(url).port);
    await new ApiClient(url, 'dc', 'dc-password-1').post('/api/hosts', { url: frontUrl });
  });
  after(async () => {
    await server?.stop();
    await front?.stop();
    await host?.stop();
    tmp.remove();
  });

  it('a host trickling its answer byte by byte: HOST_TIMEOUT naming the host at the whole-answer deadline, not a request held without end', async () => {
    front.dripping = true;
    try {
      const dc = new ApiClient(url, 'dc', 'dc-password-1');
      const t0 = Date.now();
      const msg = await refused(dc.get('/api/hosts/slow1'), 504, 'HOST_TIMEOUT');
      const took = Date.now() - t0;
      expect(took).to.be.within(1_400, 6_000);
      expect(msg).to.match(/^host slow1 \(127\.0\.0\.1:\d+\) did not finish its answer within 1500 ms \(it answers too slowly or hangs while answering\); the outcome of the operation is unknown$/);
      // The CLI says the same, with the code of the host's failure.
      const r = await runTvdc(url, 'dc', 'dc-password-1', 'hosts', 'show', 'slow1');
      expect(r.code).to.equal(1);
      expect(r.err).to.match(/^tvdc: HOST_TIMEOUT: host slow1 \(127\.0\.0\.1:\d+\) did not finish its answer within 1500 ms/);
    } finally {
      front.dripping = false;
    }
  });

  it('closes a connection that sends nothing, and one whose request head stalls, after the header timeout', async () => {
    const silent = await closedAfter(port, '', 5_000);
    expect(silent.after).to.be.within(500, 3_000);
    expect(silent.answer).to.equal('');
    const stalled = await closedAfter(port, 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n', 5_000);
    expect(stalled.after).to.be.within(500, 3_000);
    expect(stalled.answer).to.match(/^HTTP\/1\.1 408 /);
  });

  it('keeps serving a client that sends its request in time, also after the header timeout passed on its connection', async () => {
    const s = connect(port, '127.0.0.1');
    const got: string[] = [];
    s.on('data', (d) => got.push(d.toString('latin1')));
    await new Promise((r) => s.once('connect', r));
    await new Promise((r) => setTimeout(r, 300));
    const auth = Buffer.from('dc:dc-password-1').toString('base64');
    s.write(`GET /api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${auth}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 700));
    expect(got.join('')).to.match(/^HTTP\/1\.1 200 /).and.include('"user":"dc"');
    expect(s.destroyed).to.equal(false);
    s.destroy();
  });

  it('the CLI says the server took the request and did not answer (SERVER_TIMEOUT), not that it cannot be reached', async () => {
    // A server that reads the request and never answers.
    const mute = createServer((s) => s.on('error', () => undefined));
    const held = new Set<Socket>();
    mute.on('connection', (s) => held.add(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const muteUrl = `http://127.0.0.1:${(mute.address() as AddressInfo).port}`;
    const c = new ApiClient(muteUrl, 'dc', 'x', {}, 500);
    try {
      await c.get('/api/whoami');
      expect.fail('answered');
    } catch (e) {
      expect(e).to.be.instanceOf(ApiClientError);
      const err = e as ApiClientError;
      expect([err.status, err.code]).to.deep.equal([0, 'SERVER_TIMEOUT']);
      expect(err.message).to.equal(`${muteUrl} took the request but has not answered within 500 ms (this client gave up waiting); `
        + 'the server may still be carrying it out: look at the outcome (tvdc audit list, or the list the change concerns) before repeating it');
    } finally {
      await c.close();
      for (const s of held) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });
});
