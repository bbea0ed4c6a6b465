import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAcmXml } from '../../../src/tvdc/policy/parseAcmXml.js';
import { parsePolicy } from '../../../src/tvdc/policy/loadPolicy.js';

const XML = readFileSync(join(process.cwd(), 'fixtures', 'policies', 'paper-ma-su-1.1.xml'), 'utf8');

/** Small deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('policy parser robustness', () => {
  it('answers every truncation of a policy with a positioned error, never an exception', () => {
    for (let cut = 0; cut < XML.length; cut += 13) {
      const r = parseAcmXml(XML.slice(0, cut));
      expect(r.ok, `cut at ${cut}`).to.equal(false);
      if (!r.ok) for (const e of r.errors) expect(e.at?.line ?? 1).to.be.at.least(1);
    }
  });

  it('survives random byte edits (structure-breaking and not)', () => {
    const next = rng(42);
    const alphabet = '<>/="\' \n&;:!?xTypeName_-.0123456789';
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const chars = [...XML];
      const edits = 1 + Math.floor(next() * 4);
      for (let k = 0; k < edits; k++) chars[Math.floor(next() * chars.length)] = alphabet[Math.floor(next() * alphabet.length)]!;
      const r = parsePolicy(chars.join(''));
      if (!r.ok) {
        refused++;
        expect(r.errors.length).to.be.greaterThan(0);
        for (const e of r.errors) expect(e.message).to.be.a('string').and.not.equal('');
      }
    }
    expect(refused).to.be.greaterThan(50);
  });

  it('refuses non-policies and hostile inputs quickly and specifically', () => {
    const hostile = [
      '',
      '   ',
      '<',
      '<?xml version="1.0"?>',
      '<SecurityPolicyDefinition xmlns="http://www.ibm.com">',
      '<a>' + '<b>'.repeat(5000) + '</b>'.repeat(5000) + '</a>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
      '{"header": null}',
      '[]',
      'null',
    ];
    for (const h of hostile) {
      const r = parsePolicy(h);
      expect(r.ok, JSON.stringify(h.slice(0, 40))).to.equal(false);
    }
  });
});
