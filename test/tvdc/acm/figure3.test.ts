import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledPolicy } from '../../../src/tvdc/acm/CompiledPolicy.js';
import { DecisionEngine } from '../../../src/tvdc/acm/DecisionEngine.js';
import { ChineseWallState } from '../../../src/tvdc/acm/ChineseWallState.js';
import { loadPolicy } from '../../../src/tvdc/policy/loadPolicy.js';
import { INACCESSIBLE, NULL_LABEL } from '../../../src/tvdc/policy/reservedLabels.js';

const OURS = join(process.cwd(), 'fixtures', 'policies');
const XEN = join(process.cwd(), '..', 'shared', 'fixtures', 'xen-acm');

function compile(file: string): { p: CompiledPolicy; e: DecisionEngine } {
  const p = new CompiledPolicy(loadPolicy(readFileSync(file, 'utf8'), file));
  return { p, e: new DecisionEngine(p) };
}

describe("the paper's Figure 3 (Market Analysis / Security Underwriting)", () => {
  const { p, e } = compile(join(OURS, 'paper-ma-su.xml'));
  const mgmt = p.vmLabelId('SystemManagement')!;
  const ma = p.vmLabelId('MarketAnalysis')!;
  const su = p.vmLabelId('SecurityUnderwriting')!;
  const suDisk = p.resourceLabelId('SecurityUnderwriting')!;

  it('case 1: the MA VM may connect to the management VM ({MA,SU} ∩ {MA} = {MA})', () => {
    const d = e.share(mgmt, ma);
    expect(d.permitted).to.equal(true);
    expect(d.commonTypes).to.deep.equal(['MA']);
  });

  it('case 2: the SU VM may connect to the management VM ({MA,SU} ∩ {SU} = {SU})', () => {
    const d = e.share(mgmt, su);
    expect(d.permitted).to.equal(true);
    expect(d.commonTypes).to.deep.equal(['SU']);
  });

  it('case 3: the MA and SU VMs cannot communicate directly ({MA} ∩ {SU} = ∅)', () => {
    const d = e.share(ma, su);
    expect(d.permitted).to.equal(false);
    expect(d.rule).to.equal('share');
    expect(d.reason).to.match(/share no STE type/);
    expect(e.canShare(su, ma)).to.equal(false);
  });

  it('case 4: the SU VM may mount the SU virtual block device', () => {
    const d = e.access(su, suDisk);
    expect(d.permitted).to.equal(true);
    expect(d.commonTypes).to.deep.equal(['SU']);
  });

  it('case 5: the MA VM may not mount the SU virtual block device', () => {
    const d = e.access(ma, suDisk);
    expect(d.permitted).to.equal(false);
    expect(d.reason).to.contain("'MarketAnalysis'").and.to.contain("'SecurityUnderwriting'");
  });
});

describe('run on host and Chinese Wall', () => {
  it('a VM runs only where the host label covers its STE types', () => {
    const { p, e } = compile(join(OURS, 'paper-ma-su.xml'));
    const host = p.vmLabelId('MarketAnalysisHost')!;
    expect(e.run(p.vmLabelId('MarketAnalysis')!, host).permitted).to.equal(true);
    const d = e.run(p.vmLabelId('SecurityUnderwriting')!, host);
    expect(d.permitted).to.equal(false);
    expect(d.missingTypes).to.deep.equal(['SU']);
    expect(e.run(p.vmLabelId('SecurityUnderwriting')!, p.vmLabelId('SystemManagement')!).permitted).to.equal(true);
  });

  it('with conflict set {MA, SU}, SU may not start while an MA VM runs, and may after it stops', () => {
    const { p, e } = compile(join(OURS, 'paper-ma-su-1.1.xml'));
    const state = new ChineseWallState(p);
    const ma = p.vmLabelId('MarketAnalysis')!;
    const su = p.vmLabelId('SecurityUnderwriting')!;
    expect(e.collocation(ma, state).permitted).to.equal(true);
    state.add('ma1', ma);
    state.add('ma2', ma);
    expect(e.collocation(ma, state).permitted, 'same type runs beside itself').to.equal(true);
    const d = e.collocation(su, state);
    expect(d.permitted).to.equal(false);
    expect(d).to.include({ conflictSet: 'MA-SU', conflictingType: 'SU', runningType: 'MA' });
    expect(['ma1', 'ma2']).to.include(d.runningVm);
    expect(state.runningTypes[p.cwIndex.get('MA')!]).to.equal(2);
    state.remove('ma1');
    expect(e.collocation(su, state).permitted, 'one MA VM still runs').to.equal(false);
    state.remove('ma2');
    expect(e.collocation(su, state).permitted).to.equal(true);
    expect(e.collocation(p.vmLabelId('SystemManagement')!, state).permitted).to.equal(true);
  });

  it("the user guide policy's nested conflict sets decide as Xen did", () => {
    const { p, e } = compile(join(XEN, 'userguide.mytest-security_policy.xml'));
    const state = new ChineseWallState(p);
    state.add('su', p.vmLabelId('A-Bank.SecurityUnderwriting')!);
    // Same bank, other department: conflict set RER {MA, SU, __UNLABELED__}.
    expect(e.collocation(p.vmLabelId('A-Bank.MarketAnalysis')!, state).permitted).to.equal(false);
    // Competing bank: conflict set RER {A-Bank, B-Bank, __UNLABELED__}.
    expect(e.collocation(p.vmLabelId('B-Bank')!, state).permitted).to.equal(false);
    // Unrelated company runs fine; so does the bank itself.
    expect(e.collocation(p.vmLabelId('AutoCorp')!, state).permitted).to.equal(true);
    expect(e.collocation(p.vmLabelId('A-Bank')!, state).permitted).to.equal(true);
    // An unlabeled VM conflicts with running bank workloads.
    expect(e.collocation(p.vmLabelId(undefined)!, state).permitted).to.equal(false);
  });
});

describe('reserved labels', () => {
  it('unlabeled elements take the policy\'s __UNLABELED__ label when it defines one', () => {
    const { p, e } = compile(join(XEN, 'DEFAULT-security_policy.xml'));
    const unl = p.vmLabelId(undefined)!;
    expect(p.label(unl).declared).to.equal(true);
    expect(e.canShare(unl, p.vmLabelId('SystemManagement')!)).to.equal(true);
    expect(e.canAccess(unl, p.resourceLabelId(undefined)!)).to.equal(true);
  });

  it('without a definition, an unlabeled VM shares with nothing', () => {
    const { p, e } = compile(join(OURS, 'paper-ma-su.xml'));
    const unl = p.vmLabelId(undefined)!;
    expect(p.label(unl).declared).to.equal(false);
    expect(e.canShare(unl, p.vmLabelId('SystemManagement')!)).to.equal(false);
    expect(e.canShare(unl, unl)).to.equal(false);
  });

  it('__NULL_LABEL__ and __INACCESSIBLE__ grant nothing', () => {
    const { p, e } = compile(join(OURS, 'paper-ma-su.xml'));
    const mgmt = p.vmLabelId('SystemManagement')!;
    expect(e.canAccess(mgmt, p.resourceLabelId(INACCESSIBLE)!)).to.equal(false);
    expect(e.canShare(mgmt, p.vmLabelId(NULL_LABEL)!)).to.equal(false);
    expect(p.hasResourceLabel(INACCESSIBLE)).to.equal(false);
  });

  it('labels beyond 32 types use several mask words', () => {
    const types = Array.from({ length: 70 }, (_, i) => `t${i}`);
    const policy = loadPolicy(JSON.stringify({
      header: { name: 'wide', version: '1.0' },
      steTypes: types,
      cwTypes: types,
      conflictSets: [{ name: 'far', types: ['t1', 't69'] }],
      bootstrap: 'all',
      vmLabels: [
        { name: 'all', ste: types, cw: [] },
        { name: 'a', ste: ['t69'], cw: ['t69'] },
        { name: 'b', ste: ['t1', 't68'], cw: ['t1'] },
      ],
      resourceLabels: [{ name: 'r', ste: 't68' }],
    }));
    const p = new CompiledPolicy(policy);
    const e = new DecisionEngine(p);
    expect(p.steWords).to.equal(3);
    expect(e.canShare(p.vmLabelId('a')!, p.vmLabelId('b')!)).to.equal(false);
    expect(e.canAccess(p.vmLabelId('b')!, p.resourceLabelId('r')!)).to.equal(true);
    expect(e.canRun(p.vmLabelId('b')!, p.vmLabelId('all')!)).to.equal(true);
    expect(e.canRun(p.vmLabelId('all')!, p.vmLabelId('b')!)).to.equal(false);
    const s = new ChineseWallState(p);
    s.add('x', p.vmLabelId('a')!);
    expect(e.collocation(p.vmLabelId('b')!, s)).to.include({ permitted: false, conflictSet: 'far', runningVm: 'x' });
  });
});
