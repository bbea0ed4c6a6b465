// After an agent restart a vTPM comes back exactly as it was (PCRs and measurement list) or not at
// all: a running VM whose vTPM's volatile state is missing or damaged, or whose list does not
// replay to the stored PCR 10, is stopped with its vTPM off, no swtpm of it is left running, and
// the loss is recorded (real swtpm, SQLite, the agent's close and open in between).
import { expect } from 'chai';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsolationService } from '../../../src/tvdc/hypervisor/IsolationService.js';
import { HostIntegrity } from '../../../src/tvdc/vtpm/HostIntegrity.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { POLICY_1_0 } from '../hypervisor/support.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

describe('vtpm: after an agent restart a running VM never gets a blank vTPM (real swtpm)', function () {
  this.timeout(60_000);
  let dir: string;
  let iso: IsolationService;
  let hi: HostIntegrity | undefined;
  let off: (() => void) | undefined;
  const lines: string[] = [];
  const vm = { kind: 'vm' as const, name: 'vm1' };
  const hostDir = () => join(dir, 'host');
  const instance = () => join(hostDir(), 'vtpm', 'instances', 'vm1');
  const volatileFile = () => join(instance(), readdirSync(instance()).find((f) => f.endsWith('.volatilestate'))!);
  const pcr10 = async () => (await hi!.pcrs(vm, [10])).get(TPM_ALG.SHA256)?.get(10)?.toString('hex');

  const open = async () => {
    hi = await HostIntegrity.open({ stateDir: hostDir(), hostName: 'hp', vms: iso, log: (l) => void lines.push(l) });
    off = iso.addLifecycleListener(hi.lifecycleListener());
    return hi;
  };
  /** The agent goes down (its vTPMs' volatile state stored, as after a crash once persisted), `meddle` runs, and the agent opens again. */
  const restart = async (meddle: () => void | Promise<void>) => {
    off?.();
    await hi!.close();
    hi = undefined;
    expect(findSwtpmProcesses(instance())).to.deep.equal([]);
    await meddle();
    lines.length = 0;
    return open();
  };
  /** What every refused resume must leave: VM stopped, vTPM off, no swtpm of it, one loss recorded. */
  const expectFailStopped = (h: HostIntegrity, reason: RegExp) => {
    expect(iso.getVm('vm1')!.state).to.equal('stopped');
    expect(h.info(vm).running).to.equal(false);
    expect(h.info(vm).desired).to.equal('stopped');
    expect(findSwtpmProcesses(instance())).to.deep.equal([]);
    expect(h.recovery.vms.restarted).to.deep.equal([]);
    expect(h.recovery.vms.notResumed.map((n) => n.id)).to.deep.equal(['vm1']);
    expect(h.recovery.vms.notResumed[0]!.reason).to.match(reason);
    expect(h.failStopped).to.have.length(1);
    const loss = h.failStopped[0]!;
    expect(loss).to.deep.include({ target: vm, cause: 'not-resumed', action: 'vm-stopped', vmState: 'running', exitCode: null });
    expect(loss.message).to.match(/^the vTPM of VM 'vm1' could not resume after the agent restarted \(.+\) while the VM was running: the VM was stopped/);
    expect(lines).to.include(loss.message);
  };
  /** Starts vm1 again (a fresh boot, as any start) and measures a program into it. */
  const bootAndRun = async () => {
    if (iso.getVm('vm1')!.state !== 'stopped') await iso.stopVm('vm1');
    await iso.startVm('vm1');
    await hi!.executeFile('vm1', '/bin/sh');
    expect(hi!.log(vm).map((e) => e.path)).to.deep.equal(['boot_aggregate', '/sbin/init', '/bin/sh']);
  };

  before(async () => {
    dir = tempDir('vtpm-restart');
    iso = IsolationService.open({ db: join(dir, 'iso.db'), hostName: 'hp', initialPolicy: POLICY_1_0 });
    await open();
    await iso.defineVm('vm1', 'MarketAnalysis');
  });
  after(async () => {
    off?.();
    await hi?.close();
    iso?.close();
    await cleanup(dir);
  });

  it('a clean restart resumes the running VM\'s vTPM with the same PCRs and list', async () => {
    await bootAndRun();
    const before = await pcr10();
    const pid = hi!.info(vm).pid;
    const h = await restart(() => undefined);
    expect(h.recovery.vms.restarted).to.deep.equal([{ id: 'vm1', resumed: true }]);
    expect(h.recovery.vms.notResumed).to.deep.equal([]);
    expect(h.failStopped).to.deep.equal([]);
    expect(iso.getVm('vm1')!.state).to.equal('running');
    expect(h.info(vm).running).to.equal(true);
    expect(h.info(vm).pid).to.not.equal(pid);
    expect(await pcr10()).to.equal(before);
    expect(h.log(vm).map((e) => e.path)).to.deep.equal(['boot_aggregate', '/sbin/init', '/bin/sh']);
    expect(findSwtpmProcesses(instance()).map((p) => p.pid)).to.deep.equal([h.info(vm).pid]);
  });

  it('volatile state removed: the VM is stopped, its vTPM off, the loss recorded; it starts again afresh', async () => {
    const h = await restart(() => rmSync(volatileFile()));
    expectFailStopped(h, /^its stored volatile state, which holds its PCRs, is missing$/);
    // Its list stays as it was for whoever looks into it; the next start clears it with the PCRs.
    expect(h.log(vm).map((e) => e.path)).to.deep.equal(['boot_aggregate', '/sbin/init', '/bin/sh']);
    await bootAndRun();
  });

  it('volatile state damaged: the half-started swtpm is ended, the VM stopped, the loss recorded', async () => {
    const h = await restart(() => writeFileSync(volatileFile(), 'garbage'));
    expectFailStopped(h, /^its stored volatile state could not be resumed: /);
    await bootAndRun();
  });

  it('a list that does not replay to the stored PCR 10 (an older volatile state put back): the VM is stopped', async () => {
    // The volatile state taken before /miner ran, put back after it: the PCRs then lack /miner,
    // and cutting /miner from the list to match them would hide that it ran.
    const h0 = hi!;
    await h0.vtpms.persistVolatile('vm1');
    const saved = readFileSync(volatileFile());
    writeFileSync(join(h0.images.root('vm1'), 'miner'), 'a coin miner\n');
    await h0.executeFile('vm1', '/miner');
    const h = await restart(() => writeFileSync(volatileFile(), saved));
    expectFailStopped(h, /^its measurement list of 4 entries does not replay to the resumed PCR 10, sha256 bank$/);
    expect(h.log(vm).map((e) => e.path)).to.deep.equal(['boot_aggregate', '/sbin/init', '/bin/sh', '/miner']);
    await bootAndRun();
  });

  it('a suspended VM whose vTPM cannot resume stays suspended with its vTPM off, and will not resume', async () => {
    await iso.suspendVm('vm1');
    const h = await restart(() => rmSync(volatileFile()));
    expect(iso.getVm('vm1')!.state).to.equal('suspended');
    expect(h.info(vm).running).to.equal(false);
    expect(findSwtpmProcesses(instance())).to.deep.equal([]);
    expect(h.failStopped).to.have.length(1);
    expect(h.failStopped[0]).to.deep.include({ cause: 'not-resumed', action: 'vm-not-running', vmState: 'suspended' });
    expect(h.failStopped[0]!.message).to.include('the VM is suspended and will not resume');
    let refused = '';
    await iso.resumeVm('vm1').catch((e: Error) => (refused = e.message));
    expect(refused).to.match(/^cannot resume VM 'vm1': its vTPM was powered off/);
    await bootAndRun();
  });

  it('the host TPM that cannot resume boots afresh with its boot record (no guest runs on it)', async () => {
    const hostInstance = join(hostDir(), 'host-tpm', 'vtpm', 'instances', 'host');
    const h = await restart(() => rmSync(join(hostInstance, readdirSync(hostInstance).find((f) => f.endsWith('.volatilestate'))!)));
    expect(h.recovery.host.notResumed.map((n) => n.id)).to.deep.equal(['host']);
    expect(h.info({ kind: 'host' }).running).to.equal(true);
    expect(h.log({ kind: 'host' }).map((e) => e.path)).to.deep.equal(['boot_aggregate']);
    // The VM's vTPM was not touched by that.
    expect(h.recovery.vms.restarted).to.deep.equal([{ id: 'vm1', resumed: true }]);
    expect(iso.getVm('vm1')!.state).to.equal('running');
  });

  it('a manager on its own leaves an unresumable vTPM off, with no swtpm, and keeps it so across opens', async () => {
    off?.();
    await hi!.close();
    hi = undefined;
    rmSync(volatileFile());
    for (let i = 0; i < 2; i++) {
      const { manager, recovery } = await VtpmManager.open({ stateDir: hostDir(), hostName: 'hp', log: () => undefined });
      try {
        expect(recovery.notResumed.map((n) => n.id)).to.deep.equal(['vm1']);
        expect(manager.get('vm1')).to.include({ running: false, desired: 'running' });
        expect(findSwtpmProcesses(instance())).to.deep.equal([]);
      } finally {
        await manager.close();
      }
    }
    const h = await open();
    expectFailStopped(h, /missing/);
  });
});
