import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsolationService } from '../../../src/tvdc/hypervisor/IsolationService.js';
import { LinuxNetworkApplier } from '../../../src/tvdc/network/LinuxNetworkApplier.js';
import { switchConfig, switchConfigText } from '../../../src/tvdc/network/SwitchPortConfig.js';
import { POLICY_1_0, rejection } from '../hypervisor/support.js';

const run = promisify(execFile);

async function ping(ns: string, address: string, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      await run('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', address]);
      return true;
    } catch {
      // no answer this time
    }
  }
  return false;
}

describe('network segments', () => {
  let dir: string;
  const services: IsolationService[] = [];
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-net-')); });
  after(() => {
    for (const s of services) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const host = (name: string, label?: string): IsolationService => {
    const s = IsolationService.open({ db: join(dir, `${name}.db`), hostName: name, initialPolicy: POLICY_1_0, ...(label ? { hostLabel: label } : {}) });
    services.push(s);
    return s;
  };

  it('gives a host bridges only for the segments its label allows, and VM interfaces only on their types', async () => {
    const h = host('ma-only', 'MarketAnalysisHost');
    h.defineSegment({ name: 'ma-net', kind: 'vlan', segmentId: 101, label: 'MarketAnalysis' });
    h.defineSegment({ name: 'su-net', kind: 'vlan', segmentId: 102, label: 'SecurityUnderwriting' });
    expect((await rejection(() => h.defineSegment({ name: 'ma-net2', kind: 'vlan', segmentId: 103, label: 'MarketAnalysis' }))).message).to.match(/one segment per type/);
    expect(h.listSegments().map((s) => s.name)).to.deep.equal(['ma-net', 'su-net']);
    expect((await rejection(() => h.defineSegment({ name: 'x', kind: 'vlan', segmentId: 5000 }))).code).to.equal('INVALID_ARGUMENT');
    await h.defineVm('ma', 'MarketAnalysis');
    h.attachInterface('ma', 'ma-net');
    // The host has no SU type: no bridge, so no interface, whatever the VM's label.
    const e = await rejection(() => h.attachInterface('ma', 'su-net'));
    expect(e.code).to.equal('ACCESS_DENIED');
    const plan = h.networkPlan();
    expect(plan.bridges.map((b) => [b.segment, b.bridge, b.type])).to.deep.equal([['ma-net', 'tvbrv101', 'MA']]);
    expect(plan.ports).to.deep.equal([{ vm: 'ma', segment: 'ma-net', bridge: 'tvbrv101' }]);
    expect(plan.refused.map((r) => r.segment)).to.deep.equal(['su-net']);

    const full = host('full');
    full.defineSegment({ name: 'ma-net', kind: 'vlan', segmentId: 101, label: 'MarketAnalysis' });
    full.defineSegment({ name: 'su-net', kind: 'vlan', segmentId: 102, label: 'SecurityUnderwriting' });
    await full.defineVm('su', 'SecurityUnderwriting');
    expect((await rejection(() => full.attachInterface('su', 'ma-net'))).code).to.equal('ACCESS_DENIED');
    full.attachInterface('su', 'su-net');
    await full.startVm('su');
    // A host label without SU is refused while the SU VM runs (run on host); once it stops, the SU bridge goes.
    expect((await rejection(() => full.assignLabel({ kind: 'host', name: 'full' }, 'MarketAnalysisHost'))).code).to.equal('ACCESS_DENIED');
    await full.stopVm('su');
    full.assignLabel({ kind: 'host', name: 'full' }, 'MarketAnalysisHost');
    expect(full.networkPlan().bridges.map((b) => b.segment)).to.deep.equal(['ma-net']);
    full.assignLabel({ kind: 'host', name: 'full' }, 'SystemManagement');

    const cfg = switchConfig(full.monitor.policy, full.listSegments(), [
      { host: 'full', port: 'Gi1/0/1', hostLabel: full.host().label },
      { host: 'ma-only', port: 'Gi1/0/2', hostLabel: h.host().label },
    ]);
    expect(cfg.ports.map((p) => [p.port, p.allowedVlans])).to.deep.equal([['Gi1/0/1', [101, 102]], ['Gi1/0/2', [101]]]);
    const text = switchConfigText(cfg);
    expect(text).to.contain('interface Gi1/0/2\n description tvdc host ma-only label MarketAnalysisHost\n switchport mode trunk\n switchport trunk allowed vlan 101\n!');
  });

  describe('on Linux: two hosts and four VMs as network namespaces, VXLAN over a veth underlay', function () {
    this.timeout(60_000);
    const tag = `tv${process.pid % 100000}`;
    const ns = { hA: `${tag}hA`, hB: `${tag}hB`, a1: `${tag}a1`, a2: `${tag}a2`, b1: `${tag}b1`, b2: `${tag}b2` };
    const created: string[] = [];

    before(async () => {
      for (const n of Object.values(ns)) {
        await run('ip', ['netns', 'add', n]);
        created.push(n);
      }
      // The underlay: one cable between the two hosts.
      await run('ip', ['-n', ns.hA, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns.hB]);
      await run('ip', ['-n', ns.hA, 'addr', 'add', '192.168.77.1/24', 'dev', 'ul0']);
      await run('ip', ['-n', ns.hB, 'addr', 'add', '192.168.77.2/24', 'dev', 'ul0']);
      for (const h of [ns.hA, ns.hB]) {
        await run('ip', ['-n', h, 'link', 'set', 'ul0', 'up']);
        await run('ip', ['-n', h, 'link', 'set', 'lo', 'up']);
      }
    });
    after(async () => {
      for (const n of created.splice(0)) await run('ip', ['netns', 'del', n]).catch(() => undefined);
    });

    it('lets VMs of a shared type reach each other across hosts, and no one else', async () => {
      const applier = new LinuxNetworkApplier();
      const hosts = [
        { svc: host('linuxA'), netns: ns.hA, local: '192.168.77.1', peer: '192.168.77.2', vms: [['a1', 'MarketAnalysis', '10.77.0.1/24'], ['a2', 'SecurityUnderwriting', '10.77.0.2/24']] },
        { svc: host('linuxB'), netns: ns.hB, local: '192.168.77.2', peer: '192.168.77.1', vms: [['b1', 'MarketAnalysis', '10.77.0.3/24'], ['b2', 'SecurityUnderwriting', '10.77.0.4/24']] },
      ] as const;
      for (const h of hosts) {
        h.svc.defineSegment({ name: 'ma-net', kind: 'vxlan', segmentId: 7101, label: 'MarketAnalysis' });
        h.svc.defineSegment({ name: 'su-net', kind: 'vxlan', segmentId: 7102, label: 'SecurityUnderwriting' });
        for (const [vm, label] of h.vms) {
          await h.svc.defineVm(vm, label);
          h.svc.attachInterface(vm, label === 'MarketAnalysis' ? 'ma-net' : 'su-net');
          await h.svc.startVm(vm);
        }
        const plan = h.svc.networkPlan();
        expect(plan.bridges).to.have.length(2);
        expect(plan.refused).to.deep.equal([]);
        await applier.applyHost(plan, { netns: h.netns, device: 'ul0', localIp: h.local, peers: [h.peer] });
        for (const [vm, , address] of h.vms) {
          const port = plan.ports.find((p) => p.vm === vm)!;
          await applier.connectPort(plan, port, h.netns, `p${vm}`, { netns: ns[vm], ifName: 'eth0', address });
        }
      }
      // A port the plan does not hold is refused, before any command runs.
      const planA = hosts[0].svc.networkPlan();
      expect((await rejection(() => applier.connectPort(planA, { vm: 'a1', segment: 'su-net', bridge: 'tvbrx7102' }, ns.hA, 'bad', { netns: ns.a1, ifName: 'eth1' }))).code).to.equal('ACCESS_DENIED');

      // All four VMs sit in one IP subnet: only the segments keep them apart.
      expect(await ping(ns.a1, '10.77.0.3', 5), 'MA on host A reaches MA on host B').to.equal(true);
      expect(await ping(ns.b2, '10.77.0.2', 5), 'SU on host B reaches SU on host A').to.equal(true);
      expect(await ping(ns.a1, '10.77.0.4', 1), 'MA does not reach SU across hosts').to.equal(false);
      expect(await ping(ns.a1, '10.77.0.2', 1), 'MA does not reach SU on the same host').to.equal(false);
      expect(await ping(ns.b1, '10.77.0.2', 1), 'MA on B does not reach SU on A').to.equal(false);
      expect(applier.log.some((l) => l.includes('type vxlan id 7101'))).to.equal(true);
      await applier.removeHost(hosts[0].svc.networkPlan(), ns.hA);
      expect(await ping(ns.a1, '10.77.0.3', 1), 'no bridge, no path').to.equal(false);
    });
  });
});
