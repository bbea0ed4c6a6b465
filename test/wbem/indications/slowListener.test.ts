// A listener that answers slowly holds a delivery attempt no longer than requestTimeoutMs, however
// it spreads its answer out: past the limit the attempt fails and the queue retries it with its
// backoff, in order, with the same SequenceContext/SequenceNumber, so a listener dropping
// duplicates sees every indication exactly once. A real HTTP listener on 127.0.0.1.
import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openStore, type Db } from '../../../src/store/Store.js';
import { IndicationService } from '../../../src/wbem/indications/index.js';
import { instance, isa, messageId, okResponse, tempDir, waitFor } from './support.js';

const REQUEST_TIMEOUT_MS = 300;
const RETRY_MS = 100;

const modification = (name: string) => instance('CIM_InstModification', [['SourceInstance', 'string', instance('TVDc_ComputerSystem', [['Name', 'string', name]])]]);
const seqOf = (body: string) => `${/NAME="SequenceContext"[^>]*><VALUE>([^<]*)</.exec(body)?.[1]}/${/NAME="SequenceNumber"[^>]*><VALUE>([^<]*)</.exec(body)?.[1]}`;
const nameOf = (body: string) => /NAME="Name" TYPE="string"&gt;&lt;VALUE&gt;([^&]*)&lt;/.exec(body)?.[1];

/** How the listener answers one request. */
type Answer = 'ok' | 'drip-body' | 'drip-head';

interface Arrival {
  at: number;
  body: string;
}

describe('indications/a slow listener', function () {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let svc: IndicationService;
  let server: Server;
  const errors: Error[] = [];

  afterEach(async () => {
    await svc?.close();
    db?.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    tmp.cleanup();
  });

  /** Starts a listener answering the n-th request as plan[n] (then 'ok'); returns its URL and what reached it. */
  async function listener(plan: Answer[]): Promise<{ url: string; arrivals: Arrival[]; accepted: string[] }> {
    const arrivals: Arrival[] = [];
    // What a listener that drops duplicates by SequenceContext/SequenceNumber passes on.
    const accepted: string[] = [];
    const seen = new Set<string>();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = plan[arrivals.length] ?? 'ok';
        arrivals.push({ at: Date.now(), body });
        // The listener has the whole indication: it processes it whatever becomes of its answer.
        if (!seen.has(seqOf(body))) {
          seen.add(seqOf(body));
          accepted.push(nameOf(body)!);
        }
        const reply = okResponse(messageId(body));
        if (answer === 'ok') {
          res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', cimexport: 'MethodResponse' });
          res.end(reply);
        } else if (answer === 'drip-body') {
          // The head at once, then the body a byte at a time: never a gap as long as the limit.
          res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', cimexport: 'MethodResponse' });
          drip(res, reply, (b) => res.write(b));
        } else {
          // The head itself a byte at a time, straight onto the socket.
          drip(res, `HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nX-Slow: ${'a'.repeat(1000)}\r\n\r\n`, (b) => res.socket?.write(b));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/listener`, arrivals, accepted };
  }

  function drip(res: ServerResponse, text: string, write: (b: string) => void): void {
    let i = 0;
    const t = setInterval(() => write(text[i++ % text.length]!), 20);
    res.on('close', () => clearInterval(t));
    res.socket?.on('close', () => clearInterval(t));
  }

  function start(url: string): void {
    tmp = tempDir();
    db = openStore(join(tmp.dir, 'host.db'));
    errors.length = 0;
    svc = new IndicationService({
      db, systemName: 'host1', isa, retryAttempts: 5, retryIntervalMs: RETRY_MS, maxRetryIntervalMs: 1000, requestTimeoutMs: REQUEST_TIMEOUT_MS,
      onError: (e) => errors.push(e),
    });
    const filter = svc.createFilter('root/interop', instance('CIM_IndicationFilter', [
      ['Name', 'string', 'all'], ['Query', 'string', 'SELECT * FROM CIM_InstModification'], ['QueryLanguage', 'string', 'WQL'],
      ['SourceNamespaces', 'string', ['root/tvdc'], true],
    ]));
    const dest = svc.createDestination('root/interop', instance('CIM_ListenerDestinationCIMXML', [['Name', 'string', 'slow'], ['Destination', 'string', url]]));
    svc.createSubscription('root/interop', instance('CIM_IndicationSubscription', [['Filter', 'reference', filter], ['Handler', 'reference', dest]]));
  }

  for (const slow of ['drip-body', 'drip-head'] as const) {
    it(`an answer whose ${slow === 'drip-body' ? 'body' : 'head'} comes a byte at a time fails at the limit and is retried with backoff, in order, nothing lost or duplicated`, async () => {
      const l = await listener([slow, slow, 'ok', slow, 'ok']);
      start(l.url);
      for (const name of ['vm0', 'vm1', 'vm2']) expect(svc.emit('root/tvdc', modification(name))).to.equal(1);
      await waitFor(() => svc.queued() === 0 && svc.stats.delivered === 3, 10_000, 'all three delivered');

      expect(l.accepted).to.deep.equal(['vm0', 'vm1', 'vm2']);
      // vm0 three times (two slow answers), vm1 twice (one), vm2 once, always the same bytes.
      expect(l.arrivals.map((a) => nameOf(a.body))).to.deep.equal(['vm0', 'vm0', 'vm0', 'vm1', 'vm1', 'vm2']);
      expect(l.arrivals[1]!.body).to.equal(l.arrivals[0]!.body);
      expect(l.arrivals[4]!.body).to.equal(l.arrivals[3]!.body);
      expect(svc.stats.failedAttempts).to.equal(3);
      expect(svc.stats.abandoned).to.equal(0);
      // Each retry waits out the limit, then the backoff: 100 ms, then 200 ms for the second retry
      // (less a little: the limit starts before the request has all reached the listener).
      const gap = (i: number) => l.arrivals[i + 1]!.at - l.arrivals[i]!.at;
      expect(gap(0)).to.be.at.least(REQUEST_TIMEOUT_MS + RETRY_MS - 60);
      expect(gap(1)).to.be.at.least(REQUEST_TIMEOUT_MS + 2 * RETRY_MS - 60);
      expect(gap(3)).to.be.at.least(REQUEST_TIMEOUT_MS + RETRY_MS - 60);
      expect(errors.map((e) => e.message)).to.deep.equal([
        `delivery to slow failed, will retry: listener did not answer in full within ${REQUEST_TIMEOUT_MS} ms`,
        `delivery to slow failed, will retry: listener did not answer in full within ${REQUEST_TIMEOUT_MS} ms`,
      ]);
    });
  }
});
