// DSP0200 transport behaviour pinned at the wire: M-POST with Man/ns prefixes, keep-alive,
// chunked requests, TE: trailers, size limits, content types, both CIMObject spellings,
// streaming of large answers, and HTTPS on a second port.
import { expect } from 'chai';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { WbemServer } from '../../src/wbem/WbemServer.js';
import { imethodBody, imethodRequest, parseResponse, rawRequest, repositoryFrom, startServer, validateAgainstDtd, WBEM_FIXTURES, type RawResponse, type TestServer } from './support/wbemTestKit.js';
import { selfSignedCert } from './support/selfSignedCert.js';

const ENUM = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';

/**
 * The first whole response in `buf` and the bytes after it, or undefined while it is incomplete.
 * Responses here are small and carry Content-Length, so the next one starts right after the body.
 */
function takeResponse(buf: Buffer): { response: RawResponse; rest: Buffer } | undefined {
  const response = parseResponse(buf, false);
  if (!response) return undefined;
  return { response, rest: buf.subarray(buf.indexOf('\r\n\r\n') + 4 + Number(response.headers['content-length'])) };
}

/** Sends several requests on one connection and reads as many responses. */
function pipelinedOnOneSocket(port: number, requests: string[]): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const out: RawResponse[] = [];
    let buf: Buffer = Buffer.alloc(0);
    let i = 0;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`only ${out.length} responses`)); }, 10_000);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (let t = takeResponse(buf); t; t = takeResponse(buf)) {
        out.push(t.response);
        buf = t.rest;
        if (++i < requests.length) socket.write(requests[i]!);
        else { clearTimeout(timer); socket.end(); resolve(out); return; }
      }
    });
    socket.on('error', reject);
    socket.write(requests[0]!);
  });
}

function mpost(method: string, ns: string, params = '', connection = 'keep-alive'): string {
  const body = imethodBody(method, ns, params);
  return `M-POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Man: http://www.dmtf.org/cim/mapping/http/v1.0;ns=73\r\n73-CIMProtocolVersion: 1.0\r\n73-CIMOperation: MethodCall\r\n73-CIMMethod: ${method}\r\n` +
    `73-CIMObject: ${ns}\r\nConnection: ${connection}\r\n\r\n${body}`;
}

describe('wbem: HTTP transport', function () {
  let s: TestServer;

  before(async () => {
    const repository = repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]);
    s = await startServer({ repository, extra: { maxRequestBytes: 64 * 1024 } });
    // 3000 extra gadgets so one enumeration is larger than what is sent whole.
    s.server.registerProvider('root/cimv2', 'TVD_Gadget', {
      *enumerateInstances() {
        for (let id = 100; id < 3100; id++) {
          yield new CimInstance('TVD_Gadget', NameMap.from([
            new CimProperty('CreationClassName', 'string', 'TVD_Gadget'), new CimProperty('Id', 'uint32', id),
            new CimProperty('Label', 'string', `gadget number ${id} with a label long enough to matter`),
          ], (p) => p.name));
        }
      },
    });
  });
  after(() => s.close());

  it('serves M-POST with the Man ns prefix and answers with Ext and prefixed headers', async () => {
    const r = await rawRequest(s.port, mpost('EnumerateInstanceNames', 'root/cimv2', ENUM, 'close'));
    expect(r.status).to.equal(200);
    expect(r.headers['73-cimoperation']).to.equal('MethodResponse');
    expect(r.headers).to.have.property('ext');
    expect(r.body).to.contain('<INSTANCENAME CLASSNAME="TVD_Widget">');
  });

  it('refuses M-POST without a Man header naming the CIM mapping with 510', async () => {
    const req = mpost('EnumerateInstanceNames', 'root/cimv2', ENUM, 'close').replace(/Man: [^\r]*\r\n/, '');
    const r = await rawRequest(s.port, req);
    expect(r.status).to.equal(510);
  });

  it('keeps a connection alive across POST requests and across M-POST requests', async () => {
    const FEEDS = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Feeds"/></IPARAMVALUE>';
    const post = imethodRequest('EnumerateInstanceNames', 'root/cimv2', FEEDS, { Connection: 'keep-alive' });
    const posts = await pipelinedOnOneSocket(s.port, [post, post, post]);
    expect(posts.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    const mposts = await pipelinedOnOneSocket(s.port, [mpost('GetClass', 'root/cimv2', ENUM), mpost('EnumerateInstanceNames', 'root/cimv2', FEEDS), mpost('GetClass', 'root/cimv2', ENUM)]);
    expect(mposts.map((r) => r.status)).to.deep.equal([200, 200, 200]);
    expect(mposts[1]!.body).to.contain('<INSTANCENAME');
    expect(mposts[2]!.body).to.contain('<CLASS NAME="TVD_Widget"');
  });

  it('keeps the connection after refusing a request whose body had arrived, and drops it while a refused body is still coming', async () => {
    const refused = imethodRequest('GetClass', 'root/cimv2', ENUM, { 'Content-Type': 'text/plain', Connection: 'keep-alive' });
    const ok = imethodRequest('GetClass', 'root/cimv2', ENUM, { Connection: 'keep-alive' });
    const both = await pipelinedOnOneSocket(s.port, [refused, ok]);
    expect(both.map((r) => r.status)).to.deep.equal([415, 200]);
    // Half a body, the rest never sent: the refusal comes once the wait for the body ends (2 s),
    // and the connection is closed, not left waiting.
    const half = refused.slice(0, refused.length - 40);
    const closed = await new Promise<{ status: number | undefined; closed: boolean }>((resolve, reject) => {
      const socket = net.connect(s.port, '127.0.0.1');
      let buf: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => { socket.destroy(); resolve({ status: parseResponse(buf, false)?.status, closed: false }); }, 5_000);
      socket.on('data', (d) => { buf = Buffer.concat([buf, d]); });
      socket.on('close', () => { clearTimeout(timer); resolve({ status: parseResponse(buf, false)?.status, closed: true }); });
      socket.on('error', reject);
      socket.write(half);
    });
    expect(closed).to.deep.equal({ status: 415, closed: true });
  });

  it('frames pipelined M-POSTs in one write, chunked and with Content-Length', async () => {
    const body = imethodBody('GetClass', 'root/cimv2', ENUM);
    const chunked = `M-POST /cimom HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nMan: http://www.dmtf.org/cim/mapping/http/v1.0;ns=11\r\n` +
      `11-CIMOperation: MethodCall\r\n11-CIMMethod: GetClass\r\n11-CIMObject: root/cimv2\r\n\r\n` +
      `${Buffer.byteLength(body).toString(16)};ext=1\r\n${body}\r\n0\r\nX-Trailer: y\r\n\r\n`;
    const both = chunked + mpost('GetClass', 'root/cimv2', ENUM, 'close');
    const responses = await new Promise<RawResponse[]>((resolve, reject) => {
      const socket = net.connect(s.port, '127.0.0.1');
      let buf: Buffer = Buffer.alloc(0);
      const out: RawResponse[] = [];
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (let t = takeResponse(buf); t; t = takeResponse(buf)) {
          out.push(t.response);
          buf = t.rest;
          if (out.length === 2) { socket.destroy(); resolve(out); return; }
        }
      });
      socket.on('error', reject);
      socket.write(both);
    });
    expect(responses.map((r) => [r.status, r.headers['11-cimoperation'] ?? r.headers['73-cimoperation']])).to.deep.equal([[200, 'MethodResponse'], [200, 'MethodResponse']]);
    expect(responses.every((r) => r.body.includes('<CLASS NAME="TVD_Widget"'))).to.equal(true);
  });

  it('reads chunked request bodies', async () => {
    const body = imethodBody('GetClass', 'root/cimv2', ENUM);
    const half = Math.floor(body.length / 2);
    const chunk = (t: string) => `${Buffer.byteLength(t).toString(16)}\r\n${t}\r\n`;
    const req = `POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nCIMOperation: MethodCall\r\nCIMMethod: GetClass\r\n` +
      `CIMObject: root/cimv2\r\nConnection: close\r\n\r\n${chunk(body.slice(0, half))}${chunk(body.slice(half))}0\r\n\r\n`;
    const r = await rawRequest(s.port, req);
    expect(r.status).to.equal(200);
    expect(r.body).to.contain('<CLASS NAME="TVD_Widget"');
  });

  it('answers TE: trailers with a chunked body and CIMStatusCode trailers', async () => {
    const ok = await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', ENUM, { TE: 'trailers' }));
    expect(ok.headers['transfer-encoding']).to.equal('chunked');
    expect(ok.trailers['cimstatuscode']).to.equal('0');
    const bad = await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="Nope"/></IPARAMVALUE>', { TE: 'trailers' }));
    expect(bad.trailers['cimstatuscode']).to.equal('6');
    expect(decodeURIComponent(bad.trailers['cimstatuscodedescription']!)).to.contain('Nope');
  });

  it('streams a large enumeration chunked, complete and valid', async () => {
    const r = await rawRequest(s.port, imethodRequest('EnumerateInstances', 'root/cimv2', ENUM));
    expect(r.headers['transfer-encoding']).to.equal('chunked');
    expect(r.body.split('<VALUE.NAMEDINSTANCE>').length - 1).to.equal(3002);
    expect(r.body.trimEnd().endsWith('</CIM>')).to.equal(true);
  });

  it('sends the first bytes of an enumeration before the provider has produced the last instance', async () => {
    const server = new WbemServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), log: () => undefined });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const gadget = (id: number) => new CimInstance('TVD_Gadget', NameMap.from([
      new CimProperty('CreationClassName', 'string', 'TVD_Gadget'), new CimProperty('Id', 'uint32', id), new CimProperty('Label', 'string', 'x'.repeat(200)),
    ], (p) => p.name));
    server.registerProvider('root/cimv2', 'TVD_Gadget', {
      async *enumerateInstances() {
        for (let id = 0; id < 3000; id++) yield gadget(id);
        // The last instance exists only once the client has seen the first bytes.
        await gate;
        yield gadget(3000);
      },
    });
    try {
      const { http: url } = await server.listen({ port: 0 });
      const body = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(new URL(url!).port), '127.0.0.1');
        let buf = Buffer.alloc(0);
        socket.on('data', (d) => { release(); buf = Buffer.concat([buf, d]); const r = parseResponse(buf, false); if (r) { socket.destroy(); resolve(r.body); } });
        socket.on('error', reject);
        socket.write(imethodRequest('EnumerateInstanceNames', 'root/cimv2', '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Gadget"/></IPARAMVALUE>'));
      });
      expect(body.split('<INSTANCENAME ').length - 1).to.equal(3001);
    } finally {
      await server.close();
    }
  });

  it('reports a failure in the middle of a stream in the trailers, or cuts the connection without them', async () => {
    s.server.registerProvider('root/cimv2', 'TVD_Feeds', {
      async *enumerateInstances() {
        for (let i = 0; i < 2000; i++) {
          yield new CimInstance('TVD_Feeds', NameMap.from([new CimProperty('Rate', 'uint16', i)], (p) => p.name),
            CimObjectPath.instance('TVD_Feeds', { Source: `source${i}`, Sink: 'sink' }));
          if (i === 1500) throw new CimError(CimStatus.CIM_ERR_FAILED, 'the feed broke');
        }
      },
    });
    const FEEDS = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Feeds"/></IPARAMVALUE>';
    const withTrailers = await rawRequest(s.port, imethodRequest('EnumerateInstances', 'root/cimv2', FEEDS, { TE: 'trailers' }));
    expect(withTrailers.trailers['cimstatuscode']).to.equal('1');
    expect(decodeURIComponent(withTrailers.trailers['cimstatuscodedescription']!)).to.equal('the feed broke');
    let cut: unknown = null;
    try {
      await rawRequest(s.port, imethodRequest('EnumerateInstances', 'root/cimv2', FEEDS));
    } catch (e) {
      cut = e;
    }
    expect(String(cut)).to.match(/closed without a complete response/);
  });

  it('refuses bodies over the size limit with 413, declared or chunked', async () => {
    const big = imethodRequest('GetClass', 'root/cimv2', `<!-- ${'x'.repeat(70 * 1024)} -->${ENUM}`);
    expect((await rawRequest(s.port, big)).status).to.equal(413);
    const piece = `${(32 * 1024).toString(16)}\r\n${'<'.repeat(32 * 1024)}\r\n`;
    const chunked = `POST /cimom HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nCIMOperation: MethodCall\r\nCIMMethod: GetClass\r\nCIMObject: root/cimv2\r\n\r\n${piece.repeat(3)}0\r\n\r\n`;
    expect((await rawRequest(s.port, chunked)).status).to.equal(413);
  });

  it('accepts application/xml and text/xml with utf-8 only; refuses other types with 415', async () => {
    for (const ct of ['application/xml', 'text/xml', 'text/xml; charset=utf-8', 'application/xml; charset="UTF-8"']) {
      expect((await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', ENUM, { 'Content-Type': ct }))).status, ct).to.equal(200);
    }
    for (const ct of ['image/png', 'application/xml; charset=iso-8859-1']) {
      expect((await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', ENUM, { 'Content-Type': ct }))).status, ct).to.equal(415);
    }
  });

  it('accepts CIMObject %-encoded (wbemcli) and plain (pywbem), and checks it against the body', async () => {
    expect((await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', ENUM, { CIMObject: 'root%2Fcimv2' }))).status).to.equal(200);
    expect((await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', ENUM, { CIMObject: 'root/cimv2' }))).status).to.equal(200);
    const mismatch = await rawRequest(s.port, imethodRequest('GetClass', 'root/cimv2', ENUM, { CIMObject: 'root/other' }));
    expect(mismatch.status).to.equal(400);
    expect(mismatch.headers['cimerror']).to.equal('header-mismatch');
  });

  it('answers request-not-well-formed and request-not-valid for bad bodies', async () => {
    const req = (body: string) => `POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCIMOperation: MethodCall\r\nCIMMethod: GetClass\r\nCIMObject: root/cimv2\r\nConnection: close\r\n\r\n${body}`;
    const nwf = await rawRequest(s.port, req('<CIM><MESSAGE>'));
    expect([nwf.status, nwf.headers['cimerror']]).to.deep.equal([400, 'request-not-well-formed']);
    const invalid = await rawRequest(s.port, req('<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><BOGUS/></CIM>'));
    expect([invalid.status, invalid.headers['cimerror']]).to.deep.equal([400, 'request-not-valid']);
  });

  it('drops a client that is too slow to send its headers (408) or silent', async () => {
    const server = new WbemServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), log: () => undefined, headersTimeoutMs: 500 });
    try {
      const { http: url } = await server.listen({ port: 0 });
      const port = Number(new URL(url!).port);
      const r = await rawRequest(port, 'POST /cimom HTTP/1.1\r\nHost: x\r\nCIMOperation: MethodCall\r\n', 10_000);
      expect(r.status).to.equal(408);
      // A client that connects and never says anything is dropped too.
      const closed = await new Promise<boolean>((resolve) => {
        const sock = net.connect(port, '127.0.0.1');
        sock.on('close', () => resolve(true));
        sock.on('error', () => undefined);
        setTimeout(() => { sock.destroy(); resolve(false); }, 10_000);
      });
      expect(closed).to.equal(true);
    } finally {
      await server.close();
    }
  });

  it('refuses GET with 405', async () => {
    const r = await rawRequest(s.port, 'GET /cimom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.status).to.equal(405);
  });

  it('serves HTTPS on a second port with a certificate and key', async () => {
    const { cert, key } = selfSignedCert();
    const server = new WbemServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), log: () => undefined });
    try {
      const urls = await server.listen({ port: 0, httpsPort: 0, cert, key });
      expect(urls.https).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = imethodBody('EnumerateInstanceNames', 'root/cimv2', ENUM);
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(`${urls.https}/cimom`, {
          method: 'POST', ca: cert, headers: { 'Content-Type': 'application/xml', CIMOperation: 'MethodCall', CIMMethod: 'EnumerateInstanceNames', CIMObject: 'root/cimv2' },
        }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => { text += d; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).to.equal(200);
      expect(answer.text.split('<INSTANCENAME ').length - 1).to.equal(3);
      expect(await validateAgainstDtd([answer.text])).to.equal('');
    } finally {
      await server.close();
    }
  });

  it('every CIM-XML answer here is DTD-valid', async () => {
    expect(await validateAgainstDtd(s.bodies)).to.equal('');
  });
});
