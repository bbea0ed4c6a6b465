// The management server's one indication feed against a real host agent with swtpm vTPMs: the
// host is subscribed once per consumed class to its one secret path; policy violations and new
// measurements arrive through the same listener; a TVDc that monitors gets a VM attested right
// after it runs a new program, one that does not is left alone; deliveries on a wrong path, of an
// unexpected class, or naming what the host does not have change nothing; a class nothing
// consumes any more is unsubscribed.
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { WbemConnection } from '../../client/cim/index.js';
import { sendIndication } from '../../client/listener/index.js';
import { HostIndicationFeed } from '../../client/server/HostIndicationFeed.js';
import { ManagementServer, serverModules } from '../../client/server/ManagementServer.js';
import { createViolationsModule } from '../../client/server/violationsModule.js';
import { usersModule } from '../../client/server/usersModule.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import type { TvdcEvent } from '../../src/tvdc/management/EventLog.js';
import { findSwtpmProcesses } from '../../src/tvdc/vtpm/SwtpmProcess.js';
import { vmPath } from '../../client/server/HostCim.js';
import { HostPaths, POLICY_1_0, POLICY_1_1, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { refused, tempDir } from '../server/support/serverHarness.js';

const PW = 'correct horse battery';
type Watch = { enabled: boolean; destination: string; hosts: string[] };

describe('management server: one indication feed for violations and measurements (real swtpm host)', function () {
  this.timeout(60_000);
  let h1: IntegrityHost;
  let p1: HostPaths;
  let conn: WbemConnection;
  const tmp = tempDir('tvdc-mgmt-feed-');
  const dir = tmp.dir;
  let server: ManagementServer;
  let url: string;
  let base: string;
  const log: string[] = [];
  const as = (user: string) => new ApiClient(url, user, PW);

  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p1.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const vtpmService = 'TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="h1"';
  /** A program written into the VM's image and run there: the VM measures it. */
  const run = async (vm: string, path: string) => {
    const root = h1.imageRoot(vm);
    mkdirSync(join(root, 'opt'), { recursive: true });
    writeFileSync(join(root, path), `${path} built for this test\n`);
    expect((await cm(vtpmService, `ExecuteFile.Path="${path}",System=${p1.vm(vm)}`)).returnValue).to.equal(0);
  };
  const attestations = async (after: number) =>
    (await as('root').get<{ events: TvdcEvent[] }>('/api/events?kind=attestation&limit=1000')).events.filter((e) => e.id > after);
  const lastEvent = async () => (await as('root').get<{ events: TvdcEvent[] }>('/api/events?limit=1')).events[0]?.id ?? 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (check: () => boolean | Promise<boolean>, what: string) => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await sleep(50);
    }
    expect.fail(`${what}; log:\n${log.join('\n')}`);
  };
  const measurement = (id: string) => {
    const i = new CimInstance('TVDc_IntegrityIndication');
    i.properties.set('IndicationIdentifier', new CimProperty('IndicationIdentifier', 'string', id));
    return i;
  };
  const tokenOf = (host: string) => server.db.prepare('SELECT token FROM indication_paths WHERE host = ?').pluck().get(host) as string;

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
    // 1.1 adds the MA-SU conflict set: su may not start beside web1.
    for (const f of [POLICY_1_0, POLICY_1_1]) expect((await cm(p1.service('TVDc_SecurityService'), policyParam(f))).returnValue).to.equal(0);
    expect((await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam('web1', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam('su', 'SecurityUnderwriting'))).returnValue).to.equal(0);
    expect((await cm(p1.vm('web1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);

    server = ManagementServer.open({
      db: join(dir, 'server.db'),
      log: (l) => void log.push(l),
      modules: serverModules({ indications: { listenPort: 0, resubscribeMs: 60_000 }, integrity: { settleMs: 100 } }),
    });
    url = (await server.listen({ port: 0 })).http!;
    await server.users.add('root', 'dcadmin', PW);
    await server.users.add('alice', 'tvdcadmin', PW);
    await server.users.add('bob', 'tvdcadmin', PW);
    const root = as('root');
    await root.post('/api/groups', { name: 'finance' });
    await root.post('/api/groups', { name: 'hr' });
    server.users.authorize('alice', 'finance');
    server.users.authorize('bob', 'hr');
    await root.post('/api/hosts', { url: h1.origin });
    await root.post('/api/groups/finance/hosts', { hosts: ['h1'] });
    await root.put('/api/attest/trust/h1', { vtpmCa: h1.vtpmCaPem(), platformCa: h1.platformCaPem() });
  });

  after(async () => {
    await Promise.all([ApiClient.closeAll(), conn?.close(), server?.stop()]);
    tmp.remove();
    await h1?.stop();
    if (h1) await removeState(h1.state);
  });

  it('one listener, one secret path per host: h1 is subscribed once per consumed class, both to its own path', async () => {
    const violations = await as('root').post<Watch>('/api/violations/watch');
    const integrity = await as('root').get<Watch>('/api/attest/watch');
    expect(violations).to.deep.include({ enabled: true, hosts: ['h1'] });
    expect(integrity).to.deep.equal(violations);
    base = violations.destination;
    expect(base).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const destinations = await conn.enumerateInstances('CIM_ListenerDestinationCIMXML', { namespace: 'root/interop' }).toArray();
    const ours = destinations.filter((d) => String(d.get('Name')).startsWith('tvdc-mgmt-'));
    expect(ours.map((d) => String(d.get('Name')).replace(/-[0-9a-f]{12}$/, '')).sort()).to.deep.equal(['tvdc-mgmt-accessdenied', 'tvdc-mgmt-integrity']);
    expect(ours.map((d) => String(d.get('Destination')))).to.deep.equal([`${base}/tvdc/indications/${tokenOf('h1')}`, `${base}/tvdc/indications/${tokenOf('h1')}`]);
    const filters = await conn.enumerateInstances('CIM_IndicationFilter', { namespace: 'root/interop' }).toArray();
    expect(filters.map((f) => String(f.get('Query'))).sort()).to.deep.equal(['SELECT * FROM TVDc_AccessDeniedIndication', 'SELECT * FROM TVDc_IntegrityIndication']);
  });

  it('monitoring is off by default: a new program in a VM of the TVDc is not attested, and that is logged once', async () => {
    const before = await lastEvent();
    await run('web1', '/opt/quiet1');
    await run('web1', '/opt/quiet2');
    const ignored = (l: string) => l.includes('new measurements of VM web1 on host h1 ignored: TVDc finance is not monitored');
    await until(() => log.some(ignored), 'the ignored measurement is logged');
    await sleep(400); // longer than the settle time
    expect(await attestations(before)).to.deep.equal([]);
    expect(log.filter(ignored)).to.have.length(1);
    expect((await as('alice').get<{ monitors: unknown[] }>('/api/attest/schedules')).monitors).to.deep.equal([]);
  });

  it('the TVDc administrator switches monitoring on: a program run in web1 gets web1 attested without anyone asking, and a refused start of su is filed as a violation, both through the same listener', async () => {
    const on = await as('alice').put<{ group: string; enabled: boolean; enabledBy: string }>('/api/groups/finance/monitor', { enabled: true });
    expect(on).to.deep.include({ group: 'finance', enabled: true, enabledBy: 'alice' });
    const before = await lastEvent();
    await run('web1', '/opt/dropper');
    expect((await cm(p1.vm('su'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(4);
    let seen: TvdcEvent | undefined;
    await until(async () => !!(seen = (await attestations(before)).find((e) => e.vm === 'web1')), 'an attestation of web1 after it ran /opt/dropper');
    expect(seen).to.deep.include({ group: 'finance', host: 'h1', status: 'unknown' });
    expect(seen!.findings.map((f) => f.path)).to.include('/opt/dropper');
    type V = { host: string; group: string; operation: string };
    let violation: V | undefined;
    await until(async () => !!(violation = (await as('alice').get<{ violations: V[] }>('/api/violations')).violations[0]), 'the refused start as a violation');
    expect(violation).to.deep.include({ host: 'h1', group: 'finance', operation: 'start' });
    expect(log.some((l) => /integrity monitor: VM web1 on host h1 attested after new measurements: unknown \(event \d+\)/.test(l))).to.equal(true);
    const listed = (await as('alice').get<{ monitors: { group: string; enabled: boolean }[] }>('/api/attest/schedules')).monitors;
    expect(listed.map((m) => [m.group, m.enabled])).to.deep.equal([['finance', true]]);
    expect((await as('bob').get<{ monitors: unknown[] }>('/api/attest/schedules')).monitors).to.deep.equal([]);
  });

  it('who may switch it: another TVDc\'s administrator 403 (also for a TVDc that does not exist), a dcadmin 404 for no such TVDc, a body without a boolean 400', async () => {
    expect(await refused(as('bob').put('/api/groups/finance/monitor', { enabled: false }), 403, 'FORBIDDEN')).to.include('bob');
    await refused(as('bob').put('/api/groups/nosuch/monitor', { enabled: true }), 403, 'FORBIDDEN');
    await refused(as('root').put('/api/groups/nosuch/monitor', { enabled: true }), 404, 'NOT_FOUND');
    expect(await refused(as('alice').put('/api/groups/finance/monitor', { enabled: 'yes' }), 400, 'BAD_REQUEST')).to.include('"enabled" must be true or false');
    expect((await as('root').get<{ monitors: { group: string }[] }>('/api/attest/schedules')).monitors.map((m) => m.group)).to.deep.equal(['finance']);
    // A TVDc deleted and created again does not inherit the old one's setting.
    await as('root').post('/api/groups', { name: 'temp' });
    await as('root').put('/api/groups/temp/monitor', { enabled: true });
    await as('root').del('/api/groups/temp');
    await sleep(5);
    await as('root').post('/api/groups', { name: 'temp' });
    expect((await as('root').get<{ monitors: { group: string }[] }>('/api/attest/schedules')).monitors.map((m) => m.group)).to.deep.equal(['finance']);
    expect(await as('root').put('/api/groups/temp/monitor', { enabled: false })).to.deep.equal({ group: 'temp', enabled: false });
  });

  it('dropped and logged, never filed or attested: a delivery on a path no host was given, a class nothing consumes, a VM the host does not have, a measurement naming another host', async () => {
    const before = await lastEvent();
    const violations = (await as('root').get<{ violations: unknown[] }>('/api/violations')).violations.length;
    const mine = `${base}/tvdc/indications/${tokenOf('h1')}`;
    await sendIndication(`${base}/tvdc/indications/not-a-token`, measurement('TVDc:h1:measured:vm:web1:99'), { messageId: 'forged-1' });
    await sendIndication(`${base}/other`, new CimInstance('TVDc_AccessDeniedIndication'), { messageId: 'forged-2' });
    await sendIndication(mine, new CimInstance('CIM_AlertIndication'), { messageId: 'odd-class' });
    await sendIndication(mine, measurement('TVDc:h1:measured:vm:ghost:7'), { messageId: 'ghost' });
    await sendIndication(mine, measurement('TVDc:h9:measured:host:h9:3'), { messageId: 'other-host' });
    await until(() => log.some((l) => l.includes('VM ghost on host h1 not attested: host h1 has no such VM')), 'the ghost VM is looked up and not found');
    expect(log.some((l) => l.includes('dropped "TVDc_IntegrityIndication"') && l.includes('"/tvdc/indications/not-a-token": not a host\'s path'))).to.equal(true);
    expect(log.some((l) => l.includes('dropped "TVDc_AccessDeniedIndication"') && l.includes('"/other"'))).to.equal(true);
    expect(log).to.include('indications: dropped "CIM_AlertIndication" from host h1: nothing here consumes that class');
    expect(log).to.include('integrity monitor: host h1 reported a measurement of host h9: ignored');
    await sleep(300);
    expect(await attestations(before)).to.deep.equal([]);
    expect((await as('root').get<{ violations: unknown[] }>('/api/violations')).violations).to.have.length(violations);
  });

  it('a VM whose vTPM dies: the host stops it and says so, the server logs it and attests the VM, so the TVDc gets an event', async () => {
    expect((await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam('web2', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p1.vm('web2'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const before = await lastEvent();
    const swtpm = findSwtpmProcesses(join(h1.state, 'vtpm', 'instances')).filter((p) => p.stateDir.endsWith('/web2'));
    expect(swtpm).to.have.length(1);
    process.kill(swtpm[0]!.pid, 'SIGKILL');
    await until(() => log.includes('integrity monitor: host h1 reports that the TPM of VM web2 on host h1 ended on its own (the host stopped the VM)'), 'the lost vTPM in the server log');
    let seen: TvdcEvent | undefined;
    await until(async () => !!(seen = (await attestations(before)).find((e) => e.vm === 'web2')), 'an attestation of web2 after its vTPM died');
    expect(seen).to.deep.include({ group: 'finance', host: 'h1', status: 'failed' });
    expect(Number((await conn.getInstance(vmPath('web2'))).get('EnabledState'))).to.equal(3);
  });

  it('switched off again: new programs no longer cause attestations (logged once more)', async () => {
    const off = await as('alice').put<{ group: string; enabled: boolean }>('/api/groups/finance/monitor', { enabled: false });
    expect(off).to.deep.equal({ group: 'finance', enabled: false });
    const before = await lastEvent();
    const ignoredBefore = log.filter((l) => l.includes('VM web1 on host h1 ignored')).length;
    await run('web1', '/opt/later');
    await until(() => log.filter((l) => l.includes('VM web1 on host h1 ignored')).length === ignoredBefore + 1, 'the ignored measurement is logged');
    await sleep(400);
    expect(await attestations(before)).to.deep.equal([]);
  });

  it('a server that no longer consumes measurements unsubscribes the host from them and keeps the path for violations', async () => {
    const token = tokenOf('h1');
    await server.stop();
    const feed = new HostIndicationFeed({ listenPort: 0 });
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: (l) => void log.push(l), modules: [feed.module, usersModule, createViolationsModule(feed)] });
    url = (await server.listen({ port: 0 })).http!;
    const watch = await as('root').post<Watch>('/api/violations/watch');
    expect(watch.hosts).to.deep.equal(['h1']);
    expect(tokenOf('h1')).to.equal(token);
    expect(log).to.include('indications: host h1 no longer sends TVDc_IntegrityIndication: nothing here consumes it');
    const destinations = await conn.enumerateInstances('CIM_ListenerDestinationCIMXML', { namespace: 'root/interop' }).toArray();
    expect(destinations.map((d) => [String(d.get('Name')).replace(/-[0-9a-f]{12}$/, ''), String(d.get('Destination'))])).to.deep.equal([
      ['tvdc-mgmt-accessdenied', `${watch.destination}/tvdc/indications/${token}`],
    ]);
  });
});
