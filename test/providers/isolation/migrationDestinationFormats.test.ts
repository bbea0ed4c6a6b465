// TVDc_VirtualSystemMigrationCapabilities.DestinationHostFormatsSupported lists every form of
// DestinationHost the migration service takes, and each listed form works: a VM migrates to a host
// agent that listens on IPv6 loopback only, named by its bracketed address and by its URL.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { startInProcessHost, type InProcessHost } from './support/InProcessHost.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall as cm } from './support/wbemcli.js';
import { jobOutcome } from './support/migrationJob.js';

describe('isolation providers: DestinationHost formats, IPv6 included', function () {
  this.timeout(60_000);
  let h1: InProcessHost;
  let v6: { agent: HostAgent; dir: string; port: number; paths: HostPaths };
  let p1: HostPaths;

  const names = async (p: HostPaths): Promise<string[]> =>
    [...(await wbemcli(['ein', p.url('TVDc_ComputerSystem')])).stdout.matchAll(/(?<![A-Za-z])Name="([^"]+)"/g)].map((m) => m[1]!).sort();

  before(async () => {
    h1 = await startInProcessHost('h1');
    p1 = new HostPaths(h1.origin, 'h1');
    const dir = mkdtempSync(join(tmpdir(), 'tvdc-iso-v6-'));
    const { agent, urls } = await HostAgent.start({ name: 'h6', stateDir: dir, vtpm: 'off', log: () => {} }, { port: 0, host: '::1' });
    const origin = urls.http!;
    v6 = { agent, dir, port: Number(new URL(origin).port), paths: new HostPaths(origin, 'h6') };
    expect(origin).to.match(/^http:\/\/\[::1\]:\d+$/);
    for (const p of [p1, v6.paths]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['a', 'b']) {
      expect((await cm(p1, p1.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'SecurityUnderwriting'))).returnValue).to.equal(0);
      expect((await cm(p1, p1.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    }
  });
  after(async () => {
    await h1?.stop();
    if (v6) {
      await v6.agent.stop();
      rmSync(v6.dir, { recursive: true, force: true });
    }
  });

  it('the capabilities list DNS name, IPv4, IPv6 and the vendor value 32768 (a host agent URL)', async () => {
    const r = await wbemcli(['ai', '-ac', 'CIM_ElementCapabilities', p1.url(p1.service('TVDc_VirtualSystemMigrationService'))]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/DestinationHostFormatsSupported=2,3,4,32768(?!\d)/);
  });

  const migrate = async (vm: string, dest: string) => {
    const r = await cm(p1, p1.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="${dest}",ComputerSystem=${p1.vm(vm)}`);
    expect(r.returnValue, JSON.stringify(r.out)).to.equal(4096);
    return jobOutcome(h1.origin, r.out['Job']!);
  };

  it('IPv6 (4): "[::1]:port" reaches the agent listening on ::1 only, and the VM runs there', async () => {
    const job = await migrate('a', `[::1]:${v6.port}`);
    expect(job.state, job.reason).to.equal(7);
    expect(await names(v6.paths)).to.deep.equal(['a']);
    expect(await names(p1)).to.deep.equal(['b']);
    expect((await wbemcli(['gi', v6.paths.url(v6.paths.vm('a')), 'EnabledState'])).stdout).to.include('EnabledState=2');
  });

  it('the URL form (32768) with an IPv6 host: "http://[::1]:port" works too', async () => {
    const job = await migrate('b', `http://[::1]:${v6.port}`);
    expect(job.state, job.reason).to.equal(7);
    expect(await names(v6.paths)).to.deep.equal(['a', 'b']);
    expect(await names(p1)).to.deep.equal([]);
  });
});
