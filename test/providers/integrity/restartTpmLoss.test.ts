// Over CIM (real swtpm, a real host agent stopped and started again on its state directory): a
// running VM whose vTPM cannot resume exactly as it was after the restart (its volatile state
// removed) is stopped, and a listener subscribed before the restart receives the
// TVDC-INTEGRITY-TPM-LOST indication saying so; a clean restart resumes it and raises none.
import { expect } from 'chai';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { IndicationListener, subscribe } from '../../../client/listener/index.js';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../isolation/support/wbemcli.js';
import { newStateDir, removeState } from './support/IntegrityHost.js';

describe('integrity providers: a vTPM that cannot resume after a restart stops its VM and is announced (real swtpm)', function () {
  this.timeout(60_000);
  const state = newStateDir('rst');
  const instance = join(state, 'vtpm', 'instances', 'vm1');
  let agent: HostAgent | undefined;
  let paths: HostPaths;
  let listener: IndicationListener | undefined;
  const lost: CimInstance[] = [];

  const start = async () => {
    const started = await HostAgent.start({ name: 'rst', stateDir: state, vtpm: 'swtpm', log: () => {} }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    paths = new HostPaths(started.urls.http!, 'rst');
  };
  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', paths.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const enabledState = async () => /EnabledState=(\d+)/.exec((await wbemcli(['gi', paths.url(paths.vm('vm1'))])).stdout)?.[1];
  const until = async (what: string, f: () => boolean) => {
    const end = Date.now() + 10_000;
    while (!f()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  before(async () => {
    await start();
    expect((await cm(paths.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(paths.service('TVDc_VirtualSystemManagementService'), defineParam('vm1', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(paths.vm('vm1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    listener = new IndicationListener({ host: '127.0.0.1' });
    const url = await listener.start();
    listener.onIndication((i) => {
      if (i.get('MessageID') === 'TVDC-INTEGRITY-TPM-LOST') lost.push(i);
    });
    const conn = new WbemConnection(paths.origin, { namespace: 'root/tvdc' });
    try {
      await subscribe(conn, { name: 'restart-loss', destination: url, query: 'SELECT * FROM TVDc_IntegrityIndication' });
    } finally {
      await conn.close();
    }
  });
  after(async () => {
    await listener?.close();
    await agent?.stop();
    await removeState(state);
  });

  it('a clean restart resumes the VM and its vTPM, and announces no loss', async () => {
    await agent!.stop();
    agent = undefined;
    await start();
    expect(await enabledState()).to.equal('2');
    expect(findSwtpmProcesses(instance)).to.have.length(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).to.deep.equal([]);
  });

  it('volatile state removed while the agent is down: the VM is stopped, no swtpm of it runs, and the subscribed listener is told', async () => {
    await agent!.stop();
    agent = undefined;
    rmSync(join(instance, readdirSync(instance).find((f) => f.endsWith('.volatilestate'))!));
    await start();
    expect(await enabledState()).to.equal('3');
    expect(findSwtpmProcesses(instance)).to.deep.equal([]);
    await until('the TVDC-INTEGRITY-TPM-LOST indication', () => lost.length > 0);
    const ind = lost[0]!;
    expect(Number(ind.get('PerceivedSeverity'))).to.equal(6);
    expect(String(ind.get('ProbableCauseDescription'))).to.equal('vTPM state not resumable after an agent restart');
    expect((ind.get('MessageArguments') as string[]).slice(1)).to.deep.equal(['vm-stopped', 'not-resumed']);
    expect(String(ind.get('Message'))).to.equal("the vTPM of VM 'vm1' could not resume after the agent restarted (its stored volatile state, which holds its PCRs, is missing) while the VM was running: the VM was stopped, as a VM does not run without its TPM; start it again to boot it with its vTPM");
    expect(String(ind.get('IndicationIdentifier'))).to.match(/^TVDc:rst:tpm-lost:vm:vm1:\d+$/);
    // Started again, it boots with its vTPM afresh.
    expect((await cm(paths.vm('vm1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect(await enabledState()).to.equal('2');
    expect(findSwtpmProcesses(instance)).to.have.length(1);
  });
});
