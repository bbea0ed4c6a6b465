// How an answer's body flows from the socket to the caller: a reader that falls behind pauses the
// socket instead of piling objects up, a reader that stops early or an answer that fails midway
// leaves the connection usable, error answers are reported whatever their body, and the total
// deadline also bounds the wait for a free socket.
import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { ClientError, TimeoutError } from '../../client/cim/ClientError.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import { imethodResponse, sendXml, StubServer } from './support/StubServer.js';
import { failure } from './support/failure.js';

const PATH = CimObjectPath.instance('TVD_Widget', { Id: 7n }, 'root/cimv2');
const INSTANCE = '<INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="Id" TYPE="uint32"><VALUE>7</VALUE></PROPERTY></INSTANCE>';

function namedInstance(i: number): string {
  return `<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric" TYPE="uint32">${i}</KEYVALUE></KEYBINDING></INSTANCENAME>` +
    `<INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="Id" TYPE="uint32"><VALUE>${i}</VALUE></PROPERTY>` +
    `<PROPERTY NAME="Note" TYPE="string"><VALUE>${'n'.repeat(200)}</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`;
}

/** An EnumerateInstances answer of `count` widgets, written in pieces of 50 (chunked, no length). */
function enumerate(res: ServerResponse, count: number): void {
  res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
  const [head, tail] = imethodResponse('EnumerateInstances', '<IRETURNVALUE>@@</IRETURNVALUE>').split('@@') as [string, string];
  res.write(head);
  for (let i = 0; i < count; i += 50) {
    let s = '';
    for (let j = i; j < Math.min(count, i + 50); j++) s += namedInstance(j);
    res.write(s);
  }
  res.end(tail);
}

describe('client response flow', function () {
  this.timeout(20_000);
  let server: StubServer;
  let conn: WbemConnection;

  beforeEach(async () => {
    server = await StubServer.started();
  });
  afterEach(async () => {
    await conn?.transport.destroy();
    await server.close();
  });

  it('a reader slower than the server still gets every object, in order', async () => {
    server.setHandler((_r, res) => enumerate(res, 3000));
    conn = new WbemConnection(server.origin, { retries: 0 });
    let expected = 0;
    for await (const inst of conn.enumerateInstances('TVD_Widget')) {
      expect(inst.get('Id')).to.equal(expected++);
      // A macrotask per object: the server's chunks arrive far faster than this reader takes them.
      if (expected % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(expected).to.equal(3000);
  });

  it('stopping early, after little or after much of the answer, leaves the connection usable', async () => {
    conn = new WbemConnection(server.origin, { retries: 0, connections: 1 });
    for (const count of [60, 5000]) {
      server.setHandler((req, res) => {
        if (String(req.headers.cimmethod) === 'GetInstance') sendXml(res, imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`));
        else enumerate(res, count);
      });
      let n = 0;
      for await (const _ of conn.enumerateInstances('TVD_Widget')) if (++n === 5) break;
      expect(n).to.equal(5);
      expect((await conn.getInstance(PATH)).get('Id')).to.equal(7);
    }
  });

  it('invalid XML in the middle of a streamed answer is RESPONSE_PARSE, and the next call works', async () => {
    conn = new WbemConnection(server.origin, { retries: 0, connections: 1 });
    server.setHandler((req, res) => {
      if (String(req.headers.cimmethod) === 'GetInstance') return sendXml(res, imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`));
      res.writeHead(200, { 'content-type': 'application/xml' });
      const [head] = imethodResponse('EnumerateInstances', '<IRETURNVALUE>@@').split('@@') as [string];
      res.write(head + namedInstance(1) + namedInstance(2));
      setTimeout(() => res.end('<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="X"></VALUE.NAMEDINSTANCE>' + namedInstance(3).repeat(100)), 20);
    });
    const seen: unknown[] = [];
    const e = await failure((async () => {
      for await (const inst of conn.enumerateInstances('TVD_Widget')) seen.push(inst.get('Id'));
    })());
    expect((e as ClientError).code).to.equal('RESPONSE_PARSE');
    expect(seen).to.deep.equal([1, 2]);
    expect((await conn.getInstance(PATH)).get('Id')).to.equal(7);
  });

  it('an error status is reported the same with a large body, an empty one or none at all', async () => {
    conn = new WbemConnection(server.origin, { retries: 0 });
    for (const body of ['x'.repeat(300_000), '', undefined]) {
      server.setHandler((_r, res) => {
        res.writeHead(500, body === undefined ? {} : { 'content-type': 'text/plain', 'content-length': String(body.length) });
        res.end(body ?? '');
      });
      const e = await failure(conn.getInstance(PATH));
      expect((e as ClientError).code).to.equal('HTTP_STATUS');
    }
    const big = 'y'.repeat(300_000);
    server.setHandler((_r, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(big); });
    expect((await failure(conn.enumerateInstances('TVD_Widget').toArray()) as ClientError).code).to.equal('BAD_CONTENT_TYPE');
  });

  it('every answer has its Content-Type checked, also after good ones on the same connection', async () => {
    conn = new WbemConnection(server.origin, { retries: 0, connections: 1 });
    let type = 'application/xml; charset=utf-8';
    server.setHandler((_r, res) => sendXml(res, imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`), { 'content-type': type }));
    expect((await conn.getInstance(PATH)).get('Id')).to.equal(7);
    expect((await conn.getInstance(PATH)).get('Id')).to.equal(7);
    type = 'application/xmlx';
    expect((await failure(conn.getInstance(PATH)) as ClientError).code).to.equal('BAD_CONTENT_TYPE');
    type = 'TEXT/XML';
    expect((await conn.getInstance(PATH)).get('Id')).to.equal(7);
  });

  it('the total deadline also ends calls still waiting for a free socket', async () => {
    server.setHandler(() => undefined);
    conn = new WbemConnection(server.origin, { retries: 0, connections: 1, timeouts: { total: 400, headers: 60_000 } });
    const [a, b] = await Promise.all([failure(conn.getInstance(PATH)), failure(conn.getInstance(PATH))]);
    for (const e of [a, b]) {
      expect((e as ClientError).code).to.equal('TIMEOUT');
      expect((e as TimeoutError).phase).to.equal('total');
    }
  });

  it('a CIMError header on a 200 answer is the CimError it names, whatever the body', async () => {
    server.setHandler((_r, res) => { res.writeHead(200, { 'content-type': 'application/xml', cimerror: 'request-not-valid' }); res.end('<oops'); });
    conn = new WbemConnection(server.origin, { retries: 0 });
    const e = await failure(conn.getInstance(PATH));
    expect((e as Error).message).to.contain('request-not-valid');
  });
});
