// HTTPS: the server certificate is verified against a CA file, -noverify skips that explicitly,
// client certificates are presented when asked for, and an untrusted server is a TLS error.
import { expect } from 'chai';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { encodeMessage } from '../../src/xml/index.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import type { ClientError } from '../../client/cim/ClientError.js';
import { IndicationListener } from '../../client/listener/IndicationListener.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { makeTestPki, type TestPki } from './support/testCertificates.js';
import { imethodResponse } from './support/StubServer.js';
import { runTvdcCimInProcess } from './support/runners.js';

describe('client over HTTPS', function () {
  this.timeout(20_000);
  let pki: TestPki;
  let server: Server;
  let origin: string;
  const clientNames: (string | null)[] = [];

  before(async () => {
    pki = makeTestPki();
    server = createServer({ cert: pki.pem.serverCert, key: pki.pem.serverKey, ca: pki.pem.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      clientNames.push(peer && peer.subject ? String(peer.subject.CN) : null);
      req.resume();
      req.on('end', () => {
        const body = imethodResponse('EnumerateClassNames', '<IRETURNVALUE><CLASSNAME NAME="TVDc_VTPM"/></IRETURNVALUE>');
        res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    pki.remove();
  });

  async function names(options: ConstructorParameters<typeof WbemConnection>[1]): Promise<string[]> {
    const conn = new WbemConnection(origin, { retries: 0, ...options });
    try {
      return await conn.enumerateClassNames().toArray();
    } finally {
      await conn.close();
    }
  }

  it('refuses a server its CA file does not vouch for, with code TLS', async () => {
    try {
      await names({});
      expect.fail('an untrusted certificate must not be accepted');
    } catch (e) {
      expect((e as ClientError).code).to.equal('TLS');
      // The library's hint names its own options; programs put theirs in its place.
      expect((e as Error).message).to.contain('tls.caFile').and.not.contain('-cacert');
    }
  });

  it('accepts the server with the CA file', async () => {
    expect(await names({ tls: { caFile: pki.caCert } })).to.deep.equal(['TVDc_VTPM']);
  });

  it('accepts any server with the explicit no-verify switch', async () => {
    expect(await names({ tls: { noVerify: true } })).to.deep.equal(['TVDc_VTPM']);
  });

  it('presents the client certificate when given one', async () => {
    clientNames.length = 0;
    await names({ tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } });
    expect(clientNames).to.deep.equal(['tvdc test client']);
  });

  it('a client certificate without its key is refused before connecting', () => {
    expect(() => new WbemConnection(origin, { tls: { certFile: pki.clientCert } })).to.throw(/private key/);
  });

  it('tvdc-cim takes -cacert, -clientcert, -clientkey and -noverify as wbemcli does', async () => {
    const url = `${origin}/root/tvdc`;
    const ok = await runTvdcCimInProcess(['ecn', '-cacert', pki.caCert, '-clientcert', pki.clientCert, '-clientkey', pki.clientKey, url]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.equal(`127.0.0.1:${new URL(origin).port}/root/tvdc:TVDc_VTPM\n`);
    const nv = await runTvdcCimInProcess(['ecn', '-noverify', url]);
    expect(nv.stdout).to.equal(ok.stdout);
    const bad = await runTvdcCimInProcess(['ecn', url]);
    expect(bad.code).to.equal(16);
    expect(bad.stderr).to.match(/Http Exception: TLS with 127\.0\.0\.1:\d+ failed: .*; give the server's CA with -cacert \(or, for testing only, -noverify\)/);
  });

  it('the listener serves HTTPS too', async () => {
    const listener = new IndicationListener({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    const got: string[] = [];
    listener.onIndication((i) => { got.push(i.className); });
    const url = await listener.start();
    expect(url).to.match(/^https:\/\//);
    const agent = new Agent({ connect: { ca: pki.pem.ca } });
    const body = encodeMessage({ kind: 'SIMPLEEXPREQ', id: '9', call: { kind: 'EXPMETHODCALL', name: 'ExportIndication', params: [{ name: 'NewIndication', value: { kind: 'INSTANCE', instance: new CimInstance('TVDc_IntegrityIndication') } }] } });
    const r = await request(url, { method: 'POST', dispatcher: agent, body, headers: { 'content-type': 'application/xml', cimexport: 'MethodRequest', cimexportmethod: 'ExportIndication', cimprotocolversion: '1.0' } });
    expect(r.statusCode).to.equal(200);
    await r.body.text();
    await agent.close();
    await listener.close();
    expect(got).to.deep.equal(['TVDc_IntegrityIndication']);
  });
});
