// A migration whose VM loses its vTPM as it leaves (its swtpm SIGKILLed): the host stops the VM
// (fail-stop), nothing arrives at the destination, and the job says where the VM stands as the
// host left it, "the VM is stopped on 'a'", never that it keeps running (real swtpm, two hosts).
import { expect } from 'chai';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { WbemConnection, awaitJob } from '../../../client/cim/index.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../integrity/support/IntegrityHost.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcliCall as cm } from './support/wbemcli.js';

describe('isolation: a migration whose vTPM dies says the VM is stopped, not running (real swtpm)', function () {
  this.timeout(90_000);
  let a: IntegrityHost | undefined;
  let b: IntegrityHost | undefined;
  const conns: WbemConnection[] = [];
  after(async () => {
    for (const c of conns) await c.close();
    await a?.stop();
    await b?.stop();
    if (a) await removeState(a.state);
    if (b) await removeState(b.state);
  });

  it('the job reason matches the VM state on the source whenever the swtpm is killed mid-migration', async () => {
    [a, b] = await Promise.all([startInProcessHost('a'), startInProcessHost('b')]);
    const pa = new HostPaths(a.origin, 'a');
    const pb = new HostPaths(b.origin, 'b');
    const connA = new WbemConnection(a.origin, { namespace: 'root/tvdc' });
    const connB = new WbemConnection(b.origin, { namespace: 'root/tvdc' });
    conns.push(connA, connB);
    for (const p of [pa, pb]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    const state = async (c: WbemConnection, p: HostPaths, vm: string) => {
      try {
        return Number((await c.getInstance(CimObjectPath.parse(p.vm(vm)))).get('EnabledState'));
      } catch {
        return 'none';
      }
    };
    const svc = CimObjectPath.parse(pa.service('TVDc_VirtualSystemMigrationService'));
    let jobsFailed = 0;
    for (const delay of [1, 5, 15]) {
      const vm = `lost${delay}`;
      expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(pa, pa.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
      const procs = findSwtpmProcesses(a.state).filter((p) => p.stateDir.endsWith('/' + vm));
      expect(procs).to.have.length(1);
      const pending = connA.invokeMethod(svc, 'MigrateVirtualSystemToHost', { DestinationHost: b.origin.replace('http://', ''), ComputerSystem: CimObjectPath.parse(pa.vm(vm)) });
      await new Promise((r) => setTimeout(r, delay));
      try {
        process.kill(procs[0]!.pid, 'SIGKILL');
      } catch (e) {
        // Its swtpm already ended: the VM left before the kill, so this delay shows nothing.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        await pending.catch(() => undefined);
        continue;
      }
      let r;
      try {
        r = await pending;
      } catch {
        continue; // refused before a job (the VM was already stopped): no job text to check
      }
      const job = r.outParams.get('Job')?.value as CimObjectPath | undefined;
      if (!job) continue;
      const end = await awaitJob(connA, job, { timeoutMs: 30_000 });
      const onA = await state(connA, pa, vm);
      if (end.kind !== 'failed') continue;
      jobsFailed++;
      expect(onA, `VM ${vm} on a`).to.equal(3);
      expect(await state(connB, pb, vm)).to.equal('none');
      expect(end.reason).to.match(new RegExp(`^VM '${vm}' could not leave 'a': .*; the VM is stopped on 'a'$`));
      expect(end.reason).to.not.include('keeps running');
    }
    expect(jobsFailed, 'migrations that became a job and failed').to.be.greaterThan(0);
  });
});
