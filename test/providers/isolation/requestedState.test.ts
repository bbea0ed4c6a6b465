// DSP1057 RequestedState: 12 Not Applicable until a RequestStateChange is accepted, then the value
// last requested, also in the state-change indications and after an agent restart with the same
// state directory; a request that is not possible leaves the previous value.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcli, wbemcliCall } from './support/wbemcli.js';

describe('isolation providers: a VM\'s RequestedState records the last accepted request', function () {
  this.timeout(60_000);
  let dir: string;
  let agent: HostAgent | undefined;
  let p: HostPaths;
  const indications: CimInstance[] = [];

  const start = async () => {
    const started = await HostAgent.start({
      name: 'h1', stateDir: dir, vtpm: 'off', log: () => {},
      indications: { sink: { emit: (_ns, i) => void indications.push(i), close: async () => {} } },
    }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    p = new HostPaths(started.urls.http!, 'h1');
  };
  const cm = (target: string, call: string) => wbemcliCall(p, target, call);
  const states = async (): Promise<{ enabled: number; requested: number }> => {
    const r = await wbemcli(['gi', p.url(p.vm('v'))]);
    expect(r.code, r.stderr).to.equal(0);
    return { enabled: Number(/(?<![A-Za-z])EnabledState=(\d+)/.exec(r.stdout)?.[1]), requested: Number(/(?<![A-Za-z])RequestedState=(\d+)/.exec(r.stdout)?.[1]) };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-iso-requested-'));
    await start();
    expect((await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam('v', 'SecurityUnderwriting'))).returnValue).to.equal(0);
  });
  after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is 12 (Not Applicable) before any request', async () => {
    expect(await states()).to.deep.equal({ enabled: 3, requested: 12 });
  });

  it('follows 2, 9, 2, 6, 3, and each state change\'s CIM_InstModification carries the new value', async () => {
    for (const [requested, enabled] of [[2, 2], [9, 9], [2, 2], [6, 6], [3, 3]] as const) {
      const since = indications.length;
      expect((await cm(p.vm('v'), `RequestStateChange.RequestedState=${requested}`)).returnValue, `request ${requested}`).to.equal(0);
      expect(await states(), `after ${requested}`).to.deep.equal({ enabled, requested });
      const mods = indications.slice(since).filter((i) => i.className === 'CIM_InstModification' && String(i.get('SourceInstanceModelPath')).includes('Name="v"'));
      expect(mods, `indication after ${requested}`).to.have.length(1);
      expect((mods[0]!.get('SourceInstance') as CimInstance).get('RequestedState')).to.equal(requested);
    }
  });

  it('a request not possible now (pause a stopped VM: 4097) leaves the last accepted one', async () => {
    expect((await cm(p.vm('v'), 'RequestStateChange.RequestedState=9')).returnValue).to.equal(4097);
    expect(await states()).to.deep.equal({ enabled: 3, requested: 3 });
  });

  it('survives an agent restart with the same state directory, as the VM\'s state does', async () => {
    expect((await cm(p.vm('v'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(p.vm('v'), 'RequestStateChange.RequestedState=6')).returnValue).to.equal(0);
    await agent!.stop();
    agent = undefined;
    await start();
    expect(await states()).to.deep.equal({ enabled: 6, requested: 6 });
  });
});
