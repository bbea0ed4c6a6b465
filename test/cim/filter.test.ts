// GetClass / GetInstance option filters: LocalOnly, IncludeQualifiers, IncludeClassOrigin, PropertyList.
import { expect } from 'chai';
import { filterClass } from '../../src/cim/filterClass.js';
import { filterInstance } from '../../src/cim/filterInstance.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimQualifier } from '../../src/cim/CimQualifier.js';
import { NS, repoWithQualifiers, q, prop, cls, method } from './support.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import type { CimProperty } from '../../src/cim/CimProperty.js';

const NameMapOf = (...ps: CimProperty[]): NameMap<CimProperty> => NameMap.from(ps, (p) => p.name);

function resolved() {
  const repo = repoWithQualifiers();
  repo.addClass(NS, cls('CIM_ManagedElement', null, [prop('Caption', 'string', { quals: [q('Description', 'short')] })], [q('Description', 'root')], [method('Ping', 'uint32')]));
  repo.addClass(NS, cls('TVDc_Guest', 'CIM_ManagedElement', [prop('Name', 'string', { quals: [q('Key', true)] }), prop('Label', 'string')], [], [method('Start', 'uint32')]));
  return repo;
}

describe('cim/filterClass and filterInstance', () => {
  it('applies DSP0200 defaults: local members only, qualifiers kept, class origin dropped', () => {
    const c = filterClass(resolved().getClass(NS, 'TVDc_Guest'));
    expect(c.properties.names()).to.deep.equal(['Name', 'Label']);
    expect(c.methods.names()).to.deep.equal(['Start']);
    expect(c.properties.get('Name')!.qualifiers.has('Key')).to.equal(true);
    expect(c.properties.get('Name')!.classOrigin).to.equal(undefined);
    // The inherited Description qualifier is not local either.
    expect(c.qualifiers.has('Description')).to.equal(false);
  });

  it('returns everything with LocalOnly false, origins when asked, nothing qualified when not', () => {
    const c = filterClass(resolved().getClass(NS, 'TVDc_Guest'), { localOnly: false, includeClassOrigin: true, includeQualifiers: false });
    expect(c.properties.names()).to.deep.equal(['Caption', 'Name', 'Label']);
    expect(c.methods.names()).to.deep.equal(['Ping', 'Start']);
    expect(c.properties.get('Caption')!.classOrigin).to.equal('CIM_ManagedElement');
    expect(c.properties.get('Caption')!.propagated).to.equal(true);
    expect(c.qualifiers.size).to.equal(0);
    expect(c.properties.get('Name')!.qualifiers.size).to.equal(0);
  });

  it('drops parameter qualifiers but keeps the parameters and leaves the class alone', () => {
    const repo = resolved();
    repo.addClass(NS, cls('TVDc_Host', null, [], [], [
      method('Reboot', 'uint32', [new CimParameter('Delay', 'uint32', false, NameMap.from([q('Description', 'seconds')], (x) => x.name))], [q('Description', 'restart')]),
    ]));
    const full = repo.getClass(NS, 'TVDc_Host');
    const c = filterClass(full, { includeQualifiers: false });
    const m = c.methods.get('Reboot')!;
    expect(m.qualifiers.size).to.equal(0);
    expect(m.parameters.get('Delay')).to.include({ type: 'uint32', isArray: false });
    expect(m.parameters.get('Delay')!.qualifiers.size).to.equal(0);
    expect(full.methods.get('Reboot')!.parameters.get('Delay')!.qualifiers.get('Description')!.value).to.equal('seconds');
    expect(filterClass(full).methods.get('Reboot')!.parameters.get('Delay')!.qualifiers.get('Description')!.value).to.equal('seconds');
  });

  it('keeps only listed properties, case-insensitively, and an empty list keeps none', () => {
    const repo = resolved();
    const c = filterClass(repo.getClass(NS, 'TVDc_Guest'), { localOnly: false, propertyList: ['caption', 'NAME', 'nothing'] });
    expect(c.properties.names()).to.deep.equal(['Caption', 'Name']);
    expect(c.methods.size).to.equal(2);
    expect(filterClass(repo.getClass(NS, 'TVDc_Guest'), { propertyList: [] }).properties.size).to.equal(0);
  });

  it('filters instances and leaves the original alone', () => {
    const repo = resolved();
    const path = repo.addInstance(NS, new CimInstance('TVDc_Guest', NameMapOf(prop('Name', 'string', { value: 'g1' }), prop('Label', 'string', { value: 'red' }))));
    const full = repo.getInstance(NS, path);
    full.properties.get('Label')!.qualifiers.set('Description', new CimQualifier('Description', 'string', 'x'));
    const plain = filterInstance(full, { propertyList: ['label'] });
    expect(plain.properties.names()).to.deep.equal(['Label']);
    expect(plain.properties.get('Label')!.classOrigin).to.equal(undefined);
    expect(plain.properties.get('Label')!.qualifiers.size).to.equal(0);
    expect(plain.path!.equals(path)).to.equal(true);
    const rich = filterInstance(full, { includeClassOrigin: true, includeQualifiers: true });
    expect(rich.properties.names()).to.deep.equal(['Caption', 'Name', 'Label']);
    expect(rich.properties.get('Caption')!.classOrigin).to.equal('CIM_ManagedElement');
    expect(rich.properties.get('Label')!.qualifiers.get('Description')!.value).to.equal('x');
    expect(full.properties.size).to.equal(3);
    expect(full.properties.get('Label')!.classOrigin).to.equal('TVDc_Guest');
  });
});
