// Integrity through CIM against real host agents with real swtpm vTPMs: a VM defined and started
// over CIM gets a vTPM and boot measurements; GetQuote (wbemcli and the project client) answers a
// fresh nonce in formats the project's Verifier checks against a reference database; wrong and
// malformed nonces, unknown programs are caught; entries stream over pull operations; every new
// measurement reaches a subscribed indication listener; the host's own TPM attests the same way;
// and a VM migrated to another host agent keeps its PCRs and still attests.
import { expect } from 'chai';
import { hash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { encodeTemplateData } from '../../../src/tvdc/integrity/ImaEntry.js';
import { formatAsciiLine } from '../../../src/tvdc/integrity/ImaLogParser.js';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { openStore, type Db } from '../../../src/store/Store.js';
import { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import type { QuoteBundle } from '../../../src/tvdc/integrity/QuoteBundle.js';
import { IndicationListener, subscribe } from '../../../client/listener/index.js';
import type { WbemConnection } from '../../../client/cim/index.js';
import { HostPaths, POLICY_1_0, POLICY_1_1, defineParam, policyParam, wbemcli, wbemcliCall as cm } from '../isolation/support/wbemcli.js';
import { jobOutcome } from '../isolation/support/migrationJob.js';
import { attestationService, connect, enrol, getQuote, hostPath, vmPath } from './support/attest.js';
import { removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

const codes = (v: { findings: { code: string }[] }) => v.findings.map((f) => f.code);

describe('integrity providers: vTPMs, GetQuote and measurements over CIM (real swtpm)', function () {
  this.timeout(60_000);
  let h1: IntegrityHost;
  let h2: IntegrityHost | undefined;
  let p1: HostPaths;
  let conn: WbemConnection;
  let refDb: Db;
  let refs: ReferenceDatabase;
  let verifier: Verifier;
  let hostVerifier: Verifier;
  let listener: IndicationListener | undefined;
  /** List index after the last entry the verifier accepted for vm1. */
  let next = 0;
  /** The first trusted quote of vm1 and its nonce. */
  let firstQuote: { nonce: string; bundle: QuoteBundle } | undefined;

  const vtpmService = (host: string) =>
    `TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="${host}"`;
  const attestation = (host: string) =>
    `TVDc_AttestationService.CreationClassName="TVDc_AttestationService",Name="AttestationService",SystemCreationClassName="TVDc_HostSystem",SystemName="${host}"`;

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    conn = connect(h1.origin);
    expect((await cm(p1, p1.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(p1, p1.service('TVDc_VirtualSystemManagementService'), defineParam('vm1', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p1, p1.vm('vm1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    // References scanned from the VM's image in a trusted environment (before anything runs in it).
    refDb = openStore(':memory:');
    refs = new ReferenceDatabase(refDb);
    refs.importDirectory(h1.imageRoot('vm1'));
    verifier = new Verifier({
      anchors: [{ pem: h1.vtpmCaPem(), kind: 'virtual' }, { pem: h1.platformCaPem(), kind: 'hardware' }],
      references: refs.snapshot(),
    });
    await enrol(conn, 'h1', vmPath('vm1'), verifier, 'vm1');
  });

  after(async () => {
    await listener?.close();
    await conn?.close();
    refDb?.close();
    for (const h of [h1, h2]) {
      if (!h) continue;
      await h.stop();
      await removeState(h.state);
    }
  });

  it('the started VM has a running vTPM (TPM 2.0, TPMState 10) linked by TVDc_SystemVTPM, with boot measurements', async () => {
    const ei = await wbemcli(['ei', p1.url('TVDc_VTPM')]);
    expect(ei.stdout).to.include('SystemName="vm1"').and.include('DeviceID="vtpm0"');
    expect(ei.stdout).to.include('TPMSpecMajorVersion=2').and.include('TPMState=10').and.include('EnabledState=2');
    const ain = await wbemcli(['ain', '-ac', 'TVDc_SystemVTPM', p1.url(p1.vm('vm1'))]);
    expect(ain.stdout).to.include('TVDc_VTPM.').and.include('SystemName="vm1"');
    const entries = await wbemcli(['ei', p1.url('TVDc_MeasurementEntry')]);
    const vm1 = entries.stdout.split('\n').filter((l) => l.includes('InstanceID="TVDc:vm:vm1:ima:'));
    expect(vm1).to.have.length(2);
    expect(vm1[0]).to.include('boot_aggregate');
    expect(vm1[1]).to.include('FilePath="/sbin/init"');
  });

  it('wbemcli cm GetQuote with a fresh nonce returns 0 and every output in its documented format', async () => {
    const nonce = verifier.newNonce('probe');
    const r = await wbemcli(['cm', p1.url(attestation('h1')), `GetQuote.Nonce="${nonce}",PCRSelection=0,10,FromIndex=0,Target=${p1.vm('vm1')}`]);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include(' GetQuote: 0, Quote (string): ');
    expect(r.stdout).to.match(/Signature \(string\): [A-Za-z0-9+/=]+, /);
    expect(r.stdout).to.include('AKPublic (string): -----BEGIN PUBLIC KEY-----').and.include('EKCertificate (string): -----BEGIN CERTIFICATE-----');
    expect(r.stdout).to.match(/PCRValues \(string\): sha1:0:[0-9a-f]{40},sha1:10:[0-9a-f]{40},sha256:0:[0-9a-f]{64},sha256:10:[0-9a-f]{64}, /);
    expect(r.stdout).to.match(/LogEntries \(string\): 10 [0-9a-f]{40} ima-ng sha256:[0-9a-f]{64} boot_aggregate,10 [0-9a-f]{40} ima-ng sha256:[0-9a-f]{64} \/sbin\/init, LogIndex \(uint64\): 0\n$/);
  });

  it('a quote over a fresh nonce verifies with the project Verifier against the reference database: trusted, from a virtual TPM', async () => {
    const nonce = verifier.newNonce('vm1');
    const { returnValue, bundle } = await getQuote(conn, 'h1', vmPath('vm1'), nonce);
    expect(returnValue).to.equal(0);
    expect(bundle.logIndex).to.equal(0);
    // Default selection: PCRs 0-10 in both banks.
    expect(bundle.pcrValues).to.have.length(22);
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    expect(v.virtualTpm).to.equal(true);
    expect(v.nextIndex).to.equal(2);
    next = v.nextIndex;
    firstQuote = { nonce, bundle };
  });

  it('a quote made over another nonce than the one issued is caught: NONCE_MISMATCH', async () => {
    const issued = verifier.newNonce('vm1');
    const { bundle } = await getQuote(conn, 'h1', vmPath('vm1'), 'ab'.repeat(20), { fromIndex: next });
    const v = verifier.verify('vm1', bundle, issued);
    expect(v.status).to.equal('untrusted');
    expect(codes(v)).to.deep.equal(['NONCE_MISMATCH']);
  });

  it('what GetQuote returns cannot be replayed, altered or re-signed: QUOTE_REPLAYED, TEMPLATE_HASH_MISMATCH naming the entry, AK_NOT_BOUND', async () => {
    const replayed = verifier.verify('vm1', firstQuote!.bundle, verifier.newNonce('vm1'));
    expect(codes(replayed)).to.deep.equal(['QUOTE_REPLAYED']);

    const nonce = verifier.newNonce('vm1');
    const { bundle } = await getQuote(conn, 'h1', vmPath('vm1'), nonce);
    bundle.logEntries[1] = bundle.logEntries[1]!.replace('/sbin/init', '/sbin/inix');
    const altered = verifier.verify('vm1', bundle, nonce);
    expect(altered.status).to.equal('untrusted');
    expect(altered.findings[0]).to.deep.include({ code: 'TEMPLATE_HASH_MISMATCH', index: 1, path: '/sbin/inix' });

    // The host's AK is a real TPM key, but not the one vm1's EK certified.
    const hostKey = await conn.invokeMethod(attestationService('h1'), 'GetAttestationKey', { Target: hostPath('h1') });
    const n2 = verifier.newNonce('vm1');
    const q2 = await getQuote(conn, 'h1', vmPath('vm1'), n2);
    const swapped = verifier.verify('vm1', { ...q2.bundle, akPublic: String(hostKey.outParams.get('AKPublic')?.value) }, n2);
    expect(swapped.status).to.equal('untrusted');
    expect(codes(swapped)).to.include('AK_NOT_BOUND');
  });

  it('a malformed nonce is CIM_ERR_INVALID_PARAMETER with a message naming the rule (wbemcli and the client)', async () => {
    const r = await wbemcli(['cm', p1.url(attestation('h1')), `GetQuote.Nonce="0011223344556g77",Target=${p1.vm('vm1')}`]);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.include('CIM_ERR_INVALID_PARAMETER').and.include('Nonce must be 8 to 64 bytes written as hex');
    for (const bad of ['00112233445566', 'aa'.repeat(65)]) {
      const e = await getQuote(conn, 'h1', vmPath('vm1'), bad).then(() => undefined, (x: unknown) => x);
      expect(e).to.be.instanceOf(CimError);
      expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
      expect((e as CimError).description).to.match(/Nonce must be 8 to 64 bytes/);
    }
  });

  it('TVDc_MeasurementEntry enumerates with pull operations, one entry per response, matching the quoted log', async () => {
    const nonce = verifier.newNonce('probe');
    const { bundle } = await getQuote(conn, 'h1', vmPath('vm1'), nonce);
    const pulled: CimInstance[] = [];
    for await (const i of conn.pullInstances('TVDc_MeasurementEntry', { maxObjectCount: 1 })) pulled.push(i);
    const vm1 = pulled.filter((i) => i.get('LogInstanceID') === 'TVDc:vm:vm1:ima');
    expect(vm1.map((i) => i.get('RecordData'))).to.deep.equal(bundle.logEntries);
    expect(vm1.map((i) => i.get('RecordID'))).to.deep.equal(bundle.logEntries.map((_, k) => String(k)));
    // The host's own list is there too.
    expect(pulled.some((i) => i.get('LogInstanceID') === 'TVDc:host:h1:ima')).to.equal(true);
  });

  it('a program the VM executes is measured: a subscribed listener receives TVDc_IntegrityIndication, and the next quote verifies incrementally', async () => {
    listener = new IndicationListener({ host: '127.0.0.1' });
    const url = await listener.start();
    const got: CimInstance[] = [];
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => { arrived = r; });
    listener.onIndication((i) => {
      got.push(i);
      if (i.get('FilePath') === '/bin/sh') arrived();
    });
    const interop = connect(h1.origin);
    try {
      await subscribe(interop, { name: 'integrity-test', destination: url, query: 'SELECT * FROM TVDc_IntegrityIndication' });
    } finally {
      await interop.close();
    }
    const r = await cm(p1, vtpmService('h1'), `ExecuteFile.Path="/bin/sh",System=${p1.vm('vm1')}`);
    expect(r.returnValue).to.equal(0);
    expect(r.out['LogIndex']).to.equal('2');
    await Promise.race([arrival, new Promise((_, rej) => setTimeout(() => rej(new Error(`no indication for /bin/sh; got ${got.length}`)), 10_000))]);
    const ind = got.find((i) => i.get('FilePath') === '/bin/sh')!;
    expect(ind.className).to.equal('TVDc_IntegrityIndication');
    expect(Number(ind.get('AlertType'))).to.equal(8);
    expect(Number(ind.get('ProbableCause'))).to.equal(123);
    expect(Number(ind.get('PCRIndex'))).to.equal(10);
    expect(ind.get('Digest')).to.equal(`sha256:${hash('sha256', readFileSync(join(h1.imageRoot('vm1'), 'bin', 'sh')), 'hex')}`);
    expect(String(ind.get('AlertingManagedElement'))).to.include('TVDc_ComputerSystem').and.include('Name="vm1"');

    const nonce = verifier.newNonce('vm1');
    const { bundle } = await getQuote(conn, 'h1', vmPath('vm1'), nonce, { fromIndex: next });
    expect(bundle.logIndex).to.equal(2);
    expect(bundle.logEntries).to.have.length(1);
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    next = v.nextIndex;
    expect(next).to.equal(3);
  });

  it('an unknown binary executed in the VM makes the verdict unknown, naming the file', async () => {
    const root = h1.imageRoot('vm1');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    writeFileSync(join(root, 'tmp', 'dropper'), 'not in any reference database\n');
    expect((await cm(p1, vtpmService('h1'), `ExecuteFile.Path="/tmp/dropper",System=${p1.vm('vm1')}`)).returnValue).to.equal(0);
    const nonce = verifier.newNonce('vm1');
    const { bundle } = await getQuote(conn, 'h1', vmPath('vm1'), nonce, { fromIndex: next });
    const v = verifier.verify('vm1', bundle, nonce);
    expect(v.status).to.equal('unknown');
    expect(v.findings).to.have.length(1);
    expect(v.findings[0]).to.deep.include({ code: 'ENTRY_UNKNOWN', path: '/tmp/dropper', index: 3 });
    next = v.nextIndex;
  });

  it('ExecuteFile refuses a path outside the image (4, the reason) and a VM without a vTPM is CIM_ERR_NOT_FOUND', async () => {
    const r = await cm(p1, vtpmService('h1'), `ExecuteFile.Path="/../../host.db",System=${p1.vm('vm1')}`);
    expect(r.returnValue).to.equal(4);
    expect(r.out['Reason']).to.include('outside the VM root');
    const e = await getQuote(conn, 'h1', vmPath('nosuchvm'), 'cd'.repeat(20)).then(() => undefined, (x: unknown) => x);
    expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_NOT_FOUND);
  });

  it('the host attests through its stand-in hardware TPM: trusted, not a virtual TPM', async () => {
    // As the management server does: the stand-in TPM measures no boot, so its boot_aggregate is
    // checked against its quote only, not against the VM images' known-good boot aggregates.
    hostVerifier = new Verifier({
      anchors: [{ pem: h1.vtpmCaPem(), kind: 'virtual' }, { pem: h1.platformCaPem(), kind: 'hardware' }],
      references: refs.snapshot(),
      bootAggregateReferences: false,
    });
    await enrol(conn, 'h1', hostPath('h1'), hostVerifier, 'host:h1');
    const nonce = hostVerifier.newNonce('host:h1');
    // PCRs 0-9 are needed to check the boot_aggregate, 10 for the log.
    const { bundle } = await getQuote(conn, 'h1', hostPath('h1'), nonce, { pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    expect(bundle.pcrValues).to.have.length(22);
    const v = hostVerifier.verify('host:h1', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    expect(v.virtualTpm).to.equal(false);
  });

  it('the host imports its real IMA list (ImportHostMeasurementLog): extended into its TPM, announced, and its quote replays', async () => {
    const lines = ['/usr/sbin/sshd', '/usr/bin/bash'].map((path, k) => {
      const digest = hash('sha256', `host program ${path}`, 'hex');
      const templateData = encodeTemplateData('ima-ng', 'sha256', digest, path);
      return formatAsciiLine({ index: k, pcr: 10, templateHash: hash('sha1', templateData, 'hex'), templateName: 'ima-ng', templateData, fileAlg: 'sha256', fileDigest: digest, path, violation: false });
    });
    const seen = listener ? new Promise<CimInstance>((resolve) => listener!.onIndication((i) => { if (i.get('FilePath') === '/usr/bin/bash') resolve(i); })) : undefined;
    const svc = CimObjectPath.instance('TVDc_VTPMManagementService', {
      CreationClassName: 'TVDc_VTPMManagementService', Name: 'VTPMManagementService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'h1',
    }, 'root/tvdc');
    const r = await conn.invokeMethod(svc, 'ImportHostMeasurementLog', { Log: lines.join('\n') + '\n' });
    expect(Number(r.returnValue)).to.equal(0);
    expect(Number(r.outParams.get('Count')?.value)).to.equal(2);
    const ind = await seen;
    expect(String(ind?.get('AlertingManagedElement'))).to.include('TVDc_HostSystem');

    const nonce = hostVerifier.newNonce('host:h1');
    const { bundle } = await getQuote(conn, 'h1', hostPath('h1'), nonce, { fromIndex: 1 });
    expect(bundle.logEntries).to.deep.equal(lines);
    const v = hostVerifier.verify('host:h1', bundle, nonce);
    // Replay and quote agree; the two programs are simply not in this reference database.
    expect(codes(v)).to.deep.equal(['ENTRY_UNKNOWN', 'ENTRY_UNKNOWN']);
    expect(v.findings.map((f) => f.path)).to.deep.equal(['/usr/sbin/sshd', '/usr/bin/bash']);

    const bad = await conn.invokeMethod(svc, 'ImportHostMeasurementLog', { Log: 'this is not an IMA list' });
    expect(Number(bad.returnValue)).to.equal(4);
    expect(String(bad.outParams.get('Reason')?.value)).to.match(/line 1/);
  });

  it('the "TVDc Integrity" profile is registered in root/interop; its central instances are the attestation and vTPM services', async () => {
    const profiles = await wbemcli(['ei', `${h1.origin}/root/interop:CIM_RegisteredProfile`]);
    const line = profiles.stdout.split('\n').find((l) => l.includes('RegisteredName="TVDc Integrity"'));
    expect(line, profiles.stdout).to.not.equal(undefined);
    expect(line).to.include('RegisteredOrganization=1').and.include('OtherRegisteredOrganization="TVDc"').and.include('RegisteredVersion="1.0.0"');
    const conforms = await wbemcli(['ein', `${h1.origin}/root/tvdc:TVDc_ElementConformsToProfile`]);
    const integrity = conforms.stdout.split('\n').filter((l) => l.includes('TVDc Integrity'));
    expect(integrity).to.have.length(2);
    expect(integrity.some((l) => l.includes('TVDc_AttestationService'))).to.equal(true);
    expect(integrity.some((l) => l.includes('TVDc_VTPMManagementService'))).to.equal(true);
    const hosted = await wbemcli(['ain', '-ac', 'TVDc_HostedService', p1.url(p1.hostSystem())]);
    expect(hosted.stdout).to.include('TVDc_VTPMManagementService').and.include('TVDc_AttestationService');
  });

  it('DMTF-style navigation: VM -> TVDc_UseOfLog -> log -> TVDc_LogManagesRecord -> entries; services -> TVDc_ServiceAffectsElement -> TPMs', async () => {
    const logs = await wbemcli(['ain', '-ac', 'TVDc_UseOfLog', p1.url(p1.vm('vm1'))]);
    expect(logs.stdout.trim().split('\n')).to.have.length(1);
    expect(logs.stdout).to.include('TVDc_MeasurementLog.InstanceID="TVDc:vm:vm1:ima"');
    const log = await wbemcli(['gi', p1.url('TVDc_MeasurementLog.InstanceID="TVDc:vm:vm1:ima"')]);
    const count = Number(/CurrentNumberOfRecords=(\d+)/.exec(log.stdout)?.[1]);
    expect(count).to.be.greaterThan(3);
    const records = await wbemcli(['ain', '-ac', 'TVDc_LogManagesRecord', p1.url('TVDc_MeasurementLog.InstanceID="TVDc:vm:vm1:ima"')]);
    const ids = [...records.stdout.matchAll(/InstanceID="TVDc:vm:vm1:ima:(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).to.deep.equal(Array.from({ length: count }, (_, k) => k));
    const affected = await wbemcli(['ain', '-ac', 'TVDc_ServiceAffectsElement', p1.url(attestation('h1'))]);
    expect(affected.stdout).to.include('TVDc_VTPM.').and.include('SystemName="vm1"').and.include('TVDc_HostTPM.');
    const hostTpm = await wbemcli(['ain', '-ac', 'TVDc_SystemDevice', '-arc', 'TVDc_HostTPM', p1.url(p1.hostSystem())]);
    expect(hostTpm.stdout).to.include('DeviceID="tpm0"');
  });

  it('a VM refused by another host agent keeps its vTPM; migrated there, it keeps its PCRs and its log, and still attests', async () => {
    h2 = await startInProcessHost('h2');
    const p2 = new HostPaths(h2.origin, 'h2');
    // Version 1.1 of the paper's policy adds the MA-SU conflict set.
    for (const f of [POLICY_1_0, POLICY_1_1]) expect((await cm(p2, p2.service('TVDc_SecurityService'), policyParam(f))).returnValue).to.equal(0);
    const before = await getQuote(conn, 'h1', vmPath('vm1'), verifier.newNonce('probe'));
    const pcr10 = before.bundle.pcrValues.find((v) => v.startsWith('sha256:10:'));
    // No Prepare calls: the migration service exchanges the two hosts' keys for each attempt.
    // The method answers 4096 and a job; how the migration ended is the job's.
    const migrate = async () => {
      const r = await cm(p1, p1.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${h2!.port}",ComputerSystem=${p1.vm('vm1')}`);
      expect(r.returnValue, r.out['Reason']).to.equal(4096);
      return jobOutcome(h1.origin, r.out['Job']!);
    };

    // h2 runs Security Underwriting: Chinese Wall refuses the MA VM there. It stays on h1 with its vTPM.
    expect((await cm(p2, p2.service('TVDc_VirtualSystemManagementService'), defineParam('su2', 'SecurityUnderwriting'))).returnValue).to.equal(0);
    expect((await cm(p2, p2.vm('su2'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const refused = await migrate();
    expect(refused.state).to.equal(10);
    expect(refused.errorCode).to.equal(2);
    expect(refused.reason).to.include("keeps running on 'h1'");
    const back = await getQuote(conn, 'h1', vmPath('vm1'), verifier.newNonce('probe'));
    expect(back.bundle.pcrValues).to.include(pcr10);
    expect(back.bundle.logEntries).to.deep.equal(before.bundle.logEntries);
    expect((await wbemcli(['ein', p2.url('TVDc_VTPM')])).stdout).to.not.include('vm1');
    expect((await cm(p2, p2.vm('su2'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);

    // The keys taken for the refused attempt are gone: the next attempt takes them afresh.
    const r = await migrate();
    expect(r.state, r.reason).to.equal(7);
    expect((await wbemcli(['ein', p1.url('TVDc_VTPM')])).stdout).to.not.include('vm1');
    expect((await wbemcli(['ein', p2.url('TVDc_VTPM')])).stdout).to.include('SystemName="vm1"');

    const conn2 = connect(h2.origin);
    try {
      const nonce = verifier.newNonce('vm1');
      const { bundle } = await getQuote(conn2, 'h2', vmPath('vm1'), nonce, { fromIndex: next });
      expect(bundle.pcrValues).to.include(pcr10);
      expect(bundle.logIndex).to.equal(next);
      const v = verifier.verify('vm1', bundle, nonce);
      // The unknown dropper stays reported (it ran in this boot); nothing else is wrong.
      expect(v.status).to.equal('unknown');
      expect(codes(v)).to.deep.equal(['ENTRY_UNKNOWN']);
      expect(v.findings[0]!.path).to.equal('/tmp/dropper');
      expect(v.nextIndex).to.equal(next);
      const all = await getQuote(conn2, 'h2', vmPath('vm1'), verifier.newNonce('probe'));
      expect(all.bundle.logEntries).to.deep.equal(before.bundle.logEntries);
    } finally {
      await conn2.close();
    }
  });
});
