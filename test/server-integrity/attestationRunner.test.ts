// The management server's remote challenger against a real host agent with real swtpm vTPMs: trust
// anchors registered by hand (nothing trusted on first use), trusted VMs and the host itself
// attest trusted; a VM that runs an unknown or a known-malicious program is judged so, an event
// records it and the TVDc's plans shut it down (read back over CIM), restart it, or notify a real
// HTTP listener; replayed, stale and foreign quotes are refused; an unreachable host fails.
import { expect } from 'chai';
import { hash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Db } from '../../src/store/Store.js';
import type { QuoteBundle } from '../../src/tvdc/integrity/QuoteBundle.js';
import { ReferenceDatabase } from '../../src/tvdc/integrity/ReferenceDatabase.js';
import { ActionPlanEngine } from '../../src/tvdc/management/ActionPlanEngine.js';
import { ActionPlanStore } from '../../src/tvdc/management/ActionPlanStore.js';
import { NotifyTargetStore } from '../../src/tvdc/management/NotifyTargetStore.js';
import { validatePlan } from '../../src/tvdc/management/ActionPlan.js';
import { EventLog, type TvdcEvent } from '../../src/tvdc/management/EventLog.js';
import { AttestationRunner, type QuoteSource } from '../../client/server/integrity/AttestationRunner.js';
import { ChallengeError } from '../../client/server/integrity/ChallengeError.js';
import { vmPath } from '../../client/server/HostCim.js';
import { CimChallenger, attestationService } from '../../client/server/integrity/CimChallenger.js';
import { TrustAnchorStore } from '../../client/server/integrity/TrustAnchorStore.js';
import { VmEffects } from '../../client/server/integrity/VmEffects.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../providers/isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { StaticHosts } from './support/StaticHosts.js';
import { startInProcessHost as startIsolationHost } from '../providers/isolation/support/InProcessHost.js';
import type { ActionPlan } from '../../src/tvdc/management/ActionPlan.js';

const GROUP = 'finance';

describe('management server: attestation runner, action plans and effects (real swtpm hosts)', function () {
  this.timeout(60_000);
  let h1: IntegrityHost;
  let p1: HostPaths;
  let dir: string;
  let db: Db;
  let hosts: StaticHosts;
  let anchors: TrustAnchorStore;
  let refs: ReferenceDatabase;
  let events: EventLog;
  let plans: ActionPlanStore;
  let runner: AttestationRunner;
  let listener: Server;
  let listenerUrl: string;
  const received: { path: string; body: { source: string; event: TvdcEvent } }[] = [];
  /** A relay between the runner and the host, as an attacker on the path would be. */
  let relay: ((host: string, real: QuoteSource) => QuoteSource) | undefined;

  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p1.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const vtpmService = `TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="h1"`;
  const execute = async (vm: string, path: string, content: string) => {
    const root = h1.imageRoot(vm);
    mkdirSync(join(root, 'opt'), { recursive: true });
    writeFileSync(join(root, path), content);
    expect((await cm(vtpmService, `ExecuteFile.Path="${path}",System=${p1.vm(vm)}`)).returnValue).to.equal(0);
  };
  const enabledState = async (vm: string) => Number((await hosts.connection('h1').getInstance(vmPath(vm))).get('EnabledState'));
  const addPlan = (on: string, action: string, extra: { vmPattern?: string; url?: string } = {}) =>
    plans.add(validatePlan({ group: GROUP, on, action, ...extra, createdBy: 'alice' }));

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    expect((await cm(p1.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['vm1', 'vm2', 'vm3']) {
      expect((await cm(p1.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(p1.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    }
    dir = mkdtempSync(join(tmpdir(), 'tvdc-mgmt-int-'));
    db = openStore(join(dir, 'server.db'));
    hosts = new StaticHosts();
    hosts.add('h1', h1.origin, GROUP);
    hosts.add('gone', 'http://127.0.0.1:1', GROUP);
    anchors = new TrustAnchorStore(db);
    refs = new ReferenceDatabase(db);
    // References scanned from the VM image in a trusted environment, before anything runs in it.
    refs.importDirectory(h1.imageRoot('vm1'));
    events = new EventLog(db);
    plans = new ActionPlanStore(db);
    const targets = new NotifyTargetStore(db);
    const engine = new ActionPlanEngine(plans, events, new VmEffects(hosts, { notifyTimeoutMs: 1_500 }), targets);
    runner = new AttestationRunner({
      db, hosts, references: refs, anchors, events, plans: engine,
      quoteSource: (host) => {
        const real = new CimChallenger(hosts.connection(host), host);
        return relay ? relay(host, real) : real;
      },
    });
    listener = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(text) as { source: string; event: TvdcEvent } });
        res.statusCode = req.url === '/refuse' ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    // The receivers the plans below may notify, as the dcadmin allows them.
    targets.add(listenerUrl, 'root');
    targets.add('http://127.0.0.1:1/', 'root');
  });

  after(async () => {
    listener?.close();
    await hosts?.close();
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (h1) {
      await h1.stop();
      await removeState(h1.state);
    }
  });

  it('nothing is trusted on first use: without a registered CA the attestation fails, says what to do, and enrols nothing', async () => {
    const o = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(o.status).to.equal('failed');
    expect(o.findings[0]!.code).to.equal('NO_TRUST_ANCHOR');
    expect(o.findings[0]!.message).to.include('tvdc attest trust h1');
    expect(runner.isEnrolled({ host: 'h1', vm: 'vm1' })).to.equal(false);
    expect(events.get(o.event.id)).to.deep.include({ kind: 'attestation', status: 'failed', group: GROUP, host: 'h1', vm: 'vm1' });
  });

  it('only CA certificates become trust anchors: text that is no PEM and a TPM\'s EK certificate are refused', async () => {
    expect(() => anchors.set('h1', 'virtual', 'not a pem', 'root')).to.throw(/not a PEM certificate/);
    const key = await hosts.connection('h1').invokeMethod(attestationService('h1'), 'GetAttestationKey', { Target: vmPath('vm1') });
    const ek = String(key.outParams.get('EKCertificate')?.value);
    expect(ek).to.include('BEGIN CERTIFICATE');
    expect(() => anchors.set('h1', 'virtual', ek, 'root')).to.throw(/is not a CA certificate/);
    expect(anchors.list('h1')).to.deep.equal([]);
  });

  it('with the host\'s CAs registered, a VM enrols and attests trusted with a virtual TPM, and the host itself with its hardware TPM', async () => {
    anchors.set('h1', 'virtual', h1.vtpmCaPem(), 'root');
    anchors.set('h1', 'hardware', h1.platformCaPem(), 'root');
    const vm = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(vm.findings).to.deep.equal([]);
    expect(vm.status).to.equal('trusted');
    expect(vm.virtualTpm).to.equal(true);
    expect(runner.isEnrolled({ host: 'h1', vm: 'vm1' })).to.equal(true);
    expect(vm.event.message).to.equal('VM vm1 on host h1: trusted (virtual TPM)');
    const host = await runner.attest({ host: 'h1' });
    expect(host.status, JSON.stringify(host.findings)).to.equal('trusted');
    expect(host.virtualTpm).to.equal(false);
    // The incremental path: the second quote of vm1 continues where the first ended.
    const again = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(again.status).to.equal('trusted');
  });

  it('a VM running a program the reference database does not know is unknown; the plan for it shuts the VM down (EnabledState 3 over CIM) and records the action', async () => {
    const plan = addPlan('unknown', 'shutdown', { vmPattern: 'vm?' });
    addPlan('untrusted', 'shutdown', { vmPattern: 'other-*' }); // does not match vm2
    await execute('vm2', '/opt/dropper', 'not in any reference database\n');
    expect(await enabledState('vm2')).to.equal(2);
    const o = await runner.attest({ host: 'h1', vm: 'vm2' });
    expect(o.status).to.equal('unknown');
    expect(o.findings.map((f) => [f.code, f.path])).to.deep.equal([['ENTRY_UNKNOWN', '/opt/dropper']]);
    expect(o.actions).to.have.length(1);
    expect(o.actions[0]).to.deep.include({ kind: 'action', status: 'done', planId: plan.id, action: 'shutdown', cause: o.event.id, vm: 'vm2' });
    expect(await enabledState('vm2')).to.equal(3);
    const listed = events.list({ groups: [{ name: GROUP }], vm: 'vm2' });
    expect(listed.map((e) => e.kind)).to.deep.equal(['action', 'attestation']);
  });

  it('a known-malicious program makes the VM untrusted naming it; a notify plan POSTs the event to a real listener before the restart plan reboots the VM, which then attests trusted again', async () => {
    const content = 'a known rootkit\n';
    refs.add('/opt/rootkit', hash('sha256', content, 'hex'), { annotation: 'malicious', note: 'known rootkit' });
    runner.referencesChanged();
    addPlan('untrusted', 'notify', { url: `${listenerUrl}/hook` });
    const restart = addPlan('untrusted', 'restart', { vmPattern: 'vm3' });
    await execute('vm3', '/opt/rootkit', content);
    const o = await runner.attest({ host: 'h1', vm: 'vm3' });
    expect(o.status).to.equal('untrusted');
    expect(o.findings[0]).to.deep.include({ code: 'ENTRY_UNTRUSTED', path: '/opt/rootkit' });
    expect(o.actions.map((a) => [a.action, a.status])).to.deep.equal([['notify', 'done'], ['restart', 'done']]);
    expect(o.actions[1]!.planId).to.equal(restart.id);
    const note = received.find((r) => r.body.event.id === o.event.id);
    expect(note, 'the listener got the event').to.not.equal(undefined);
    expect(note!.path).to.equal('/hook');
    expect(note!.body.source).to.equal('tvdc');
    expect(note!.body.event).to.deep.include({ status: 'untrusted', vm: 'vm3', host: 'h1', group: GROUP });
    expect(await enabledState('vm3')).to.equal(2);
    // Rebooted: a fresh measurement list from 0 (the stored position is past its end) and nothing bad in it.
    const after = await runner.attest({ host: 'h1', vm: 'vm3' });
    expect(after.findings).to.deep.equal([]);
    expect(after.status).to.equal('trusted');
  });

  it('a quote replayed by someone on the path, a quote over a stale nonce, and another VM\'s quote are refused: untrusted with the reason', async () => {
    let saved: QuoteBundle | undefined;
    relay = (_host, real) => ({ enrol: (...a) => real.enrol(...a), getQuote: async (t, n, o) => (saved = await real.getQuote(t, n, o)) });
    expect((await runner.attest({ host: 'h1', vm: 'vm1' })).status).to.equal('trusted');
    relay = () => ({ enrol: async () => undefined, getQuote: async () => saved! });
    const replayed = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(replayed.status).to.equal('untrusted');
    expect(replayed.findings.map((f) => f.code)).to.deep.equal(['QUOTE_REPLAYED']);

    // The relay asks the host for a quote over a nonce of its own choosing, kept for later.
    relay = (_host, real) => ({ enrol: (...a) => real.enrol(...a), getQuote: (t, _n, o) => real.getQuote(t, 'ab'.repeat(20), o) });
    const stale = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(stale.status).to.equal('untrusted');
    expect(stale.findings.map((f) => f.code)).to.deep.equal(['NONCE_MISMATCH']);

    // vm1's genuine, fresh quote answered for vm3: signed by a key vm3 never enrolled.
    relay = (_host, real) => ({ enrol: (...a) => real.enrol(...a), getQuote: (_t, n, o) => real.getQuote(vmPath('vm1'), n, o) });
    const foreign = await runner.attest({ host: 'h1', vm: 'vm3' });
    expect(foreign.status).to.equal('untrusted');
    expect(foreign.findings.map((f) => f.code)).to.include('AK_NOT_BOUND');
    // A challenge that gets no answer fails and leaves no nonce open that a later answer could use.
    relay = () => ({ enrol: async () => undefined, getQuote: async () => { throw new ChallengeError('HOST_UNREACHABLE', 'connection reset'); } });
    const lost = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect([lost.status, lost.findings[0]!.code]).to.deep.equal(['failed', 'HOST_UNREACHABLE']);
    expect(db.prepare("SELECT count(*) FROM verifier_nonce WHERE target = 'vm:vm1' AND state = 'issued'").pluck().get()).to.equal(0);
    relay = undefined;
    expect((await runner.attest({ host: 'h1', vm: 'vm1' })).status).to.equal('trusted');
  });

  it('an unreachable host fails the attestation (HOST_UNREACHABLE); a failed-notify plan reaches the listener, and a listener that refuses is recorded as a failed action, never a crash', async () => {
    anchors.set('gone', 'hardware', h1.platformCaPem(), 'root');
    addPlan('failed', 'notify', { url: `${listenerUrl}/outage` });
    addPlan('failed', 'notify', { url: `${listenerUrl}/refuse` });
    addPlan('failed', 'notify', { url: 'http://127.0.0.1:1/nobody' });
    const before = received.length;
    const o = await runner.attest({ host: 'gone' });
    expect(o.status).to.equal('failed');
    expect(o.findings[0]!.code).to.equal('HOST_UNREACHABLE');
    expect(o.actions.map((a) => a.status)).to.deep.equal(['done', 'failed', 'failed']);
    expect(o.actions[1]!.message).to.include('answered HTTP 500');
    expect(o.actions[2]!.message).to.include('POST http://127.0.0.1:1/nobody');
    expect(received.slice(before).map((r) => r.path)).to.deep.equal(['/outage', '/refuse']);
  });

  it('attesting the group covers every host and its running VMs, stopped VMs excluded', async () => {
    const out = await runner.attestGroup(GROUP);
    const seen = out.map((o) => `${o.target.host}/${o.target.vm ?? '-'}:${o.status}`).sort();
    // vm2 was shut down by its plan; the host "gone" cannot be reached.
    expect(seen).to.deep.equal(['gone/-:failed', 'h1/-:trusted', 'h1/vm1:trusted', 'h1/vm3:trusted']);
  });
  it('a power action aimed at a host the VM has left finds the VM on the host it is on now; one it cannot find anywhere fails with the reason', async () => {
    const other = await startIsolationHost('h9');
    try {
      hosts.add('h9', other.origin, null);
      const effects = new VmEffects(hosts);
      const plan: ActionPlan = { id: 1, group: 'g', on: ['untrusted'], action: { kind: 'shutdown' }, createdBy: 'root', createdAt: new Date().toISOString() };
      expect(await enabledState('vm1')).to.equal(2);
      await effects.shutdown({ host: 'h9', vm: 'vm1' }, plan);
      expect(await enabledState('vm1')).to.equal(3);
      const e = await effects.restart({ host: 'h9', vm: 'novm' }, plan).then(() => undefined, (x: unknown) => x as Error);
      expect(e?.message).to.match(/no VM named novm/);
      // A VM that is stopped cannot be restarted: the host's refusal is the reason.
      const r = await effects.restart({ host: 'h1', vm: 'vm1' }, plan).then(() => undefined, (x: unknown) => x as Error);
      expect(r?.message).to.match(/host h1 did not restart VM vm1: RequestStateChange returned 4097/);
    } finally {
      await other.stop();
    }
  });
});
