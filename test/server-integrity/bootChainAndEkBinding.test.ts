// The management server's challenger against a real host agent (real swtpm): a VM rebooted with
// another kernel, initrd and firmware is unknown (its boot_aggregate is no clean image's), as are
// VMs judged by a reference database that lists no boot aggregate (saying so, in the event and
// the server log); the host's stand-in TPM is judged by its quote; a VM whose enrolment is
// answered with another VM's vTPM is untrusted (EK_WRONG_VM), an enrolment made before names were
// checked is dropped and made again, and the EK it held is refused for any other name (EK_CLONED).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Db } from '../../src/store/Store.js';
import { ReferenceDatabase } from '../../src/tvdc/integrity/ReferenceDatabase.js';
import { SqliteVerifierStore } from '../../src/tvdc/integrity/VerifierStore.js';
import { BOOT_AGGREGATE } from '../../src/tvdc/integrity/BootAggregate.js';
import { ActionPlanEngine } from '../../src/tvdc/management/ActionPlanEngine.js';
import { ActionPlanStore } from '../../src/tvdc/management/ActionPlanStore.js';
import { NotifyTargetStore } from '../../src/tvdc/management/NotifyTargetStore.js';
import { EventLog } from '../../src/tvdc/management/EventLog.js';
import { AttestationRunner, type QuoteSource } from '../../client/server/integrity/AttestationRunner.js';
import { vmPath } from '../../client/server/HostCim.js';
import { CimChallenger } from '../../client/server/integrity/CimChallenger.js';
import { TrustAnchorStore } from '../../client/server/integrity/TrustAnchorStore.js';
import { VmEffects } from '../../client/server/integrity/VmEffects.js';
import { HostPaths, POLICY_1_0, policyParam, runVm, wbemcliCall as cm } from '../providers/isolation/support/wbemcli.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../providers/integrity/support/IntegrityHost.js';
import { StaticHosts } from './support/StaticHosts.js';

const GROUP = 'finance';

describe('management server: boot chain against known-good boot aggregates, EKs bound to their VM (real swtpm host)', function () {
  this.timeout(60_000);
  let h1: IntegrityHost;
  let p1: HostPaths;
  let dir: string;
  let db: Db;
  let hosts: StaticHosts;
  let refs: ReferenceDatabase;
  let events: EventLog;
  let runner: AttestationRunner;
  const logged: string[] = [];
  let relay: ((real: QuoteSource) => QuoteSource) | undefined;

  const power = async (vm: string, state: 2 | 3) => expect((await cm(p1, p1.vm(vm), `RequestStateChange.RequestedState=${state}`)).returnValue).to.equal(0);

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    expect((await cm(p1, p1.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['vm1', 'vm2']) await runVm(p1, vm, 'MarketAnalysis');
    dir = mkdtempSync(join(tmpdir(), 'tvdc-boot-ek-'));
    db = openStore(join(dir, 'server.db'));
    hosts = new StaticHosts();
    hosts.add('h1', h1.origin, GROUP);
    const anchors = new TrustAnchorStore(db);
    anchors.set('h1', 'virtual', h1.vtpmCaPem(), 'root');
    anchors.set('h1', 'hardware', h1.platformCaPem(), 'root');
    refs = new ReferenceDatabase(db);
    // The clean image, scanned where it can be trusted: its files and its boot aggregates.
    refs.importDirectory(h1.imageRoot('vm1'), { source: 'clean-image' });
    events = new EventLog(db);
    const plans = new ActionPlanStore(db);
    const engine = new ActionPlanEngine(plans, events, new VmEffects(hosts, { notifyTimeoutMs: 1_500 }), new NotifyTargetStore(db));
    runner = new AttestationRunner({
      db, hosts, references: refs, anchors, events, plans: engine, log: (l) => logged.push(l),
      quoteSource: (host) => {
        const real = new CimChallenger(hosts.connection(host), host);
        return relay ? relay(real) : real;
      },
    });
  });

  after(async () => {
    await hosts?.close();
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (h1) {
      await h1.stop();
      await removeState(h1.state);
    }
  });

  it('the clean image\'s boot is trusted; the host, whose stand-in TPM measures no boot, is judged by its quote', async () => {
    expect(refs.lookup(BOOT_AGGREGATE)).to.have.length(2);
    for (const vm of ['vm1', 'vm2']) {
      const o = await runner.attest({ host: 'h1', vm });
      expect(o.status, JSON.stringify(o.findings)).to.equal('trusted');
    }
    const host = await runner.attest({ host: 'h1' });
    expect(host.status, JSON.stringify(host.findings)).to.equal('trusted');
  });

  it('vm2 rebooted with another kernel, initrd and firmware (written from inside the guest) is unknown: its boot_aggregate is no clean image\'s', async () => {
    await power('vm2', 3);
    for (const [f, text] of [['boot/vmlinuz', 'TROJANED KERNEL'], ['boot/initrd.img', 'TROJANED INITRD'], ['firmware/bios.bin', 'TROJANED BIOS']] as const) writeFileSync(join(h1.imageRoot('vm2'), f), text);
    await power('vm2', 2);
    const o = await runner.attest({ host: 'h1', vm: 'vm2' });
    expect(o.status).to.equal('unknown');
    expect(o.findings.map((f) => [f.code, f.path])).to.deep.equal([['ENTRY_UNKNOWN', BOOT_AGGREGATE]]);
    expect(o.event.message).to.match(/^VM vm2 on host h1: unknown \(virtual TPM\): entry 0: boot_aggregate [0-9a-f]{64} is not one of the 2 known-good boot aggregate\(s\)/);
    // The clean vm1 is still trusted.
    expect((await runner.attest({ host: 'h1', vm: 'vm1' })).status).to.equal('trusted');
  });

  it('a reference database without boot aggregates (as one made before them) makes VMs unknown and says why, in the event and the server log; importing the image again restores trust', async () => {
    expect(refs.remove(BOOT_AGGREGATE)).to.equal(2);
    runner.referencesChanged();
    runner.forget({ host: 'h1', vm: 'vm1' });
    const o = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(o.status).to.equal('unknown');
    expect(o.findings[0]!.message).to.include('the reference data lists no boot_aggregate at all');
    expect(logged.filter((l) => l.includes('the reference database lists no boot_aggregate'))).to.have.length(1);
    // The host is not affected: its boot_aggregate was never judged against the images'.
    expect((await runner.attest({ host: 'h1' })).status).to.equal('trusted');
    refs.importDirectory(h1.imageRoot('vm1'), { source: 'clean-image' });
    runner.referencesChanged();
    runner.forget({ host: 'h1', vm: 'vm1' });
    expect((await runner.attest({ host: 'h1', vm: 'vm1' })).status).to.equal('trusted');
  });

  it('vm2\'s enrolment answered with vm1\'s vTPM is untrusted (EK_WRONG_VM, naming both) and enrols nothing', async () => {
    runner.forget({ host: 'h1', vm: 'vm2' });
    // A relay (or a lying host) answers every question about vm2 with vm1's vTPM.
    relay = (real) => ({ enrol: (_t, v, n, e) => real.enrol(vmPath('vm1'), v, n, e), getQuote: (_t, n, o) => real.getQuote(vmPath('vm1'), n, o) });
    try {
      const o = await runner.attest({ host: 'h1', vm: 'vm2' });
      expect(o.status).to.equal('untrusted');
      expect(o.findings.map((f) => f.code)).to.deep.equal(['EK_WRONG_VM']);
      expect(o.findings[0]!.message).to.match(/enrolment of vm:vm2 refused: the EK certificate names VM vm1 \(CN=tvdc vTPM EK h1\/vm1\), not vm2/);
      expect(runner.isEnrolled({ host: 'h1', vm: 'vm2' })).to.equal(false);
    } finally {
      relay = undefined;
    }
  });

  it('an enrolment of vm2 made with vm1\'s vTPM before names were checked: vm1 is refused as its clone (EK_CLONED); vm2\'s next attestation drops it and enrols vm2\'s own vTPM', async () => {
    const store = new SqliteVerifierStore(db);
    const vm1 = store.enrolment('vm:vm1')!;
    // What an older server stored after the attack: vm1's EK and AK under vm2's name.
    store.putEnrolment({ ...vm1, target: 'vm:vm2' });
    runner.forget({ host: 'h1', vm: 'vm1' });
    const refused = await runner.attest({ host: 'h1', vm: 'vm1' });
    expect(refused.status).to.equal('untrusted');
    expect(refused.findings.map((f) => f.code)).to.deep.equal(['EK_CLONED']);
    expect(refused.findings[0]!.message).to.match(/^enrolment of vm:vm1 refused: its EK is already enrolled for vm:vm2; one TPM identity answering for both vm:vm1 and vm:vm2/);

    const vm2 = await runner.attest({ host: 'h1', vm: 'vm2' });
    expect(logged.some((l) => l.includes('the enrolment of VM vm2 has an EK certificate that names another VM'))).to.equal(true);
    // vm2 is enrolled with its own vTPM now; it still boots the changed kernel.
    expect(store.enrolment('vm:vm2')!.ekCertificatePem).to.not.equal(vm1.ekCertificatePem);
    expect(vm2.findings.map((f) => f.code)).to.deep.equal(['ENTRY_UNKNOWN']);
    expect((await runner.attest({ host: 'h1', vm: 'vm1' })).status).to.equal('trusted');
  });
});
