// A vTPM is powered, moved or removed only together with its VM (real swtpm, SQLite): StopVTPM,
// DeleteVTPM and ExportVTPMState wait for a stopped or suspended VM, StartVTPM for a stopped one,
// a suspended VM resumes only with the vTPM it was suspended with, and a VM whose swtpm dies is
// stopped (fail-stop) with the loss reported. Also: the measured path is the canonical one inside
// the image, and the host's imported measurement list holds PCR 10 entries only.
import { expect } from 'chai';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsolationService } from '../../../src/tvdc/hypervisor/IsolationService.js';
import { HostIntegrity } from '../../../src/tvdc/vtpm/HostIntegrity.js';
import type { TpmLoss } from '../../../src/tvdc/vtpm/TpmLoss.js';
import { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { POLICY_1_0 } from '../hypervisor/support.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

/** The TvdcError code and message a call fails with, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isTvdcError(e) ? `${e.code}: ${e.message}` : `not a TvdcError: ${(e as Error).message}`;
  }
}

async function until<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('vtpm: power goes with the VM, and a lost vTPM stops its VM (real swtpm)', function () {
  this.timeout(60_000);
  let dir: string;
  let iso: IsolationService;
  let hi: HostIntegrity;
  let off: () => void;
  const losses: TpmLoss[] = [];
  const vm = (name: string) => ({ kind: 'vm' as const, name });
  const pcr10 = async (name: string) => (await hi.pcrs(vm(name), [10])).get(TPM_ALG.SHA256)?.get(10)?.toString('hex');
  const state = (name: string) => iso.getVm(name)!.state;

  before(async () => {
    dir = tempDir('vtpm-power');
    iso = IsolationService.open({ db: join(dir, 'iso.db'), hostName: 'hp', initialPolicy: POLICY_1_0 });
    hi = await HostIntegrity.open({ stateDir: join(dir, 'host'), hostName: 'hp', vms: iso, log: () => undefined });
    off = iso.addLifecycleListener(hi.lifecycleListener());
    hi.onTpmLoss((l) => losses.push(l));
    await iso.defineVm('vm1', 'MarketAnalysis');
    await iso.startVm('vm1');
  });
  after(async () => {
    off?.();
    await hi?.close();
    iso?.close();
    await cleanup(dir);
  });

  it('refuses StopVTPM, DeleteVTPM and ExportVTPMState while the VM runs or is paused, and StartVTPM unless it is stopped', async () => {
    const own = hi.migrationPublicKeyPem();
    for (const s of ['running', 'paused'] as const) {
      if (s === 'paused') await iso.pauseVm('vm1');
      expect(state('vm1')).to.equal(s);
      expect(await outcome(hi.stopVtpm('vm1'))).to.equal(`INVALID_STATE: cannot stop the vTPM of VM 'vm1' while the VM is ${s}: stop or suspend the VM first`);
      expect(await outcome(hi.deleteVtpm('vm1'))).to.equal(`INVALID_STATE: cannot delete the vTPM of VM 'vm1' while the VM is ${s}: stop or suspend the VM first`);
      expect(await outcome(hi.exportState('vm1', own))).to.equal(`INVALID_STATE: cannot export the vTPM of VM 'vm1' while the VM is ${s}: stop or suspend the VM first`);
      expect(await outcome(hi.startVtpm('vm1'))).to.match(new RegExp(`^INVALID_STATE: cannot start the vTPM of VM 'vm1' while the VM is ${s}: a TPM does not come back blank`));
    }
    await iso.unpauseVm('vm1');
    // Nothing was touched: the vTPM still runs with its log.
    expect(hi.info(vm('vm1')).running).to.equal(true);
    expect(hi.logCount(vm('vm1'))).to.equal(2);
  });

  it('a suspended VM whose vTPM was stopped does not resume, and StartVTPM is refused for it; stopped and started, it boots afresh', async () => {
    await iso.suspendVm('vm1');
    expect(await outcome(hi.stopVtpm('vm1'))).to.equal('ok');
    expect(await outcome(hi.startVtpm('vm1'))).to.match(/^INVALID_STATE: cannot start the vTPM of VM 'vm1' while the VM is suspended/);
    expect(await outcome(iso.resumeVm('vm1'))).to.equal("INVALID_STATE: cannot resume VM 'vm1': its vTPM was powered off while it was suspended and its PCRs are gone; stop the VM and start it (its vTPM boots with it)");
    expect(state('vm1')).to.equal('suspended');
    await iso.stopVm('vm1');
    // A stopped VM's vTPM may be powered by hand (the VM's next start boots it afresh anyway).
    expect(await outcome(hi.startVtpm('vm1'))).to.equal('ok');
    expect(await outcome(hi.stopVtpm('vm1'))).to.equal('ok');
    await iso.startVm('vm1');
    expect(hi.info(vm('vm1')).running).to.equal(true);
    expect(hi.log(vm('vm1')).map((e) => e.path)).to.deep.equal(['boot_aggregate', '/sbin/init']);
  });

  it('suspended, the vTPM may be exported, deleted and imported: the VM resumes with the same PCRs; deleted and not imported, it does not resume', async () => {
    await hi.executeFile('vm1', '/bin/sh');
    const before = await pcr10('vm1');
    await iso.suspendVm('vm1');
    const own = hi.migrationPublicKeyPem();
    const pkg = await hi.exportState('vm1', own);
    await hi.deleteVtpm('vm1');
    expect(await outcome(iso.resumeVm('vm1'))).to.equal("INVALID_STATE: cannot resume VM 'vm1': its vTPM was deleted while it was suspended; import its state (ImportVTPMState), or stop the VM and start it");
    await hi.importState('vm1', pkg, own);
    await iso.resumeVm('vm1');
    expect(state('vm1')).to.equal('running');
    expect(await pcr10('vm1')).to.equal(before);
  });

  it('a running VM whose swtpm is killed by a signal is stopped, and the loss is reported with what the host did', async () => {
    const pid = hi.info(vm('vm1')).pid!;
    expect(pid).to.be.a('number');
    losses.length = 0;
    process.kill(pid, 'SIGKILL');
    const loss = await until('the loss report', () => losses[0]);
    expect(loss).to.deep.include({ target: vm('vm1'), exitCode: null, action: 'vm-stopped', vmState: 'running' });
    expect(loss.message).to.equal("the vTPM of VM 'vm1' was killed by a signal while the VM was running: the VM was stopped, as a VM does not run without its TPM; start it again to boot it with its vTPM");
    expect(state('vm1')).to.equal('stopped');
    expect(hi.info(vm('vm1')).running).to.equal(false);
    // Started again, it boots with a fresh vTPM, as any start does.
    await iso.startVm('vm1');
    expect(hi.info(vm('vm1')).running).to.equal(true);
    expect(hi.log(vm('vm1')).map((e) => e.path)).to.deep.equal(['boot_aggregate', '/sbin/init']);
  });

  it('a paused VM is stopped too; a suspended one is left suspended and will not resume', async () => {
    await iso.pauseVm('vm1');
    losses.length = 0;
    process.kill(hi.info(vm('vm1')).pid!, 'SIGTERM');
    expect(await until('the loss report', () => losses[0])).to.deep.include({ action: 'vm-stopped', vmState: 'paused', exitCode: 0 });
    expect(state('vm1')).to.equal('stopped');

    await iso.startVm('vm1');
    await iso.suspendVm('vm1');
    losses.length = 0;
    process.kill(hi.info(vm('vm1')).pid!, 'SIGKILL');
    const loss = await until('the loss report', () => losses[0]);
    expect(loss).to.deep.include({ action: 'vm-not-running', vmState: 'suspended' });
    expect(loss.message).to.include('the VM is suspended and will not resume');
    expect(await outcome(iso.resumeVm('vm1'))).to.match(/^INVALID_STATE: cannot resume VM 'vm1': its vTPM was powered off/);
    await iso.stopVm('vm1');
    await iso.startVm('vm1');
  });

  it('logs the canonical path it measured: "/tmp/../miner" is /miner, which an exclude of /tmp/.* does not hide; a path leaving the image is refused', async () => {
    const root = hi.images.root('vm1');
    writeFileSync(join(root, 'miner'), 'a coin miner\n');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    symlinkSync('../../miner', join(root, 'usr', 'bin', 'helper'));
    const direct = await hi.executeFile('vm1', '/miner');
    const dotted = await hi.executeFile('vm1', '/tmp/../miner');
    const doubled = await hi.executeFile('vm1', '//tmp/./..//miner');
    const linked = await hi.executeFile('vm1', '/usr/bin/helper');
    for (const e of [dotted, doubled, linked]) {
      expect(e.path).to.equal('/miner');
      expect(e.fileDigest).to.equal(direct.fileDigest);
    }
    expect(hi.log(vm('vm1')).slice(-4).map((e) => e.path)).to.deep.equal(['/miner', '/miner', '/miner', '/miner']);
    const refs = new ReferenceSet().exclude('/tmp/.*');
    expect(refs.judge(dotted.index, dotted.path, dotted.fileDigest)).to.deep.include({ status: 'unknown', code: 'PATH_UNKNOWN' });
    const count = hi.logCount(vm('vm1'));
    expect(await outcome(hi.executeFile('vm1', '/tmp/../../miner'))).to.equal('INVALID_ARGUMENT: /tmp/../../miner is outside the VM root');
    expect(await outcome(hi.executeFile('vm1', '/../../../etc/passwd'))).to.equal('INVALID_ARGUMENT: /../../../etc/passwd is outside the VM root');
    expect(hi.logCount(vm('vm1'))).to.equal(count);
  });

  it('the host measurement list takes PCR 10 entries only: a line for another PCR is refused by its line number, and nothing is imported', async () => {
    const host = { kind: 'host' as const };
    const td = (path: string) => {
      const digest = 'ab'.repeat(32);
      return `sha256:${digest} ${path}`;
    };
    const good = `10 ${'11'.repeat(20)} ima-ng ${td('/usr/sbin/sshd')}`;
    const bad = `0 ${'22'.repeat(20)} ima-ng ${td('/boot/evil')}`;
    const before = hi.logCount(host);
    const hostPcr0 = (await hi.pcrs(host, [0])).get(TPM_ALG.SHA256)!.get(0)!.toString('hex');
    expect(await outcome(hi.importHostLog(`${good}\n\n${bad}\n`))).to.equal("INVALID_ARGUMENT: measurement list line 3: PCR 0; the host's list takes IMA entries for PCR 10 only");
    expect(hi.logCount(host)).to.equal(before);
    expect((await hi.pcrs(host, [0])).get(TPM_ALG.SHA256)!.get(0)!.toString('hex')).to.equal(hostPcr0);
    expect(await hi.importHostLog(`${good}\n`)).to.equal(1);
    expect(hi.logCount(host)).to.equal(before + 1);
  });
});
