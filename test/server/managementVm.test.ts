// The management VM (it holds the policy's bootstrap label) is the Datacenter Administrator's
// alone: a TVDc administrator may not stop, start, migrate, relabel or unlabel it, or he could stop
// it and take the label off, around the rule that only a dcadmin hands that label out. Real host
// agents, a real server on a SQLite file.
import { expect } from 'chai';
import { join } from 'node:path';
import { GroupStore } from '../../client/server/GroupStore.js';
import { diskPath, segmentPath } from '../../client/server/HostCim.js';
import { planMayPower } from '../../client/server/managementVm.js';
import type { ActionPlan } from '../../src/tvdc/management/ActionPlan.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, createDisk, createSegment, defineVm, hostLabel, paperTvdc, refused, resourceLabel, startServer, tempDir, tvdcConnection, vm, type RunningServer } from './support/serverHarness.js';

describe('management server: the management VM is the dcadmin\'s', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-mgmt-vm-');
  let a: TestHost, b: TestHost;
  let srv: RunningServer;
  const dc = () => client(srv.url, 'dc', 'dc-password');
  const alice = () => client(srv.url, 'alice', 'alice-password');
  const state = async () => {
    const c = tvdcConnection(a.origin);
    try {
      return Number((await c.getInstance(vm('mgmt'))).get('EnabledState'));
    } finally {
      await c.close();
    }
  };

  before(async () => {
    [a, b] = await Promise.all([startTestHost('a'), startTestHost('b')]);
    const ca = tvdcConnection(a.origin);
    for (const name of ['mgmt', 'web', 'guest']) await defineVm(ca, 'a', name);
    await createDisk(ca, 'a', 'mgmt-disk');
    await createSegment(ca, 'mgmt-net', 41);
    await ca.close();
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    for (const h of [a, b]) await dc().post('/api/hosts', { url: h.origin });
    await paperTvdc(dc(), 'fin', ['a', 'b']);
    await dc().put('/api/users/alice/groups/fin');
    await dc().put('/api/groups/fin/vms/mgmt/label', { label: 'SystemManagement' });
    await alice().put('/api/groups/fin/vms/web/label', { label: 'MarketAnalysis' });
    await dc().post('/api/groups/fin/vms/mgmt/start', {});
  });
  after(async () => {
    await srv?.server.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    tmp.remove();
  });

  it('a tvdcadmin may not stop, migrate, relabel or unlabel it; nothing changes on the host', async () => {
    const msg = (doing: string) => `VM mgmt holds SystemManagement, the bootstrap (management VM) label; only a dcadmin may ${doing} it`;
    expect(await refused(alice().post('/api/groups/fin/vms/mgmt/stop', {}), 403, 'FORBIDDEN')).to.equal(msg('stop'));
    expect(await refused(alice().post('/api/groups/fin/vms/mgmt/migrate', { to: 'b' }), 403, 'FORBIDDEN')).to.equal(msg('migrate'));
    expect(await refused(alice().put('/api/groups/fin/vms/mgmt/label', { label: 'MarketAnalysis' }), 403, 'FORBIDDEN')).to.equal(msg('relabel'));
    expect(await refused(alice().del('/api/groups/fin/vms/mgmt/label'), 403, 'FORBIDDEN')).to.equal(msg('unlabel'));
    expect(await state()).to.equal(2);
    // Her own VMs are hers to run.
    expect(await alice().post('/api/groups/fin/vms/web/start', {})).to.include({ changed: true });
  });

  it('a tvdcadmin\'s action plan may not power it either; a dcadmin\'s may, and the tvdcadmin\'s plan may power his own VMs', async () => {
    const mayPower = planMayPower(srv.server.hosts, srv.server.users, new GroupStore(srv.server.db));
    const plan = (createdBy: string): ActionPlan => ({ id: 7, group: 'fin', on: ['unknown'], action: { kind: 'shutdown' }, createdBy, createdAt: new Date().toISOString() });
    const refusal = await mayPower(plan('alice'), { host: 'a', vm: 'mgmt' }).then(() => null, (e: Error) => e.message);
    expect(refusal).to.equal("VM mgmt holds SystemManagement, the bootstrap (management VM) label; plan 7 is alice's, and only a dcadmin's plan may power it");
    await mayPower(plan('dc'), { host: 'a', vm: 'mgmt' });
    await mayPower(plan('alice'), { host: 'a', vm: 'web' });
    // A plan whose creator is gone is nobody's dcadmin plan.
    expect(await mayPower(plan('former-admin'), { host: 'a', vm: 'mgmt' }).then(() => null, (e: Error) => e.message)).to.include('only a dcadmin');
  });

  it('a tvdcadmin\'s power plan naming only the management VM is refused when made (it could never act); a pattern matching it among others, a plan without a pattern, or a dcadmin\'s plan are accepted', async () => {
    const before = (await alice().get<{ plans: unknown[] }>('/api/plans')).plans.length;
    for (const action of ['restart', 'shutdown']) {
      expect(await refused(alice().post('/api/groups/fin/plans', { on: ['untrusted'], action, vm: 'mgmt' }), 409, 'CONFLICT')).to.equal(
        `VM mgmt on host a holds SystemManagement, the bootstrap (management VM) label: a tvdcadmin's plan never powers the management VM, so this ${action} plan could never act; only a dcadmin's plan may ${action} it`,
      );
    }
    expect((await alice().get<{ plans: unknown[] }>('/api/plans')).plans.length).to.equal(before);
    const made: number[] = [];
    for (const body of [
      { on: ['untrusted'], action: 'restart', vm: 'm*' },
      { on: ['untrusted'], action: 'restart', vm: 'web' },
      { on: ['untrusted'], action: 'restart' },
    ]) made.push((await alice().post<{ id: number }>('/api/groups/fin/plans', body)).id);
    made.push((await dc().post<{ id: number }>('/api/groups/fin/plans', { on: ['untrusted'], action: 'shutdown', vm: 'mgmt' })).id);
    expect((await alice().get<{ plans: unknown[] }>('/api/plans')).plans.length).to.equal(before + 4);
    for (const id of made) await dc().del(`/api/plans/${id}`);
  });

  it('a tvdcadmin may not assign a label carrying the bootstrap label\'s management type (SystemManagement) to a VM, disk or segment; the dcadmin may', async () => {
    const labels = await alice().get<{ labels: { name: string; kind: string; reserved: boolean }[] }>('/api/groups/fin/labels');
    expect(labels.labels.filter((l) => l.reserved).map((l) => `${l.kind}:${l.name}`)).to.deep.equal(['vm:SystemManagement', 'vm:MarketAnalysisHost', 'resource:SystemManagement']);
    const policy = 'policy tvdc-paper 1.0; only a dcadmin may assign it';
    expect(await refused(alice().put('/api/groups/fin/vms/guest/label', { label: 'MarketAnalysisHost' }), 403, 'FORBIDDEN'))
      .to.equal(`VM label MarketAnalysisHost carries SystemManagement, the management type of the bootstrap label SystemManagement of ${policy}`);
    expect(await refused(alice().put('/api/groups/fin/vms/guest/label', { label: 'SystemManagement' }), 403, 'FORBIDDEN'))
      .to.equal(`SystemManagement is the bootstrap (management VM) label of ${policy}`);
    expect(await refused(alice().put('/api/groups/fin/hosts/a/disks/mgmt-disk/label', { label: 'SystemManagement' }), 403, 'FORBIDDEN'))
      .to.equal(`resource label SystemManagement carries SystemManagement, the management type of the bootstrap label SystemManagement of ${policy}`);
    await refused(alice().put('/api/groups/fin/hosts/a/segments/mgmt-net/label', { label: 'SystemManagement' }), 403, 'FORBIDDEN');
    const c = tvdcConnection(a.origin);
    try {
      // Nothing was labeled on the host.
      expect(await hostLabel(c, 'guest')).to.equal(null);
      expect(await resourceLabel(c, diskPath('a', 'mgmt-disk'))).to.equal(null);
      expect(await resourceLabel(c, segmentPath('mgmt-net'))).to.equal(null);
      // Her workload labels are hers to assign.
      expect(await alice().put('/api/groups/fin/vms/guest/label', { label: 'SecurityUnderwriting' })).to.include({ label: 'SecurityUnderwriting' });
      expect(await alice().put('/api/groups/fin/hosts/a/disks/mgmt-disk/label', { label: 'SecurityUnderwriting' })).to.include({ label: 'SecurityUnderwriting' });
      // The dcadmin hands out the management type.
      expect(await dc().put('/api/groups/fin/vms/guest/label', { label: 'MarketAnalysisHost' })).to.include({ label: 'MarketAnalysisHost' });
      expect(await dc().put('/api/groups/fin/hosts/a/segments/mgmt-net/label', { label: 'SystemManagement' })).to.include({ label: 'SystemManagement' });
      expect(await hostLabel(c, 'guest')).to.equal('ACM:tvdc-paper:MarketAnalysisHost');
      expect(await resourceLabel(c, segmentPath('mgmt-net'))).to.equal('TVDc:tvdc-paper:resource:SystemManagement');
    } finally {
      await c.close();
    }
  });

  it('the dcadmin may; once he stopped it, the tvdcadmin still may not start or unlabel it', async () => {
    expect(await dc().post('/api/groups/fin/vms/mgmt/stop', {})).to.include({ state: 'stopped', changed: true });
    expect(await refused(alice().post('/api/groups/fin/vms/mgmt/start', {}), 403, 'FORBIDDEN')).to.include('only a dcadmin may start it');
    expect(await refused(alice().del('/api/groups/fin/vms/mgmt/label'), 403, 'FORBIDDEN')).to.include('only a dcadmin may unlabel it');
    expect(await state()).to.equal(3);
    expect(await dc().del('/api/groups/fin/vms/mgmt/label')).to.include({ label: null });
  });
});
