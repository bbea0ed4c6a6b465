// Generated inputs for every text parser of the CIM model: each one either answers or throws a
// CimError (never another exception, never a hang), and whatever parses renders back to text that
// parses to the same thing. Seeded, so a failure reproduces.
import { expect } from 'chai';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimError } from '../../src/cim/CimError.js';
import { parseCimScalar, formatCimScalar } from '../../src/cim/valueText.js';
import { coerceValue } from '../../src/cim/coerceValue.js';
import { CIM_TYPES } from '../../src/cim/CimType.js';
import type { CimScalar } from '../../src/cim/CimValue.js';
import { pick, seededRandom, type Random } from '../support/random.js';

const ALPHABET = '"\\.,=:/@()*+-_ \'0123456789abcdefxXbBeEINFNaTRUEFALSE\u00e9\ud83d\u0000\n';
const SEEDS = [
  'root/cimv2:CIM_Foo.Name="vm1",Id=3', '//host:5988/root/tvdc:TVDc_CS.Name="a\\"b"', 'CIM_Foo=@',
  '/(instance)root/x:CIM_A.k=(uint8)7,d=(datetime)"20231015123456.123456+000"',
  'CIM_Assoc.A="root/cimv2:CIM_B.K=\\"x\\"",B=TRUE,C=\'c\',R=-1.5e3',
  'http://u:p@h:5988/root/tvdc:TVDc_ComputerSystem.Name="vm1"', '20231015123456.123456-300', '00000001120032.000001:000',
  '20231015******.******+000', '18446744073709551615', '-9223372036854775808', '0x1F', '101b', '017', '1.5e-7', '-INF', 'NaN', 'TRUE',
];

function mutate(r: Random, s: string): string {
  const chars = [...s];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const c = pick(r, ALPHABET);
    const op = r();
    if (op < 0.4) chars.splice(at, 0, c);
    else if (op < 0.7) chars.splice(at, 1);
    else chars[at] = c;
  }
  return chars.join('');
}

function randomText(r: Random): string {
  if (r() < 0.6) return mutate(r, pick(r, SEEDS));
  let s = '';
  const len = Math.floor(r() * 40);
  for (let i = 0; i < len; i++) s += pick(r, ALPHABET);
  return s;
}

/** Runs fn; any exception must be a CimError. Returns the result or undefined. */
function onlyCimErrors<T>(input: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof CimError)) throw new Error(`${JSON.stringify(input)} threw ${String(e)}`);
    expect(e.description.length).to.be.greaterThan(0);
    return undefined;
  }
}

function sameScalar(a: CimScalar, b: CimScalar): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a instanceof CimDateTime && b instanceof CimDateTime) return a.equals(b);
  if (a instanceof CimObjectPath && b instanceof CimObjectPath) return a.equals(b);
  return a === b;
}

describe('cim/fuzz', () => {
  it('object paths: 6000 generated texts throw only CimError and round-trip when accepted', () => {
    const r = seededRandom(20261129);
    let accepted = 0;
    for (let i = 0; i < 6000; i++) {
      const text = randomText(r);
      const p = onlyCimErrors(text, () => CimObjectPath.parse(text));
      onlyCimErrors(text, () => CimObjectPath.parseWbemcliUrl(text));
      if (!p) continue;
      accepted++;
      for (const rendered of [p.toString(), p.toWbemUri(), p.toWbemUri({ typed: true })]) {
        const again = CimObjectPath.parse(rendered);
        expect(again.canonicalKey(), `${text} -> ${rendered}`).to.equal(p.canonicalKey());
      }
    }
    // The generator must actually reach the accepting paths, or the round trip proves nothing.
    expect(accepted).to.be.greaterThan(300);
  });

  it('datetimes: 5000 generated texts throw only CimError and keep their exact text', () => {
    const r = seededRandom(7);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const base = r() < 0.5 ? SEEDS[6 + Math.floor(r() * 3)] as string : randomText(r);
      const text = r() < 0.8 ? mutate(r, base).slice(0, 25).padEnd(25, '0') : base;
      const dt = onlyCimErrors(text, () => CimDateTime.parse(text));
      if (!dt) continue;
      accepted++;
      expect(dt.text).to.equal(text);
      expect(CimDateTime.parse(dt.toString()).fields).to.deep.equal(dt.fields);
      onlyCimErrors(text, () => dt.toDate());
    }
    expect(accepted).to.be.greaterThan(100);
  });

  it('scalars of every type: 800 texts each throw only CimError and round-trip when accepted', () => {
    const r = seededRandom(42);
    let accepted = 0;
    for (let i = 0; i < 800; i++) {
      const text = randomText(r);
      for (const type of CIM_TYPES) {
        for (const mof of [false, true]) {
          const v = onlyCimErrors(text, () => parseCimScalar(type, text, { mof }));
          if (v === undefined) continue;
          accepted++;
          const back = parseCimScalar(type, formatCimScalar(type, v));
          if (typeof v === 'number' && Number.isNaN(v)) expect(Number.isNaN(back)).to.equal(true);
          else expect(sameScalar(back, v), `${type} ${JSON.stringify(text)}`).to.equal(true);
        }
      }
    }
    expect(accepted).to.be.greaterThan(800);
  });

  it('coercion of arbitrary JS values throws only CimError', () => {
    const r = seededRandom(99);
    const pool: unknown[] = [0, -1, 1.5, 2 ** 64, -(2 ** 63), NaN, Infinity, 18446744073709551615n, -1n, true, 'x', '', '12', [1, 'a'], [], {}, null,
      undefined, new Date(0), new Date(NaN), CimObjectPath.parse('X_Y.k=1'), CimDateTime.parse('20231015123456.123456+000'), Symbol('s'), () => 1];
    for (let i = 0; i < 3000; i++) {
      const v = r() < 0.5 ? pick(r, pool) : randomText(r);
      const type = pick(r, CIM_TYPES);
      const isArray = r() < 0.3;
      const value = isArray && r() < 0.7 ? [v, v] : v;
      onlyCimErrors(String(typeof v === 'symbol' ? 'symbol' : typeof v === 'function' ? 'fn' : v), () => coerceValue(type, isArray, value));
    }
  });
});
