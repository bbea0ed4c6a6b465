// The TVDc policy edits the Datacenter Administrator makes through the server: each a new minor
// version that still passes the policy's own rules and reads back the same from Xen ACM XML.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addConflictSet, addLabel, forHost, leavesEditRoom, nextVersion, removeConflictSet, removeLabel, versionAbove } from '../../src/tvdc/management/PolicyEditor.js';
import { loadPolicy } from '../../src/tvdc/policy/loadPolicy.js';
import { writeAcmXml } from '../../src/tvdc/policy/writeAcmXml.js';
import { isTvdcError } from '../../src/tvdc/TvdcError.js';

const paper = () => loadPolicy(readFileSync(fileURLToPath(new URL('../../fixtures/policies/paper-ma-su.xml', import.meta.url)), 'utf8'));

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isTvdcError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('management: policy editing (src/tvdc/management/PolicyEditor)', () => {
  it('next versions count the minor number up (1.9 -> 1.10)', () => {
    expect(nextVersion('1.0')).to.equal('1.1');
    expect(nextVersion('1.9')).to.equal('1.10');
    expect(code(() => nextVersion('x'))).to.equal('POLICY_INVALID');
    expect(code(() => nextVersion('1.99999999'))).to.equal('POLICY_INVALID');
  });

  it('leavesEditRoom: a version counts as an edit\'s floor only with a million minor versions left above its next one', () => {
    expect(['1.0', '1.98999998', '99999999.0', '99999999.98999998'].map(leavesEditRoom)).to.deep.equal([true, true, true, true]);
    expect(['1.98999999', '1.99999999', '99999999.99999999', 'x', '1.0.0'].map(leavesEditRoom)).to.deep.equal([false, false, false, false, false]);
  });

  it('versionAbove is the next minor version of the highest given (numeric order, 1.10 above 1.9); an edit takes a version only above its own', () => {
    expect(versionAbove(['1.0'])).to.equal('1.1');
    expect(versionAbove(['1.0', '1.1', '1.0'])).to.equal('1.2');
    expect(versionAbove(['1.9', '1.10', '1.2'])).to.equal('1.11');
    expect(versionAbove(['2.0', '1.30'])).to.equal('2.1');
    expect(code(() => versionAbove([]))).to.equal('INVALID_ARGUMENT');
    expect(code(() => versionAbove(['1.0', 'x']))).to.equal('POLICY_INVALID');
    const p = paper();
    expect(addLabel(p, { name: 'Web', kind: 'vm', ste: ['WEB'], cw: [] }, '1.2').header.version).to.equal('1.2');
    expect(addConflictSet(addLabel(p, { name: 'Web', kind: 'vm', ste: ['WEB'], cw: ['WEB'] }), 'W', ['WEB', 'MA'], '1.5').header.version).to.equal('1.5');
    expect(removeLabel(p, 'MarketAnalysis', 'vm', '1.3').header.version).to.equal('1.3');
    expect(code(() => addLabel(p, { name: 'Web', kind: 'vm', ste: ['WEB'], cw: [] }, '1.0'))).to.equal('INVALID_ARGUMENT');
    expect(code(() => removeConflictSet(p, 'nosuch', '0.9'))).to.equal('INVALID_ARGUMENT');
    expect(addLabel(p, { name: 'Web', kind: 'vm', ste: ['WEB'], cw: [] }).header.version).to.equal('1.1');
  });

  it('adding a VM label declares its new types and leaves the input unchanged; the result reads back from XML', () => {
    const p = paper();
    const q = addLabel(p, { name: 'Web', kind: 'vm', ste: ['WEB'], cw: ['WEB'] });
    expect(q.header.version).to.equal('1.1');
    expect(q.steTypes).to.include('WEB');
    expect(q.cwTypes).to.include('WEB');
    expect(p.vmLabels.map((l) => l.name)).to.not.include('Web');
    expect(loadPolicy(writeAcmXml(q))).to.deep.equal(q);
  });

  it('refuses a resource label with two types, duplicates, a missing label and the bootstrap label', () => {
    const p = paper();
    expect(code(() => addLabel(p, { name: 'R', kind: 'resource', ste: ['MA', 'SU'], cw: [] }))).to.equal('INVALID_ARGUMENT');
    expect(code(() => addLabel(p, { name: 'MarketAnalysis', kind: 'vm', ste: ['MA'], cw: [] }))).to.equal('ALREADY_EXISTS');
    expect(code(() => addLabel(p, { name: 'bad:name', kind: 'vm', ste: ['MA'], cw: [] }))).to.equal('POLICY_INVALID');
    expect(code(() => removeLabel(p, 'Nope', 'vm'))).to.equal('NOT_FOUND');
    expect(code(() => removeLabel(p, 'SystemManagement', 'vm'))).to.equal('INVALID_STATE');
    expect(removeLabel(p, 'SystemManagement', 'resource').resourceLabels.map((l) => l.name)).to.deep.equal(['MarketAnalysis', 'SecurityUnderwriting']);
  });

  it('conflict sets are over declared Chinese Wall types, at least two, unique by name', () => {
    const p = paper();
    const q = addConflictSet(p, 'MA-SU', ['MA', 'SU']);
    expect(q.conflictSets).to.deep.equal([{ name: 'MA-SU', types: ['MA', 'SU'] }]);
    expect(code(() => addConflictSet(p, 'x', ['MA', 'WEB']))).to.equal('INVALID_ARGUMENT');
    expect(code(() => addConflictSet(p, 'x', ['MA']))).to.equal('INVALID_ARGUMENT');
    expect(code(() => addConflictSet(q, 'MA-SU', ['MA', 'SU']))).to.equal('ALREADY_EXISTS');
    expect(removeConflictSet(q, 'MA-SU').conflictSets).to.deep.equal([]);
    expect(code(() => removeConflictSet(p, 'MA-SU'))).to.equal('NOT_FOUND');
  });

  it('edits drop label renames and FromPolicy; forHost names what the host runs', () => {
    const p = paper();
    const renamed = { ...p, header: { ...p.header, from: { name: 'old', version: '0.9' } }, vmLabels: p.vmLabels.map((l, i) => (i === 1 ? { ...l, from: 'MA-old' } : l)) };
    const q = addLabel(renamed, { name: 'Web', kind: 'vm', ste: ['WEB'], cw: [] });
    expect(q.header.from).to.equal(undefined);
    expect(q.vmLabels[1]).to.not.have.property('from');
    expect(forHost(q, { name: 'tvdc-paper', version: '1.0' }).header.from).to.deep.equal({ name: 'tvdc-paper', version: '1.0' });
    expect(forHost(q, null).header).to.not.have.property('from');
  });
});
