// Requests read in one turn of the event loop run as one batch (src/wbem/CallBatch.ts): each
// must still get its own reply, in order on a connection, whatever its neighbours do (fail to
// decode, miss, wait for the store).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/Store.js';
import { imethodBody, parseResponse, repositoryFrom, startServer, WBEM_FIXTURES, type RawResponse, type TestServer } from './support/wbemTestKit.js';

const widget = (id: number): string =>
  `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVD_Widget</KEYVALUE></KEYBINDING>` +
  `<KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">${id}</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`;
const newWidget = (id: number): string =>
  `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="CreationClassName" TYPE="string"><VALUE>TVD_Widget</VALUE></PROPERTY>` +
  `<PROPERTY NAME="Id" TYPE="uint32"><VALUE>${id}</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`;

/** A keep-alive POST of `body` for `method`. */
function post(method: string, body: string): string {
  return `POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml; charset="utf-8"\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `CIMOperation: MethodCall\r\nCIMMethod: ${method}\r\nCIMObject: root%2Fcimv2\r\n\r\n${body}`;
}

/** Writes `bytes` at once and reads `count` Content-Length responses from the connection. */
function exchange(socket: net.Socket, bytes: string, count: number): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const out: RawResponse[] = [];
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${count} responses`)), 10_000);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      for (let r = parseResponse(buf, false); r; r = parseResponse(buf, false)) {
        out.push(r);
        buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4 + Number(r.headers['content-length']));
        if (out.length === count) {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('error', reject);
          resolve(out);
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(bytes);
  });
}

/**
 * Holds this event loop, which the server shares, while bytes just written land in its sockets:
 * it then reads them all in one turn, so they run as one batch.
 */
function holdTheLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

const messageId = (r: RawResponse): string | undefined => /<MESSAGE ID="([^"]*)"/.exec(r.body)?.[1];
const errorCode = (r: RawResponse): string | undefined => /<ERROR CODE="(\d+)"/.exec(r.body)?.[1];

describe('wbem: requests batched per turn of the event loop', function () {
  let s: TestServer;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-batch-'));
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), store: openStore(join(dir, 'batch.db')) });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers requests sent together on many connections each with its own reply', async () => {
    const requests = [
      post('GetInstance', imethodBody('GetInstance', 'root/cimv2', widget(1), 'a1')),
      post('GetInstance', imethodBody('GetInstance', 'root/cimv2', widget(404), 'a2')),
      post('GetInstance', '<CIM><MESSAGE'),
      post('CreateInstance', imethodBody('CreateInstance', 'root/cimv2', newWidget(7001), 'a4')),
      post('GetInstance', imethodBody('GetInstance', 'root/cimv2', widget(2), 'a5')),
      post('EnumerateInstanceNames', imethodBody('EnumerateInstanceNames', 'root/cimv2', '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Gadget"/></IPARAMVALUE>', 'a6')),
      post('GetInstance', imethodBody('GetInstance', 'root/cimv2', widget(1), 'a7')),
    ];
    const sockets = await Promise.all(requests.map(() => new Promise<net.Socket>((resolve, reject) => {
      const c = net.connect(s.port, '127.0.0.1', () => resolve(c));
      c.on('error', reject);
    })));
    try {
      // One request on each first: a connection's first bytes reach the HTTP server a turn or
      // more after they arrive (WbemServer looks at them for M-POST), later ones at once.
      const first = post('GetInstance', imethodBody('GetInstance', 'root/cimv2', widget(1), 'w'));
      await Promise.all(sockets.map((c) => exchange(c, first, 1)));
      const pending = requests.map((r, i) => exchange(sockets[i]!, r, 1));
      holdTheLoop(20);
      const replies = (await Promise.all(pending)).map((rs) => rs[0]!);
      expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 400, 200, 200, 200, 200]);
      expect(replies.map(messageId)).to.deep.equal(['a1', 'a2', undefined, 'a4', 'a5', 'a6', 'a7']);
      expect(replies[0]!.body).to.match(/<PROPERTY NAME="Label" TYPE="string"><VALUE>red &amp; blue<\/VALUE>/);
      expect(errorCode(replies[1]!)).to.equal('6');
      expect(replies[2]!.headers['cimerror']).to.equal('request-not-well-formed');
      expect(replies[3]!.body).to.match(/<KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric" TYPE="uint32">7001<\/KEYVALUE>/);
      expect(replies[4]!.body).to.match(/<PROPERTY NAME="Label" TYPE="string"><VALUE>green<\/VALUE>/);
      expect(replies[5]!.body).to.match(/<INSTANCENAME CLASSNAME="TVD_Gadget">/);
      expect(replies[6]!.body).to.equal(replies[0]!.body.replace('ID="a1"', 'ID="a7"'));
    } finally {
      for (const c of sockets) c.destroy();
    }
  });

  it('keeps the replies to requests pipelined on one connection in their order', async () => {
    const ids = [1, 2, 404, 1, 2];
    const bytes = ids.map((id, i) => post('GetInstance', imethodBody('GetInstance', 'root/cimv2', widget(id), `p${i}`))).join('');
    const socket = net.connect(s.port, '127.0.0.1');
    try {
      // In one write, so they arrive in one read and run as one batch.
      const replies = await exchange(socket, bytes, ids.length);
      expect(replies.map(messageId)).to.deep.equal(['p0', 'p1', 'p2', 'p3', 'p4']);
      expect(replies.map((r) => /<PROPERTY NAME="Id" TYPE="uint32"><VALUE>(\d+)</.exec(r.body)?.[1] ?? errorCode(r))).to.deep.equal(['1', '2', '6', '1', '2']);
    } finally {
      socket.destroy();
    }
  });
});
