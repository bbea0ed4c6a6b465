// A listener destination's URL can hold the only secret of a listener: the management server
// gives each host an unguessable path, and whoever knows it can deliver forged indications there.
// A host user who may only read must not learn that path; those who may write (the management
// server's login) read it whole. Real host agent, real wbemcli.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostAgent } from '../../client/host/HostAgent.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { wbemcli } from './support/wbemTestKit.js';

describe('wbem: a listener destination seen by a read-only user', function () {
  this.timeout(60_000);
  let dir: string;
  let agent: HostAgent;
  let hostPort: string;
  const SECRET = '/tvdc/indications/Qm9vdGxlZy1wYXRoLXNlY3JldC0xMjM0NTY';
  const keys = 'SystemCreationClassName="TVDc_HostSystem",SystemName="host1",CreationClassName="CIM_ListenerDestinationCIMXML",Name="mgmt"';
  const at = (user: string, pw: string) => `http://${user}:${pw}@${hostPort}/root/interop`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-dest-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, 'mgmt', 'write', 'mgmt-password');
    await UserDirectory.addUserToFile(file, 'viewer', 'read', 'viewer-password');
    const started = await HostAgent.start({
      name: 'host1', stateDir: null, vtpm: 'off', log: () => undefined, users: UserDirectory.load(file),
      indications: { deliver: false, onError: () => {} },
    }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    hostPort = new URL(started.urls.http!).host;
    const made = await wbemcli('ci', `${at('mgmt', 'mgmt-password')}:CIM_ListenerDestinationCIMXML.${keys}`, `Name="mgmt",Destination="http://127.0.0.1:5990${SECRET}"`);
    expect(made.code, made.stderr).to.equal(0);
  });
  after(async () => {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the writer who made it reads the whole URL; a reader reads its origin only, by ei and by gi', async () => {
    const writer = await wbemcli('ei', `${at('mgmt', 'mgmt-password')}:CIM_ListenerDestinationCIMXML`);
    expect(writer.code, writer.stderr).to.equal(0);
    expect(writer.stdout).to.contain(`Destination="http://127.0.0.1:5990${SECRET}"`);
    const reader = await wbemcli('ei', `${at('viewer', 'viewer-password')}:CIM_ListenerDestinationCIMXML`);
    expect(reader.code, reader.stderr).to.equal(0);
    expect(reader.stdout).to.contain('Destination="http://127.0.0.1:5990/***"').and.not.contain(SECRET);
    const one = await wbemcli('gi', `${at('viewer', 'viewer-password')}:CIM_ListenerDestinationCIMXML.${keys}`);
    expect(one.code, one.stderr).to.equal(0);
    expect(one.stdout).to.contain('Destination="http://127.0.0.1:5990/***"').and.not.contain(SECRET);
  });
});
