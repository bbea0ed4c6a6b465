// A VLAN ID or VXLAN VNI belongs to one TVDc across the datacenter: the management server refuses
// a segment whose network another TVDc's hosts already carry, whatever the labels, and tells a
// tvdcadmin only "another TVDc". Real host agents, a real server on a SQLite file.
import { expect } from 'chai';
import { join } from 'node:path';
import type { Principal } from '../../client/server/ApiRouter.js';
import { requireNetworkUnused } from '../../client/server/segmentNetworks.js';
import type { ServerContext } from '../../client/server/ServerContext.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, paperTvdc, refused, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';

interface Created {
  ok: boolean;
  results: { host: string; ok: boolean; message: string }[];
}

describe('management server: a VLAN or VNI belongs to one TVDc', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-segment-nets-');
  let a: TestHost, b: TestHost;
  let srv: RunningServer;
  const dc = () => client(srv.url, 'dc', 'dc-password');
  const segmentsOn = async (h: TestHost) => {
    const c = tvdcConnection(h.origin);
    try {
      return (await c.enumerateInstanceNames('TVDc_NetworkSegment').toArray()).map((p) => String(p.key('InstanceID')).replace('TVDc:segment:', '')).sort();
    } finally {
      await c.close();
    }
  };

  before(async () => {
    [a, b] = await Promise.all([startTestHost('a'), startTestHost('b')]);
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    await srv.server.users.add('alice', 'tvdcadmin', 'alice-password');
    for (const h of [a, b]) await dc().post('/api/hosts', { url: h.origin });
    await paperTvdc(dc(), 'fin', ['a']);
    await paperTvdc(dc(), 'ops', ['b']);
    await dc().put('/api/users/alice/groups/ops');
    expect((await dc().post<Created>('/api/groups/fin/segments', { name: 'fin-net', vlan: 100, label: 'SecurityUnderwriting' })).ok).to.equal(true);
    expect((await dc().post<Created>('/api/groups/fin/segments', { name: 'fin-vx', vni: 5000 })).ok).to.equal(true);
  });
  after(async () => {
    await srv?.server.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    tmp.remove();
  });

  it('refuses (409) another TVDc a segment on a VLAN or VNI already used, under any label, and creates nothing', async () => {
    expect(await refused(dc().post('/api/groups/ops/segments', { name: 'ops-net', vlan: 100, label: 'MarketAnalysis' }), 409, 'CONFLICT'))
      .to.equal('VLAN 100 is already used by TVDc fin (segment fin-net on host a); a VLAN or VNI belongs to one TVDc across the datacenter');
    await refused(dc().post('/api/groups/ops/segments', { name: 'ops-net', vlan: 100, label: 'SecurityUnderwriting' }), 409, 'CONFLICT');
    expect(await refused(dc().post('/api/groups/ops/segments', { name: 'ops-vx', vni: 5000 }), 409, 'CONFLICT')).to.match(/^VNI 5000 is already used by TVDc fin /);
    expect(await segmentsOn(b)).to.deep.equal([]);
    // VLAN IDs and VNIs are separate numbers; unused ones are free.
    expect((await dc().post<Created>('/api/groups/ops/segments', { name: 'ops-net', vlan: 101 })).ok).to.equal(true);
    expect((await dc().post<Created>('/api/groups/ops/segments', { name: 'ops-vx', vni: 100 })).ok).to.equal(true);
    expect(await segmentsOn(b)).to.deep.equal(['ops-net', 'ops-vx']);
    // Within one TVDc the hosts answer for themselves, as before.
    const again = await dc().post<Created>('/api/groups/fin/segments', { name: 'fin-net2', vlan: 100 });
    expect([again.ok, again.results[0]!.message]).to.deep.equal([false, "HOST_REFUSED: host a: CIM_ERR_ALREADY_EXISTS: vlan 100 is already segment 'fin-net'"]);
  });

  it('two TVDcs asking for one VLAN at once: one gets it', async () => {
    const [x, y] = await Promise.allSettled([
      dc().post<Created>('/api/groups/fin/segments', { name: 'race-fin', vlan: 300 }),
      dc().post<Created>('/api/groups/ops/segments', { name: 'race-ops', vlan: 300 }),
    ]);
    expect([x.status, y.status].sort()).to.deep.equal(['fulfilled', 'rejected']);
    const lost = (x.status === 'rejected' ? x : y) as PromiseRejectedResult;
    expect((lost.reason as { code: string }).code).to.equal('CONFLICT');
    expect([...(await segmentsOn(a)), ...(await segmentsOn(b))].filter((s) => s.startsWith('race-'))).to.have.length(1);
  });

  it('tells a tvdcadmin only "another TVDc", never its name, host or segment', async () => {
    const ctx: ServerContext = { db: srv.server.db, hosts: srv.server.hosts, log: () => {}, audit: () => {} };
    const alice: Principal = { user: 'alice', role: 'tvdcadmin', groups: ['ops'] };
    const err = await requireNetworkUnused(ctx, alice, 'ops', { vlan: 100 }).then(() => null, (e: Error & { code: string }) => e);
    expect([err?.code, err?.message]).to.deep.equal(['CONFLICT', 'VLAN 100 is already used by another TVDc; a VLAN or VNI belongs to one TVDc across the datacenter']);
    await requireNetworkUnused(ctx, alice, 'ops', { vlan: 4000 });
  });

  it('a VLAN that cannot be shown unused (a host of another TVDc does not answer) is not handed out', async () => {
    await a.stop();
    const msg = await refused(dc().post('/api/groups/ops/segments', { name: 'ops-late', vlan: 400 }), 502, 'HOST_UNREACHABLE');
    expect(msg).to.match(/^cannot check that VLAN 400 is unused by other TVDcs: host a of TVDc fin did not answer \(.+\); nothing was created$/);
    expect(await segmentsOn(b)).to.not.include('ops-late');
  });
});
