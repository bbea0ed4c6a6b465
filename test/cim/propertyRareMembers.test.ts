// CimProperty keeps the members instance properties almost never have (REF class, embedded kind
// and class, CLASSORIGIN, PROPAGATED, array size) in one object made only while one of them is
// set: callers read, write and compare properties as if they were plain fields.
import { inspect } from 'node:util';
import { expect } from 'chai';
import { CimProperty } from '../../src/cim/CimProperty.js';

const full = () => new CimProperty('Data', 'uint8', [1, 2], true, undefined, 'CIM_Ref', 'instance', 'CIM_Emb', 'CIM_Origin', true, 16);

describe('CimProperty rare members', () => {
  it('reads what the constructor was given, and the defaults when it was given nothing', () => {
    const p = full();
    expect([p.referenceClass, p.embeddedObject, p.embeddedClass, p.classOrigin, p.propagated, p.arraySize])
      .to.deep.equal(['CIM_Ref', 'instance', 'CIM_Emb', 'CIM_Origin', true, 16]);
    const bare = new CimProperty('Name', 'string', 'x');
    expect([bare.referenceClass, bare.embeddedObject, bare.embeddedClass, bare.classOrigin, bare.propagated, bare.arraySize])
      .to.deep.equal([undefined, undefined, undefined, undefined, false, undefined]);
  });

  it('writes each member on its own', () => {
    const p = new CimProperty('Name', 'string', 'x');
    p.classOrigin = 'CIM_A';
    expect(p.classOrigin).to.equal('CIM_A');
    expect(p.propagated).to.equal(false);
    p.propagated = true;
    p.arraySize = 4;
    p.classOrigin = undefined;
    expect([p.classOrigin, p.propagated, p.arraySize]).to.deep.equal([undefined, true, 4]);
    p.referenceClass = 'CIM_R';
    p.embeddedObject = 'object';
    p.embeddedClass = 'CIM_E';
    expect([p.referenceClass, p.embeddedObject, p.embeddedClass]).to.deep.equal(['CIM_R', 'object', 'CIM_E']);
  });

  it('a property whose members were set and reset deep-equals one where they never were', () => {
    const p = new CimProperty('Name', 'string', 'x');
    const q = full();
    q.value = 'x';
    q.type = 'string';
    q.isArray = false;
    q.name = 'Name';
    expect(q).not.to.deep.equal(p);
    q.referenceClass = undefined;
    q.embeddedObject = undefined;
    q.embeddedClass = undefined;
    q.classOrigin = undefined;
    q.arraySize = undefined;
    expect(q).not.to.deep.equal(p);
    q.propagated = false;
    expect(q).to.deep.equal(p);
    p.classOrigin = 'CIM_A';
    expect(p).not.to.deep.equal(q);
    q.classOrigin = 'CIM_B';
    expect(p).not.to.deep.equal(q);
    q.classOrigin = 'CIM_A';
    expect(p).to.deep.equal(q);
    expect(full()).to.deep.equal(full());
  });

  it('clone() copies the members, and changing the clone leaves the original alone', () => {
    const p = full();
    const c = p.clone();
    expect(c).to.deep.equal(p);
    c.classOrigin = 'CIM_Other';
    c.propagated = false;
    expect(p.classOrigin).to.equal('CIM_Origin');
    expect(p.propagated).to.equal(true);
  });

  it('a frozen property refuses every write, to its default too', () => {
    for (const p of [Object.freeze(full()), Object.freeze(new CimProperty('Name', 'string', 'x'))] as CimProperty[]) {
      const before = [p.referenceClass, p.embeddedObject, p.embeddedClass, p.classOrigin, p.propagated, p.arraySize];
      expect(() => { p.classOrigin = 'X'; }).to.throw(TypeError);
      expect(() => { p.classOrigin = undefined; }).to.throw(TypeError);
      expect(() => { p.propagated = false; }).to.throw(TypeError);
      expect(() => { p.propagated = true; }).to.throw(TypeError);
      expect(() => { p.arraySize = 3; }).to.throw(TypeError);
      expect(() => { p.referenceClass = 'X'; }).to.throw(TypeError);
      expect(() => { p.embeddedObject = 'object'; }).to.throw(TypeError);
      expect(() => { p.embeddedClass = 'X'; }).to.throw(TypeError);
      expect([p.referenceClass, p.embeddedObject, p.embeddedClass, p.classOrigin, p.propagated, p.arraySize]).to.deep.equal(before);
    }
  });

  it('inspection shows the members as fields', () => {
    const shown = inspect(full());
    expect(shown).to.match(/^CimProperty \{/);
    for (const s of ["name: 'Data'", "referenceClass: 'CIM_Ref'", "embeddedObject: 'instance'", "classOrigin: 'CIM_Origin'", 'propagated: true', 'arraySize: 16']) {
      expect(shown).to.include(s);
    }
  });
});
