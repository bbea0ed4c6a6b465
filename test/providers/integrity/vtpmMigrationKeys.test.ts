// Which keys a vTPM travels between when MigrateVirtualSystemToHost moves its VM between host
// agents (real swtpm, SQLite, CIM over loopback HTTP; the migration job waited for with
// waitForJob): without preparation, the keys each host
// publishes, taken for that one migration; with PrepareVTPMMigrationOut/In, the prepared keys,
// pinned: a host key that differs from a pin refuses the move, naming both fingerprints, and the
// VM keeps running on the source with its vTPM. A destination without vTPMs is refused up front.
import { expect } from 'chai';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { parseMigrationPublicKey } from '../../../src/tvdc/vtpm/MigrationKey.js';
import { waitForJob, type WbemConnection } from '../../../client/cim/index.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcliCall as cm } from '../isolation/support/wbemcli.js';
import { connect, vmPath } from './support/attest.js';
import { migrationKey, vtpmServicePath } from './support/migration.js';
import { removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

interface Host {
  h: IntegrityHost;
  p: HostPaths;
  conn: WbemConnection;
  /** The host's MigrationPublicKey (PEM) and its SHA-256 fingerprint. */
  key: string;
  fingerprint: string;
}

/** What must survive a migration: the vTPM's EK certificate and every PCR, and that it runs. */
interface VtpmSnapshot {
  ek: string;
  pcrs: Record<string, string>;
  running: boolean;
}

describe('integrity providers: the keys a migrating vTPM is sealed to and verified with (real swtpm)', function () {
  this.timeout(90_000);
  let h1: Host;
  let h2: Host;
  let h3: Host;
  let off: Host;

  const open = async (name: string, vtpm: 'swtpm' | 'off' = 'swtpm'): Promise<Host> => {
    const h = await startInProcessHost(name, undefined, vtpm);
    const p = new HostPaths(h.origin, name);
    const conn = connect(h.origin);
    const key = vtpm === 'swtpm' ? await migrationKey(conn, name) : '';
    return { h, p, conn, key, fingerprint: key ? parseMigrationPublicKey(key, name).fingerprint : '' };
  };
  const migrationService = (host: string) => CimObjectPath.instance('TVDc_VirtualSystemMigrationService', {
    CreationClassName: 'TVDc_VirtualSystemMigrationService', Name: 'VirtualSystemMigrationService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
  }, 'root/tvdc');
  /**
   * MigrateVirtualSystemToHost through the project's client: a refusal before the VM moves is the
   * method's code and Reason; otherwise the method starts a job (4096), and how the migration
   * ended is that job's: JobState 7 (code 0), or 10 with its ErrorCode and ErrorDescription.
   */
  const migrate = async (from: Host, vm: string, to: Host): Promise<{ code: number; reason: string; job: boolean }> => {
    const r = await from.conn.invokeMethod(migrationService(from.h.name), 'MigrateVirtualSystemToHost', { ComputerSystem: vmPath(vm), DestinationHost: `127.0.0.1:${to.h.port}` });
    if (Number(r.returnValue) !== 4096) return { code: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? ''), job: false };
    const job = await waitForJob(from.conn, r.outParams.get('Job')!.value as CimObjectPath, { timeoutMs: 30_000 });
    const state = Number(job.get('JobState'));
    expect(state).to.be.oneOf([7, 10]);
    return { code: state === 7 ? 0 : Number(job.get('ErrorCode')), reason: String(job.get('ErrorDescription') ?? ''), job: true };
  };
  const prepare = async (on: Host, method: 'PrepareVTPMMigrationOut' | 'PrepareVTPMMigrationIn', vm: string, key: string) => {
    const args: Record<string, string | CimObjectPath> = method === 'PrepareVTPMMigrationOut' ? { System: vmPath(vm), DestinationMigrationKey: key } : { Name: vm, SourceMigrationKey: key };
    const r = await on.conn.invokeMethod(vtpmServicePath(on.h.name), method, args);
    expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);
  };
  const vms = async (on: Host): Promise<string[]> => {
    const names: string[] = [];
    for await (const p of on.conn.enumerateInstanceNames('TVDc_ComputerSystem')) names.push(String(p.key('Name')));
    return names.sort();
  };
  const running = async (on: Host, vm: string): Promise<boolean> => Number((await on.conn.getInstance(vmPath(vm))).get('EnabledState')) === 2;
  /** The VM's vTPM on `on`, or undefined when it has none there. */
  const vtpm = async (on: Host, vm: string): Promise<VtpmSnapshot | undefined> => {
    let ek: string | undefined;
    let enabled = 0;
    for await (const i of on.conn.enumerateInstances('TVDc_VTPM')) {
      if (i.get('SystemName') !== vm) continue;
      ek = String(i.get('EKCertificate'));
      enabled = Number(i.get('EnabledState'));
    }
    if (ek === undefined) return undefined;
    const pcrs: Record<string, string> = {};
    for await (const i of on.conn.enumerateInstances('TVDc_PCR')) {
      const id = String(i.get('InstanceID'));
      if (id.startsWith(`TVDc:vm:${vm}:`)) pcrs[id] = String(i.get('Value'));
    }
    return { ek, pcrs, running: enabled === 2 };
  };
  /** A refused move: the VM is not on `dest`, and runs on `source` with the vTPM it had. */
  const stayed = async (vm: string, source: Host, dest: Host, before: VtpmSnapshot): Promise<void> => {
    expect(await vms(dest)).to.not.include(vm);
    expect(await running(source, vm)).to.equal(true);
    expect(await vtpm(source, vm)).to.deep.equal(before);
  };
  /** A running VM on `on` with a vTPM that has measured something (PCR 10 not zero). */
  const startVm = async (on: Host, vm: string): Promise<VtpmSnapshot> => {
    expect((await cm(on.p, on.p.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(on.p, on.p.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    const s = (await vtpm(on, vm))!;
    expect(s.running).to.equal(true);
    expect(s.pcrs[`TVDc:vm:${vm}:sha256:10`]).to.match(/^[0-9a-f]{64}$/).and.not.match(/^0+$/);
    return s;
  };

  before(async () => {
    [h1, h2, h3, off] = await Promise.all([open('h1'), open('h2'), open('h3'), open('hoff', 'off')]);
    for (const x of [h1, h2, h3, off]) expect((await cm(x.p, x.p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    // Three different keys, or the refusals below would prove nothing.
    expect(new Set([h1.fingerprint, h2.fingerprint, h3.fingerprint]).size).to.equal(3);
  });
  after(async () => {
    for (const x of [h1, h2, h3, off]) {
      if (!x) continue;
      await x.conn.close();
      await x.h.stop();
      await removeState(x.h.state);
    }
  });

  it('without Prepare calls a running VM moves h1 -> h2 -> h1 -> h3 with its vTPM (EK, PCRs); every move takes its keys afresh', async () => {
    const before = await startVm(h1, 'free');
    const hop = async (from: Host, to: Host) => {
      const r = await migrate(from, 'free', to);
      expect(r.code, r.reason).to.equal(0);
      expect(await vtpm(from, 'free')).to.equal(undefined);
      expect(await vms(from)).to.not.include('free');
      expect(await running(to, 'free')).to.equal(true);
      expect(await vtpm(to, 'free')).to.deep.equal(before);
    };
    await hop(h1, h2);
    // Back again: h2 seals to h1's key, h1 verifies with h2's; nothing of the first move is left.
    await hop(h2, h1);
    // A different destination: h1 is not held to h2's key from the first move.
    await hop(h1, h3);
  });

  it('a destination key pinned with PrepareVTPMMigrationOut that is not the key the destination publishes refuses the move before it starts: 2, both fingerprints', async () => {
    const before = await startVm(h1, 'pinned');
    await prepare(h1, 'PrepareVTPMMigrationOut', 'pinned', h3.key);
    const r = await migrate(h1, 'pinned', h2);
    expect(r.code).to.equal(2);
    expect(r.job, 'refused at once, before any job').to.equal(false);
    expect(r.reason).to.include("migration of VM 'pinned' refused").and.include('PrepareVTPMMigrationOut')
      .and.include(h3.fingerprint).and.include(h2.fingerprint).and.include("keeps running on 'h1'");
    await stayed('pinned', h1, h2, before);
  });

  it('a source key pinned at the destination with PrepareVTPMMigrationIn that is not the source\'s refuses the arrival: the job ends in Exception with ErrorCode 2 and both fingerprints, the VM is back on the source with its vTPM', async () => {
    const before = (await vtpm(h1, 'pinned'))!;
    // The source's pin now names the real destination; the destination's names another host.
    await prepare(h1, 'PrepareVTPMMigrationOut', 'pinned', h2.key);
    await prepare(h2, 'PrepareVTPMMigrationIn', 'pinned', h3.key);
    const r = await migrate(h1, 'pinned', h2);
    expect(r.code).to.equal(2);
    expect(r.job, 'the destination refused it: the job ended in Exception').to.equal(true);
    expect(r.reason).to.include('refused VM \'pinned\'').and.include('PrepareVTPMMigrationIn')
      .and.include(h3.fingerprint).and.include(h1.fingerprint).and.include("keeps running on 'h1'");
    expect(await vtpm(h2, 'pinned')).to.equal(undefined);
    await stayed('pinned', h1, h2, before);
  });

  it('prepared keys that match the hosts\' keys still carry the vTPM', async () => {
    const before = (await vtpm(h1, 'pinned'))!;
    await prepare(h2, 'PrepareVTPMMigrationIn', 'pinned', h1.key);
    const r = await migrate(h1, 'pinned', h2);
    expect(r.code, r.reason).to.equal(0);
    expect(await vtpm(h1, 'pinned')).to.equal(undefined);
    expect(await running(h2, 'pinned')).to.equal(true);
    expect(await vtpm(h2, 'pinned')).to.deep.equal(before);
  });

  it('a destination without vTPMs is refused for a VM with a vTPM before it moves: 4, and the VM runs on with its vTPM', async () => {
    const before = (await vtpm(h3, 'free'))!;
    const r = await migrate(h3, 'free', off);
    expect(r.code).to.equal(4);
    expect(r.job, 'refused at once, before any job').to.equal(false);
    expect(r.reason).to.include("VM 'free' has a vTPM").and.include('publishes no TVDc_VTPMManagementService.MigrationPublicKey').and.include("keeps running on 'h3'");
    await stayed('free', h3, off, before);
    // The refusal left no key behind: the VM still moves to a host with vTPMs.
    const back = await migrate(h3, 'free', h1);
    expect(back.code, back.reason).to.equal(0);
    expect(await vtpm(h1, 'free')).to.deep.equal(before);
  });
});
