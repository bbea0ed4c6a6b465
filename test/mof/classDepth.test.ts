// An inheritance chain deeper than 256 classes is one MOF error at the first class too deep, found
// at once, whether the chain is all in the file or continues one the repository already holds;
// 256 deep still compiles.
import { expect } from 'chai';
import { compileMof, DEFAULT_MOF_NAMESPACE } from '../../src/mof/index.js';

const chain = (from: number, to: number, first = 'class C0 { uint32 a; };'): string => {
  const lines = from === 0 ? [first] : [];
  for (let i = Math.max(from, 1); i < to; i++) lines.push(`class C${i} : C${i - 1} { };`);
  return lines.join('\n') + '\n';
};

describe('mof: inheritance depth', () => {
  it('256 classes deep compiles; the 257th is an error at its superclass, the rest of the chain skipped without errors of its own', () => {
    const ok = compileMof({ sources: [{ name: 'ok.mof', text: chain(0, 256) }] });
    expect(ok.errors).to.deep.equal([]);
    expect(ok.repository.getClass(DEFAULT_MOF_NAMESPACE, 'C255').properties.has('a')).to.equal(true);
    const started = Date.now();
    const deep = compileMof({ sources: [{ name: 'deep.mof', text: chain(0, 20_000) }] });
    expect(deep.errors.map((e) => e.message)).to.deep.equal(['deep.mof:257:14: class C256 would be 257 classes deep; at most 256 are allowed']);
    expect(Date.now() - started, 'found at once, not after resolving the whole chain').to.be.below(10_000);
  });

  it('counts the classes the repository already holds', () => {
    const base = compileMof({ sources: [{ name: 'base.mof', text: chain(0, 200) }] });
    expect(base.errors).to.deep.equal([]);
    const more = compileMof({ repository: base.repository, sources: [{ name: 'more.mof', text: chain(200, 300) }] });
    expect(more.errors.map((e) => e.message)).to.deep.equal(['more.mof:57:14: class C256 would be 257 classes deep; at most 256 are allowed']);
  });
});
