// The integrity side of the management server over its real JSON API and the tvdc CLI: who may do
// what (the dcadmin owns the reference database and trust anchors; a TVDc administrator has
// plans, schedules, attestations and events of his TVDcs only), bad input answered with clear
// errors, and the paper's whole use case: refdb import, a plan, a scheduled attestation that
// finds an unknown program in a VM, the VM shut down (read back over CIM), the events listed.
import { expect } from 'chai';
import { hash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../client/cli/ApiClient.js';
import { INTEGRITY_NOUNS } from '../../client/cli/integrityCommands.js';
import { commands } from '../../client/cli/tvdc.js';
import { refused, runTvdc } from '../server/support/serverHarness.js';
import { ManagementServer } from '../../client/server/ManagementServer.js';
import { usersModule } from '../../client/server/usersModule.js';
import { createIntegrityModule } from '../../client/server/integrity/integrityModule.js';
import { vmPath } from '../../client/server/HostCim.js';
import { WbemConnection } from '../../client/cim/index.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { runtimePolicyOf } from '../../src/tvdc/integrity/RuntimePolicy.js';

const PW = 'correct horse battery';

describe('management server API and CLI: integrity (refdb, trust, attest, plans, events) with real swtpm hosts', function () {
  this.timeout(60_000);
  let h1: IntegrityHost;
  let p1: HostPaths;
  let dir: string;
  let server: ManagementServer;
  let url: string;
  let conn: WbemConnection;
  const log: string[] = [];
  const as = (user: string) => new ApiClient(url, user, PW);

  const tvdc = (user: string, ...args: string[]) => runTvdc(url, user, PW, ...args);
  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p1.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };

  before(async () => {
    expect(commands['attest']).to.equal(INTEGRITY_NOUNS['attest']);
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    conn = new WbemConnection(h1.origin, { namespace: 'root/tvdc' });
    expect((await cm(p1.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['web1', 'web2']) {
      expect((await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(p1.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    }
    dir = mkdtempSync(join(tmpdir(), 'tvdc-mgmt-api-'));
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: (l) => void log.push(l), modules: [usersModule, createIntegrityModule({ notifyTimeoutMs: 1_000 })] });
    url = (await server.listen({ port: 0 })).http!;
    await server.users.add('root', 'dcadmin', PW);
    await server.users.add('alice', 'tvdcadmin', PW);
    await server.users.add('bob', 'tvdcadmin', PW);
    for (const g of ['finance', 'hr']) server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run(g, new Date().toISOString());
    server.users.authorize('alice', 'finance');
    server.users.authorize('bob', 'hr');
    // The receivers the plans below notify (nothing listens there: their failures are recorded).
    for (const prefix of ['http://127.0.0.1:1/', 'http://127.0.0.1:9/']) await as('root').post('/api/notify-targets', { prefix });
    server.hosts.add('h1', h1.origin, { user: null, password: null });
    server.hosts.setGroup('h1', 'finance');
    server.hosts.add('h2', 'http://127.0.0.1:1', { user: null, password: null });
    server.hosts.setGroup('h2', 'hr');
    writeFileSync(join(dir, 'vtpm-ca.pem'), h1.vtpmCaPem());
    writeFileSync(join(dir, 'platform-ca.pem'), h1.platformCaPem());
    writeFileSync(join(dir, 'policy.json'), runtimePolicyOf([h1.imageRoot('web1')], { excludes: ['/proc/.*'] }));
  });

  after(async () => {
    await ApiClient.closeAll();
    await conn?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (h1) {
      await h1.stop();
      await removeState(h1.state);
    }
  });

  it('every integrity route needs credentials: 401 without them', async () => {
    const r = await fetch(`${url}/api/events`);
    expect(r.status).to.equal(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).to.equal('UNAUTHORIZED');
    expect((await fetch(`${url}/api/refdb`, { headers: { authorization: 'Basic ' + Buffer.from(`root:wrong`).toString('base64') } })).status).to.equal(401);
  });

  it('a TVDc administrator may not touch the reference database, trust anchors or enrolments: 403', async () => {
    const alice = as('alice');
    await refused(alice.get('/api/refdb'), 403, 'FORBIDDEN');
    await refused(alice.post('/api/refdb/import', { policy: '{"digests":{}}' }), 403, 'FORBIDDEN');
    await refused(alice.post('/api/refdb', { path: '/bin/x', digest: 'aa'.repeat(32) }), 403, 'FORBIDDEN');
    await refused(alice.del('/api/refdb?path=/bin/sh'), 403, 'FORBIDDEN');
    await refused(alice.put('/api/attest/trust/h1', { vtpmCa: h1.vtpmCaPem() }), 403, 'FORBIDDEN');
    await refused(alice.get('/api/attest/trust'), 403, 'FORBIDDEN');
    await refused(alice.del('/api/attest/enrolments/h1?vm=web1'), 403, 'FORBIDDEN');
    const cli = await tvdc('alice', 'refdb', 'list');
    expect(cli.code).to.equal(1);
    expect(cli.err).to.match(/^tvdc: FORBIDDEN: alice is a tvdcadmin; only a dcadmin may do this/);
  });

  it('the dcadmin imports a runtime policy, annotates and removes digests; bad input is a 400 naming the problem, a CLI usage error exits 2', async () => {
    const imp = await tvdc('root', 'refdb', 'import', join(dir, 'policy.json'), '--source', 'web-image');
    expect(imp.code, imp.err).to.equal(0);
    expect(imp.out).to.match(/imported .* as "web-image": \d+ digests added, 0 stale removed, 1 excludes/);
    const evil = hash('sha256', 'evil\n', 'hex');
    const add = await tvdc('root', 'refdb', 'add', '/opt/evil', evil, '--annotation', 'malicious');
    expect(add.code, add.err).to.equal(0);
    const vuln = await tvdc('root', 'refdb', 'add', '/opt/old', 'bb'.repeat(32), '--annotation', 'vulnerable', '--cve', 'CVE-2024-3094');
    expect(vuln.code, vuln.err).to.equal(0);
    const list = await tvdc('root', 'refdb', 'list', '--path', '/opt/old', '--json');
    const doc = JSON.parse(list.out) as { records: { annotation: string; cve: string }[] };
    expect(doc.records).to.deep.equal([{ ...doc.records[0], annotation: 'vulnerable', cve: 'CVE-2024-3094' }]);
    const table = await tvdc('root', 'refdb', 'list');
    expect(table.out.split('\n')[0]).to.match(/^PATH\s+DIGEST\s+ANNOTATION\s+CVE\s+SOURCE$/);
    expect(table.out).to.include('/opt/evil').and.include('malicious');
    const paths = async (...args: string[]) => (JSON.parse((await tvdc('root', 'refdb', 'list', ...args, '--json')).out) as { records: { path: string }[] }).records.map((r) => r.path);
    expect(await paths('--prefix', '/opt/')).to.deep.equal(['/opt/evil', '/opt/old']);
    expect(await paths('--prefix', '/opt/', '--limit', '1')).to.deep.equal(['/opt/evil']);
    expect(await paths('--prefix', '/op_')).to.deep.equal([]); // a prefix, not a LIKE pattern
    expect(await paths('--path', '/opt')).to.deep.equal([]); // an exact path
    expect((await tvdc('root', 'refdb', 'list', '--path', '/opt/old', '--prefix', '/opt/')).code).to.equal(2);
    await refused(as('root').get('/api/refdb?path=/opt/old&prefix=/opt/'), 400, 'BAD_REQUEST');
    expect((await tvdc('root', 'refdb', 'remove', '/opt/old')).out).to.include('1 digest(s) of /opt/old removed');
    const gone = await tvdc('root', 'refdb', 'remove', '/opt/old');
    expect(gone.code).to.equal(1);
    expect(gone.err).to.include('NOT_FOUND');

    expect(await refused(as('root').post('/api/refdb', { path: '/bin/x', digest: 'xyz' }), 400, 'BAD_REQUEST')).to.include('not a hex digest');
    expect(await refused(as('root').post('/api/refdb/import', { policy: '{"digests": []}' }), 400, 'BAD_REQUEST')).to.include('"digests" must be an object');
    expect(await refused(as('root').post('/api/refdb', { path: 'relative', digest: 'aa'.repeat(32) }), 400, 'BAD_REQUEST')).to.include('must be absolute');
    const usage = await tvdc('root', 'refdb', 'add', '/opt/x', 'aa'.repeat(32), '--annotation', 'vulnerable');
    expect(usage.code).to.equal(2);
    expect(usage.err).to.include('--cve');
  });

  it('trust anchors are registered by the dcadmin for a known host only, and must be CA certificates', async () => {
    const r = await tvdc('root', 'attest', 'trust', 'h1', '--vtpm-ca', join(dir, 'vtpm-ca.pem'), '--platform-ca', join(dir, 'platform-ca.pem'));
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.include('vTPM CA').and.include('platform CA');
    await refused(as('root').put('/api/attest/trust/nohost', { vtpmCa: h1.vtpmCaPem() }), 404, 'NOT_FOUND');
    const missing = await tvdc('root', 'attest', 'trust', 'h1');
    expect([missing.code, missing.err]).to.deep.equal([2, "tvdc attest trust: --vtpm-ca FILE is required: the CA that certifies the EKs of the host's vTPMs"]);
    const unreadable = await tvdc('root', 'attest', 'trust', 'h1', '--vtpm-ca', join(dir, 'nope.pem'));
    expect(unreadable.code).to.equal(2);
    expect(unreadable.err).to.include('cannot read vTPM CA');
    expect(await refused(as('root').put('/api/attest/trust/h1', { vtpmCa: 'hello' }), 400, 'BAD_REQUEST')).to.include('not a PEM certificate');
    const listed = (await as('root').get<{ anchors: { host: string; kind: string; pem?: string }[] }>('/api/attest/trust')).anchors;
    expect(listed.map((a) => `${a.host}:${a.kind}`)).to.deep.equal(['h1:hardware', 'h1:virtual']);
    expect(listed.every((a) => a.pem === undefined)).to.equal(true);
    expect(await as('root').get('/api/attest/watch')).to.deep.equal({ enabled: false, destination: null, hosts: [] });
    // Monitoring needs the hosts' indications: a server started without --indications-port refuses it.
    const monitor = await tvdc('alice', 'attest', 'monitor', 'finance', 'on');
    expect([monitor.code, monitor.err]).to.deep.equal([1, 'tvdc: CONFLICT: the server follows no host indications: start it with --indications-port']);
    await refused(as('bob').put('/api/groups/finance/monitor', { enabled: true }), 403, 'FORBIDDEN');
    expect((await as('root').get<{ monitors: unknown[] }>('/api/attest/schedules')).monitors).to.deep.equal([]);
    await refused(as('alice').get('/api/attest/watch'), 403, 'FORBIDDEN');
  });

  it('a TVDc administrator manages plans and schedules of his TVDcs only; others\' are invisible to him; bad plans are 400', async () => {
    const alice = as('alice');
    const bob = as('bob');
    await refused(alice.post('/api/groups/hr/plans', { on: ['untrusted'], action: 'shutdown' }), 403, 'FORBIDDEN');
    await refused(alice.put('/api/groups/hr/schedule', { every: '10m' }), 403, 'FORBIDDEN');
    await refused(alice.del('/api/groups/hr/schedule'), 403, 'FORBIDDEN');
    const bobs = await bob.post<{ id: number }>('/api/groups/hr/plans', { on: ['failed'], action: 'notify', url: 'http://127.0.0.1:1/x' });
    expect((await alice.get<{ plans: unknown[] }>('/api/plans')).plans).to.deep.equal([]);
    await refused(alice.get('/api/plans?group=hr'), 403, 'FORBIDDEN');
    await refused(alice.del(`/api/plans/${bobs.id}`), 404, 'NOT_FOUND');
    expect((await as('root').get<{ plans: { id: number }[] }>('/api/plans')).plans.map((p) => p.id)).to.deep.equal([bobs.id]);
    expect(await refused(alice.post('/api/groups/finance/plans', { on: ['bad'], action: 'shutdown' }), 400, 'BAD_REQUEST')).to.include('"bad" is not one of untrusted, unknown, failed');
    expect(await refused(alice.post('/api/groups/finance/plans', { on: ['unknown'], action: 'notify' }), 400, 'BAD_REQUEST')).to.include('needs a url');
    expect(await refused(alice.post('/api/groups/finance/plans', { on: ['unknown'], action: 'notify', url: 'file:///etc/passwd' }), 400, 'BAD_REQUEST')).to.include('must be http or https');
    expect(await refused(alice.post('/api/groups/finance/plans', { on: ['unknown'], action: 'shutdown', vm: 'a b' }), 400, 'BAD_REQUEST')).to.include('vm pattern');
    expect(await refused(alice.put('/api/groups/finance/schedule', { every: '5x' }), 400, 'BAD_REQUEST')).to.include('is not a duration');
    await refused(as('root').post('/api/groups/nosuch/plans', { on: ['unknown'], action: 'shutdown' }), 404, 'NOT_FOUND');
    const usage = await tvdc('alice', 'plans', 'add', 'finance', '--action', 'shutdown');
    expect(usage.code).to.equal(2);
    expect(usage.err).to.include('--on is required');
  });

  it('a TVDc administrator attests his hosts and VMs, not others\' (403), and reads only his events', async () => {
    await refused(as('alice').post('/api/attest/run', { target: 'hr' }), 403, 'FORBIDDEN');
    // Another TVDc's host is refused like a TVDc alice may not see, without naming its TVDc.
    expect(await refused(as('alice').post('/api/attest/run', { target: 'h2' }), 403, 'FORBIDDEN')).to.equal('alice is not authorized for TVDc h2');
    await refused(as('alice').get('/api/events?group=hr'), 403, 'FORBIDDEN');
    await refused(as('alice').post('/api/attest/run', { target: 'nosuch' }), 403, 'FORBIDDEN');
    await refused(as('root').post('/api/attest/run', { target: 'nosuch' }), 404, 'NOT_FOUND');
    // bob's host is down: his attestation fails and his notify plan's failure is recorded too.
    const hr = await as('bob').post<{ results: { status: string; findings: { code: string }[] }[] }>('/api/attest/run', { target: 'hr' });
    expect(hr.results.map((r) => [r.status, r.findings[0]!.code])).to.deep.equal([['failed', 'NO_TRUST_ANCHOR']]);
    const run = await tvdc('alice', 'attest', 'run', 'h1', '--vm', 'web1');
    expect(run.code, run.err).to.equal(0);
    expect(run.out.split('\n')[0]).to.match(/^HOST\s+VM\s+STATUS\s+TPM\s+EVENT\s+ACTIONS$/);
    expect(run.out).to.match(/h1\s+web1\s+trusted\s+virtual\s+\d+\s+-/);
    const mine = (await as('alice').get<{ events: { group: string }[] }>('/api/events')).events;
    expect(mine.length).to.be.greaterThan(0);
    expect(mine.every((e) => e.group === 'finance')).to.equal(true);
    const all = (await as('root').get<{ events: { group: string }[] }>('/api/events')).events;
    expect(all.some((e) => e.group === 'hr')).to.equal(true);
    await refused(as('root').get('/api/events?since=yesterday'), 400, 'BAD_REQUEST');
    await refused(as('root').get('/api/events?limit=0'), 400, 'BAD_REQUEST');
    expect(await refused(as('alice').post('/api/attest/run', { target: 'h1', vm: 'nosuchvm' }), 404, 'NOT_FOUND')).to.equal('no VM named nosuchvm on host h1');
    expect(await refused(as('alice').post('/api/attest/run', { target: 'finance', vm: 'nosuchvm' }), 404, 'NOT_FOUND')).to.equal('no VM named nosuchvm on any host of TVDc finance');
  });

  it('the dcadmin lists anchors and drops an enrolment: the VM enrols again at its next attestation; plans are listed and removed by the CLI', async () => {
    const anchorsOut = await tvdc('root', 'attest', 'anchors');
    expect(anchorsOut.out.split('\n')[0]).to.match(/^HOST\s+KIND\s+SUBJECT\s+SHA-256\s+NOT AFTER$/);
    expect(anchorsOut.out).to.match(/h1\s+vTPM CA\s+CN=tvdc vTPM CA h1/);
    const forget = await tvdc('root', 'attest', 'forget', 'h1', '--vm', 'web1');
    expect(forget.code, forget.err).to.equal(0);
    expect(forget.out).to.equal('VM web1: enrolment dropped; its next attestation enrols its TPM again');
    expect((await tvdc('root', 'attest', 'forget', 'h1', '--vm', 'web1')).out).to.equal('VM web1 was not enrolled');
    const again = await as('root').post<{ results: { status: string }[] }>('/api/attest/run', { target: 'h1', vm: 'web1' });
    expect(again.results.map((r) => r.status)).to.deep.equal(['trusted']);
    const added = JSON.parse((await tvdc('alice', 'plans', 'add', 'finance', '--on', 'failed', '--action', 'notify', '--url', 'http://127.0.0.1:9/x', '--json')).out) as { id: number };
    const listed = await tvdc('alice', 'plans', 'list', 'finance');
    expect(listed.out).to.match(new RegExp(`^${added.id}\\s+finance\\s+failed\\s+\\*\\s+notify http://127.0.0.1:9/x\\s+alice$`, 'm'));
    expect((await tvdc('bob', 'plans', 'remove', String(added.id))).code).to.equal(1);
    const removed = await tvdc('alice', 'plans', 'remove', String(added.id));
    expect(removed.out).to.equal(`plan ${added.id} of TVDc finance removed`);
    expect((await tvdc('alice', 'plans', 'remove', 'x1')).code).to.equal(2);
  });

  it('the use case: with the references imported and a shutdown plan set, a scheduled attestation finds an unknown program in web2, shuts web2 down, and the events show it', async () => {
    const plan = await tvdc('alice', 'plans', 'add', 'finance', '--on', 'untrusted,unknown', '--vm', 'web*', '--action', 'shutdown');
    expect(plan.code, plan.err).to.equal(0);
    expect(plan.out).to.match(/^plan \d+ for TVDc finance: on untrusted,unknown of VMs web\*: shutdown$/);
    const root = h1.imageRoot('web2');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    writeFileSync(join(root, 'tmp', 'miner'), 'not from the image\n');
    const svc = 'TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="h1"';
    expect((await cm(svc, `ExecuteFile.Path="/tmp/miner",System=${p1.vm('web2')}`)).returnValue).to.equal(0);
    const started = new Date().toISOString();

    const sched = await tvdc('alice', 'attest', 'schedule', 'finance', '--every', '1s');
    expect(sched.code, sched.err).to.equal(0);
    expect(sched.out).to.match(/^TVDc finance is attested every 1s; next run at /);
    let shutdown: { status: string; vm?: string; message: string } | undefined;
    for (let i = 0; i < 100 && !shutdown; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const ev = (await as('alice').get<{ events: { kind: string; action?: string; status: string; vm?: string; message: string }[] }>(`/api/events?kind=action&since=${encodeURIComponent(started)}`)).events;
      shutdown = ev.find((e) => e.action === 'shutdown' && e.vm === 'web2');
    }
    expect(shutdown, 'a shutdown action event for web2').to.not.equal(undefined);
    expect(shutdown!.status, shutdown!.message).to.equal('done');
    expect(Number((await conn.getInstance(vmPath('web2'))).get('EnabledState'))).to.equal(3);
    expect(Number((await conn.getInstance(vmPath('web1'))).get('EnabledState'))).to.equal(2);

    const scheds = await tvdc('alice', 'attest', 'schedules');
    expect(scheds.out.split('\n')[0]).to.match(/^TVDC\s+EVERY\s+NEXT RUN\s+LAST RUN\s+LAST RESULT$/);
    expect(scheds.out).to.match(/^finance\s+1s\s+/m);
    expect((await tvdc('bob', 'attest', 'schedules')).out.split('\n')).to.have.length(1); // bob sees no finance schedule
    const un = await tvdc('alice', 'attest', 'unschedule', 'finance');
    expect(un.code, un.err).to.equal(0);
    expect((await tvdc('alice', 'attest', 'unschedule', 'finance')).err).to.include('NOT_FOUND');
    const events = await tvdc('alice', 'events', 'list', '--group', 'finance', '--since', started, '--vm', 'web2');
    expect(events.code, events.err).to.equal(0);
    expect(events.out.split('\n')[0]).to.match(/^ID\s+TIME\s+TVDC\s+KIND\s+STATUS\s+MESSAGE$/);
    expect(events.out).to.match(/finance\s+attestation\s+unknown\s+VM web2 on host h1: unknown \(virtual TPM\): entry \d+: .*\/tmp\/miner/);
    expect(events.out).to.match(/finance\s+action\s+done\s+plan \d+: shutdown for VM web2 on host h1/);
    const json = JSON.parse((await tvdc('alice', 'events', 'list', '--group', 'finance', '--limit', '1', '--json')).out) as { events: unknown[] };
    expect(json.events).to.have.length(1);
    // The run logs its tally once all its targets are done, which may be after web2's shutdown was recorded.
    const ranLine = (l: string) => /scheduled attestation of TVDc finance: \d+ targets/.test(l);
    for (let i = 0; i < 100 && !log.some(ranLine); i++) await new Promise((r) => setTimeout(r, 100));
    expect(log.some(ranLine)).to.equal(true);

    // A deleted TVDc takes its schedule and plans with it: one created later under its name starts with none.
    server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run('temp', new Date().toISOString());
    expect((await tvdc('root', 'attest', 'schedule', 'temp', '--every', '1h')).code).to.equal(0);
    expect((await tvdc('root', 'plans', 'add', 'temp', '--on', 'unknown', '--action', 'shutdown')).code).to.equal(0);
    expect((await as('root').get<{ plans: unknown[] }>('/api/plans?group=temp')).plans).to.have.length(1);
    const scheduled = async () => (await as('root').get<{ schedules: { group: string }[] }>('/api/attest/schedules')).schedules.map((x) => x.group);
    expect(await scheduled()).to.include('temp');
    server.db.prepare('DELETE FROM tvdc_groups WHERE name = ?').run('temp');
    server.db.prepare('INSERT INTO tvdc_groups (name, created_at) VALUES (?, ?)').run('temp', new Date().toISOString());
    expect((await as('root').get<{ plans: unknown[] }>('/api/plans?group=temp')).plans).to.deep.equal([]);
    expect(await scheduled()).to.not.include('temp');
    server.db.prepare('DELETE FROM tvdc_groups WHERE name = ?').run('temp');
    expect((await as('root').get<{ schedules: unknown[] }>('/api/attest/schedules')).schedules).to.deep.equal([]);
  });
  it('attesting one stopped VM (web2, shut down by the plan) is refused with no event recorded; a whole run skips it', async () => {
    expect(Number((await conn.getInstance(vmPath('web2'))).get('EnabledState'))).to.equal(3);
    const last = async () => (await as('root').get<{ events: { id: number }[] }>('/api/events?limit=1')).events[0]!.id;
    const before = await last();
    const msg = 'VM web2 on host h1 is stopped: nothing to attest; start it first';
    expect(await refused(as('alice').post('/api/attest/run', { target: 'finance', vm: 'web2' }), 409, 'CONFLICT')).to.equal(msg);
    expect(await refused(as('alice').post('/api/attest/run', { target: 'h1', vm: 'web2' }), 409, 'CONFLICT')).to.equal(msg);
    const cli = await tvdc('alice', 'attest', 'run', 'finance', '--vm', 'web2');
    expect(cli.code).to.equal(1);
    expect(cli.err).to.include(msg);
    expect(await last()).to.equal(before);
    const whole = await as('alice').post<{ results: { vm?: string; status: string }[] }>('/api/attest/run', { target: 'finance' });
    expect(whole.results.map((r) => r.vm ?? '-')).to.deep.equal(['-', 'web1']);
    // A running VM named explicitly is attested as before.
    const one = await as('alice').post<{ results: { vm?: string; status: string }[] }>('/api/attest/run', { target: 'finance', vm: 'web1' });
    expect(one.results.map((r) => [r.vm, r.status])).to.deep.equal([['web1', 'trusted']]);
  });

  it('a restarted server keeps the references, anchors, enrolments, plans, schedules and events, and its schedules run again', async () => {
    const enrolledAt = server.db.prepare("SELECT enrolled_at FROM verifier_enrolment WHERE target = 'vm:web1'").pluck().get() as string;
    expect(enrolledAt).to.be.a('string');
    expect((await tvdc('alice', 'attest', 'schedule', 'finance', '--every', '1s')).code).to.equal(0);
    const before = (await as('root').get<{ events: { id: number }[] }>('/api/events?limit=1')).events[0]!.id;
    await server.stop();
    server = ManagementServer.open({ db: join(dir, 'server.db'), log: (l) => void log.push(l), modules: [usersModule, createIntegrityModule()] });
    url = (await server.listen({ port: 0 })).http!;
    let after: { id: number; vm?: string; status: string }[] = [];
    for (let i = 0; i < 100 && !after.some((e) => e.vm === 'web1'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await as('alice').get<{ events: { id: number; vm?: string; status: string }[] }>('/api/events?kind=attestation')).events.filter((e) => e.id > before);
    }
    expect(after.find((e) => e.vm === 'web1')?.status, 'a scheduled attestation of web1 after the restart').to.equal('trusted');
    // The same AK: nothing was enrolled again, and the anchors and plans are those set before.
    expect(server.db.prepare("SELECT enrolled_at FROM verifier_enrolment WHERE target = 'vm:web1'").pluck().get()).to.equal(enrolledAt);
    expect((await as('root').get<{ anchors: unknown[] }>('/api/attest/trust')).anchors).to.have.length(2);
    expect((await as('alice').get<{ plans: { vmPattern?: string }[] }>('/api/plans')).plans.map((p) => p.vmPattern)).to.deep.equal(['web*']);
    expect((await as('root').get<{ count: number }>('/api/refdb')).count).to.be.greaterThan(1);
    expect((await tvdc('alice', 'attest', 'unschedule', 'finance')).code).to.equal(0);
  });
});
