// A host's policy changed behind the management server's back (SetPolicy over CIM by someone with
// admin rights on the host) shows as drift in the API and the CLI, holds back label assignment
// there, survives a deployment that cannot replace it, and is gone once a higher version is
// deployed. Real host agents on loopback, a real server on a SQLite file, the CLI verbs in process.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { addLabel, forHost } from '../../src/tvdc/management/PolicyEditor.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { startInProcessHost, type InProcessHost } from '../providers/isolation/support/InProcessHost.js';
import { activePolicy, client, paperTvdc, PAPER_POLICY, defineVm, hostLabel, refused, resourceLabel, runTvdc, service, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';
import { segmentPath } from '../../client/server/HostCim.js';


interface Deployment { host?: string; state: string; status: string; drifted: boolean; running: { name: string; version: string } | null; version: string | null; reachable?: boolean; error?: { code: string } }

describe('management server: policy drift on a host', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-drift-');
  let c1: InProcessHost, c2: InProcessHost;
  let cim1: WbemConnection;
  let srv: RunningServer;
  let dc: ApiClient;

  /** `tvdc ARGS` in this process as the dcadmin; exit code and output. */
  const tvdc = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const r = await runTvdc(srv.url, 'dc', 'dc-password', ...args);
    dc = client(srv.url, 'dc', 'dc-password');
    return r;
  };
  const deployments = async () => (await dc.get<{ deployments: Deployment[] }>('/api/groups/fin/policy')).deployments;

  before(async () => {
    [c1, c2] = await Promise.all([startInProcessHost('c1'), startInProcessHost('c2')]);
    cim1 = tvdcConnection(c1.origin);
    await defineVm(cim1, 'c1', 'ma');
    const cim2 = tvdcConnection(c2.origin);
    await defineVm(cim2, 'c2', 'su');
    await cim2.close();
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    dc = client(srv.url, 'dc', 'dc-password');
    for (const h of [c1, c2]) await dc.post('/api/hosts', { url: h.origin });
    await paperTvdc(dc, 'fin', ['c1', 'c2']);
  });
  after(async () => {
    await srv?.server.stop();
    await cim1?.close();
    await Promise.all([c1?.stop(), c2?.stop().catch(() => undefined)]);
    tmp.remove();
  });

  it('before anything happens on the hosts, both are deployed and run the TVDc\'s policy', async () => {
    expect((await deployments()).map((d) => [d.host, d.status, d.drifted, d.running])).to.deep.equal([
      ['c1', 'deployed', false, { name: 'tvdc-paper', version: '1.0' }],
      ['c2', 'deployed', false, { name: 'tvdc-paper', version: '1.0' }],
    ]);
  });

  it('a SetPolicy over CIM on c1 behind the server\'s back shows as drift in policy show, groups show and hosts show', async () => {
    // Someone with admin rights on c1 loads tvdc-paper 1.1 with a label of his own.
    const rogue = forHost(addLabel(loadPolicy(readFileSync(PAPER_POLICY, 'utf8')), { name: 'Rogue', kind: 'vm', ste: ['MA', 'SU'], cw: [] }), { name: 'tvdc-paper', version: '1.0' });
    const r = await cim1.invokeMethod(service('c1', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(rogue) });
    expect(Number(r.returnValue)).to.equal(0);
    expect(await activePolicy(cim1)).to.equal('tvdc-paper 1.1');

    const drifted = /^drifted: host runs tvdc-paper 1\.1, TVDc policy is tvdc-paper 1\.0 \(deployed 1\.0 at \d{4}-\d\d-\d\dT[\d:.]+Z\)$/;
    const [c1d, c2d] = await deployments();
    expect(c1d).to.deep.include({ host: 'c1', status: 'drifted', drifted: true, running: { name: 'tvdc-paper', version: '1.1' }, version: '1.0', reachable: true });
    expect(c1d!.state).to.match(drifted);
    expect(c2d).to.deep.include({ host: 'c2', status: 'deployed', state: 'deployed', drifted: false });

    const group = await dc.get<{ hosts: { name: string; deployment: Deployment }[] }>('/api/groups/fin');
    expect(group.hosts.map((h) => [h.name, h.deployment.status])).to.deep.equal([['c1', 'drifted'], ['c2', 'deployed']]);
    expect(group.hosts[0]!.deployment.state).to.match(drifted);
    const host = await dc.get<{ deployment: Deployment }>('/api/hosts/c1');
    expect(host.deployment).to.deep.include({ status: 'drifted', drifted: true });
    // The TVDc list asks no host: its count is the server's record.
    expect((await dc.get<{ groups: { deployed: number }[] }>('/api/groups')).groups[0]!.deployed).to.equal(2);
  });

  it('the CLI tables show it: groups show, policy show (what each host runs, and a drift line), hosts show', async () => {
    const [groups, policy, host, json] = [await tvdc('groups', 'show', 'fin'), await tvdc('policy', 'show', 'fin'), await tvdc('hosts', 'show', 'c1'), await tvdc('policy', 'show', 'fin', '--json')];
    expect([groups.code, policy.code, host.code, json.code]).to.deep.equal([0, 0, 0, 0]);
    expect(groups.out).to.match(/^host c1 .* policy drifted: host runs tvdc-paper 1\.1, TVDc policy is tvdc-paper 1\.0 \(deployed 1\.0 at \S+\)$/m);
    expect(groups.out).to.match(/^host c2 .* policy deployed$/m);
    expect(policy.out).to.match(/^ {2}HOST\s+RUNS\s+STATE\s+LAST DEPLOYMENT$/m);
    expect(policy.out).to.match(/^ {2}c1\s+tvdc-paper 1\.1\s+drifted: host runs tvdc-paper 1\.1, /m);
    expect(policy.out).to.match(/^ {2}c2\s+tvdc-paper 1\.0\s+deployed\s+tvdc-paper 1\.0 active$/m);
    expect(policy.out).to.include('drifted: c1 runs another policy than the one deployed by the server');
    expect(host.out).to.match(/^TVDc policy: drifted: host runs tvdc-paper 1\.1/m);
    expect((JSON.parse(json.out) as { deployments: Deployment[] }).deployments.map((d) => d.status)).to.deep.equal(['drifted', 'deployed']);
  });

  it('labels assign refuses a VM of the drifted host (409, nothing sent to it) and labels one of the other host', async () => {
    const msg = await refused(dc.put('/api/groups/fin/vms/ma/label', { label: 'MarketAnalysis' }), 409, 'CONFLICT');
    expect(msg).to.equal('host c1 has drifted: it runs tvdc-paper 1.1, not tvdc-paper 1.0 that it last accepted from the TVDc; deploy the TVDc\'s policy there again (tvdc policy deploy fin) before labeling VM ma');
    expect(await hostLabel(cim1, 'ma')).to.equal(null);
    const cli = await tvdc('labels', 'assign', 'fin', 'ma', 'MarketAnalysis');
    expect([cli.code, cli.err]).to.deep.equal([1, `tvdc: CONFLICT: ${msg}`]);
    expect(await dc.put('/api/groups/fin/vms/su/label', { label: 'SecurityUnderwriting' })).to.include({ host: 'c2', securityLabel: 'ACM:tvdc-paper:SecurityUnderwriting' });
  });

  it('a labeled segment for the TVDc is made on the host that runs its policy and refused, before anything is made, on the drifted one', async () => {
    const r = await dc.post<{ ok: boolean; results: { host: string; ok: boolean; message: string }[] }>('/api/groups/fin/segments', { name: 'ma-net', vlan: 210, label: 'MarketAnalysis' });
    expect(r.ok).to.equal(false);
    expect(r.results.map((x) => [x.host, x.ok])).to.deep.equal([['c1', false], ['c2', true]]);
    expect(r.results[0]!.message).to.match(/^CONFLICT: host c1 has drifted: it runs tvdc-paper 1\.1, .* before labeling segment ma-net$/);
    expect(r.results[1]!.message).to.equal('created, labeled MarketAnalysis');
    const ids = async (conn: WbemConnection) => (await conn.enumerateInstanceNames('TVDc_NetworkSegment').toArray()).map((p) => String(p.key('InstanceID')));
    expect(await ids(cim1)).to.not.include('TVDc:segment:ma-net');
    const cim2 = tvdcConnection(c2.origin);
    try {
      expect(await ids(cim2)).to.include('TVDc:segment:ma-net');
      expect(await resourceLabel(cim2, segmentPath('ma-net'))).to.equal('TVDc:tvdc-paper:resource:MarketAnalysis');
    } finally {
      await cim2.close();
    }
  });

  it('an edit skips the version c1 runs (1.1 set behind the server\'s back) and says why; a file of that name and version with other content is refused up front', async () => {
    const edit = await tvdc('labels', 'add', 'fin', 'Web', '--types', 'WEB');
    expect(edit.code, edit.err).to.equal(0);
    expect(edit.out).to.equal([
      'TVDc fin: label Web added; policy tvdc-paper 1.2 (deploy it with tvdc policy deploy fin)',
      'note: version 1.2, not 1.1: host c1 runs tvdc-paper 1.1',
    ].join('\n'));
    const [c1d] = await deployments();
    expect(c1d!.state).to.match(/^drifted: host runs tvdc-paper 1\.1, TVDc policy is tvdc-paper 1\.2 \(deployed 1\.0 at \S+\)$/);
    const audit = (srv.server.db.prepare("SELECT message FROM audit_trail WHERE action = 'policy.edit' ORDER BY id DESC LIMIT 1").pluck().get() as string);
    expect(audit).to.equal('TVDc fin: vm label Web added by dc; policy tvdc-paper 1.2; version 1.2, not 1.1: host c1 runs tvdc-paper 1.1');

    // The TVDc's own 1.2 plus a label, written as 1.1: c1 runs another 1.1, so it is refused, and nothing is set.
    const file = join(tmp.dir, 'as-1.1.xml');
    const mine = loadPolicy((await dc.get<{ xml: string }>('/api/groups/fin/policy/xml')).xml);
    writeFileSync(file, writeAcmXml({ ...mine, header: { ...mine.header, version: '1.1' } }));
    const set = await tvdc('policy', 'set', 'fin', file);
    expect(set.code).to.equal(1);
    expect(set.err).to.equal('tvdc: CONFLICT: host c1 (2 label or conflict set lines differ) runs another tvdc-paper 1.1; set this policy with a version above 1.1 (edit <Version> in the file)');
    expect((await dc.get<{ version: string }>('/api/groups/fin/policy')).version).to.equal('1.2');
    // The same file as 1.3 is no clash.
    writeFileSync(file, writeAcmXml({ ...mine, header: { ...mine.header, version: '1.3' } }));
    const ok = await tvdc('policy', 'set', 'fin', file);
    expect([ok.code, ok.out]).to.deep.equal([0, 'TVDc fin: policy tvdc-paper 1.3 set (deploy it with tvdc policy deploy fin)']);
  });

  it('deploying the TVDc\'s version that c1 does not hold replaces its 1.1, and the drift is gone', async () => {
    const higher = await tvdc('policy', 'deploy', 'fin');
    expect(higher.code, higher.out).to.equal(0);
    expect(higher.out).to.match(/^c1\s+deployed\s+tvdc-paper 1\.3 active \(updated from tvdc-paper 1\.1\)$/m);
    expect(await activePolicy(cim1)).to.equal('tvdc-paper 1.3');
    expect((await deployments()).map((d) => [d.host, d.status, d.drifted, d.running?.version])).to.deep.equal([['c1', 'deployed', false, '1.3'], ['c2', 'deployed', false, '1.3']]);
    const policy = await tvdc('policy', 'show', 'fin');
    expect(policy.out).to.match(/^ {2}c1\s+tvdc-paper 1\.3\s+deployed\s/m).and.not.include('drifted');
    expect((await tvdc('groups', 'show', 'fin')).out).to.match(/^host c1 .* policy deployed$/m);
    expect(await dc.put('/api/groups/fin/vms/ma/label', { label: 'MarketAnalysis' })).to.include({ host: 'c1', securityLabel: 'ACM:tvdc-paper:MarketAnalysis' });
  });

  it('a host given the TVDc\'s own next version with other content after the edit: the deploy there fails naming the way out, and the views say "(different content)"', async () => {
    expect((await tvdc('policy', 'conflicts', 'add', 'fin', 'MA-SU', '--types', 'MA,SU')).out).to.equal('TVDc fin: conflict set MA-SU added; policy tvdc-paper 1.4 (deploy it with tvdc policy deploy fin)');
    const ours = loadPolicy((await dc.get<{ xml: string }>('/api/groups/fin/policy/xml')).xml);
    const rogue = forHost(addLabel({ ...ours, header: { ...ours.header, version: '1.3' } }, { name: 'Rogue', kind: 'vm', ste: ['MA', 'SU'], cw: [] }), { name: 'tvdc-paper', version: '1.3' });
    const r = await cim1.invokeMethod(service('c1', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(rogue) });
    expect(Number(r.returnValue)).to.equal(0);
    expect(await activePolicy(cim1)).to.equal('tvdc-paper 1.4');

    const same = await tvdc('policy', 'deploy', 'fin');
    expect(same.code, same.out).to.equal(1);
    expect(same.out).to.match(/^c1\s+failed\s+host runs another tvdc-paper 1\.4 \(1 label or conflict set line differs\), not deployed by this server; set a version above 1\.4 and deploy that: any edit \(tvdc labels add\|remove, tvdc policy conflicts add\|remove\) picks one, or tvdc policy export, raise <Version>, tvdc policy set$/m);
    expect(same.out).to.match(/^c2\s+deployed\s+tvdc-paper 1\.4 active \(updated from tvdc-paper 1\.3\)$/m);
    const different = /^drifted: host runs tvdc-paper 1\.4 \(different content\), TVDc policy is tvdc-paper 1\.4 \(last accepted 1\.3; the last attempt failed at \S+\)$/;
    const [c1d, c2d] = await deployments();
    expect(c1d).to.deep.include({ status: 'drifted', drifted: true, version: '1.3' });
    expect(c1d!.state).to.match(different);
    expect(c2d).to.deep.include({ status: 'deployed', drifted: false });
    expect((await dc.get<{ hosts: { deployment: Deployment }[] }>('/api/groups/fin')).hosts[0]!.deployment.state).to.match(different);
    expect((await tvdc('groups', 'show', 'fin')).out).to.match(/^host c1 .* policy drifted: host runs tvdc-paper 1\.4 \(different content\), TVDc policy is tvdc-paper 1\.4 /m);

    // The way out the message names: the next edit goes above 1.4, and its deploy replaces c1's.
    expect((await tvdc('policy', 'conflicts', 'remove', 'fin', 'MA-SU')).out).to.equal('TVDc fin: conflict set MA-SU removed; policy tvdc-paper 1.5 (deploy it with tvdc policy deploy fin)');
    const out = await tvdc('policy', 'deploy', 'fin');
    expect(out.code, out.out).to.equal(0);
    expect(out.out).to.match(/^c1\s+deployed\s+tvdc-paper 1\.5 active \(updated from tvdc-paper 1\.4\)$/m);
  });

  it('an edit skips a version a host holds waiting for activation, too', async () => {
    const ours = loadPolicy((await dc.get<{ xml: string }>('/api/groups/fin/policy/xml')).xml);
    const pending = forHost({ ...ours, header: { ...ours.header, version: '1.7' } }, { name: 'tvdc-paper', version: '1.5' });
    const r = await cim1.invokeMethod(service('c1', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: writeAcmXml(pending), Activate: false });
    expect(Number(r.returnValue)).to.equal(0);
    const edit = await dc.post<{ version: string; versionNote?: string; hostsNotRead: unknown[] }>('/api/groups/fin/labels', { name: 'Pending', types: ['PEND'] });
    expect(edit).to.deep.include({ version: '1.8', versionNote: 'version 1.8, not 1.6: host c1 holds (not active) tvdc-paper 1.7', hostsNotRead: [] });
    expect((await dc.post<{ ok: boolean }>('/api/groups/fin/policy/deploy')).ok).to.equal(true);
    expect(await activePolicy(cim1)).to.equal('tvdc-paper 1.8');
  });

  it('a host that left the TVDc and came back running the very same policy is taken as deployed (same labels and conflict sets)', async () => {
    await dc.del('/api/groups/fin/hosts/c2');
    await dc.post('/api/groups/fin/hosts', { hosts: ['c2'] });
    expect((await deployments())[1]).to.deep.include({ host: 'c2', status: 'not deployed', running: { name: 'tvdc-paper', version: '1.8' } });
    const r = await dc.post<{ ok: boolean; results: { host: string; ok: boolean; message: string }[] }>('/api/groups/fin/policy/deploy');
    expect(r.results[1]).to.deep.equal({ host: 'c2', ok: true, state: 'deployed', message: 'tvdc-paper 1.8 is already active (its labels and conflict sets are the TVDc\'s)' });
  });

  it('an unreachable host is reported as unreachable with its recorded state, never as drifted', async () => {
    await c2.stop();
    const [, c2d] = await deployments();
    expect(c2d).to.deep.include({ host: 'c2', status: 'unreachable', state: 'unreachable (recorded: deployed)', drifted: false, running: null, reachable: false });
    expect(c2d!.error!.code).to.equal('HOST_UNREACHABLE');
    const policy = await tvdc('policy', 'show', 'fin');
    expect(policy.out).to.match(/^ {2}c2\s+\?\s+unreachable \(recorded: deployed\)\s/m).and.not.include('drifted');
    const group = await dc.get<{ hosts: { name: string; reachable: boolean; deployment: Deployment }[] }>('/api/groups/fin');
    expect(group.hosts.map((h) => [h.name, h.reachable, h.deployment.status])).to.deep.equal([['c1', true, 'deployed'], ['c2', false, 'unreachable']]);
    // An edit with c2 down still picks a version (from c1 read now and c2's record) and names c2 as not read.
    const edit = await tvdc('labels', 'add', 'fin', 'Late', '--types', 'LATE');
    expect(edit.code, edit.err).to.equal(0);
    const lines = edit.out.split('\n');
    expect(lines[0]).to.equal('TVDc fin: label Late added; policy tvdc-paper 1.9 (deploy it with tvdc policy deploy fin)');
    expect(lines[1]).to.match(/^warning: host c2 could not be read \(HOST_UNREACHABLE: .+\); the version was chosen from what the server recorded of it$/);
    expect(lines).to.have.length(2);
    const json = JSON.parse((await tvdc('labels', 'remove', 'fin', 'Late', '--json')).out) as { version: string; hostsNotRead: { host: string; message: string }[] };
    expect(json.version).to.equal('1.10');
    expect(json.hostsNotRead.map((n) => n.host)).to.deep.equal(['c2']);
  });
});
