// What the server asks the hosts before a policy edit or set is bounded: a host that takes the
// connection and never answers is named as not read after the bound, while the others are read.
// A real host agent and a real silent TCP listener on loopback, a real server on a SQLite file.
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { knownHostVersions, readHostsPolicies } from '../../client/server/hostPolicies.js';
import { GroupStore } from '../../client/server/GroupStore.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { startInProcessHost, type InProcessHost } from '../providers/isolation/support/InProcessHost.js';
import { startServer, tempDir, type RunningServer } from './support/serverHarness.js';

describe('management server: reading what the hosts hold is bounded', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-hostpolicies-');
  let host: InProcessHost;
  let srv: RunningServer;
  let silent: Server;
  const sockets: Socket[] = [];

  before(async () => {
    host = await startInProcessHost('c1');
    silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    srv = await startServer(join(tmp.dir, 'server.db'));
    srv.server.hosts.add('c1', host.origin, { user: null, password: null });
    const port = (silent.address() as { port: number }).port;
    srv.server.hosts.add('mute', `http://127.0.0.1:${port}`, { user: null, password: null });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    await srv?.server.stop();
    await host?.stop();
    tmp.remove();
  });

  it('a host that never answers is listed as not read after the bound; the other host is read', async () => {
    const started = Date.now();
    const r = await readHostsPolicies(srv.server, ['mute', 'c1'], 400);
    const took = Date.now() - started;
    expect(took).to.be.at.least(350).and.below(5_000);
    expect(r.notRead).to.deep.equal([{ host: 'mute', message: 'no answer within 0.4 s' }]);
    expect([...r.read.keys()]).to.deep.equal(['c1']);
    expect(sockets.length).to.be.greaterThan(0);
  });

  it('a version a host reports that is not major.minor is left out: its text reaches no note or audit entry', () => {
    const groups = new GroupStore(srv.server.db);
    groups.create('g');
    const path = CimObjectPath.parse('TVDc_SecurityPolicy.InstanceID="x"');
    const read = new Map([['c1', [
      { name: 'tvdc-paper', version: '100.0; host c9 runs tvdc-paper 1.0\nforged', active: true, path },
      { name: 'tvdc-paper', version: '1.7', active: false, path },
      { name: 'other', version: '9.0', active: false, path },
    ]]]);
    expect(knownHostVersions(groups, 'g', 'tvdc-paper', { read, notRead: [] })).to.deep.equal([{ version: '1.7', host: 'c1', where: 'host c1 holds (not active)' }]);
  });
});
