// NameMap: case-insensitive, case-preserving, insertion-ordered; and the copy-on-read copies the
// repository hands out, which must behave exactly like eager copies, and the copy-on-write maps of
// its instance views.
import { expect } from 'chai';
import { NameMap } from '../../src/cim/NameMap.js';

type Box = { n: number };
const copyBox = (b: Box): Box => ({ n: b.n });

function source(): NameMap<Box> {
  return new NameMap<Box>().set('Alpha', { n: 1 }).set('Beta', { n: 2 });
}

describe('cim/NameMap', () => {
  it('looks names up in any case, keeping the first position and the latest spelling', () => {
    const m = source();
    expect(m.get('ALPHA')).to.include({ n: 1 });
    m.set('alpha', { n: 3 });
    expect(m.names()).to.deep.equal(['alpha', 'Beta']);
    expect(m.nameOf('BETA')).to.equal('Beta');
    expect(m.delete('beta')).to.equal(true);
    expect(m.size).to.equal(1);
  });

  it('a copy-on-read copy answers names without copying and copies every value on first read', () => {
    const src = source();
    const before = src.values();
    const c = src.copyOnRead(copyBox);
    expect(c.size).to.equal(2);
    expect(c.has('beta')).to.equal(true);
    expect(c.names()).to.deep.equal(['Alpha', 'Beta']);
    const a = c.get('alpha')!;
    expect(a).to.deep.equal({ n: 1 });
    expect(a).to.not.equal(before[0]);
    expect(c.get('Alpha')).to.equal(a); // the same copy on every read
    expect(c.values()[1]).to.deep.equal({ n: 2 });
    expect(c.values()[1]).to.not.equal(before[1]);
    a.n = 9;
    expect(src.get('alpha')!.n).to.equal(1);
  });

  it('changing a copy-on-read copy before reading it leaves the source alone', () => {
    const src = source();
    const viaSet = src.copyOnRead(copyBox);
    viaSet.set('Gamma', { n: 3 });
    expect(viaSet.names()).to.deep.equal(['Alpha', 'Beta', 'Gamma']);
    expect(viaSet.get('alpha')).to.not.equal(src.get('alpha'));
    const viaDelete = src.copyOnRead(copyBox);
    viaDelete.delete('alpha');
    const viaClear = src.copyOnRead(copyBox);
    viaClear.clear();
    expect(viaClear.size).to.equal(0);
    viaClear.set('Delta', { n: 4 });
    expect(src.names()).to.deep.equal(['Alpha', 'Beta']);
    expect([...src].map(([, b]) => b.n)).to.deep.equal([1, 2]);
    // Copies of copies, iteration and mapValues all see copies.
    const c = src.copyOnRead(copyBox);
    const [[, first]] = [...c.clone()];
    expect(first).to.deep.equal({ n: 1 });
    expect(first).to.not.equal(src.get('alpha'));
    expect(src.copyOnRead(copyBox).mapValues((b) => b.n).values()).to.deep.equal([1, 2]);
  });

  it('a copy-on-read copy compares deep-equal to an eager one', () => {
    const src = source();
    expect(src.copyOnRead(copyBox)).to.deep.equal(src.clone(copyBox));
  });

  it('a copy-on-write copy reads the shared values and takes its own entries on first change', () => {
    const src = source();
    const c = src.copyOnWrite();
    // Reading copies nothing: the values are the source's own objects.
    expect(c.get('alpha')).to.equal(src.get('alpha'));
    expect(c.values()).to.deep.equal(src.values());
    expect([...c].map(([n]) => n)).to.deep.equal(['Alpha', 'Beta']);
    c.set('Gamma', { n: 3 });
    c.delete('alpha');
    c.set('BETA', { n: 20 });
    expect(c.names()).to.deep.equal(['BETA', 'Gamma']);
    expect(src.names()).to.deep.equal(['Alpha', 'Beta']);
    expect(src.get('beta')).to.deep.equal({ n: 2 });
    // A delete alone also leaves the source alone, and so does clear().
    const d = src.copyOnWrite();
    d.delete('beta');
    const e = src.copyOnWrite();
    e.clear();
    expect(d.names()).to.deep.equal(['Alpha']);
    expect(e.size).to.equal(0);
    expect(src.size).to.equal(2);
    expect(src.copyOnWrite()).to.deep.equal(src.clone());
  });

  it('forEach visits every entry in order and lets the visitor delete or replace it', () => {
    const src = source().set('Gamma', { n: 3 });
    const seen: string[] = [];
    const c = src.copyOnWrite();
    c.forEach((v, n) => {
      seen.push(`${n}=${v.n}`);
      if (n === 'Alpha') c.delete(n);
      else if (n === 'Beta') c.set(n, { n: 20 });
    });
    expect(seen).to.deep.equal(['Alpha=1', 'Beta=2', 'Gamma=3']);
    expect(c.values()).to.deep.equal([{ n: 20 }, { n: 3 }]);
    expect(src.values()).to.deep.equal([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});
