import { expect } from 'chai';
import { BoundedMap } from '../../src/cim/BoundedMap.js';

describe('BoundedMap', () => {
  it('starts over when a new key arrives at the limit, and keeps what it has for a key it holds', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    m.set('b', 20);
    expect([...m]).to.deep.equal([['a', 1], ['b', 20], ['c', 3]]);
    m.set('d', 4);
    expect([...m]).to.deep.equal([['d', 4]]);
    expect(m.get('a')).to.equal(undefined);
  });
});
