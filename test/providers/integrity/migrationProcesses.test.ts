// A VM with a vTPM migrated between two real tvdc-host processes (--vtpm swtpm), with
// MigrateVirtualSystemToHost alone (no Prepare calls; the job it starts waited for): the destination
// resumes the vTPM with the PCRs and the measurement list it had, it still attests with the EK
// and AK it was enrolled with, and the source keeps no vTPM or swtpm for it.
import { expect } from 'chai';
import { openStore } from '../../../src/store/Store.js';
import { ReferenceDatabase } from '../../../src/tvdc/integrity/ReferenceDatabase.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall as cm } from '../isolation/support/wbemcli.js';
import { jobOutcome } from '../isolation/support/migrationJob.js';
import { connect, enrol, getQuote, vmPath } from './support/attest.js';
import { newStateDir, removeState, startHostProcess, type HostProcess } from './support/IntegrityHost.js';

describe('integrity providers: migration between two tvdc-host processes carries the vTPM (real swtpm)', function () {
  this.timeout(90_000);
  const states = [newStateDir('m1'), newStateDir('m2')];
  const hosts: HostProcess[] = [];


  after(async () => {
    for (const h of hosts) await h.stop();
    for (const s of states) await removeState(s);
  });

  it('the VM keeps its PCRs and log at the destination and verifies there: trusted', async () => {
    const [a, b] = await Promise.all([startHostProcess('m1', states[0]!), startHostProcess('m2', states[1]!)]);
    hosts.push(a, b);
    const pa = new HostPaths(a.origin, 'm1');
    const pb = new HostPaths(b.origin, 'm2');
    for (const p of [pa, pb]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), defineParam('mv', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(pa, pa.vm('mv'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);

    const refDb = openStore(':memory:');
    const connA = connect(a.origin);
    const connB = connect(b.origin);
    try {
      const refs = new ReferenceDatabase(refDb);
      refs.importDirectory(a.imageRoot('mv'));
      const verifier = new Verifier({ anchors: [{ pem: a.vtpmCaPem(), kind: 'virtual' }], references: refs.snapshot() });
      await enrol(connA, 'm1', vmPath('mv'), verifier, 'mv');
      let nonce = verifier.newNonce('mv');
      const first = await getQuote(connA, 'm1', vmPath('mv'), nonce);
      const v1 = verifier.verify('mv', first.bundle, nonce);
      expect(v1.status, JSON.stringify(v1.findings)).to.equal('trusted');

      // No preparation: m1 reads m2's migration key over the migration's own connection and seals
      // the vTPM to it; m2 verifies it with the key m1 passes in AcceptMigration.
      const r = await cm(pa, pa.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${b.port}",ComputerSystem=${pa.vm('mv')}`);
      expect(r.returnValue, r.out['Reason']).to.equal(4096);
      const job = await jobOutcome(a.origin, r.out['Job']!);
      expect(job.state, job.reason).to.equal(7);
      // The source runs only its host TPM now; the destination its own and the VM's.
      expect(findSwtpmProcesses(states[0]!)).to.have.length(1);
      expect(findSwtpmProcesses(states[1]!)).to.have.length(2);
      expect((await wbemcli(['ein', pa.url('TVDc_VTPM')])).stdout).to.equal('');

      nonce = verifier.newNonce('mv');
      const moved = await getQuote(connB, 'm2', vmPath('mv'), nonce, { fromIndex: v1.nextIndex });
      expect(moved.bundle.pcrValues).to.include(first.bundle.pcrValues.find((x) => x.startsWith('sha256:10:')));
      expect(moved.bundle.ekCertificate).to.equal(first.bundle.ekCertificate);
      const v2 = verifier.verify('mv', moved.bundle, nonce);
      expect(v2.findings).to.deep.equal([]);
      expect(v2.status).to.equal('trusted');

      // It keeps being measured where it runs now.
      expect((await cm(pb, 'TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="m2"', `ExecuteFile.Path="/bin/sh",System=${pb.vm('mv')}`)).returnValue).to.equal(0);
      nonce = verifier.newNonce('mv');
      const later = await getQuote(connB, 'm2', vmPath('mv'), nonce, { fromIndex: v2.nextIndex });
      const v3 = verifier.verify('mv', later.bundle, nonce);
      expect(v3.status, JSON.stringify(v3.findings)).to.equal('trusted');
      expect(v3.nextIndex).to.equal(v2.nextIndex + 1);
    } finally {
      await connA.close();
      await connB.close();
      refDb.close();
    }
  });
});
