// A real tvdc-host process with --vtpm swtpm killed by SIGKILL and restarted on the same --state:
// no swtpm of the dead agent survives, the VM's vTPM is back running with the PCRs and the log it
// had, and a normal shutdown leaves no swtpm behind.
import { expect } from 'chai';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall as cm } from '../isolation/support/wbemcli.js';
import { connect, getQuote, vmPath } from './support/attest.js';
import { newStateDir, removeState, startHostProcess, type HostProcess } from './support/IntegrityHost.js';

describe('integrity providers: tvdc-host killed with SIGKILL and restarted (real swtpm)', function () {
  this.timeout(90_000);
  const state = newStateDir('k1');
  let host: HostProcess | undefined;

  const quote = async (h: HostProcess) => {
    const conn = connect(h.origin);
    try {
      return (await getQuote(conn, 'k1', vmPath('kvm'), '5a'.repeat(16))).bundle;
    } finally {
      await conn.close();
    }
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  after(async () => {
    await host?.stop();
    await removeState(state);
  });

  it('after kill -9 and a restart: no orphaned swtpm, the vTPM runs again with the same PCR 10 and log; SIGTERM leaves none', async () => {
    host = await startHostProcess('k1', state);
    let p = new HostPaths(host.origin, 'k1');
    expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(p, p.service('TVDc_VirtualSystemManagementService'), defineParam('kvm', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(p, p.vm('kvm'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const svc = 'TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="k1"';
    expect((await cm(p, svc, `ExecuteFile.Path="/bin/sh",System=${p.vm('kvm')}`)).returnValue).to.equal(0);
    const before = await quote(host);
    expect(before.logEntries).to.have.length(3);
    const pcr10 = before.pcrValues.find((v) => v.startsWith('sha256:10:'))!;

    // The VM's vTPM and the host's TPM.
    const old = findSwtpmProcesses(state).map((s) => s.pid);
    expect(old).to.have.length(2);
    await host.kill9();
    // swtpm runs with --terminate: it ends once the dead agent's connection is gone.
    for (let i = 0; i < 50 && old.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(old.filter(alive), 'swtpm processes outliving the killed agent').to.deep.equal([]);

    host = await startHostProcess('k1', state);
    p = new HostPaths(host.origin, 'k1');
    expect(host.stderr()).to.include('tvdc integrity: 1 vTPM(s) running again, 1 with their PCRs resumed');
    const now = findSwtpmProcesses(state).map((s) => s.pid);
    expect(now).to.have.length(2);
    expect(now.filter((x) => old.includes(x))).to.deep.equal([]);
    const vtpm = await wbemcli(['ei', p.url('TVDc_VTPM')]);
    expect(vtpm.stdout).to.include('SystemName="kvm"').and.include('EnabledState=2');
    const after = await quote(host);
    expect(after.pcrValues).to.include(pcr10);
    expect(after.logEntries).to.deep.equal(before.logEntries);

    await host.stop();
    expect(findSwtpmProcesses(state)).to.deep.equal([]);
    host = undefined;
  });
});
