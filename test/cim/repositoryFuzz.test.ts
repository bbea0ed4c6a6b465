// Random schema and instance operations against the repository: every failure is a CimError,
// a refused operation leaves no trace, and the class tree and instance store stay consistent
// with a simple model kept alongside. Seeded, so a failure reproduces.
import { expect } from 'chai';
import { CimError } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { NameMap } from '../../src/cim/NameMap.js';
import type { CimType } from '../../src/cim/CimType.js';
import { NS, repoWithQualifiers, q, prop, cls } from './support.js';
import { pick, seededRandom } from '../support/random.js';

const TYPES: CimType[] = ['string', 'uint8', 'sint64', 'boolean', 'real32', 'datetime'];
const VALUES: unknown[] = ['x', '12', 7, -3, 300, 2n ** 70n, true, 'TRUE', 1.5, '20231015123456.123456+000', null, ['a'], 'nope'];

describe('cim/repository fuzz', () => {
  it('survives 3000 random operations with only CimErrors and a consistent store', () => {
    const r = seededRandom(1234);
    const repo = repoWithQualifiers();
    const parents = new Map<string, string | null>();
    const propTypes = new Map<string, Map<string, CimType>>();
    let refused = 0;
    let done = 0;
    for (let step = 0; step < 3000; step++) {
      const known = [...parents.keys()];
      const op = r();
      try {
        if (op < 0.35 || known.length === 0) {
          const name = `T_C${Math.floor(r() * 40)}`;
          const sup = known.length && r() < 0.7 ? pick(r, known) : null;
          const props = [];
          const n = Math.floor(r() * 4);
          for (let i = 0; i < n; i++) {
            const pname = `P${Math.floor(r() * 6)}`;
            const quals = [];
            if (r() < 0.2) quals.push(q('Key', r() < 0.8));
            if (r() < 0.1) quals.push(q('Override', pname));
            if (r() < 0.05) quals.push(q('Abstract', true));
            if (r() < 0.05) quals.push(q('MaxLen', pick(r, VALUES) as never, 'uint32'));
            props.push(prop(pname, pick(r, TYPES), { quals, value: r() < 0.2 ? pick(r, VALUES) as never : null }));
          }
          repo.addClass(NS, cls(name, sup, props, r() < 0.1 ? [q('Abstract', true)] : []));
          parents.set(name.toLowerCase(), sup ? sup.toLowerCase() : null);
          propTypes.set(name.toLowerCase(), new Map(repo.getClass(NS, name).properties.values().map((p) => [p.name, p.type])));
        } else if (op < 0.75) {
          const c = pick(r, known);
          const types = propTypes.get(c)!;
          const props = new NameMap<CimProperty>();
          for (const [pname, t] of types) if (r() < 0.8) props.set(pname, new CimProperty(pname, t, pick(r, VALUES) as never));
          if (r() < 0.05) props.set('Zz', new CimProperty('Zz', 'string', 'x'));
          repo.addInstance(NS, new CimInstance(c, props));
        } else if (op < 0.85) {
          const c = pick(r, known);
          const all = repo.instanceNames(NS, c, { deep: false });
          if (all.length) repo.deleteInstance(NS, pick(r, all));
        } else if (op < 0.92) {
          const c = pick(r, known);
          repo.deleteClass(NS, c);
          parents.delete(c);
          propTypes.delete(c);
        } else {
          repo.getInstance(NS, CimObjectPath.parse(`${pick(r, known)}.P${Math.floor(r() * 6)}="x"`));
        }
        done++;
      } catch (e) {
        if (!(e instanceof CimError)) throw e;
        refused++;
      }
    }
    expect(done).to.be.greaterThan(300);
    expect(refused).to.be.greaterThan(300);
    // The repository's view matches the model kept alongside.
    const names = repo.classNames(NS, { deep: true }).map((n) => n.toLowerCase()).sort();
    expect(names).to.deep.equal([...parents.keys()].sort());
    let total = 0;
    for (const [c, sup] of parents) {
      const chain = repo.superclassChain(NS, c).map((s) => s.toLowerCase());
      expect(chain[0] ?? null).to.equal(sup);
      const resolved = repo.getClass(NS, c);
      for (const s of chain) for (const p of repo.getClass(NS, s).properties.names()) expect(resolved.properties.has(p)).to.equal(true);
      for (const inst of repo.instances(NS, c, { deep: false })) {
        total++;
        expect(repo.getInstance(NS, inst.path!).path!.equals(inst.path!)).to.equal(true);
      }
    }
    expect(total).to.be.greaterThan(10);
    const roots = [...parents].filter(([, s]) => s === null).map(([c]) => c);
    expect(roots.reduce((n, c) => n + repo.instances(NS, c).length, 0)).to.equal(total);
  });
});
