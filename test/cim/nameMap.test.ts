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

  it('at(i) reads the i-th value in order, the copy a copy-on-read map hands out included', () => {
    const src = source().set('Gamma', { n: 3 });
    expect([0, 1, 2].map((i) => src.at(i).n)).to.deep.equal([1, 2, 3]);
    src.delete('alpha');
    expect(src.at(0)).to.deep.equal({ n: 2 });
    const c = src.copyOnRead(copyBox);
    const first = c.at(0);
    expect(first).to.deep.equal({ n: 2 });
    expect(first).to.not.equal(src.at(0));
    expect(c.get('Beta')).to.equal(first);
    const w = src.copyOnWrite();
    expect(w.at(1)).to.equal(src.at(1));
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

// The layout changes at 16 entries (a flat array searched in order below, a lookup index above):
// both sides, and maps crossing between them, must behave alike.
describe('cim/NameMap, small and large', () => {
  const SIZES = [3, 16, 17, 60];
  const filled = (n: number): NameMap<number> => {
    const m = new NameMap<number>();
    for (let i = 0; i < n; i++) m.set(`Prop${i}`, i);
    return m;
  };
  const names = (n: number, skip: number[] = []) =>
    Array.from({ length: n }, (_, i) => `Prop${i}`).filter((_, i) => !skip.includes(i));

  for (const n of SIZES) {
    describe(`${n} entries`, () => {
      it('finds every name in any case and misses absent ones', () => {
        const m = filled(n);
        expect(m.size).to.equal(n);
        for (let i = 0; i < n; i++) {
          expect(m.get(`PROP${i}`)).to.equal(i);
          expect(m.has(`prop${i}`)).to.equal(true);
          expect(m.nameOf(`pRoP${i}`)).to.equal(`Prop${i}`);
        }
        expect(m.get(`Prop${n}`)).to.equal(undefined);
        expect(m.has('Prop')).to.equal(false);
        expect(m.nameOf('x')).to.equal(undefined);
        expect(m.names()).to.deep.equal(names(n));
        expect(m.values()).to.deep.equal(Array.from({ length: n }, (_, i) => i));
      });

      it('a re-set in another case keeps the position and takes the new spelling', () => {
        const m = filled(n);
        m.get('prop0'); // lookups first, so that a large map has its index
        m.set('PROP1', 100);
        expect(m.size).to.equal(n);
        expect(m.names()[1]).to.equal('PROP1');
        expect(m.get('prop1')).to.equal(100);
        expect(m.nameOf('Prop1')).to.equal('PROP1');
      });

      it('deletes first, middle and last entries, and a re-set after a delete goes to the end', () => {
        const m = filled(n);
        const mid = n >> 1;
        expect(m.delete('PROP0')).to.equal(true);
        expect(m.delete(`prop${mid}`)).to.equal(true);
        expect(m.delete(`Prop${n - 1}`)).to.equal(true);
        expect(m.delete('Prop0')).to.equal(false);
        expect(m.size).to.equal(n - 3);
        expect(m.names()).to.deep.equal(names(n, [0, mid, n - 1]));
        // Every remaining entry is still found where it now is.
        for (const name of names(n, [0, mid, n - 1])) expect(m.get(name.toUpperCase())).to.equal(Number(name.slice(4)));
        expect(m.has('prop0')).to.equal(false);
        m.set('prop0', -1);
        expect(m.names().at(-1)).to.equal('prop0');
        expect(m.get('PROP0')).to.equal(-1);
        expect(m.size).to.equal(n - 2);
      });

      it('forEach visits every entry once while the visitor deletes or replaces the one it is given', () => {
        const m = filled(n);
        const seen: string[] = [];
        m.forEach((v, name) => {
          seen.push(name);
          if (v % 2 === 0) m.delete(name);
          else m.set(name.toUpperCase(), v * 10);
        });
        expect(seen).to.deep.equal(names(n));
        const odd = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 1);
        expect(m.names()).to.deep.equal(odd.map((i) => `PROP${i}`));
        expect(m.values()).to.deep.equal(odd.map((i) => i * 10));
        for (const i of odd) expect(m.get(`prop${i}`)).to.equal(i * 10);
      });

      it('the iterator, too, survives the deletion of the entry it just gave', () => {
        const m = filled(n);
        const seen: string[] = [];
        for (const [name] of m) {
          seen.push(name);
          m.delete(name);
        }
        expect(seen).to.deep.equal(names(n));
        expect(m.size).to.equal(0);
        expect(m.get('Prop0')).to.equal(undefined);
      });

      it('copies (clone, copyOnRead, copyOnWrite, mapValues) change apart from their source', () => {
        const src = filled(n);
        src.get('prop0');
        const copies = [src.clone(), src.copyOnRead((v) => v), src.copyOnWrite(), src.mapValues((v) => v)];
        for (const c of copies) {
          c.set('PROP0', -1);
          c.delete('prop1');
          c.set('Extra', 99);
          expect(c.get('prop0')).to.equal(-1);
          expect(c.has('prop1')).to.equal(false);
          expect(c.get('extra')).to.equal(99);
          expect(c.names()).to.deep.equal(['PROP0', ...names(n, [0, 1]), 'Extra']);
        }
        expect(src.names()).to.deep.equal(names(n));
        for (let i = 0; i < n; i++) expect(src.get(`prop${i}`)).to.equal(i);
        expect(src.has('extra')).to.equal(false);
        expect(src.clone((v) => v * 2).get('PROP2')).to.equal(4);
        expect(src.mapValues((v) => (v % 2 === 0 ? undefined : v)).names()).to.deep.equal(names(n).filter((_, i) => i % 2 === 1));
      });

      it('deep equality sees names and values, not insertion order or lookup history', () => {
        const a = filled(n);
        const b = new NameMap<number>();
        for (let i = n - 1; i >= 0; i--) b.set(`Prop${i}`, i);
        for (let i = 0; i < n; i++) a.get(`PROP${i}`);
        expect(a).to.deep.equal(b);
        expect(a.copyOnRead((v) => v)).to.deep.equal(b.copyOnWrite());
        b.set('prop0', 0);
        expect(a).not.to.deep.equal(b);
        b.set('Prop0', 1);
        expect(a).not.to.deep.equal(b);
        b.set('Prop0', 0);
        expect(a).to.deep.equal(b);
        b.set('Extra', 0);
        expect(a).not.to.deep.equal(b);
      });
    });
  }

  it('grows past the threshold and shrinks back below it by deletes, clear() and re-filling', () => {
    const m = filled(10);
    for (let i = 10; i < 40; i++) {
      m.set(`Prop${i}`, i);
      expect(m.get(`PROP${i}`)).to.equal(i);
      expect(m.get('prop3')).to.equal(3);
    }
    for (let i = 39; i >= 5; i--) {
      expect(m.delete(`prop${i}`)).to.equal(true);
      expect(m.has(`Prop${i}`)).to.equal(false);
      expect(m.get(`Prop${i - 1}`)).to.equal(i - 1);
    }
    expect(m.names()).to.deep.equal(names(5));
    m.clear();
    expect(m.size).to.equal(0);
    for (let i = 0; i < 30; i++) m.set(`Prop${i}`, i);
    expect(m.get('prop29')).to.equal(29);
    expect(m.names()).to.deep.equal(names(30));
  });

  it('an empty map is deep-equal to another and to one emptied, and a frozen empty one refuses set()', () => {
    const emptied = new NameMap<number>().set('A', 1);
    emptied.delete('a');
    expect(new NameMap<number>()).to.deep.equal(emptied);
    expect(new NameMap<number>()).not.to.deep.equal(new NameMap<number>().set('A', 1));
    const frozen = Object.freeze(new NameMap<number>());
    expect(() => frozen.set('A', 1)).to.throw(TypeError);
    expect(frozen.delete('A')).to.equal(false);
    expect(frozen.size).to.equal(0);
    expect(() => frozen.clear()).to.throw(TypeError);
    const frozenFull = Object.freeze(new NameMap<number>().set('A', 1));
    expect(() => frozenFull.clear()).to.throw(TypeError);
    expect(frozenFull.get('a')).to.equal(1);
  });

  it('a frozen copy-on-write copy refuses the change that would take its own entries', () => {
    const c = Object.freeze(filled(3).copyOnWrite());
    expect(() => c.set('Prop9', 9)).to.throw(TypeError);
    expect(() => c.delete('Prop0')).to.throw(TypeError);
    expect(c.get('prop0')).to.equal(0);
  });

  it('inspection shows the names and values', async () => {
    const { inspect } = await import('node:util');
    expect(inspect(new NameMap<number>().set('Alpha', 1))).to.equal("NameMap Map(1) { 'Alpha' => 1 }");
  });
});
