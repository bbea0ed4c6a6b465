// The host agent builder (client/host/HostAgent.ts) with real parts: the project schema, SQLite
// files, swtpm, HTTP on loopback. What tvdc-host's own tests cannot see from outside: that a
// failed build or a failed listen leaves nothing running, and that stop() lets go of the store.
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { findSwtpmProcesses, killAndWait } from '../../src/tvdc/vtpm/SwtpmProcess.js';
import { WbemServerError } from '../../src/wbem/WbemServer.js';
import { WbemConnection } from '../../client/cim/index.js';
import { HostAgent, HostAgentError } from '../../client/host/HostAgent.js';

// root/cimv2 starts empty: the file declares the qualifiers it uses.
const THING_MOF = `
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
class Test_Thing {
  [Key] string Id;
  string Colour;
};
`;

describe('HostAgent (client/host)', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-hostagent-'));
  });
  afterEach(async () => {
    for (const p of findSwtpmProcesses(dir)) await killAndWait(p.pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses extra MOF with errors, naming each one, before it makes the state directory', async () => {
    const bad = join(dir, 'bad.mof');
    writeFileSync(bad, 'class Test_A : No_Such_Class { string X; };\nclass Test_B { [Key] strin Id; };\n');
    const state = join(dir, 'state');
    const err = await HostAgent.open({ name: 'h', stateDir: state, vtpm: 'off', mof: [bad] }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(HostAgentError);
    const e = err as HostAgentError;
    expect(e.code).to.equal('HOST_MOF');
    expect(e.details).to.have.length.greaterThanOrEqual(2);
    for (const line of e.details) expect(line).to.match(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    expect(e.details.some((l) => l.startsWith(`${bad}:1:`))).to.equal(true);
    expect(e.details.some((l) => l.startsWith(`${bad}:2:`))).to.equal(true);
    expect(existsSync(state)).to.equal(false);
  });

  it('serves extra MOF classes in root/cimv2 and keeps what clients create in the state directory across a restart', async () => {
    const mof = join(dir, 'thing.mof');
    writeFileSync(mof, THING_MOF);
    const state = join(dir, 'state');
    const path = CimObjectPath.instance('Test_Thing', { Id: 't1' }, 'root/cimv2');
    const props = new NameMap<CimProperty>();
    props.set('Id', new CimProperty('Id', 'string', 't1'));
    props.set('Colour', new CimProperty('Colour', 'string', 'blue'));

    const first = await HostAgent.start({ name: 'h', stateDir: state, vtpm: 'off', mof: [mof], log: () => {} }, { port: 0, host: '127.0.0.1' });
    let conn = new WbemConnection(first.urls.http!, { namespace: 'root/cimv2' });
    await conn.createInstance(new CimInstance('Test_Thing', props, path));
    await conn.close();
    await first.agent.stop();
    await first.agent.stop();
    expect(existsSync(join(state, 'host.db'))).to.equal(true);
    // The port is given up with the agent.
    conn = new WbemConnection(first.urls.http!, { namespace: 'root/cimv2' });
    const refused = await conn.getInstance(path).then(() => null, (e: unknown) => e);
    await conn.close();
    expect(refused).to.be.instanceOf(Error);

    const second = await HostAgent.start({ name: 'h', stateDir: state, vtpm: 'off', mof: [mof], log: () => {} }, { port: 0, host: '127.0.0.1' });
    try {
      expect(second.agent.server.restored.skipped).to.deep.equal([]);
      conn = new WbemConnection(second.urls.http!, { namespace: 'root/cimv2' });
      const got = await conn.getInstance(path);
      expect(got.properties.get('Colour')?.value).to.equal('blue');
      await conn.close();
    } finally {
      await second.agent.stop();
    }
  });

  it('stops its vTPMs when stopped, and when it cannot listen', async () => {
    const state = join(dir, 'state');
    const agent = await HostAgent.open({ name: 'h', stateDir: state, vtpm: 'swtpm', log: () => {} });
    // The host's own TPM is a swtpm under the state directory.
    expect(findSwtpmProcesses(state)).to.have.length.greaterThan(0);
    await agent.stop();
    expect(findSwtpmProcesses(state)).to.deep.equal([]);

    // Without users the agent refuses any address but loopback.
    const err = await HostAgent.start({ name: 'h', stateDir: state, vtpm: 'swtpm', log: () => {} }, { port: 0, host: '0.0.0.0' }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(WbemServerError);
    expect((err as WbemServerError).code).to.equal('WBEM_UNAUTHENTICATED_BIND');
    expect(findSwtpmProcesses(state)).to.deep.equal([]);
  });
});
