// A host joining a TVDc brings the segments it already has: one on a VLAN or VNI another TVDc's
// hosts carry would join the two TVDcs' networks, so the management server keeps the host out.
// Real host agents, a real server on a SQLite file, the real CLI.
import { expect } from 'chai';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import type { Principal } from '../../client/server/ApiRouter.js';
import { requireHostsMayJoin } from '../../client/server/segmentNetworks.js';
import type { ServerContext } from '../../client/server/ServerContext.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, createSegment, paperTvdc, refused, runTvdc, startServer, tempDir, tvdcConnection, type RunningServer } from './support/serverHarness.js';

interface Summary { name: string; hosts: string[] }
interface Detail { hosts: { name: string }[] }

describe('management server: a host joining a TVDc brings no VLAN or VNI of another TVDc', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-group-join-nets-');
  const hosts: Record<string, TestHost> = {};
  let srv: RunningServer;
  const dc = () => client(srv.url, 'dc', 'dc-password');
  const hostsOf = async (group: string) => (await dc().get<Detail>(`/api/groups/${group}`)).hosts.map((h) => h.name);
  const byHand = async (host: string, make: (conn: ReturnType<typeof tvdcConnection>) => Promise<void>) => {
    const conn = tvdcConnection(hosts[host]!.origin);
    try {
      await make(conn);
    } finally {
      await conn.close();
    }
  };
  const vniSegment = (name: string, vni: number) => async (conn: ReturnType<typeof tvdcConnection>) => {
    const seg = new CimInstance('TVDc_NetworkSegment');
    seg.properties.set('InstanceID', new CimProperty('InstanceID', 'string', `TVDc:segment:${name}`));
    seg.properties.set('VNI', new CimProperty('VNI', 'uint32', vni));
    await conn.createInstance(seg);
  };

  before(async () => {
    for (const h of await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => startTestHost(n)))) hosts[h.name] = h;
    srv = await startServer(join(tmp.dir, 'server.db'));
    await srv.server.users.add('dc', 'dcadmin', 'dc-password');
    for (const h of Object.values(hosts)) await dc().post('/api/hosts', { url: h.origin });
    await paperTvdc(dc(), 'fin', ['a']);
    await dc().post('/api/groups', { name: 'ops' });
    await dc().post('/api/groups/ops/hosts', { hosts: ['b'] });
    await dc().post('/api/groups/fin/segments', { name: 'fin-net', vlan: 100 });
    await dc().post('/api/groups/fin/segments', { name: 'fin-vx', vni: 5000 });
    // Segments made on hosts in no TVDc, by hand over CIM.
    await byHand('c', (conn) => createSegment(conn, 'stray', 100));
    await byHand('d', (conn) => createSegment(conn, 'own', 200));
    await byHand('e', vniSegment('stray-vx', 5000));
  });
  after(async () => {
    await srv?.server.stop();
    await Promise.all(Object.values(hosts).map((h) => h.stop()));
    tmp.remove();
  });

  it('tvdc groups add: a host carrying another TVDc\'s VLAN is refused (exit 1, the host, VLAN, TVDc named), and no host joins', async () => {
    const r = await runTvdc(srv.url, 'dc', 'dc-password', 'groups', 'add', 'ops', 'd', 'c');
    expect(r.code, r.err).to.equal(1);
    expect(r.err).to.equal('tvdc: CONFLICT: host c carries VLAN 100 (segment stray), already used by TVDc fin (segment fin-net on host a); a VLAN or VNI belongs to one TVDc across the datacenter; no host was added');
    expect(await hostsOf('ops')).to.deep.equal(['b']);
    expect(srv.server.hosts.get('d').group).to.equal(null);
  });

  it('a VNI counts the same; VLAN IDs and VNIs are separate numbers', async () => {
    expect(await refused(dc().post('/api/groups/ops/hosts', { hosts: ['e'] }), 409, 'CONFLICT'))
      .to.equal('host e carries VNI 5000 (segment stray-vx), already used by TVDc fin (segment fin-vx on host a); a VLAN or VNI belongs to one TVDc across the datacenter; no host was added');
    await byHand('f', vniSegment('vx100', 100));
    expect((await dc().post<Summary>('/api/groups/ops/hosts', { hosts: ['f'] })).hosts).to.deep.equal(['b', 'f']);
  });

  it('tells a tvdcadmin only "another TVDc"', async () => {
    const ctx: ServerContext = { db: srv.server.db, hosts: srv.server.hosts, log: () => {}, audit: () => {} };
    const alice: Principal = { user: 'alice', role: 'tvdcadmin', groups: ['ops'] };
    const err = await requireHostsMayJoin(ctx, alice, 'ops', [srv.server.hosts.get('c')]).then(() => null, (e: Error & { code: string }) => e);
    expect([err?.code, err?.message]).to.deep.equal(['CONFLICT', 'host c carries VLAN 100 (segment stray), already used by another TVDc; a VLAN or VNI belongs to one TVDc across the datacenter; no host was added']);
  });

  it('a host whose segments no other TVDc uses still joins, with the CLI', async () => {
    const r = await runTvdc(srv.url, 'dc', 'dc-password', 'groups', 'add', 'ops', 'd');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^ops\s+b,d,f\s/m);
    // A host carrying fin's VLAN may join fin itself.
    expect((await dc().post<Summary>('/api/groups/fin/hosts', { hosts: ['c'] })).hosts).to.deep.equal(['a', 'c']);
  });

  it('a host joining while another TVDc takes the same VLAN: one of the two gets it, every time', async () => {
    // g answered the server before, so the join is as quick as the creation and the two truly overlap.
    await dc().get('/api/hosts/g');
    for (const vlan of [300, 301, 302]) {
      await byHand('g', (conn) => createSegment(conn, `race${vlan}`, vlan));
      const [join, create] = await Promise.allSettled([
        dc().post('/api/groups/ops/hosts', { hosts: ['g'] }),
        dc().post<{ ok: boolean }>('/api/groups/fin/segments', { name: `race-fin${vlan}`, vlan }),
      ]);
      const outcomes = [join, create].map((x) => x.status === 'fulfilled' ? 'ok' : (x.reason as { code: string }).code);
      expect(outcomes.sort(), `VLAN ${vlan}`).to.deep.equal(['CONFLICT', 'ok']);
      const gJoined = srv.server.hosts.get('g').group === 'ops';
      expect(gJoined).to.equal(join.status === 'fulfilled');
      // Put back: g out of ops, no segment on the VLAN left anywhere.
      if (gJoined) await dc().del('/api/groups/ops/hosts/g');
      else await dc().del(`/api/groups/fin/segments/race-fin${vlan}`);
      await byHand('g', (conn) => conn.deleteInstance(CimObjectPath.instance('TVDc_NetworkSegment', { InstanceID: `TVDc:segment:race${vlan}` }, 'root/tvdc')));
    }
  });

  it('a host that cannot be asked, joining or of another TVDc: HOST_UNREACHABLE, no host added', async () => {
    await hosts['g']!.stop();
    expect(await refused(dc().post('/api/groups/ops/hosts', { hosts: ['g'] }), 502, 'HOST_UNREACHABLE'))
      .to.match(/^cannot check the VLANs and VNIs of host g against other TVDcs: it did not answer \(host g: .+\); no host was added$/);
    expect(srv.server.hosts.get('g').group).to.equal(null);
    await dc().del('/api/groups/ops/hosts/d');
    await hosts['a']!.stop();
    expect(await refused(dc().post('/api/groups/ops/hosts', { hosts: ['d'] }), 502, 'HOST_UNREACHABLE'))
      .to.match(/^cannot check that the joining hosts' VLAN 200 is unused by other TVDcs: host a of TVDc fin did not answer \(.+\); no host was added$/);
    expect(srv.server.hosts.get('d').group).to.equal(null);
    // A host with no segments brings no network: no other host needs to answer.
    expect((await dc().post<Summary>('/api/groups/ops/hosts', { hosts: ['h'] })).hosts).to.deep.equal(['b', 'f', 'h']);
  });
});
