// Removing a host from management takes the server's indication subscriptions off it (checked
// over CIM on the host), forgets its secret path (a delivery on it is dropped), and still removes a
// host that cannot be reached, saying what stayed there. Deliveries nobody may make are logged a
// few per sender and then only counted. Real hosts with the indication service, a real server.
import { expect } from 'chai';
import { join } from 'node:path';
import type { WbemConnection } from '../../client/cim/index.js';
import type { ApiClient } from '../../client/cli/ApiClient.js';
import { sendIndication } from '../../client/listener/index.js';
import { ManagementServer, serverModules } from '../../client/server/ManagementServer.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { startTestHost, type TestHost } from './support/testHost.js';
import { client, eventually, refused, runTvdc, tempDir, tvdcConnection } from './support/serverHarness.js';

/** The names of the server's subscriptions on a host, read over CIM (DSP1054 objects in root/interop). */
async function serverSubscriptions(conn: WbemConnection): Promise<{ subscriptions: string[]; filters: string[]; destinations: string[] }> {
  const [subs, filters, destinations] = await Promise.all(['CIM_IndicationSubscription', 'CIM_IndicationFilter', 'CIM_ListenerDestinationCIMXML']
    .map((c) => conn.enumerateInstances(c, { namespace: 'root/interop', deepInheritance: true }).toArray()));
  const ours = (names: string[]) => names.filter((n) => n.startsWith('tvdc-mgmt-')).sort();
  return {
    // A subscription is named by its handler (the destination) key.
    subscriptions: ours(subs!.map((s) => {
      const handler = s.get('Handler') as { key(k: string): unknown } | null;
      return String(handler?.key('Name') ?? '');
    })),
    filters: ours(filters!.map((f) => String(f.get('Name')))),
    destinations: ours(destinations!.map((d) => String(d.get('Name')))),
  };
}

function indication(className: string): CimInstance {
  const i = new CimInstance(className);
  i.properties.set('Message', new CimProperty('Message', 'string', 'not from a managed host'));
  return i;
}

describe('management server: removing a host unsubscribes it; dropped deliveries are rate-limited in the log', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-host-removal-');
  const log: string[] = [];
  let h1: TestHost, h2: TestHost;
  let cim1: WbemConnection;
  let server: ManagementServer;
  let url: string;
  let dc: ApiClient;
  let base: string;

  const tvdc = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const r = await runTvdc(url, 'dc', 'dc-password', ...args);
    dc = client(url, 'dc', 'dc-password');
    return r;
  };

  before(async () => {
    [h1, h2] = await Promise.all([startTestHost('r1'), startTestHost('r2')]);
    cim1 = tvdcConnection(h1.origin);
    server = ManagementServer.open({
      db: join(tmp.dir, 'server.db'),
      modules: serverModules({ indications: { listenPort: 0, droppedLog: { perWindow: 3, windowMs: 1500 } } }),
      log: (l) => void log.push(l),
    });
    url = (await server.listen({ port: 0 })).http!;
    await server.users.add('dc', 'dcadmin', 'dc-password');
    dc = client(url, 'dc', 'dc-password');
    for (const h of [h1, h2]) await dc.post('/api/hosts', { url: h.origin });
    // Both hosts subscribed to both consumed classes (violations, measurements).
    const watch = await eventually(async () => {
      const w = await dc.post<{ destination: string; hosts: string[] }>('/api/violations/watch');
      return w.hosts.length === 2 && (await serverSubscriptions(cim1)).subscriptions.length === 2 && w;
    });
    base = watch.destination;
  });
  after(async () => {
    await server?.stop();
    await cim1?.close();
    await Promise.all([h1?.stop(), h2?.stop()]);
    tmp.remove();
  });

  it('a flood of deliveries on a wrong path logs the first few from the sender, then one summary line with the count', async () => {
    const from = log.length;
    for (let i = 0; i < 20; i++) await sendIndication(`${base}/tvdc/indications/no-such-token`, indication('TVDc_AccessDeniedIndication'));
    const summary = await eventually(async () => log.slice(from).find((l) => / more dropped deliveries from /.test(l)), 5_000);
    const ours = log.slice(from).filter((l) => l.startsWith('indications: '));
    expect(ours.filter((l) => l.includes('no-such-token'))).to.have.length(3);
    expect(ours.filter((l) => /^indications: 3 dropped deliveries from \S+ logged in this window; the next are only counted$/.test(l))).to.have.length(1);
    expect(summary).to.match(/^indications: 17 more dropped deliveries from \S+ since \d{4}-\d\d-\d\dT[\d:.]+Z were not logged$/);
    expect(ours).to.have.length(5);
    // A new window logs again.
    await sendIndication(`${base}/tvdc/indications/still-no-token`, indication('TVDc_AccessDeniedIndication'));
    await eventually(async () => log.some((l) => l.includes('still-no-token')), 5_000);
  });

  it('tvdc hosts remove: the host\'s subscriptions are gone from it, its path is forgotten, a delivery on it is dropped', async () => {
    const token = server.db.prepare("SELECT token FROM indication_paths WHERE host = 'r1'").pluck().get() as string;
    const before = await serverSubscriptions(cim1);
    expect(before.destinations).to.have.length(2);
    const r = await tvdc('hosts', 'remove', 'r1', '--json');
    expect(r.code, r.err).to.equal(0);
    const answer = JSON.parse(r.out) as { removed: string; subscriptions: { ok: boolean; removed: string[]; remaining: string[] } };
    expect(answer).to.deep.equal({ removed: 'r1', subscriptions: { ok: true, removed: before.destinations, remaining: [] } });
    expect(answer.subscriptions.removed.map((n) => n.replace(/-[0-9a-f]{12}$/, ''))).to.deep.equal(['tvdc-mgmt-accessdenied', 'tvdc-mgmt-integrity']);
    expect(await serverSubscriptions(cim1)).to.deep.equal({ subscriptions: [], filters: [], destinations: [] });
    expect(server.db.prepare("SELECT count(*) FROM indication_paths WHERE host = 'r1'").pluck().get()).to.equal(0);
    const from = log.length;
    await sendIndication(`${base}/tvdc/indications/${token}`, indication('TVDc_AccessDeniedIndication'));
    await eventually(async () => log.slice(from).some((l) => l.includes(token) && l.includes("not a host's path")), 5_000);
    expect((await dc.get<{ violations: unknown[] }>('/api/violations')).violations).to.deep.equal([]);
    await refused(dc.get('/api/hosts/r1'), 404, 'NOT_FOUND');
    // Added again, the host gets a new path and is subscribed afresh.
    await dc.post('/api/hosts', { url: h1.origin });
    await eventually(async () => (await dc.post<{ hosts: string[] }>('/api/violations/watch')).hosts.includes('r1') && (await serverSubscriptions(cim1)).subscriptions.length === 2);
    expect(server.db.prepare("SELECT token FROM indication_paths WHERE host = 'r1'").pluck().get()).to.be.a('string').and.not.equal(token);
  });

  it('a host that cannot be reached is removed all the same; the answer and the CLI say which subscriptions stay on it', async () => {
    const names = (server.db.prepare("SELECT name FROM indication_subscriptions WHERE host = 'r2' ORDER BY name").pluck().all() as string[]);
    expect(names).to.have.length(2);
    await h2.stop();
    const r = await tvdc('hosts', 'remove', 'r2');
    expect(r.code).to.equal(0);
    expect(r.out).to.equal('host r2 removed');
    expect(r.err).to.match(new RegExp(`^tvdc: warning: the server's indication subscriptions could not be removed from r2 \\(HOST_UNREACHABLE: host r2: .*\\); remove ${names.join(', ')} on the host$`));
    await refused(dc.get('/api/hosts/r2'), 404, 'NOT_FOUND');
    expect(server.db.prepare("SELECT count(*) FROM indication_subscriptions WHERE host = 'r2'").pluck().get()).to.equal(0);
    expect((await dc.get<{ hosts: { name: string }[] }>('/api/hosts')).hosts.map((h) => h.name)).to.deep.equal(['r1']);
  });
});
