// End to end: a subscriber to TVDc_AccessDeniedIndication on a real tvdc-host receives, at its own
// CIM-XML listener, the indication for a start the policy refuses, with the DSP1054 alert fields
// and the TVDc ones (operation, labels, object, reason).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { IndicationListener, subscribe } from '../../../client/listener/index.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../../support/TvdcHostProcess.js';
import { HostPaths, POLICY_1_0, POLICY_1_1, defineParam, methodOutput, policyParam, wbemcli } from './support/wbemcli.js';

describe('isolation providers: TVDc_AccessDeniedIndication reaches a subscribed listener', function () {
  this.timeout(60_000);
  let state: string;
  let host: TvdcHostProcess;
  let listener: IndicationListener;
  let p: HostPaths;
  const received: CimInstance[] = [];

  const cm = async (target: string, call: string) => {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };

  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'tvdc-iso-ind-'));
    host = await spawnTvdcHost(['--name', 'h1', '--port', '0', '--state', state]);
    p = new HostPaths(host.origin, 'h1');
    listener = new IndicationListener({ host: '127.0.0.1', path: '/tvdc' });
    listener.onIndication((i) => void received.push(i));
    const url = await listener.start();
    const conn = new WbemConnection(host.origin);
    try {
      await subscribe(conn, { name: 'denials', destination: url, query: 'SELECT * FROM TVDc_AccessDeniedIndication' });
    } finally {
      await conn.close();
    }
  });
  after(async () => {
    await listener?.close();
    await host?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('a Chinese Wall refusal of a start is delivered with AlertType 8, ProbableCause 65 and the TVDc fields', async () => {
    for (const f of [POLICY_1_0, POLICY_1_1]) expect((await cm(p.service('TVDc_SecurityService'), policyParam(f))).returnValue).to.equal(0);
    for (const [vm, label] of [['ma', 'MarketAnalysis'], ['su', 'SecurityUnderwriting']]) expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam(vm!, label))).returnValue).to.equal(0);
    expect((await cm(p.vm('ma'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect((await cm(p.vm('su'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(4);
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    // Only denials pass the filter: the starts and definitions above raised life-cycle indications, not these.
    expect(received).to.have.length(1);
    const ind = received[0]!;
    expect(ind.className).to.equal('TVDc_AccessDeniedIndication');
    expect(ind.get('AlertType')).to.equal(8);
    expect(ind.get('ProbableCause')).to.equal(65);
    expect(ind.get('Operation')).to.equal('start');
    expect(ind.get('AlertingManagedElement')).to.include('TVDc_ComputerSystem').and.include('Name="su"');
    expect(ind.get('SubjectLabel')).to.equal('ACM:tvdc-paper:SecurityUnderwriting');
    expect(ind.get('ObjectLabel')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    expect(ind.get('Reason')).to.include("conflict set 'MA-SU'");
  });
});
