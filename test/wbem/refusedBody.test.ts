// A request refused before its body has arrived (no credentials, a blocked address) must still
// reach its client as the refusal, on a connection the client may go on using: closing with the
// body unread made the kernel reset the connection, and clients saw a hang-up instead of the 401.
import { expect } from 'chai';
import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { imethodBody, repositoryFrom, startServer, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

const ENUM = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';
const BODY = imethodBody('EnumerateInstanceNames', 'root/cimv2', ENUM);
const HEADERS = { 'Content-Type': 'application/xml; charset="utf-8"', CIMOperation: 'MethodCall', CIMMethod: 'EnumerateInstanceNames', CIMObject: 'root%2Fcimv2' };

interface Answer { status: number; connection: string | undefined; socketsSoFar: number }

describe('wbem: a request refused before its body arrived', function () {
  let dir: string;
  let s: TestServer;
  const sockets = new Set<unknown>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-refused-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, 'reader', 'read', 'r-pass');
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), users: UserDirectory.load(file) });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One chunked POST without credentials on `agent`, its body written as `write` says. */
  function post(agent: http.Agent, write: (req: http.ClientRequest) => void): Promise<Answer | string> {
    return new Promise((resolve) => {
      const req = http.request({ port: s.port, method: 'POST', path: '/cimom', agent, headers: { ...HEADERS, 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, socketsSoFar: sockets.size }));
      });
      req.on('socket', (sock) => sockets.add(sock));
      req.on('error', (e) => resolve(e.message));
      write(req);
    });
  }

  it('answers 401 to every one of 60 keep-alive requests, whole, split or with 200 KB more, all on one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    sockets.clear();
    const writers: ((req: http.ClientRequest) => void)[] = [
      (req) => req.end(BODY),
      (req) => { req.write(BODY.slice(0, 80)); setTimeout(() => req.end(BODY.slice(80)), 3); },
      (req) => { req.write(BODY); req.end(' '.repeat(200_000)); },
    ];
    const answers: (Answer | string)[] = [];
    for (let i = 0; i < 60; i++) answers.push(await post(agent, writers[i % 3]!));
    agent.destroy();
    expect(answers.filter((a) => typeof a === 'string')).to.deep.equal([]);
    expect(answers.map((a) => (a as Answer).status)).to.deep.equal(Array(60).fill(401));
    expect(answers.map((a) => (a as Answer).connection)).to.not.include('close');
    expect(sockets.size, 'connections used').to.equal(1);
  });

  it('a body past 1 MiB is not waited for: its connection is dropped, and the next request gets its 401 on a new one', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    sockets.clear();
    // The refusal goes out at once; the client may see it, or an error on its write once the
    // connection is dropped past 1 MiB. Either way it is not left waiting, and no dead
    // connection is reused.
    const big = await post(agent, (req) => { req.write(BODY); for (let i = 0; i < 24; i++) req.write(Buffer.alloc(64 * 1024, 0x20)); req.end(); });
    if (typeof big !== 'string') expect(big.status).to.equal(401);
    const next = await post(agent, (req) => req.end(BODY));
    agent.destroy();
    expect(next).to.include({ status: 401 });
    expect(sockets.size, 'connections used').to.equal(2);
  });
});
