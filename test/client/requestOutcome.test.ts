// Whether a failed request may have been carried out: each failure produced for real (a closed
// port, HTTP servers on loopback that answer 401, 400 or 503, reset the connection after reading
// the request, or never answer) and classified by mayHaveBeenProcessed, the rule a migration
// source uses to decide between taking a VM back and leaving the migration in doubt.
import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimError, ClientError, WbemConnection, mayHaveBeenProcessed } from '../../client/cim/index.js';

const target = CimObjectPath.instance('TVDc_VirtualSystemMigrationService', { Name: 'VirtualSystemMigrationService' }, 'root/tvdc');

/** A TCP server that does `onRequest` with each connection once a whole request head arrived. */
async function rawServer(onRequest: (s: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    let seen = '';
    s.on('data', (d: Buffer) => {
      if (seen.includes('\r\n\r\n')) return;
      seen += d.toString('latin1');
      if (seen.includes('\r\n\r\n')) onRequest(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const answer = (status: string, headers: string[] = []) => (s: Socket) =>
  s.end(`HTTP/1.1 ${status}\r\n${[...headers, 'Content-Length: 0', 'Connection: close'].join('\r\n')}\r\n\r\n`);

async function failureOf(port: number, timeoutMs = 5_000): Promise<unknown> {
  const conn = new WbemConnection(`http://127.0.0.1:${port}`, { namespace: 'root/tvdc', retries: 0, timeouts: { connect: timeoutMs, headers: timeoutMs, body: timeoutMs } });
  try {
    await conn.invokeMethod(target, 'AcceptMigration', { Name: 'vm1' });
  } catch (e) {
    return e;
  } finally {
    await conn.close();
  }
  throw new Error('the call succeeded');
}

describe('client: mayHaveBeenProcessed tells "certainly not carried out" from "may have been"', function () {
  this.timeout(20_000);

  const cases: Array<[string, (s: Socket) => void, string, boolean]> = [
    ['401 (refused before processing)', answer('401 Unauthorized', ['WWW-Authenticate: Basic realm="tvdc"']), 'AUTH_REQUIRED', false],
    ['403', answer('403 Forbidden'), 'FORBIDDEN', false],
    ['400 with a CIMError header', answer('400 Bad Request', ['CIMError: request-not-valid']), 'PROTOCOL', false],
    ['503 (a server or gateway failing mid-way)', answer('503 Service Unavailable'), 'HTTP_STATUS', true],
    ['a reset after the request was read', (s) => s.resetAndDestroy(), 'CONNECTION_RESET', true],
    ['a hang-up after the request was read', (s) => s.end(), 'CONNECTION_RESET', true],
  ];
  for (const [what, onRequest, code, processed] of cases) {
    it(`${what}: ${code}, ${processed ? 'may have been carried out' : 'certainly not carried out'}`, async () => {
      const srv = await rawServer(onRequest);
      try {
        const e = await failureOf(srv.port);
        expect(e).to.be.instanceOf(ClientError);
        expect((e as ClientError).code).to.equal(code);
        expect(mayHaveBeenProcessed(e)).to.equal(processed);
      } finally {
        await srv.close();
      }
    });
  }

  it('no answer within the time limit: TIMEOUT, may have been carried out', async () => {
    const srv = await rawServer(() => undefined);
    try {
      const e = await failureOf(srv.port, 300);
      expect((e as ClientError).code).to.equal('TIMEOUT');
      expect(mayHaveBeenProcessed(e)).to.equal(true);
    } finally {
      await srv.close();
    }
  });

  it('nothing listening: CONNECT_REFUSED, certainly not carried out', async () => {
    const srv = await rawServer(() => undefined);
    const port = srv.port;
    await srv.close();
    const e = await failureOf(port);
    expect((e as ClientError).code).to.equal('CONNECT_REFUSED');
    expect(mayHaveBeenProcessed(e)).to.equal(false);
  });

  it('a CIM error (the server decided) is certainly not carried out; anything unknown may have been', () => {
    expect(mayHaveBeenProcessed(new CimError(4, 'no such method'))).to.equal(false);
    expect(mayHaveBeenProcessed(new Error('something else'))).to.equal(true);
  });
});
