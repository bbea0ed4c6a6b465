// vTPMs follow their VMs (created at DefineSystem, powered with RequestStateChange, gone with
// DestroySystem; a reboot boots it afresh), TVDc_PCR shows what the vTPM holds, and
// TVDc_VTPMManagementService's methods answer with their documented return codes and reasons.
// A host with --vtpm off says Not Supported.
import { expect } from 'chai';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import type { WbemConnection } from '../../../client/cim/index.js';
import { openStore } from '../../../src/store/Store.js';
import { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../isolation/support/wbemcli.js';
import { connect, enrol, getQuote, vmPath } from './support/attest.js';
import { migrationKey } from './support/migration.js';
import { removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

const SERVICE = (host: string) =>
  `TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="${host}"`;
const VTPM = (vm: string) => `TVDc_VTPM.CreationClassName="TVDc_VTPM",DeviceID="vtpm0",SystemCreationClassName="TVDc_ComputerSystem",SystemName="${vm}"`;

function servicePath(host: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPMManagementService', {
    CreationClassName: 'TVDc_VTPMManagementService', Name: 'VTPMManagementService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
  }, 'root/tvdc');
}

function vtpmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPM', { CreationClassName: 'TVDc_VTPM', DeviceID: 'vtpm0', SystemCreationClassName: 'TVDc_ComputerSystem', SystemName: vm }, 'root/tvdc');
}

describe('integrity providers: vTPM life cycle and TVDc_VTPMManagementService (real swtpm)', function () {
  this.timeout(60_000);
  let h: IntegrityHost;
  let p: HostPaths;
  let conn: WbemConnection;

  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const vtpmLine = async (vm: string): Promise<string | undefined> =>
    (await wbemcli(['ei', p.url('TVDc_VTPM')])).stdout.split('\n').find((l) => l.includes(`SystemName="${vm}"`));
  const pcr10 = async (vm: string): Promise<string | undefined> =>
    (await getQuote(conn, 'lc', vmPath(vm), '77'.repeat(12))).bundle.pcrValues.find((v) => v.startsWith('sha256:10:'));

  before(async () => {
    h = await startInProcessHost('lc');
    p = new HostPaths(h.origin, 'lc');
    conn = connect(h.origin);
    expect((await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam('a', 'MarketAnalysis'))).returnValue).to.equal(0);
  });
  after(async () => {
    await conn?.close();
    await h?.stop();
    await removeState(h.state);
  });

  it('DefineSystem gives the VM a vTPM, off (EnabledState 3), with an EK certificate from the host vTPM CA; no PCRs to show yet', async () => {
    const line = await vtpmLine('a');
    expect(line).to.include('EnabledState=3').and.include('EKCertificate="-----BEGIN CERTIFICATE-----');
    const pcrs = await wbemcli(['ein', p.url('TVDc_PCR')]);
    expect(pcrs.stdout).to.not.include('TVDc:vm:a:');
  });

  it('starting the VM powers the vTPM: 24 PCRs in each bank as TVDc_PCR, reachable from the vTPM, equal to what GetQuote reports', async () => {
    expect((await cm(p.vm('a'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect(await vtpmLine('a')).to.include('EnabledState=2');
    const pcrs: CimInstance[] = [];
    for await (const i of conn.enumerateInstances('TVDc_PCR')) if (String(i.get('InstanceID')).startsWith('TVDc:vm:a:')) pcrs.push(i);
    expect(pcrs).to.have.length(48);
    const p10 = pcrs.find((i) => i.get('InstanceID') === 'TVDc:vm:a:sha256:10')!;
    expect(Number(p10.get('HashAlgorithm'))).to.equal(11);
    expect(`sha256:10:${String(p10.get('Value'))}`).to.equal(await pcr10('a'));
    const linked = await wbemcli(['ain', '-ac', 'TVDc_ConcreteComponent', p.url(VTPM('a'))]);
    expect(linked.stdout.split('\n').filter((l) => l.includes('TVDc_PCR.'))).to.have.length(48);
  });

  it('stopping the VM stops its vTPM: GetQuote then fails with a reason', async () => {
    expect((await cm(p.vm('a'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
    expect(await vtpmLine('a')).to.include('EnabledState=3');
    const e = await getQuote(conn, 'lc', vmPath('a'), '77'.repeat(12)).then(() => undefined, (x: unknown) => x);
    expect(e).to.be.instanceOf(CimError);
    expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_FAILED);
    expect((e as CimError).description).to.include('not running');
  });

  it('StartVTPM and StopVTPM: 0, then 5 Invalid State with a reason when already running', async () => {
    expect((await cm(SERVICE('lc'), `StartVTPM.VTPM=${VTPM('a')}`)).returnValue).to.equal(0);
    expect(await vtpmLine('a')).to.include('EnabledState=2');
    const again = await cm(SERVICE('lc'), `StartVTPM.VTPM=${VTPM('a')}`);
    expect(again.returnValue).to.equal(5);
    expect(again.out['Reason']).to.include('already running');
    expect((await cm(SERVICE('lc'), `StopVTPM.VTPM=${VTPM('a')}`)).returnValue).to.equal(0);
    expect(await vtpmLine('a')).to.include('EnabledState=3');
  });

  it('ExportVTPMState, DeleteVTPM, ImportVTPMState (sealed to and signed by this host\'s own key): the vTPM comes back with the same PCRs; a second import is a replay (4), garbage is 4', async () => {
    expect((await cm(p.vm('a'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(SERVICE('lc'), `ExecuteFile.Path="/bin/sh",System=${p.vm('a')}`)).returnValue).to.equal(0);
    const before = await pcr10('a');
    // Refused while the VM runs (exporting stops the vTPM): suspended, its vTPM may go.
    const running = await cm(SERVICE('lc'), `StopVTPM.VTPM=${VTPM('a')}`);
    expect(running.returnValue).to.equal(5);
    expect(running.out['Reason']).to.equal("cannot stop the vTPM of VM 'a' while the VM is running: stop or suspend the VM first");
    expect((await cm(p.vm('a'), 'RequestStateChange.RequestedState=6')).returnValue).to.equal(0);
    const own = await migrationKey(conn, 'lc');
    const noKey = await conn.invokeMethod(servicePath('lc'), 'ExportVTPMState', { VTPM: vtpmPath('a') });
    expect(Number(noKey.returnValue)).to.equal(4);
    expect(String(noKey.outParams.get('Reason')?.value)).to.include('DestinationMigrationKey').and.include('required');
    const exp = await conn.invokeMethod(servicePath('lc'), 'ExportVTPMState', { VTPM: vtpmPath('a'), DestinationMigrationKey: own });
    expect(Number(exp.returnValue)).to.equal(0);
    const state = String(exp.outParams.get('State')?.value);
    expect(state).to.match(/^[A-Za-z0-9+/]+=*$/);
    expect((await cm(SERVICE('lc'), `DeleteVTPM.VTPM=${VTPM('a')}`)).returnValue).to.equal(0);
    expect(await vtpmLine('a')).to.equal(undefined);

    const unsigned = await conn.invokeMethod(servicePath('lc'), 'ImportVTPMState', { System: vmPath('a'), State: state });
    expect(Number(unsigned.returnValue)).to.equal(4);
    expect(String(unsigned.outParams.get('Reason')?.value)).to.include('SourceMigrationKey').and.include('required');
    const imp = await conn.invokeMethod(servicePath('lc'), 'ImportVTPMState', { System: vmPath('a'), State: state, SourceMigrationKey: own });
    expect(Number(imp.returnValue)).to.equal(0);
    expect(String(imp.outParams.get('VTPM')?.value)).to.include('TVDc_VTPM').and.include('vtpm0');
    expect(await vtpmLine('a')).to.include('EnabledState=2');
    expect(await pcr10('a')).to.equal(before);

    const twice = await conn.invokeMethod(servicePath('lc'), 'ImportVTPMState', { System: vmPath('a'), State: state, SourceMigrationKey: own });
    expect(Number(twice.returnValue)).to.equal(4);
    expect(String(twice.outParams.get('Reason')?.value)).to.match(/^vTPM package refused \(REPLAYED\): package [0-9a-f-]+ was already imported here/);
    const garbage = await conn.invokeMethod(servicePath('lc'), 'ImportVTPMState', { System: vmPath('a'), State: Buffer.from('{"format":"x"}').toString('base64'), SourceMigrationKey: own });
    expect(Number(garbage.returnValue)).to.equal(4);
    expect(String(garbage.outParams.get('Reason')?.value)).to.include('vTPM package refused (MALFORMED)');
    const notPem = await conn.invokeMethod(servicePath('lc'), 'ImportVTPMState', { System: vmPath('a'), State: state, SourceMigrationKey: 'hello' });
    expect(Number(notPem.returnValue)).to.equal(4);
    expect(String(notPem.outParams.get('Reason')?.value)).to.include('not a PEM public key');
  });

  it('CreateVTPM: 5 when the VM has one, CIM_ERR_NOT_FOUND for a VM that does not exist, CIM_ERR_INVALID_PARAMETER for a non-VM', async () => {
    const r = await cm(SERVICE('lc'), `CreateVTPM.System=${p.vm('a')}`);
    expect(r.returnValue).to.equal(5);
    expect(r.out['Reason']).to.include('exists');
    const missing = await wbemcli(['cm', p.url(SERVICE('lc')), `CreateVTPM.System=${p.vm('ghost')}`]);
    expect(missing.stderr).to.include('CIM_ERR_NOT_FOUND').and.include("no VM 'ghost'");
    const wrong = await wbemcli(['cm', p.url(SERVICE('lc')), `CreateVTPM.System=${p.hostSystem()}`]);
    expect(wrong.stderr).to.include('CIM_ERR_INVALID_PARAMETER');
  });

  it('a rebooted VM boots its vTPM afresh: a new log from 0, and the verifier accepts the new boot', async () => {
    expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam('b', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p.vm('b'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const refDb = openStore(':memory:');
    try {
      const refs = new ReferenceDatabase(refDb);
      refs.importDirectory(h.imageRoot('b'));
      const verifier = new Verifier({ anchors: [{ pem: h.vtpmCaPem(), kind: 'virtual' }], references: refs.snapshot() });
      await enrol(conn, 'lc', vmPath('b'), verifier, 'b');
      expect((await cm(SERVICE('lc'), `ExecuteFile.Path="/bin/sh",System=${p.vm('b')}`)).returnValue).to.equal(0);
      let nonce = verifier.newNonce('b');
      const first = await getQuote(conn, 'lc', vmPath('b'), nonce);
      expect(first.bundle.logEntries).to.have.length(3);
      expect(verifier.verify('b', first.bundle, nonce).status).to.equal('trusted');

      expect((await cm(p.vm('b'), 'RequestStateChange.RequestedState=10')).returnValue).to.equal(0);
      nonce = verifier.newNonce('b');
      const after = await getQuote(conn, 'lc', vmPath('b'), nonce);
      expect(after.bundle.logEntries).to.have.length(2);
      expect(after.bundle.logEntries.join('\n')).to.not.include('/bin/sh');
      const v = verifier.verify('b', after.bundle, nonce);
      expect(v.findings).to.deep.equal([]);
      expect(v.nextIndex).to.equal(2);
    } finally {
      refDb.close();
    }
  });

  it('DestroySystem removes the VM and its vTPM', async () => {
    expect((await cm(p.service('TVDc_VirtualSystemManagementService'), `DestroySystem.AffectedSystem=${p.vm('a')}`)).returnValue).to.equal(0);
    expect(await vtpmLine('a')).to.equal(undefined);
    expect((await wbemcli(['ein', p.url('TVDc_MeasurementLog')])).stdout).to.not.include('TVDc:vm:a:');
  });

  it('a host with --vtpm off has no vTPMs and answers 1 Not Supported with the reason', async () => {
    const off = await startInProcessHost('off', undefined, 'off');
    try {
      const po = new HostPaths(off.origin, 'off');
      expect((await wbemcli(['ein', po.url('TVDc_VTPM')])).stdout).to.equal('');
      const r = await wbemcli(['cm', po.url(SERVICE('off')), `CreateVTPM.System=${po.vm('x')}`]);
      const out = methodOutput(r.stdout);
      expect(out.returnValue).to.equal(1);
      expect(out.out['Reason']).to.include('--vtpm off');
    } finally {
      await off.stop();
      await removeState(off.state);
    }
  });
});
