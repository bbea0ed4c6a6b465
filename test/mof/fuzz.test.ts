// Broken MOF, thousands of times: random mutations and truncations of real MOF files only ever
// produce MofErrors with positions, never another exception, and every run terminates.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileMof, parseMof, MofError } from '../../src/mof/index.js';
import { dmtfFixture, projectMof, pywbemMofDir } from './paths.js';
import { pick, seededRandom, type Random } from '../support/random.js';

const PIECES = [
  '{', '}', '(', ')', '[', ']', ';', ',', ':', '=', '"', "'", '\\', '$', '#pragma', '/*', '*/', '//', '\n',
  'class', 'instance of', 'Qualifier', 'REF', 'as $a', 'Scope(any)', 'Flavor(Restricted)', 'NULL', 'TRUE',
  '0x', '0x1F', '101b', '019', '1.', '1e', '-', '+', '.5', '\\x', "'\\x41'", '"\\q"', '[Key]', 'uint8', 'string',
  '\u0000', '\ufeff', '😀', '\ud800', 'é', '#pragma include ("fuzz.mof")', '#pragma namespace ("")', '#pragma namespace ("a//b")',
];

function mutate(src: string, r: Random): string {
  let s = src;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0: s = s.slice(0, at); break; // truncation
      case 1: s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 40)); break; // deletion
      case 2: s = s.slice(0, at) + pick(r, PIECES) + s.slice(at); break;
      case 3: s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x10000)) + s.slice(at + 1); break;
      case 4: { const len = Math.floor(r() * 200); s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); break; } // duplication
      case 5: { const b = Math.floor(r() * s.length); s = s.slice(0, Math.min(at, b)) + s.slice(Math.max(at, b)); break; }
      default: s = s.slice(0, at) + s.charAt(at).toUpperCase() + s.slice(at + 1);
    }
  }
  return s;
}

describe('mof fuzzing', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-mof-fuzz-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Seeds: real MOF of every flavour, cut to a few KB so thousands of cases stay fast.
  const dmtf = readFileSync(dmtfFixture, 'utf8');
  const seeds: string[] = [
    ...readdirSync(pywbemMofDir).map((f) => readFileSync(join(pywbemMofDir, f), 'utf8')),
    ...['TVDc_SecurityService.mof', 'TVDc_AttestationService.mof', 'TVDc_ComputerSystem.mof'].map((f) => readFileSync(join(projectMof, 'tvdc', f), 'utf8')),
  ];
  const quals = dmtf.slice(0, dmtf.indexOf('   [Abstract'));
  for (let at = dmtf.indexOf('\n   ['); seeds.length < 40 && at >= 0; at = dmtf.indexOf('\n   [', at + 5000)) {
    seeds.push(quals + dmtf.slice(at, at + 3000));
  }
  seeds.push(`${quals}\ninstance of CIM_RegisteredProfile as $p { InstanceID = "x"; RegisteredName = "n"; RegisteredOrganization = 2; RegisteredVersion = "1"; };\n`);

  function check(text: string, label: string): number {
    const name = join(dir, 'fuzz.mof');
    let result;
    try {
      result = compileMof({ sources: [{ name, text }] });
    } catch (e) {
      throw new Error(`${label}: compileMof threw ${String(e)}`);
    }
    for (const e of result.errors) {
      expect(e, label).to.be.instanceOf(MofError);
      expect(e.line, label).to.be.at.least(1);
      expect(e.col, label).to.be.at.least(1);
      expect(e.message.startsWith(`${e.file}:${e.line}:${e.col}: `), label).to.equal(true);
      expect(e.reason, `${label}: ${e.message}`).not.to.match(/internal error/);
    }
    return result.errors.length;
  }

  it('compiles 3000 mutated real MOF inputs to a repository or MofErrors', () => {
    const r = seededRandom(20261129);
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[i % seeds.length]!;
      const text = mutate(seed, r);
      if (check(text, `case ${i}`) > 0) failures++;
    }
    // Most mutations break something; a run where none did would mean the mutator is broken.
    expect(failures).to.be.greaterThan(1500);
  });

  it('handles every prefix of a real file (truncation at each production boundary)', () => {
    const seed = seeds.at(-1)!;
    for (let n = 0; n <= seed.length; n += 97) check(seed.slice(0, n), `prefix ${n}`);
  });

  it('terminates on pathological inputs', () => {
    const cases = [
      '['.repeat(100_000), '{'.repeat(100_000), '('.repeat(50_000) + ')'.repeat(50_000), 'class '.repeat(20_000),
      '"'.repeat(10_001), "'".repeat(10_001), '/*'.repeat(10_000), '$'.repeat(10_000), '#pragma '.repeat(10_000),
      'class A { '.repeat(5_000), 'instance of X { a = '.repeat(5_000), `class EX_A { string S = ${'"x" '.repeat(50_000)}; };`,
      '\u0000'.repeat(10_000), '\ud800'.repeat(1000), '0x'.repeat(10_000), '9'.repeat(100_000),
    ];
    for (const [i, text] of cases.entries()) {
      check(text, `pathological ${i}`);
      const p = parseMof(text, 'p.mof');
      expect(p.errors.every((e) => e instanceof MofError)).to.equal(true);
    }
  });
});
