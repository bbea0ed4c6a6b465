import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy } from '../../../src/tvdc/policy/loadPolicy.js';
import { planPolicyUpdate, type PolicyWorld } from '../../../src/tvdc/policy/planPolicyUpdate.js';
import { defaultPolicy } from '../../../src/tvdc/policy/defaultPolicy.js';
import type { Policy } from '../../../src/tvdc/policy/Policy.js';

const OURS = join(process.cwd(), 'fixtures', 'policies');
const V1 = loadPolicy(readFileSync(join(OURS, 'paper-ma-su.xml'), 'utf8'));
const V11 = loadPolicy(readFileSync(join(OURS, 'paper-ma-su-1.1.xml'), 'utf8'));

function world(partial: Partial<PolicyWorld>): PolicyWorld {
  return { host: { name: 'h', label: 'SystemManagement' }, vms: [], disks: [], segments: [], ...partial };
}

/** 1.1 with the SU resource label's type changed to MA: SU disks and segments move to MA. */
function suResourceBecomesMa(): Policy {
  const p = structuredClone(V11);
  p.resourceLabels.find((l) => l.name === 'SecurityUnderwriting')!.ste = 'MA';
  return p;
}

describe('policy update replay', () => {
  it('permits a proper update over an idle host and maps renamed labels', () => {
    const plan = planPolicyUpdate(V1, V11, world({ vms: [{ name: 'x', label: 'MarketAnalysisHost', running: false, disks: [], segments: [], channels: [] }] }));
    expect(plan.ok).to.equal(true);
    expect(plan.relabel).to.deep.equal([{ kind: 'vm', name: 'x', from: 'MarketAnalysisHost', to: 'MarketAnalysisOnlyHost' }]);
  });

  it('lists a running VM that would lose its disk, its segment and its channel', () => {
    const w = world({
      vms: [
        { name: 'su', label: 'SecurityUnderwriting', running: true, disks: ['d'], segments: ['n'], channels: ['su2'] },
        { name: 'su2', label: 'SecurityUnderwriting', running: true, disks: [], segments: [], channels: ['su'] },
      ],
      disks: [{ name: 'd', label: 'SecurityUnderwriting' }],
      segments: [{ name: 'n', label: 'SecurityUnderwriting' }],
    });
    const next = suResourceBecomesMa();
    const plan = planPolicyUpdate(V1, next, w);
    expect(plan.ok).to.equal(false);
    expect(plan.conflicts.map((c) => [c.element.name, c.rule, c.related?.kind, c.related?.name])).to.deep.equal([
      ['su', 'access', 'disk', 'd'],
      ['su', 'access', 'segment', 'n'],
    ]);
    // Now make the two VMs unable to talk: su2 becomes MarketAnalysis by a rename.
    const split = structuredClone(V11);
    const w2 = structuredClone(w);
    w2.vms[1]!.label = 'MarketAnalysis';
    w2.disks = [];
    w2.segments = [];
    w2.vms[0]!.disks = [];
    w2.vms[0]!.segments = [];
    const p2 = planPolicyUpdate(V1, split, w2);
    expect(p2.conflicts.map((c) => [c.element.name, c.rule])).to.deep.include.members([['su', 'share']]);
  });

  it('marks a stopped VM whose label is gone __INACCESSIBLE__, and a deleted host label falls back to bootstrap', () => {
    const next = structuredClone(V11);
    next.vmLabels = next.vmLabels.filter((l) => l.name !== 'MarketAnalysis' && l.name !== 'MarketAnalysisOnlyHost');
    const plan = planPolicyUpdate(V1, next, world({
      host: { name: 'h', label: 'MarketAnalysisHost' },
      vms: [{ name: 'ma', label: 'MarketAnalysis', running: false, disks: [], segments: [], channels: [] }],
    }));
    expect(plan.ok).to.equal(true);
    expect(plan.hostLabel).to.equal('SystemManagement');
    expect(plan.relabel).to.deep.include({ kind: 'vm', name: 'ma', from: 'MarketAnalysis', to: '__INACCESSIBLE__' });
  });

  it('lets the DEFAULT boot policy be replaced without FromPolicy, as Xen did', () => {
    expect(planPolicyUpdate(defaultPolicy(), V1, world({})).ok).to.equal(true);
    expect(planPolicyUpdate(undefined, V11, world({})).ok).to.equal(true);
    const other = structuredClone(V1);
    other.header = { name: 'other', version: '2.0' };
    expect(planPolicyUpdate(V1, other, world({})).conflicts.map((c) => c.rule)).to.deep.equal(['from-policy']);
  });

  it('compares versions numerically (1.10 is higher than 1.9)', () => {
    const a = structuredClone(V1);
    a.header.version = '1.9';
    const b = structuredClone(V1);
    b.header = { ...b.header, version: '1.10', from: { name: 'tvdc-paper', version: '1.9' } };
    expect(planPolicyUpdate(a, b, world({})).ok).to.equal(true);
    expect(planPolicyUpdate(b, { ...a, header: { ...a.header, from: { name: 'tvdc-paper', version: '1.10' } } }, world({})).conflicts.map((c) => c.rule)).to.deep.equal(['version']);
  });
});
