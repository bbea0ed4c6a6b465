// What the client reports when the server or the network misbehaves: each failure is a typed
// error with its stable code, never a hang or an untyped crash.
import { expect } from 'chai';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import {
  AuthenticationError, ClientError, ContentTypeError, ForbiddenError, HttpStatusError, ResponseParseError, TimeoutError, TransportError,
} from '../../client/cim/ClientError.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import { cimErrorResponse, imethodResponse, sendXml, StubServer, type StubHandler } from './support/StubServer.js';
import { failure } from './support/failure.js';

const INSTANCE = '<INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="Id" TYPE="uint32"><VALUE>7</VALUE></PROPERTY></INSTANCE>';
const PATH = CimObjectPath.instance('TVD_Widget', { Id: 7n }, 'root/cimv2');

describe('client errors', function () {
  this.timeout(10_000);
  let server: StubServer;
  let conn: WbemConnection;

  function serve(h: StubHandler, options: ConstructorParameters<typeof WbemConnection>[1] = {}): void {
    server.setHandler(h);
    conn = new WbemConnection(server.origin, { user: 'alice', password: 'pw', ...options });
  }

  beforeEach(async () => {
    server = await StubServer.started();
  });
  afterEach(async () => {
    await conn?.transport.destroy();
    await server.close();
  });

  it('a good answer decodes (the baseline for the failures below)', async () => {
    serve((_r, res) => sendXml(res, imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`)));
    const inst = await conn.getInstance(PATH);
    expect(inst.get('Id')).to.equal(7);
    expect(inst.path?.namespace).to.equal('root/cimv2');
  });

  it('an ERROR element becomes CimError with the DMTF status and description', async () => {
    serve((_r, res) => sendXml(res, cimErrorResponse('GetInstance', 6, 'no such widget')));
    const e = await failure(conn.getInstance(PATH));
    expect(e).to.be.instanceOf(CimError);
    expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
    expect((e as CimError).description).to.equal('no such widget');
  });

  it('a body cut short by the server closing the connection is RESPONSE_PARSE (truncated)', async () => {
    serve((_r, res) => {
      const body = imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`);
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(body.length) });
      res.write(body.slice(0, 120));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const e = await failure(conn.getInstance(PATH));
    expect(e).to.be.instanceOf(ResponseParseError);
    expect((e as ClientError).code).to.equal('RESPONSE_PARSE');
    expect((e as Error).message).to.match(/truncated/);
  });

  it('a complete HTTP body holding an unfinished document is RESPONSE_PARSE', async () => {
    serve((_r, res) => sendXml(res, imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`).slice(0, 200)));
    const e = await failure(conn.getInstance(PATH));
    expect(e).to.be.instanceOf(ResponseParseError);
    expect((e as ResponseParseError).operation).to.equal('GetInstance');
  });

  it('a response to another operation is RESPONSE_PARSE', async () => {
    serve((_r, res) => sendXml(res, imethodResponse('GetClass', '<IRETURNVALUE></IRETURNVALUE>')));
    const e = await failure(conn.getInstance(PATH));
    expect(e).to.be.instanceOf(ResponseParseError);
    expect((e as Error).message).to.contain('GetClass');
  });

  it('a CIMStatusCode trailer after a cut-short chunked body is the CimError it names', async () => {
    serve((req, res) => {
      expect(req.headers.te).to.equal('trailers');
      res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', trailer: 'CIMStatusCode, CIMStatusCodeDescription' });
      res.write(imethodResponse('EnumerateInstances', `<IRETURNVALUE>${'@'}`).split('@')[0]!);
      res.addTrailers({ CIMStatusCode: '1', CIMStatusCodeDescription: encodeURIComponent('provider crashed: disk gone') });
      res.end();
    });
    const e = await failure(conn.enumerateInstances('TVD_Widget').toArray());
    expect(e).to.be.instanceOf(CimError);
    expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_FAILED);
    expect((e as CimError).description).to.equal('provider crashed: disk gone');
    const one = await failure(conn.getInstance(PATH));
    expect((one as CimError).description).to.equal('provider crashed: disk gone');
  });

  it('a CIMStatusCode trailer of 0 changes nothing', async () => {
    serve((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', trailer: 'CIMStatusCode' });
      res.write(imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`));
      res.addTrailers({ CIMStatusCode: '0' });
      res.end();
    });
    expect((await conn.getInstance(PATH)).get('Id')).to.equal(7);
  });

  it('a response that is not XML is BAD_CONTENT_TYPE', async () => {
    serve((_r, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>login</html>'); });
    const e = await failure(conn.getInstance(PATH));
    expect(e).to.be.instanceOf(ContentTypeError);
    expect((e as ClientError).code).to.equal('BAD_CONTENT_TYPE');
    expect((e as ContentTypeError).contentType).to.equal('text/html');
  });

  it('401 is AUTH_REQUIRED with the realm and the user', async () => {
    serve((_r, res) => { res.writeHead(401, { 'www-authenticate': 'Basic realm="tvdc host"' }); res.end(); });
    const e = await failure(conn.getInstance(PATH));
    expect(e).to.be.instanceOf(AuthenticationError);
    expect((e as ClientError).code).to.equal('AUTH_REQUIRED');
    expect((e as AuthenticationError).realm).to.equal('tvdc host');
    expect((e as Error).message).to.contain('"alice"');
  });

  it('403 is FORBIDDEN naming the operation', async () => {
    serve((_r, res) => { res.writeHead(403); res.end(); });
    const e = await failure(conn.deleteInstance(PATH));
    expect(e).to.be.instanceOf(ForbiddenError);
    expect((e as ClientError).code).to.equal('FORBIDDEN');
    expect((e as Error).message).to.contain('DeleteInstance');
  });

  it('500 is HTTP_STATUS with the status', async () => {
    serve((_r, res) => { res.writeHead(500); res.end('boom'); });
    const e = await failure(conn.getClass('TVD_Widget'));
    expect(e).to.be.instanceOf(HttpStatusError);
    expect((e as HttpStatusError).status).to.equal(500);
    expect((e as ClientError).code).to.equal('HTTP_STATUS');
  });

  it('400 with a CIMError header is PROTOCOL and carries the header', async () => {
    serve((_r, res) => { res.writeHead(400, { cimerror: 'request-not-valid' }); res.end(); });
    const e = await failure(conn.getClass('TVD_Widget'));
    expect((e as ClientError).code).to.equal('PROTOCOL');
    expect((e as HttpStatusError).cimErrorHeader).to.equal('request-not-valid');
  });

  it('nothing listening is CONNECT_REFUSED', async () => {
    const port = server.port;
    await server.close();
    conn = new WbemConnection(`http://127.0.0.1:${port}`, { retries: 0 });
    const e = await failure(conn.getClass('TVD_Widget'));
    expect(e).to.be.instanceOf(TransportError);
    expect((e as ClientError).code).to.equal('CONNECT_REFUSED');
    server = await StubServer.started();
  });

  it('a reset before the answer is CONNECTION_RESET after the configured retries of a safe operation', async () => {
    serve((_r, res) => res.socket?.destroy(), { retries: 2 });
    const e = await failure(conn.getClass('TVD_Widget'));
    expect(e).to.be.instanceOf(TransportError);
    expect((e as ClientError).code).to.equal('CONNECTION_RESET');
    expect(server.requests.length).to.equal(3);
  });

  it('a safe operation succeeds when a retry gets through', async () => {
    let n = 0;
    serve((_r, res) => {
      if (n++ === 0) { res.socket?.destroy(); return; }
      sendXml(res, imethodResponse('GetInstance', `<IRETURNVALUE>${INSTANCE}</IRETURNVALUE>`));
    });
    const inst = await conn.getInstance(PATH);
    expect(inst.className).to.equal('TVD_Widget');
    expect(server.requests.length).to.equal(2);
  });

  it('InvokeMethod, CreateInstance and DeleteInstance are never re-sent', async () => {
    serve((_r, res) => res.socket?.destroy(), { retries: 3 });
    await failure(conn.invokeMethod(PATH, 'Reset'));
    expect(server.requests.length).to.equal(1);
    await failure(conn.deleteInstance(PATH));
    expect(server.requests.length).to.equal(2);
    const e = await failure(conn.invokeMethod(PATH, 'Reset'));
    expect((e as ClientError).code).to.equal('CONNECTION_RESET');
  });

  it('a server that never answers is TIMEOUT (headers) after the configured headers timeout', async () => {
    serve(() => undefined, { timeouts: { headers: 300 }, retries: 0 });
    const e = await failure(conn.getClass('TVD_Widget'));
    expect(e).to.be.instanceOf(TimeoutError);
    expect((e as TimeoutError).phase).to.equal('headers');
    expect((e as TimeoutError).timeoutMs).to.equal(300);
  });

  it('a server that stalls mid-body is TIMEOUT (body)', async () => {
    serve((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write(imethodResponse('EnumerateInstances', '').slice(0, 150));
    }, { timeouts: { body: 300 }, retries: 0 });
    const e = await failure(conn.enumerateInstances('TVD_Widget').toArray());
    expect(e).to.be.instanceOf(TimeoutError);
    expect((e as TimeoutError).phase).to.equal('body');
  });

  it('a server that trickles bytes forever is TIMEOUT (total) after the configured deadline', async () => {
    let timer: NodeJS.Timeout | undefined;
    serve((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      const doc = imethodResponse('EnumerateInstances', '<IRETURNVALUE>');
      res.write(doc.slice(0, doc.indexOf('<IRETURNVALUE>') + 14));
      // A comment byte every 50 ms: the body timeout (between chunks) never fires.
      timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    }, { timeouts: { body: 300, total: 700 }, retries: 0 });
    try {
      const e = await failure(conn.enumerateInstances('TVD_Widget').toArray());
      expect(e).to.be.instanceOf(TimeoutError);
      expect((e as TimeoutError).phase).to.equal('total');
      expect((e as TimeoutError).timeoutMs).to.equal(700);
    } finally {
      clearInterval(timer);
    }
  });

  it('a closed connection object refuses new work with CLOSED', async () => {
    serve((_r, res) => sendXml(res, imethodResponse('GetClass', '')));
    await conn.close();
    const e = await failure(conn.getClass('X'));
    expect((e as ClientError).code).to.equal('CLOSED');
  });

  it('an instance path is required where DSP0200 wants one', async () => {
    serve((_r, res) => res.end());
    const e = await failure(conn.getInstance(new CimObjectPath('TVD_Widget')));
    expect((e as ClientError).code).to.equal('INVALID_ARGUMENT');
    expect(server.requests.length).to.equal(0);
  });
});
