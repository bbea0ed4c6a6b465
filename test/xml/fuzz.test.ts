// Thousands of broken documents: mutated and truncated real captures, spliced element names and
// attribute values, random bytes. The decoder must answer each with a model or a CimXmlError,
// nothing else and never a hang; whatever it accepts, the encoder must write or refuse with a
// CimXmlError, and what it writes must decode again.
import { expect } from 'chai';
import { CimClass } from '../../src/cim/CimClass.js';
import { CimMethod } from '../../src/cim/CimMethod.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimXmlError, decodeMessage, encodeMessage, type CimXmlMessage } from '../../src/xml/index.js';
import { loadCaptures, loadPywbemBodies } from './support/captures.js';
import { instance, instancePath } from './support/build.js';
import { ELEMENTS, mutate, NOISE, prng } from './support/mutate.js';

function seeds(): string[] {
  const out = [...loadCaptures().map((c) => c.body), ...loadPywbemBodies().map((b) => b.body)];
  // Encoder outputs with embedded objects, classes and every path form.
  const vm = instance('TVDc_VM', [['Name', 'string', 'vm1'], ['Mem', 'uint64', 18446744073709551615n], ['When', 'datetime', CimDateTime.parse('20261129071600.000000+000')], ['R', 'real32', 1.5]],
    instancePath('TVDc_VM', [{ name: 'Name', type: 'string', value: 'vm1' }], 'root/tvdc', 'h1'));
  const ind = instance('TVDc_Indication', [['Source', 'string', instance('TVDc_VM', [['Name', 'string', 'a<b']])], ['Ref', 'reference', vm.path!]]);
  const cls = new CimClass('TVDc_Svc', 'CIM_Service');
  const m = new CimMethod('M', 'uint32');
  m.parameters.set('P', new CimParameter('P', 'string', true));
  cls.methods.set('M', m);
  const msgs: CimXmlMessage[] = [
    { kind: 'SIMPLEEXPREQ', id: '1', call: { kind: 'EXPMETHODCALL', name: 'ExportIndication', params: [{ name: 'NewIndication', value: { kind: 'INSTANCE', instance: ind } }] } },
    { kind: 'SIMPLERSP', id: '2', response: { kind: 'IMETHODRESPONSE', name: 'EnumerateInstances', returnValue: [{ kind: 'VALUE.INSTANCEWITHPATH', instance: vm }], params: [] } },
    { kind: 'SIMPLERSP', id: '3', response: { kind: 'IMETHODRESPONSE', name: 'GetClass', returnValue: [{ kind: 'CLASS', cls }], params: [] } },
  ];
  for (const msg of msgs) out.push(encodeMessage(msg));
  return out;
}

interface Tally { decoded: number; refused: number; encoded: number; unencodable: number }

function check(input: string | Uint8Array, tally: Tally, label: string): void {
  let m: CimXmlMessage;
  try {
    m = decodeMessage(input);
  } catch (e) {
    if (!(e instanceof CimXmlError)) throw new Error(`${label}: decoder threw ${String(e)}${e instanceof Error ? `\n${e.stack}` : ''}`);
    expect(e.message.length, label).to.be.greaterThan(0);
    tally.refused++;
    return;
  }
  tally.decoded++;
  let text: string;
  try {
    text = encodeMessage(m);
  } catch (e) {
    if (!(e instanceof CimXmlError)) throw new Error(`${label}: encoder threw ${String(e)}${e instanceof Error ? `\n${e.stack}` : ''}`);
    tally.unencodable++;
    return;
  }
  tally.encoded++;
  // What tvdc writes it must read back.
  try {
    decodeMessage(text);
  } catch (e) {
    throw new Error(`${label}: could not re-decode its own output: ${String(e)}\n${text.slice(0, 2000)}`);
  }
}

describe('xml: fuzz', () => {
  const base = seeds();

  it('mutated and truncated captures: only CimXmlError, and accepted input re-encodes', () => {
    const r = prng(20261129);
    const tally: Tally = { decoded: 0, refused: 0, encoded: 0, unencodable: 0 };
    const cases = 4000;
    for (let n = 0; n < cases; n++) {
      const seed = base[n % base.length]!;
      check(mutate(seed, r), tally, `case ${n}`);
    }
    expect(tally.decoded + tally.refused).to.equal(cases);
    // The mutations are meant to break things, but some must survive to exercise the encoder.
    expect(tally.refused).to.be.greaterThan(cases / 2);
    expect(tally.encoded).to.be.greaterThan(50);
  });

  it('every prefix of a capture is refused (truncated bodies), as bytes and as text', () => {
    const tally: Tally = { decoded: 0, refused: 0, encoded: 0, unencodable: 0 };
    const doc = base.find((s) => s.includes('VALUE.NAMEDINSTANCE') && s.length < 4000)!;
    const bytes = Buffer.from(doc);
    const end = doc.trimEnd().length;
    for (let i = 0; i < end; i += 3) {
      check(doc.slice(0, i), tally, `prefix ${i}`);
      check(bytes.subarray(0, i), tally, `byte prefix ${i}`);
    }
    expect(tally.decoded).to.equal(0);
  });

  it('random bytes and random markup soup: only CimXmlError', () => {
    const r = prng(7);
    const tally: Tally = { decoded: 0, refused: 0, encoded: 0, unencodable: 0 };
    for (let n = 0; n < 1000; n++) {
      const len = Math.floor(r() * 300);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
      check(b, tally, `random bytes ${n}`);
      let soup = '';
      while (soup.length < len) soup += r() < 0.5 ? `<${ELEMENTS[Math.floor(r() * ELEMENTS.length)]}>` : NOISE[Math.floor(r() * NOISE.length)];
      check(soup, tally, `soup ${n}`);
    }
    expect(tally.refused).to.be.greaterThan(1900);
  });
});
