// DSP1054 navigation with the real wbemcli, the way a generic client finds the indication
// service: the Indications profile in root/interop, its conformance link to CIM_IndicationService,
// the service's capabilities (CIM_ElementCapabilities) and its host (CIM_HostedService, across
// namespaces to TVDc_HostSystem in root/tvdc), plus the deprecated CIM_IndicationHandlerCIMXML.
// The first server is a host agent as tvdc-host builds one (the project's schema and providers);
// every response is checked against the DSP0203 DTD.
import { expect } from 'chai';
import { attachIndications } from '../../src/wbem/indications/index.js';
import { HostAgent } from '../../client/host/HostAgent.js';
import { baseRepository, startServer, validateAgainstDtd, wbemcli, type TestServer } from './support/wbemTestKit.js';

describe('wbem: the indication service through root/interop (wbemcli)', function () {
  this.timeout(60_000);
  let agent: HostAgent;
  const bodies: string[] = [];
  let base: string;
  let hostPort: string;
  // Scoped to the host system the agent names (TVDc_HostSystem), not to a CIM_ComputerSystem nothing serves.
  const service = () => `${base}:CIM_IndicationService.CreationClassName="CIM_IndicationService",Name="tvdc:IndicationService",SystemCreationClassName="TVDc_HostSystem",SystemName="host1"`;

  before(async () => {
    const started = await HostAgent.start({
      name: 'host1', stateDir: null, vtpm: 'off', log: () => undefined, traceResponse: (xml) => bodies.push(xml),
      indications: { deliver: false, onError: () => {} },
    }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    hostPort = new URL(started.urls.http!).host;
    base = `http://${hostPort}/root/interop`;
  });
  after(async () => {
    await agent.stop();
  });

  it('ei lists the indication service with its DSP1054 settings', async () => {
    const r = await wbemcli('ei', `${base}:CIM_IndicationService`);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^${hostPort}/root/interop:CIM_IndicationService\\.`));
    expect(lines[0]).to.contain('Name="tvdc:IndicationService"').and.contain('SystemName="host1"')
      .and.contain('FilterCreationEnabled=TRUE').and.contain('DeliveryRetryAttempts=3').and.contain('DeliveryRetryInterval=30');
  });

  it('ei lists the capabilities, now that root/interop has the class', async () => {
    const r = await wbemcli('ei', `${base}:CIM_IndicationServiceCapabilities`);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n')).to.have.length(1);
    expect(r.stdout).to.contain('CIM_IndicationServiceCapabilities.InstanceID="tvdc:IndicationService:Capabilities"')
      .and.contain('SubscriptionsPersisted=TRUE').and.contain('DeliveryRetryIntervalIsSettable=TRUE')
      .and.contain('FilterCreationEnabledIsSettable=FALSE').and.contain('MaxListenerDestinations=1000');
  });

  it('ai from the service reaches its capabilities over CIM_ElementCapabilities', async () => {
    const r = await wbemcli('ai', '-ac', 'CIM_ElementCapabilities', service());
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    // Objects reached over an association carry the server's host name (DSP0207 host part).
    expect(lines[0]).to.match(/^host1\/root\/interop:CIM_IndicationServiceCapabilities\.InstanceID="tvdc:IndicationService:Capabilities" /);
    expect(lines[0]).to.contain('MaxActiveSubscriptions=1000');
    // And back: the capabilities name the service they describe.
    const back = await wbemcli('ain', '-ac', 'CIM_ElementCapabilities', `${base}:CIM_IndicationServiceCapabilities.InstanceID="tvdc:IndicationService:Capabilities"`);
    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout.trim()).to.contain('/root/interop:CIM_IndicationService.').and.contain('Name="tvdc:IndicationService"');
  });

  it('ai from the service reaches the host system in root/tvdc over CIM_HostedService', async () => {
    const r = await wbemcli('ai', '-ac', 'CIM_HostedService', service());
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^host1\/root\/tvdc:TVDc_HostSystem\.(CreationClassName="TVDc_HostSystem",Name="host1"|Name="host1",CreationClassName="TVDc_HostSystem") /);
    const refs = await wbemcli('rin', '-arc', 'CIM_HostedService', service());
    expect(refs.code, refs.stderr).to.equal(0);
    expect(refs.stdout.trim().split('\n')).to.have.length(1);
    expect(refs.stdout).to.contain('/root/interop:CIM_HostedService.Antecedent=').and.contain('TVDc_HostSystem');
    // The object manager is hosted by the same system.
    const om = await wbemcli('ein', `${base}:CIM_HostedService`);
    expect(om.stdout.trim().split('\n')).to.have.length(2);
    expect(om.stdout).to.contain('CIM_ObjectManager');
  });

  it('ain from the Indications profile reaches the service over CIM_ElementConformsToProfile', async () => {
    const profiles = await wbemcli('ei', `${base}:CIM_RegisteredProfile`);
    expect(profiles.code, profiles.stderr).to.equal(0);
    const line = profiles.stdout.trim().split('\n').find((l) => l.includes('RegisteredName="Indications"'));
    expect(line, profiles.stdout).to.not.equal(undefined);
    expect(line).to.contain('RegisteredVersion="1.2.2"').and.contain('RegisteredOrganization=2');
    const path = line!.slice(0, line!.indexOf(' '));
    const r = await wbemcli('ain', '-ac', 'CIM_ElementConformsToProfile', `http://${path}`);
    expect(r.code, r.stderr).to.equal(0);
    // The service as the profile's central instance, and Profile Registration, whose central
    // instances (DSP1033, autonomous) are the registered profiles, this one included.
    expect(r.stdout.trim().split('\n').sort()).to.deep.equal([
      'host1/root/interop:CIM_IndicationService.SystemCreationClassName="TVDc_HostSystem",SystemName="host1",CreationClassName="CIM_IndicationService",Name="tvdc:IndicationService"',
      'host1/root/interop:TVDc_RegisteredProfile.InstanceID="DMTF:Profile Registration:1.0.0"',
    ]);
  });

  it('ci, ei and di a deprecated CIM_IndicationHandlerCIMXML', async () => {
    // wbemcli sends no key of the path as a property: the server fills in the hosting system's.
    const keys = 'SystemCreationClassName="TVDc_HostSystem",SystemName="host1",CreationClassName="CIM_IndicationHandlerCIMXML",Name="old-client"';
    const c = await wbemcli('ci', `${base}:CIM_IndicationHandlerCIMXML.${keys}`, 'Name="old-client",Destination="127.0.0.1:9/listener"');
    expect(c.code, c.stderr).to.equal(0);
    const ei = await wbemcli('ei', `${base}:CIM_IndicationHandlerCIMXML`);
    expect(ei.code, ei.stderr).to.equal(0);
    expect(ei.stdout.trim().split('\n')).to.have.length(1);
    expect(ei.stdout).to.contain('Name="old-client"').and.contain('Destination="http://127.0.0.1:9/listener"');
    const d = await wbemcli('di', `${base}:CIM_IndicationHandlerCIMXML.${keys}`);
    expect(d.code, d.stderr).to.equal(0);
    expect((await wbemcli('ein', `${base}:CIM_IndicationHandlerCIMXML`)).stdout.trim()).to.equal('');
  });

  it('sent only DTD-valid responses', async () => {
    expect(bodies.length).to.be.greaterThan(10);
    expect(await validateAgainstDtd(bodies)).to.equal('');
  });
});

describe('wbem: CIM_HostedService of the indication service without a host provider (wbemcli)', function () {
  this.timeout(60_000);
  let s: TestServer;

  before(async () => {
    s = await startServer({ repository: baseRepository(), name: 'lonely' });
    attachIndications(s.server, { deliver: false, onError: () => {} });
  });
  after(async () => {
    await s.close();
  });

  it('names the system of the object manager\'s weak keys, and ai skips it as unreachable', async () => {
    const svc = `http://127.0.0.1:${s.port}/root/interop:CIM_IndicationService.CreationClassName="CIM_IndicationService",Name="tvdc:IndicationService",SystemCreationClassName="CIM_ComputerSystem",SystemName="lonely"`;
    const names = await wbemcli('ain', '-ac', 'CIM_HostedService', svc);
    expect(names.code, names.stderr).to.equal(0);
    expect(names.stdout.trim().split('\n')).to.deep.equal(['lonely/root/interop:CIM_ComputerSystem.CreationClassName="CIM_ComputerSystem",Name="lonely"']);
    const objects = await wbemcli('ai', '-ac', 'CIM_HostedService', svc);
    expect(objects.code, objects.stderr).to.equal(0);
    expect(objects.stdout.trim()).to.equal('');
    expect(await validateAgainstDtd(s.bodies)).to.equal('');
  });
});
