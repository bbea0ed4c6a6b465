// The interop namespace walked the way a generic CIM client navigates DMTF profiles, with the real
// wbemcli against a host agent built as tvdc-host builds it: the services of root/interop are
// scoped to the host system that exists (TVDc_HostSystem) and reachable from it over
// CIM_HostedService; GetCentralInstances answers with what CIM_ElementConformsToProfile links;
// Profile Registration's central instances are the registered profiles; a filter naming a
// namespace the server lacks is refused. Every response is checked against the DSP0203 DTD.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostAgent } from '../../client/host/HostAgent.js';
import { WbemConnection } from '../../client/cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { WbemServer, WbemServerError } from '../../src/wbem/WbemServer.js';
import { baseRepository, startServer, validateAgainstDtd, wbemcli, type ProcessResult, type TestServer } from './support/wbemTestKit.js';

/** wbemcli output lines, sorted (the server's order is not part of the contract). */
const lines = (r: ProcessResult): string[] => r.stdout.trim().split('\n').filter((l) => l !== '').sort();

/** A path wbemcli printed (`host/ns:Class.keys`), as the canonical key the server compares by. */
const keyOf = (printed: string): string => CimObjectPath.parse(`//${printed}`).canonicalKey();

/** The reply body `wbemcli -dx` dumped on stderr (the last one). */
function dumpedReply(r: ProcessResult): string {
  const marker = 'From server: <?xml';
  const at = r.stderr.lastIndexOf(marker);
  expect(at, r.stderr).to.be.greaterThan(-1);
  const body = r.stderr.slice(at + 'From server: '.length);
  // wbemcli's own complaints may follow the document.
  return body.slice(0, body.indexOf('</CIM>') + '</CIM>'.length);
}

describe('wbem: profile navigation through root/interop (wbemcli, host agent)', function () {
  this.timeout(60_000);
  let agent: HostAgent;
  const bodies: string[] = [];
  let origin: string;
  let I: string;
  let U: string;
  const HOST_KEYS = 'CreationClassName="TVDc_HostSystem",Name="nav1"';
  const SERVICE = 'nav1/root/interop:CIM_IndicationService.SystemCreationClassName="TVDc_HostSystem",SystemName="nav1",CreationClassName="CIM_IndicationService",Name="tvdc:IndicationService"';
  const profile = (id: string) => `TVDc_RegisteredProfile.InstanceID="${id}"`;

  before(async () => {
    const started = await HostAgent.start({
      name: 'nav1', stateDir: null, vtpm: 'off', log: () => undefined, traceResponse: (xml) => bodies.push(xml),
      indications: { deliver: false, onError: () => {} },
    }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    origin = started.urls.http!;
    I = `${origin}/root/interop`;
    U = `${origin}/root/tvdc`;
  });
  after(async () => {
    await agent.stop();
  });

  it('keys the object manager, every CIM_Namespace and the indication service to TVDc_HostSystem, which resolves', async () => {
    for (const cls of ['CIM_ObjectManager', 'CIM_Namespace', 'CIM_IndicationService']) {
      const r = await wbemcli('ein', `${I}:${cls}`);
      expect(r.code, r.stderr).to.equal(0);
      expect(lines(r), cls).to.not.be.empty;
      for (const l of lines(r)) {
        expect(l).to.contain('SystemCreationClassName="TVDc_HostSystem",SystemName="nav1"');
        expect(l).to.not.contain('CIM_ComputerSystem');
      }
    }
    // Following the weak keys to their system: it exists.
    const host = await wbemcli('gi', `${U}:TVDc_HostSystem.${HOST_KEYS}`);
    expect(host.code, host.stderr).to.equal(0);
    expect(host.stdout).to.contain('Name="nav1"');
  });

  it('reaches the indication service and the object manager from the host over CIM_HostedService', async () => {
    const svc = await wbemcli('ain', '-ac', 'CIM_HostedService', '-arc', 'CIM_IndicationService', `${U}:TVDc_HostSystem.${HOST_KEYS}`);
    expect(svc.code, svc.stderr).to.equal(0);
    expect(lines(svc)).to.deep.equal([SERVICE]);
    const om = await wbemcli('ai', '-ac', 'CIM_HostedService', '-arc', 'CIM_ObjectManager', `${U}:TVDc_HostSystem.${HOST_KEYS}`);
    expect(om.code, om.stderr).to.equal(0);
    expect(lines(om)).to.have.length(1);
    expect(lines(om)[0]).to.match(/^nav1\/root\/interop:CIM_ObjectManager\./).and.contain('Started=TRUE');
    // The links as the host's namespace serves them, beside the domain's TVDc_HostedService.
    const refs = await wbemcli('rin', '-arc', 'CIM_HostedService', `${U}:TVDc_HostSystem.${HOST_KEYS}`);
    expect(refs.code, refs.stderr).to.equal(0);
    const mine = lines(refs).filter((l) => l.startsWith('nav1/root/tvdc:CIM_HostedService.'));
    expect(mine).to.have.length(2);
    expect(mine.some((l) => l.includes('CIM_ObjectManager.Name="tvdc:nav1"'))).to.equal(true);
    expect(mine.some((l) => l.includes('CIM_IndicationService.'))).to.equal(true);
    expect(lines(refs).filter((l) => l.startsWith('nav1/root/tvdc:TVDc_HostedService.'))).to.not.be.empty;
    // And the same links from the interop end.
    const back = await wbemcli('ain', '-ac', 'CIM_HostedService', `http://${SERVICE.replace(/^nav1/, new URL(origin).host)}`);
    expect(back.code, back.stderr).to.equal(0);
    expect(lines(back).map(keyOf)).to.deep.equal([keyOf(`nav1/root/tvdc:TVDc_HostSystem.${HOST_KEYS}`)]);
  });

  it('answers GetCentralInstances with 0 and exactly the instances CIM_ElementConformsToProfile links', async () => {
    const registered = await wbemcli('ein', `${I}:CIM_RegisteredProfile`);
    expect(registered.code, registered.stderr).to.equal(0);
    const profiles = lines(registered).map((l) => l.slice(l.indexOf('/root/interop:') + '/root/interop:'.length));
    expect(profiles).to.include(profile('DMTF:Profile Registration:1.0.0')).and.include(profile('DMTF:System Virtualization:1.0.0'));
    const conn = new WbemConnection(origin, { namespace: 'root/interop' });
    try {
      for (const p of profiles) {
        const conforming = await wbemcli('ain', '-ac', 'CIM_ElementConformsToProfile', '-ar', 'ConformantStandard', `${I}:${p}`);
        expect(conforming.code, conforming.stderr).to.equal(0);
        const expected = lines(conforming).map(keyOf).sort();
        const r = await conn.invokeMethod(CimObjectPath.parse(`root/interop:${p}`), 'GetCentralInstances');
        expect(Number(r.returnValue), p).to.equal(0);
        const central = r.outParams.get('CentralInstances')!.value as CimObjectPath[];
        expect(central.every((c) => c.host === 'nav1' && c.namespace !== undefined), p).to.equal(true);
        expect(central.map((c) => c.canonicalKey()).sort(), p).to.deep.equal(expected);
      }
      const sv = await conn.invokeMethod(CimObjectPath.parse(`root/interop:${profile('DMTF:System Virtualization:1.0.0')}`), 'GetCentralInstances');
      expect((sv.outParams.get('CentralInstances')!.value as CimObjectPath[]).map((c) => c.canonicalKey()))
        .to.deep.equal([keyOf(`nav1/root/tvdc:TVDc_HostSystem.${HOST_KEYS}`)]);
    } finally {
      await conn.close();
    }
  });

  it('answers wbemcli cm GetCentralInstances on the wire with a uint8 0 and a REF array', async () => {
    // wbemcli sends the call, but its parser cannot read a VALUE.REFARRAY out parameter (it exits
    // with a parse error); the reply it dumps is what a client gets.
    const r = await wbemcli('-dx', 'cm', `${I}:${profile('DMTF:Indications:1.2.2')}`, 'GetCentralInstances');
    const reply = dumpedReply(r);
    bodies.push(reply);
    expect(reply).to.contain('<METHODRESPONSE NAME="GetCentralInstances"><RETURNVALUE PARAMTYPE="uint8"><VALUE>0</VALUE></RETURNVALUE>'
      + '<PARAMVALUE NAME="CentralInstances" PARAMTYPE="reference"><VALUE.REFARRAY><VALUE.REFERENCE><INSTANCEPATH><NAMESPACEPATH><HOST>nav1</HOST>');
    expect(reply.match(/<VALUE\.REFERENCE>/g)).to.have.length(1);
    expect(reply).to.contain('<INSTANCENAME CLASSNAME="CIM_IndicationService">');
    // The deprecated enumeration methods say Not Supported (1), a value of their ValueMap.
    const open = await wbemcli('cm', `${I}:${profile('DMTF:Indications:1.2.2')}`, 'OpenConformantInstances');
    expect(open.code, open.stderr).to.equal(0);
    expect(open.stdout).to.contain('OpenConformantInstances: 1');
    const none = await wbemcli('cm', `${I}:${profile('DMTF:Nothing:1.0.0')}`, 'GetCentralInstances');
    expect(none.code).to.not.equal(0);
    expect(none.stderr).to.contain('(6) CIM_ERR_NOT_FOUND: no registered profile with InstanceID "DMTF:Nothing:1.0.0"');
  });

  it('links Profile Registration to every registered profile, walkable from both ends, and not to the object manager', async () => {
    const registered = lines(await wbemcli('ein', `${I}:CIM_RegisteredProfile`)).map(keyOf).sort();
    const pr = await wbemcli('ain', '-ac', 'CIM_ElementConformsToProfile', `${I}:${profile('DMTF:Profile Registration:1.0.0')}`);
    expect(pr.code, pr.stderr).to.equal(0);
    expect(lines(pr).map(keyOf).sort()).to.deep.equal(registered);
    const fromVs = await wbemcli('ain', '-ac', 'CIM_ElementConformsToProfile', '-ar', 'ManagedElement', '-arr', 'ConformantStandard',
      `${I}:${profile('DMTF:Virtual System:1.0.0')}`);
    expect(fromVs.code, fromVs.stderr).to.equal(0);
    expect(lines(fromVs)).to.deep.equal([`nav1/root/interop:${profile('DMTF:Profile Registration:1.0.0')}`]);
    const om = lines(await wbemcli('ein', `${I}:CIM_ObjectManager`))[0]!;
    const fromOm = await wbemcli('ain', '-ac', 'CIM_ElementConformsToProfile', `http://${om}`);
    expect(fromOm.code, fromOm.stderr).to.equal(0);
    expect(lines(fromOm)).to.deep.equal([]);
  });

  it('takes the filter of docs/indications.md as written, and refuses the braces wbemcli sends literally', async () => {
    const K = 'SystemCreationClassName="TVDc_HostSystem",SystemName="nav1",CreationClassName="CIM_IndicationFilter"';
    const ok = await wbemcli('ci', `${I}:CIM_IndicationFilter.${K},Name="vms"`,
      'Name="vms",Query="SELECT * FROM CIM_InstModification WHERE SourceInstance ISA TVDc_ComputerSystem",QueryLanguage="WQL",SourceNamespaces="root/tvdc"');
    expect(ok.code, ok.stderr).to.equal(0);
    const got = await wbemcli('gi', `${I}:CIM_IndicationFilter.${K},Name="vms"`);
    expect(got.code, got.stderr).to.equal(0);
    expect(got.stdout).to.contain('SourceNamespaces="root/tvdc"');
    const braces = await wbemcli('ci', `${I}:CIM_IndicationFilter.${K},Name="bad"`,
      'Name="bad",Query="SELECT * FROM CIM_InstModification",QueryLanguage="WQL",SourceNamespaces={"root/tvdc"}');
    expect(braces.code).to.not.equal(0);
    expect(braces.stderr).to.contain('(4) CIM_ERR_INVALID_PARAMETER: SourceNamespaces[0] "{"root/tvdc"}" is not a namespace of this server');
    const second = await wbemcli('ci', `${I}:CIM_IndicationFilter.${K},Name="bad"`,
      'Name="bad",Query="SELECT * FROM CIM_InstModification",QueryLanguage="WQL",SourceNamespaces="root/tvdc","root/tvdcc"');
    expect(second.code).to.not.equal(0);
    expect(second.stderr).to.contain('SourceNamespaces[1] "root/tvdcc" is not a namespace of this server');
    // The alias of the interop namespace is a namespace.
    const alias = await wbemcli('ci', `${I}:CIM_IndicationFilter.${K},Name="alias"`,
      'Name="alias",Query="SELECT * FROM CIM_InstCreation",QueryLanguage="WQL",SourceNamespace="interop"');
    expect(alias.code, alias.stderr).to.equal(0);
    expect(lines(await wbemcli('ein', `${I}:CIM_IndicationFilter`)).map((l) => /Name="([^"]+)"$/.exec(l)?.[1]).sort()).to.deep.equal(['alias', 'vms']);
    expect((await wbemcli('di', `${I}:CIM_IndicationFilter.${K},Name="vms"`)).code).to.equal(0);
  });

  it('sent only DTD-valid responses', async () => {
    expect(bodies.length).to.be.greaterThan(20);
    expect(await validateAgainstDtd(bodies)).to.equal('');
  });
});

describe('wbem: the hostSystem option of a bare WbemServer', function () {
  this.timeout(60_000);
  let dir: string;
  let s: TestServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-nav-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, 'reader', 'read', 'r-pass');
    await UserDirectory.addUserToFile(file, 'writer', 'write', 'w-pass');
    s = await startServer({ repository: baseRepository(), name: 'bare', users: UserDirectory.load(file) });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a host system that is not a CIM_ComputerSystem of an existing namespace', () => {
    const attempts: Array<[{ className: string; namespace: string }, string]> = [
      [{ className: 'TVDc_HostSystem', namespace: 'root/nowhere' }, 'there is no namespace root/nowhere'],
      [{ className: 'TVDc_NoSuchSystem', namespace: 'root/tvdc' }, 'there is no class TVDc_NoSuchSystem in root/tvdc'],
      [{ className: 'TVDc_ComputerSystem', namespace: 'root/interop' }, 'there is no class TVDc_ComputerSystem in root/interop'],
      [{ className: 'CIM_RegisteredProfile', namespace: 'root/interop' }, 'CIM_RegisteredProfile in root/interop is not a CIM_ComputerSystem'],
    ];
    for (const [hostSystem, message] of attempts) {
      let thrown: unknown;
      try {
        new WbemServer({ repository: baseRepository(), hostSystem });
      } catch (e) {
        thrown = e;
      }
      expect(thrown, message).to.be.instanceOf(WbemServerError);
      expect((thrown as WbemServerError).code).to.equal('WBEM_HOST_SYSTEM');
      expect((thrown as WbemServerError).message).to.equal(`host system: ${message}`);
    }
  });

  it('names its host in a namespace of its own choosing, keyed by its class', () => {
    const server = new WbemServer({ repository: baseRepository(), name: 'h9', hostSystem: { className: 'tvdc_hostsystem', namespace: '/root/tvdc/' } });
    expect(server.hostSystem.toString()).to.equal('//h9/root/tvdc:TVDc_HostSystem.CreationClassName="TVDc_HostSystem",Name="h9"');
  });

  it('defaults to a CIM_ComputerSystem in root/interop, in the object manager\'s keys too', async () => {
    const r = await wbemcli('ein', `http://reader:r-pass@127.0.0.1:${s.port}/root/interop:CIM_ObjectManager`);
    expect(r.code, r.stderr).to.equal(0);
    expect(lines(r)).to.have.length(1);
    expect(lines(r)[0]).to.contain('SystemCreationClassName="CIM_ComputerSystem",SystemName="bare"');
  });

  it('lets GetCentralInstances through for write, refuses it for read like every extrinsic method', async () => {
    const target = `127.0.0.1:${s.port}/root/interop:${'TVDc_RegisteredProfile.InstanceID="DMTF:Profile Registration:1.0.0"'}`;
    const reader = await wbemcli('-dx', 'cm', `http://reader:r-pass@${target}`, 'GetCentralInstances');
    expect(reader.stderr).to.contain('(2) CIM_ERR_ACCESS_DENIED: reader (read) may not invoke methods');
    const writer = await wbemcli('-dx', 'cm', `http://writer:w-pass@${target}`, 'GetCentralInstances');
    const reply = dumpedReply(writer);
    expect(reply).to.contain('<RETURNVALUE PARAMTYPE="uint8"><VALUE>0</VALUE></RETURNVALUE>');
    // Profile Registration, the only profile of a bare server, is its own central instance.
    expect(reply.match(/<VALUE\.REFERENCE>/g)).to.have.length(1);
    expect(reply).to.contain('<KEYVALUE VALUETYPE="string" TYPE="string">DMTF:Profile Registration:1.0.0</KEYVALUE>');
    expect(await validateAgainstDtd(s.bodies)).to.equal('');
  });
});
