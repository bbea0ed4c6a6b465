// CimProperty makes its qualifier NameMap only when asked for one (a decoded enumeration has
// hundreds of thousands of properties, almost none with qualifiers): callers must not notice.
import { expect } from 'chai';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimQualifier } from '../../src/cim/CimQualifier.js';
import { NameMap } from '../../src/cim/NameMap.js';

const key = () => new CimQualifier('Key', 'boolean', true);

describe('CimProperty qualifiers, made on first use', () => {
  it('a map read through the getter is the property\'s own and takes set()', () => {
    const p = new CimProperty('Name', 'string', 'x');
    expect(p.hasQualifiers).to.equal(false);
    const q = p.qualifiers;
    expect(q.size).to.equal(0);
    expect(p.qualifiers).to.equal(q);
    p.qualifiers.set('Key', key());
    expect(p.hasQualifiers).to.equal(true);
    expect(p.qualifiers.get('key')!.value).to.equal(true);
    // Another property is not affected: nothing is shared once written.
    expect(new CimProperty('Other', 'string').qualifiers.size).to.equal(0);
  });

  it('a map given to the constructor or the setter is kept as it is', () => {
    const m = new NameMap<CimQualifier>().set('Key', key());
    const p = new CimProperty('Name', 'string', 'x', false, m);
    expect(p.qualifiers).to.equal(m);
    const n = new NameMap<CimQualifier>();
    p.qualifiers = n;
    expect(p.qualifiers).to.equal(n);
    expect(p.hasQualifiers).to.equal(false);
  });

  it('deep equality sees a property never asked for its map like one with an empty map', () => {
    const a = new CimProperty('Name', 'string', 'x');
    const b = new CimProperty('Name', 'string', 'x');
    expect(b.qualifiers.size).to.equal(0);
    expect(a).to.deep.equal(b);
    b.qualifiers.set('Key', key());
    expect(a).not.to.deep.equal(b);
  });

  it('clone() copies qualifiers, and a clone without any makes none', () => {
    const p = new CimProperty('Name', 'string', 'x');
    p.qualifiers.set('Key', key());
    const c = p.clone();
    expect(c.qualifiers.get('Key')).to.deep.equal(p.qualifiers.get('Key'));
    expect(c.qualifiers.get('Key')).not.to.equal(p.qualifiers.get('Key'));
    const bare = new CimProperty('Name', 'string', 'x').clone();
    expect(bare.hasQualifiers).to.equal(false);
    bare.qualifiers.set('Key', key());
    expect(bare.qualifiers.size).to.equal(1);
  });

  it('a frozen property never asked for its map reads an empty one that refuses set()', () => {
    const p = Object.freeze(new CimProperty('Name', 'string', 'x'));
    expect(p.qualifiers.size).to.equal(0);
    expect([...p.qualifiers]).to.deep.equal([]);
    expect(() => p.qualifiers.set('Key', key())).to.throw(TypeError);
    expect(new CimProperty('Other', 'string').qualifiers.size).to.equal(0);
  });
});
