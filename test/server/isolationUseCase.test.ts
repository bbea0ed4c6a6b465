// The paper's isolation use case (section 3.1, steps 1-6) end to end: a Datacenter Administrator
// and a TVDc Administrator drive a real management server (SQLite file, HTTP) that manages real
// tvdc host agents over CIM. Each step's effect is checked on the hosts themselves.
import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { main } from '../../client/cli/tvdc.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { sendIndication } from '../../client/listener/index.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import {
  activePolicy, client, createDisk, createSegment, defineVm, eventually, resourceLabel, hostLabel, refused, requestState, startServer, tempDir, tvdcConnection, type RunningServer,
} from './support/serverHarness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAPER_POLICY = join(ROOT, 'fixtures/policies/paper-ma-su.xml');

describe('management server: the paper\'s isolation use case (section 3.1)', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-server-usecase-');
  const db = join(tmp.dir, 'server.db');
  let h1: TestHost, h2: TestHost, h3: TestHost, h4: TestHost;
  const cim: Record<string, WbemConnection> = {};
  let srv: RunningServer;
  let dc: ApiClient;
  let alice: ApiClient;

  let web: Server;
  let webUrl: string;

  before(async () => {
    // Something that speaks HTTP but not CIM, for discovery to tell apart.
    web = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    [h1, h2, h3, h4] = await Promise.all(['h1', 'h2', 'h3', 'h4'].map((n) => startTestHost(n))) as [TestHost, TestHost, TestHost, TestHost];
    for (const h of [h1, h2, h3, h4]) cim[h.name] = tvdcConnection(h.origin);
    // The paper's VMs exist before the TVDc administrator labels them.
    await defineVm(cim['h1']!, 'h1', 'ma');
    await defineVm(cim['h1']!, 'h1', 'web');
    await defineVm(cim['h2']!, 'h2', 'su');
    await defineVm(cim['h1']!, 'h1', 'su2');
    await defineVm(cim['h3']!, 'h3', 'elsewhere');
    await createDisk(cim['h1']!, 'h1', 'ma-data');
    await createSegment(cim['h1']!, 'ma-net', 101);
  });
  after(async () => {
    await srv?.server.stop();
    web.close();
    await Promise.all(Object.values(cim).map((c) => c.close()));
    await Promise.all([h1, h2, h3, h4].map((h) => h?.stop()));
    tmp.remove();
  });

  it('bootstrap: tvdc users add --db creates the first dcadmin in a new database (mode 0600); the server then serves it', async () => {
    const out: string[] = [];
    process.env['TVDC_NEW_PASSWORD'] = 'datacenter-pw';
    try {
      const code = await main(['users', 'add', 'dc', '--role', 'dcadmin', '--db', db], { out: (l) => out.push(l), err: (l) => out.push(l) });
      expect(code, out.join('\n')).to.equal(0);
    } finally {
      delete process.env['TVDC_NEW_PASSWORD'];
    }
    expect(out.join('\n')).to.include('user dc added (dcadmin)');
    expect(statSync(db).mode & 0o777).to.equal(0o600);
    srv = await startServer(db, { indications: true });
    dc = client(srv.url, 'dc', 'datacenter-pw');
    expect(await dc.get('/api/whoami')).to.deep.equal({ user: 'dc', role: 'dcadmin', groups: [] });
  });

  it('step 1: discovery probes each URL; tvdc hosts answer with their names, the rest are reported per URL', async () => {
    const r = await dc.post<{ results: { url: string; ok: boolean; name?: string; error?: { code: string; message: string } }[] }>(
      '/api/hosts/discover', { urls: [h1.origin, h2.origin, h3.origin, 'http://127.0.0.1:1', webUrl, srv.url, 'not a url'] });
    expect(r.results.slice(0, 3).map((x) => [x.ok, x.name])).to.deep.equal([[true, 'h1'], [true, 'h2'], [true, 'h3']]);
    expect(r.results[3]!.error!.code).to.equal('HOST_UNREACHABLE');
    expect(r.results[4]!.error!.code).to.equal('BAD_REQUEST');
    expect(r.results[4]!.error!.message).to.include('is not a tvdc host');
    // The management server asks for credentials, as a host with a users file would.
    expect(r.results[5]!.error!.code).to.equal('HOST_REFUSED');
    expect(r.results[6]!.error!.code).to.equal('BAD_REQUEST');
    for (const h of [h1, h2, h3, h4]) expect(await dc.post<{ name: string }>('/api/hosts', { url: h.origin })).to.include({ name: h.name, group: null });
    await refused(dc.post('/api/hosts', { url: h1.origin }), 409, 'CONFLICT');
    const list = await dc.get<{ hosts: { name: string }[] }>('/api/hosts');
    expect(list.hosts.map((h) => h.name)).to.deep.equal(['h1', 'h2', 'h3', 'h4']);
  });

  it('step 2: hosts are grouped into TVDcs; a host belongs to one TVDc only', async () => {
    await dc.post('/api/groups', { name: 'finance' });
    await dc.post('/api/groups', { name: 'other' });
    expect(await dc.post('/api/groups/finance/hosts', { hosts: ['h1', 'h2'] })).to.deep.include({ name: 'finance', hosts: ['h1', 'h2'], policy: null });
    await dc.post('/api/groups/other/hosts', { hosts: ['h3', 'h4'] });
    expect(await refused(dc.post('/api/groups/other/hosts', { hosts: ['h1'] }), 409, 'CONFLICT')).to.include('belongs to TVDc finance');
    await refused(dc.post('/api/groups/finance/hosts', { hosts: ['nohost'] }), 404, 'NOT_FOUND');
    await refused(dc.post('/api/groups', { name: 'finance' }), 409, 'CONFLICT');
  });

  it('step 3: the dcadmin sets the TVDc\'s policy from the paper\'s sHype file, adds a label and a conflict set, each a new version', async () => {
    const set = await dc.put<{ name: string; version: string }>('/api/groups/finance/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
    expect(set).to.include({ name: 'tvdc-paper', version: '1.0' });
    const withLabel = await dc.post<{ version: string; vmLabels: { name: string; ste: string[]; cw: string[] }[] }>('/api/groups/finance/labels', { name: 'Web', types: ['WEB'] });
    expect(withLabel.version).to.equal('1.1');
    expect(withLabel.vmLabels.find((l) => l.name === 'Web')).to.deep.equal({ name: 'Web', ste: ['WEB'], cw: ['WEB'] });
    const withConflict = await dc.post<{ version: string; conflictSets: { name: string; types: string[] }[] }>('/api/groups/finance/conflicts', { name: 'MA-SU', types: ['MA', 'SU'] });
    expect(withConflict.version).to.equal('1.2');
    expect(withConflict.conflictSets).to.deep.equal([{ name: 'MA-SU', types: ['MA', 'SU'] }]);
    await refused(dc.post('/api/groups/finance/conflicts', { name: 'bad', types: ['MA', 'NOPE'] }), 400, 'BAD_REQUEST');
    await refused(dc.post('/api/groups/finance/labels', { name: 'Web', types: ['WEB'] }), 409, 'CONFLICT');
    // The export is the policy in Xen ACM XML, and reads back to what the server holds.
    const exported = await dc.get<{ version: string; xml: string }>('/api/groups/finance/policy/xml');
    expect(exported.version).to.equal('1.2');
    const reread = loadPolicy(exported.xml, 'export.xml');
    expect(reread.header.version).to.equal('1.2');
    expect(reread.conflictSets).to.deep.equal([{ name: 'MA-SU', types: ['MA', 'SU'] }]);
    const labels = await dc.get<{ labels: { name: string; kind: string }[] }>('/api/groups/finance/labels');
    expect(labels.labels.filter((l) => l.kind === 'vm').map((l) => l.name)).to.deep.equal(['SystemManagement', 'MarketAnalysis', 'SecurityUnderwriting', 'MarketAnalysisHost', 'Web']);
  });

  it('step 3: a broken policy file is refused with every error as file:line:col', async () => {
    const broken = readFileSync(PAPER_POLICY, 'utf8').replace('<Type>MA</Type>\n        </SimpleTypeEnforcementTypes>\n        <ChineseWallTypes>\n          <Type>MA</Type>', '<Type>MX</Type>\n        </SimpleTypeEnforcementTypes>\n        <ChineseWallTypes>\n          <Type>MA</Type>');
    const msg = await refused(dc.put('/api/groups/finance/policy', { xml: broken, file: 'broken.xml' }), 400, 'BAD_REQUEST');
    expect(msg).to.match(/broken\.xml:\d+:\d+: .*MX/);
    const notXml = await refused(dc.put('/api/groups/finance/policy', { xml: '<SecurityPolicyDefinition', file: 'cut.xml' }), 400, 'BAD_REQUEST');
    expect(notXml).to.match(/cut\.xml:1:\d+:/);
    // The policy in force is untouched.
    expect(await dc.get('/api/groups/finance/policy')).to.include({ version: '1.2' });
  });

  it('step 4: deploy pushes the policy to every host of the TVDc with SetPolicy and ActivatePolicy', async () => {
    // Two at once: the second is refused rather than interleaved with the first on the hosts.
    type Deployed = { ok: boolean; results: { host: string; state: string; message: string }[] };
    const both = await Promise.allSettled([dc.post<Deployed>('/api/groups/finance/policy/deploy'), dc.post<Deployed>('/api/groups/finance/policy/deploy')]);
    const done = both.filter((x): x is PromiseFulfilledResult<Deployed> => x.status === 'fulfilled');
    const refusedOnes = both.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    expect(done).to.have.length(1);
    expect(refusedOnes.map((x) => (x.reason as { code: string }).code)).to.deep.equal(['CONFLICT']);
    const r = done[0]!.value;
    expect(r.ok).to.equal(true);
    expect(r.results.map((x) => [x.host, x.state])).to.deep.equal([['h1', 'deployed'], ['h2', 'deployed']]);
    expect(await activePolicy(cim['h1']!)).to.equal('tvdc-paper 1.2');
    expect(await activePolicy(cim['h2']!)).to.equal('tvdc-paper 1.2');
    // The other TVDc's hosts are not touched.
    expect(await activePolicy(cim['h3']!)).to.not.equal('tvdc-paper 1.2');
    const p = await dc.get<{ deployments: { host: string; state: string; version: string }[] }>('/api/groups/finance/policy');
    expect(p.deployments.map((d) => [d.host, d.state, d.version])).to.deep.equal([['h1', 'deployed', '1.2'], ['h2', 'deployed', '1.2']]);
  });

  it('step 5: the dcadmin creates a TVDc Administrator and authorizes him for the TVDc only', async () => {
    expect(await dc.post('/api/users', { name: 'alice', role: 'tvdcadmin', password: 'alice-password' })).to.deep.equal({ name: 'alice', role: 'tvdcadmin', groups: [] });
    expect(await dc.put('/api/users/alice/groups/finance')).to.deep.equal({ name: 'alice', role: 'tvdcadmin', groups: ['finance'] });
    alice = client(srv.url, 'alice', 'alice-password');
    expect(await alice.get('/api/whoami')).to.deep.equal({ user: 'alice', role: 'tvdcadmin', groups: ['finance'] });
    expect((await alice.get<{ groups: { name: string }[] }>('/api/groups')).groups.map((g) => g.name)).to.deep.equal(['finance']);
    expect((await alice.get<{ hosts: { name: string }[] }>('/api/hosts')).hosts.map((h) => h.name)).to.deep.equal(['h1', 'h2']);
  });

  it('step 6: the TVDc Administrator assigns the dcadmin\'s labels to the VMs of his TVDc; the hosts enforce them', async () => {
    expect(await alice.put('/api/groups/finance/vms/ma/label', { label: 'MarketAnalysis' })).to.deep.equal({
      group: 'finance', vm: 'ma', host: 'h1', label: 'MarketAnalysis', securityLabel: 'ACM:tvdc-paper:MarketAnalysis',
    });
    await alice.put('/api/groups/finance/vms/su/label', { label: 'SecurityUnderwriting' });
    await alice.put('/api/groups/finance/vms/web/label', { label: 'Web' });
    expect(await hostLabel(cim['h1']!, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect(await hostLabel(cim['h2']!, 'su')).to.equal('ACM:tvdc-paper:SecurityUnderwriting');
    // The labels are what the hosts decide with: ma starts on h1 (MA is covered by its label).
    expect((await requestState(cim['h1']!, 'ma', 2)).code).to.equal(0);
    // Unassign and assign again.
    expect(await alice.del('/api/groups/finance/vms/web/label')).to.include({ vm: 'web', label: null });
    expect(await hostLabel(cim['h1']!, 'web')).to.equal(null);
    await alice.put('/api/groups/finance/vms/web/label', { label: 'Web' });
  });

  it('step 6 for resources: the TVDc Administrator labels a disk and a network segment of a host of his TVDc', async () => {
    expect(await alice.put('/api/groups/finance/hosts/h1/disks/ma-data/label', { label: 'MarketAnalysis' })).to.deep.equal({
      group: 'finance', host: 'h1', disk: 'ma-data', label: 'MarketAnalysis', securityLabel: 'ACM:tvdc-paper:MarketAnalysis',
    });
    await alice.put('/api/groups/finance/hosts/h1/segments/ma-net/label', { label: 'MarketAnalysis' });
    const disk = CimObjectPath.instance('TVDc_LogicalDisk', { SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'h1', CreationClassName: 'TVDc_LogicalDisk', DeviceID: 'ma-data' }, 'root/tvdc');
    expect(await resourceLabel(cim['h1']!, disk)).to.equal('TVDc:tvdc-paper:resource:MarketAnalysis');
    expect(await resourceLabel(cim['h1']!, CimObjectPath.instance('TVDc_NetworkSegment', { InstanceID: 'TVDc:segment:ma-net' }, 'root/tvdc'))).to.equal('TVDc:tvdc-paper:resource:MarketAnalysis');
    // Resource labels only, on hosts of the TVDc only.
    expect(await refused(alice.put('/api/groups/finance/hosts/h1/disks/ma-data/label', { label: 'Web' }), 404, 'NOT_FOUND')).to.include('not a resource label');
    expect(await refused(alice.put('/api/groups/finance/hosts/h3/disks/x/label', { label: 'MarketAnalysis' }), 404, 'NOT_FOUND')).to.include('not in TVDc finance');
    await refused(alice.put('/api/groups/other/hosts/h3/disks/x/label', { label: 'MarketAnalysis' }), 403, 'FORBIDDEN');
    // A disk the host does not have: its own CIM error comes back.
    await refused(alice.put('/api/groups/finance/hosts/h1/disks/nodisk/label', { label: 'MarketAnalysis' }), 502, 'HOST_REFUSED');
  });

  it('both administrators see the TVDc\'s security attributes: hosts, policy, deployment, every VM with its label and state', async () => {
    for (const who of [dc, alice]) {
      const g = await who.get<{
        policy: { name: string; version: string }; administrators: string[];
        hosts: { name: string; label: string; deployment: { state: string }; vms: { name: string; label: string | null; state: string }[]; disks: unknown[]; segments: unknown[] }[];
      }>('/api/groups/finance');
      expect(g.policy).to.include({ name: 'tvdc-paper', version: '1.2' });
      expect(g.administrators).to.deep.equal(['alice']);
      expect(g.hosts.map((h) => [h.name, h.deployment.state])).to.deep.equal([['h1', 'deployed'], ['h2', 'deployed']]);
      expect(g.hosts[0]!.vms.map((v) => [v.name, v.label, v.state])).to.deep.equal([['ma', 'MarketAnalysis', 'running'], ['su2', null, 'stopped'], ['web', 'Web', 'stopped']]);
      expect(g.hosts[1]!.vms.map((v) => [v.name, v.label, v.state])).to.deep.equal([['su', 'SecurityUnderwriting', 'stopped']]);
      expect(g.hosts[0]!.label).to.equal('SystemManagement');
      expect(g.hosts[0]!.disks).to.deep.equal([{ name: 'ma-data', label: 'MarketAnalysis' }]);
      expect(g.hosts[0]!.segments).to.deep.equal([{ name: 'ma-net', network: 'VLAN 101', label: 'MarketAnalysis' }]);
    }
    const h = await alice.get<{ vms: { name: string; securityLabel: string }[] }>('/api/hosts/h1');
    expect(h.vms.find((v) => v.name === 'ma')!.securityLabel).to.equal('ACM:tvdc-paper:MarketAnalysis');
  });

  it('the dcadmin creates a labeled VLAN segment on every host of the TVDc at once; each host answers for itself', async () => {
    const r = await dc.post<{ ok: boolean; results: { host: string; ok: boolean; message: string }[] }>('/api/groups/finance/segments', { name: 'su-vlan', vlan: 202, label: 'SecurityUnderwriting' });
    expect(r.ok).to.equal(true);
    expect(r.results).to.deep.equal([{ host: 'h1', ok: true, message: 'created, labeled SecurityUnderwriting' }, { host: 'h2', ok: true, message: 'created, labeled SecurityUnderwriting' }]);
    for (const h of ['h1', 'h2']) {
      expect(await resourceLabel(cim[h]!, CimObjectPath.instance('TVDc_NetworkSegment', { InstanceID: 'TVDc:segment:su-vlan' }, 'root/tvdc'))).to.equal('TVDc:tvdc-paper:resource:SecurityUnderwriting');
    }
    // Again: every host refuses (it exists), reported per host.
    const again = await dc.post<{ ok: boolean; results: { host: string; ok: boolean; message: string }[] }>('/api/groups/finance/segments', { name: 'su-vlan', vlan: 202 });
    expect(again.ok).to.equal(false);
    expect(again.results.map((x) => x.message)).to.satisfy((m: string[]) => m.every((x) => x.startsWith('HOST_REFUSED: host h') && x.includes('CIM_ERR_ALREADY_EXISTS')));
    // A label no host could take creates nothing anywhere; bad numbers are 400; only a dcadmin.
    await refused(dc.post('/api/groups/finance/segments', { name: 'x-vlan', vlan: 203, label: 'Web' }), 404, 'NOT_FOUND');
    expect((await cim['h1']!.enumerateInstances('TVDc_NetworkSegment').toArray()).map((i) => i.get('InstanceID'))).to.not.include('TVDc:segment:x-vlan');
    await refused(dc.post('/api/groups/finance/segments', { name: 'x-vlan', vlan: 5000 }), 400, 'BAD_REQUEST');
    await refused(dc.post('/api/groups/finance/segments', { name: 'x-vlan', vlan: 1, vni: 2 }), 400, 'BAD_REQUEST');
    await refused(alice.post('/api/groups/finance/segments', { name: 'x-vlan', vlan: 204 }), 403, 'FORBIDDEN');
    const removed = await dc.del<{ ok: boolean }>('/api/groups/finance/segments/su-vlan');
    expect(removed.ok).to.equal(true);
    expect((await cim['h2']!.enumerateInstances('TVDc_NetworkSegment').toArray()).map((i) => i.get('InstanceID'))).to.not.include('TVDc:segment:su-vlan');
  });

  it('a policy violation on a host (a start the Chinese Wall refuses) reaches the administrators of its TVDc', async () => {
    const watch = await dc.post<{ enabled: boolean; destination: string; hosts: string[] }>('/api/violations/watch');
    expect(watch).to.include({ enabled: true });
    expect(watch.hosts, srv.log.join('\n')).to.deep.equal(['h1', 'h2', 'h3', 'h4']);
    await alice.put('/api/groups/finance/vms/su2/label', { label: 'SecurityUnderwriting' });
    // ma (MA) runs on h1; su2 (SU) may not start beside it: conflict set MA-SU.
    const start = await requestState(cim['h1']!, 'su2', 2);
    expect(start.code).to.equal(4);
    type V = { host: string; group: string; operation: string; rule: string; reason: string; subjectLabel: string };
    const seen = await eventually(async () => (await alice.get<{ violations: V[] }>('/api/violations')).violations[0]);
    expect(seen).to.include({ host: 'h1', group: 'finance', operation: 'start', subjectLabel: 'ACM:tvdc-paper:SecurityUnderwriting' });
    expect(seen.rule).to.match(/^TVDC-ACCESS-/);
    expect(start.reason).to.include(seen.reason).and.include('collocation denied');
    expect((await dc.get<{ violations: V[] }>('/api/violations?group=finance&host=h1')).violations).to.have.length(1);
    await refused(alice.get('/api/violations?group=other'), 403, 'FORBIDDEN');
    await refused(alice.get('/api/violations/watch'), 403, 'FORBIDDEN');
    // A report on a path no host was given is dropped, not filed.
    const forged = new URL(watch.destination);
    forged.pathname = '/tvdc/indications/not-a-token';
    const fake = (await cim['h1']!.enumerateInstances('TVDc_ComputerSystem').toArray())[0]!;
    await sendIndication(forged.toString(), new CimInstance('TVDc_AccessDeniedIndication', fake.properties)).catch(() => undefined);
    expect(srv.log.some((l) => l.includes('dropped "TVDc_AccessDeniedIndication"') && l.includes('not-a-token') && l.includes("not a host's path"))).to.equal(true);
    expect((await dc.get<{ violations: V[] }>('/api/violations')).violations).to.have.length(1);
  });

  it('label assignment: a label not in the deployed policy is 404, a VM outside the TVDc 404, the host\'s own refusal HOST_REFUSED', async () => {
    await dc.post('/api/groups/finance/labels', { name: 'Staging', types: ['STAGE'] });
    expect(await refused(alice.put('/api/groups/finance/vms/web/label', { label: 'Staging' }), 404, 'NOT_FOUND')).to.include('deployed to host h1');
    expect(await refused(alice.put('/api/groups/finance/vms/elsewhere/label', { label: 'Web' }), 404, 'NOT_FOUND')).to.include('no VM named elsewhere');
    // ma runs: the host refuses to relabel it (stop it first).
    const msg = await refused(alice.put('/api/groups/finance/vms/ma/label', { label: 'Web' }), 502, 'HOST_REFUSED');
    expect(msg).to.include('host h1 refused');
    expect(await hostLabel(cim['h1']!, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    await refused(alice.put('/api/groups/finance/vms/web/label', {}), 400, 'BAD_REQUEST');
  });

  it('the TVDc Administrator cannot create labels, change the policy, touch another TVDc, or manage users, hosts and groups: 403', async () => {
    const forbidden = [
      alice.post('/api/groups/finance/labels', { name: 'X', types: ['X'] }),
      alice.del('/api/groups/finance/labels/Web'),
      alice.post('/api/groups/finance/conflicts', { name: 'C', types: ['MA', 'WEB'] }),
      alice.del('/api/groups/finance/conflicts/MA-SU'),
      alice.put('/api/groups/finance/policy', { xml: readFileSync(PAPER_POLICY, 'utf8') }),
      alice.post('/api/groups/finance/policy/deploy'),
      alice.get('/api/groups/other'),
      alice.get('/api/groups/other/labels'),
      alice.get('/api/groups/other/policy'),
      alice.put('/api/groups/other/vms/elsewhere/label', { label: 'Web' }),
      alice.get('/api/groups/nosuchgroup'),
      alice.get('/api/hosts/h3'),
      alice.get('/api/hosts/nosuchhost'),
      alice.get('/api/users'),
      alice.post('/api/users', { name: 'mallory', role: 'dcadmin', password: 'mallory-pw' }),
      alice.put('/api/users/alice/groups/other'),
      alice.del('/api/users/dc'),
      alice.post('/api/hosts', { url: h3.origin }),
      alice.del('/api/hosts/h1'),
      alice.post('/api/hosts/discover', { urls: [h1.origin] }),
      alice.post('/api/groups', { name: 'mine' }),
      alice.del('/api/groups/finance'),
      alice.post('/api/groups/finance/hosts', { hosts: ['h3'] }),
      alice.del('/api/groups/finance/hosts/h2'),
      alice.put('/api/groups/finance/vms/web/label', { label: 'SystemManagement' }),
    ];
    const logged = srv.log.length;
    for (const p of forbidden) await refused(p, 403, 'FORBIDDEN');
    // Every attempt is in the server's log for the Datacenter Administrator.
    expect(srv.log.slice(logged).filter((l) => / from alice at \S+: FORBIDDEN: /.test(l))).to.have.length(forbidden.length);
    // Nothing changed.
    expect((await dc.get<{ users: unknown[] }>('/api/users')).users).to.have.length(2);
    expect((await dc.get<{ hosts: string[] }>('/api/groups/finance')).hosts).to.have.length(2);
  });

  it('deploy reports each host: one that refuses (the update would strand a running VM) and one that is down; the others still get it', async () => {
    // Removing MarketAnalysis while ma runs with it: h1 refuses, h2 takes the update.
    await dc.del('/api/groups/finance/labels/MarketAnalysis');
    const r = await dc.post<{ ok: boolean; policy: { version: string }; results: { host: string; state: string; message: string }[] }>('/api/groups/finance/policy/deploy');
    expect(r.ok).to.equal(false);
    expect(r.policy.version).to.equal('1.4');
    expect(r.results[0]).to.include({ host: 'h1', state: 'failed' });
    expect(r.results[0]!.message).to.match(/^ActivatePolicy refused \(2\): .*'ma'/);
    expect(r.results[1]).to.include({ host: 'h2', state: 'deployed' });
    expect(await activePolicy(cim['h1']!)).to.equal('tvdc-paper 1.2');
    expect(await activePolicy(cim['h2']!)).to.equal('tvdc-paper 1.4');
    const g = await dc.get<{ hosts: { name: string; deployment: { state: string } }[] }>('/api/groups/finance');
    expect(g.hosts.map((h) => h.deployment.state)).to.deep.equal(['failed (runs 1.2)', 'deployed']);
    // Label checks follow what each host really runs: MarketAnalysis is still in h1's 1.2.
    expect((await requestState(cim['h1']!, 'ma', 3)).code).to.equal(0);

    await dc.put('/api/groups/other/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
    await h4.stop();
    const other = await dc.post<{ ok: boolean; results: { host: string; state: string; message: string }[] }>('/api/groups/other/policy/deploy');
    expect(other.ok).to.equal(false);
    expect(other.results[0]).to.include({ host: 'h3', state: 'deployed' });
    expect(other.results[1]).to.include({ host: 'h4', state: 'failed' });
    expect(other.results[1]!.message).to.match(/^HOST_UNREACHABLE: host h4/);
    expect(await activePolicy(cim['h3']!)).to.equal('tvdc-paper 1.0');
    // The unreachable host shows as such in the TVDc view, the others are read as usual.
    const view = await dc.get<{ hosts: { name: string; reachable: boolean; error?: { code: string } }[] }>('/api/groups/other');
    expect(view.hosts.map((h) => [h.name, h.reachable])).to.deep.equal([['h3', true], ['h4', false]]);
    expect(view.hosts[1]!.error!.code).to.equal('HOST_UNREACHABLE');
    await refused(dc.get('/api/hosts/h4'), 502, 'HOST_UNREACHABLE');
  });

  it('the server restarts on the same database with users, authorizations, hosts, groups, policies and deployments intact', async () => {
    const before = await dc.get('/api/groups/finance/policy');
    await srv.server.stop();
    srv = await startServer(db, { indications: true });
    dc = client(srv.url, 'dc', 'datacenter-pw');
    alice = client(srv.url, 'alice', 'alice-password');
    expect(await alice.get('/api/whoami')).to.deep.equal({ user: 'alice', role: 'tvdcadmin', groups: ['finance'] });
    expect(await dc.get('/api/groups/finance/policy')).to.deep.equal(before);
    // The hosts now report to the restarted server's new address, and no longer to the old one.
    const watch = await eventually(async () => {
      const w = await dc.get<{ hosts: string[] }>('/api/violations/watch');
      return ['h1', 'h2', 'h3'].every((h) => w.hosts.includes(h)) && w;
    });
    expect(watch.hosts).to.include.members(['h1', 'h2', 'h3']);
    const destinations = await cim['h1']!.enumerateInstances('CIM_ListenerDestinationCIMXML', { namespace: 'root/interop' }).toArray();
    // One subscription per class the server consumes, both to h1's one path on the new listener.
    const ours = destinations.filter((d) => String(d.get('Name')).startsWith('tvdc-mgmt-'));
    expect(ours.map((d) => String(d.get('Name')).replace(/-[0-9a-f]{12}$/, '')).sort()).to.deep.equal(['tvdc-mgmt-accessdenied', 'tvdc-mgmt-integrity']);
    expect(new Set(ours.map((d) => String(d.get('Destination')))).size).to.equal(1);
    expect(String(ours[0]!.get('Destination'))).to.match(/\/tvdc\/indications\/[A-Za-z0-9_-]{24}$/);
    expect((await requestState(cim['h1']!, 'ma', 2)).code).to.equal(0);
    expect((await requestState(cim['h1']!, 'su2', 2)).code).to.equal(4);
    await eventually(async () => (await dc.get<{ violations: unknown[] }>('/api/violations?host=h1')).violations.length === 2);
    expect((await requestState(cim['h1']!, 'ma', 3)).code).to.equal(0);
    expect((await dc.get<{ hosts: { name: string; group: string }[] }>('/api/hosts')).hosts.map((h) => [h.name, h.group])).to.deep.equal([['h1', 'finance'], ['h2', 'finance'], ['h3', 'other'], ['h4', 'other']]);
    // And it still manages the hosts: ma (stopped now) is relabeled under what h1 runs (1.2).
    expect(await alice.put('/api/groups/finance/vms/ma/label', { label: 'Web' })).to.include({ host: 'h1', securityLabel: 'ACM:tvdc-paper:Web' });
    // Revoking takes effect at once.
    await dc.del('/api/users/alice/groups/finance');
    await refused(alice.get('/api/groups/finance'), 403, 'FORBIDDEN');
  });

  it('taking a host out of a TVDc forgets its deployment there; deleting a TVDc frees its hosts; removing a host forgets it', async () => {
    expect(await dc.del('/api/groups/finance/hosts/h2')).to.deep.include({ hosts: ['h1'] });
    const p = await dc.get<{ deployments: { host: string }[] }>('/api/groups/finance/policy');
    expect(p.deployments.map((d) => d.host)).to.deep.equal(['h1']);
    await refused(dc.del('/api/groups/finance/hosts/h2'), 404, 'NOT_FOUND');
    // h2's VMs are no longer the TVDc's to label.
    await dc.put('/api/users/alice/groups/finance');
    await refused(alice.put('/api/groups/finance/vms/su/label', { label: 'Web' }), 404, 'NOT_FOUND');
    // A TVDc with hosts is deleted only when the caller says so.
    expect(await refused(dc.del('/api/groups/other'), 409, 'CONFLICT')).to.include('TVDc other has hosts h3, h4');
    expect(await dc.del('/api/groups/other?force=true')).to.deep.equal({ removed: 'other', hosts: ['h3', 'h4'] });
    expect((await dc.get<{ hosts: { name: string; group: string | null }[] }>('/api/hosts')).hosts.map((h) => [h.name, h.group]))
      .to.deep.equal([['h1', 'finance'], ['h2', null], ['h3', null], ['h4', null]]);
    // h4 is down: it is forgotten all the same, and the answer says its subscriptions stay there.
    const removal = await dc.del<{ removed: string; subscriptions: { ok: boolean; removed: string[]; error?: { code: string } } }>('/api/hosts/h4');
    expect(removal).to.deep.include({ removed: 'h4' });
    expect([removal.subscriptions.ok, removal.subscriptions.removed, removal.subscriptions.error?.code]).to.deep.equal([false, [], 'HOST_UNREACHABLE']);
    await refused(dc.get('/api/hosts/h4'), 404, 'NOT_FOUND');
    await refused(alice.get('/api/hosts/h2'), 403, 'FORBIDDEN');
  });
});
