import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LinuxNetworkApplier } from '../../../src/tvdc/network/LinuxNetworkApplier.js';
import type { HostNetworkPlan } from '../../../src/tvdc/network/HostNetworkPlan.js';
import { TvdcError } from '../../../src/tvdc/TvdcError.js';

const run = promisify(execFile);

describe('Linux applier with 802.1Q VLAN segments', () => {
  const ns = `tv${process.pid % 100000}vl`;
  before(async () => {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1']);
    await run('ip', ['-n', ns, 'link', 'set', 'ul0', 'up']);
  });
  after(async () => {
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  });

  it('builds a VLAN device under the bridge where the kernel has 802.1Q, and fails cleanly where it has not', async () => {
    const plan: HostNetworkPlan = {
      host: 'h',
      hostLabel: 'SystemManagement',
      bridges: [{ segment: 'ma-net', kind: 'vlan', segmentId: 101, type: 'MA', bridge: 'tvbrv101', link: 'tvvl101' }],
      ports: [],
      refused: [],
    };
    const applier = new LinuxNetworkApplier();
    let supported = true;
    try {
      await run('ip', ['-n', ns, 'link', 'add', 'link', 'ul0', 'name', 'probe', 'type', 'vlan', 'id', '9']);
      await run('ip', ['-n', ns, 'link', 'del', 'probe']);
    } catch {
      supported = false;
    }
    if (supported) {
      await applier.applyHost(plan, { netns: ns, device: 'ul0', localIp: '192.0.2.1', peers: [] });
      const { stdout } = await run('ip', ['-n', ns, '-d', 'link', 'show', 'tvvl101']);
      expect(stdout).to.match(/vlan protocol 802\.1Q id 101/);
      expect(stdout).to.contain('master tvbrv101');
    } else {
      try {
        await applier.applyHost(plan, { netns: ns, device: 'ul0', localIp: '192.0.2.1', peers: [] });
        expect.fail('VLAN creation should fail on a kernel without 802.1Q');
      } catch (e) {
        expect(e).to.be.instanceOf(TvdcError);
        expect((e as TvdcError).code).to.equal('NETWORK_FAILED');
        expect((e as TvdcError).message).to.contain('type vlan id 101');
      }
      // The bridge made before the failure was taken down again.
      const { stdout } = await run('ip', ['-n', ns, 'link', 'show']);
      expect(stdout).to.not.contain('tvbrv101');
    }
    expect(applier.log).to.include(`ip -n ${ns} link add link ul0 name tvvl101 type vlan id 101`);
    await applier.removeHost(plan, ns);
    const { stdout: left } = await run('ip', ['-n', ns, 'link', 'show']);
    expect(left).to.not.contain('tvbrv101');
  });
});
