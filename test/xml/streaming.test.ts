// Streaming both ways: the push decoder hands IRETURNVALUE items to a callback as they complete,
// whatever the chunking (down to single bytes inside UTF-8 sequences), and the response stream
// encoder produces the same bytes as the one-shot encoder.
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { CimInstance } from '../../src/cim/CimInstance.js';
import {
  CimXmlError, createMessageDecoder, decodeMessage, encodeMessage, ResponseStreamEncoder, typedParam,
  type CimXmlMessage, type ReturnItem,
} from '../../src/xml/index.js';
import { canonical } from './support/canonical.js';
import { instance, instancePath } from './support/build.js';
import { dtdInvalid, DtdBatch } from './support/xmllint.js';

const batch = new DtdBatch();

function items(n: number): ReturnItem[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'VALUE.NAMEDINSTANCE' as const,
    instance: instance('TVDc_ComputerSystem', [['Name', 'string', `vm-${i} ünïcødé \u{1F512}`], ['Labels', 'string', ['red', `c${i}`]], ['Id', 'uint32', i]],
      instancePath('TVDc_ComputerSystem', [{ name: 'Name', type: 'string', value: `vm-${i} ünïcødé \u{1F512}` }])),
  }));
}

function response(its: ReturnItem[]): CimXmlMessage {
  return { kind: 'SIMPLERSP', id: '77', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0', response: { kind: 'IMETHODRESPONSE', name: 'EnumerateInstances', returnValue: its, params: [] } };
}

describe('xml: streaming decode', () => {
  const all = items(200);
  const xml = batch.add('stream source', encodeMessage(response(all)));
  const bytes = Buffer.from(xml);

  for (const size of [1, 2, 3, 7, 64, 4096, bytes.length]) {
    it(`streams every item to the callback with ${size}-byte chunks`, () => {
      const got: ReturnItem[] = [];
      const d = createMessageDecoder({ onReturnItem: (it) => got.push(it) });
      for (let i = 0; i < bytes.length; i += size) d.write(bytes.subarray(i, i + size));
      const m = d.end();
      expect(got.length).to.equal(200);
      expect(canonical(got)).to.deep.equal(canonical(all));
      if (m.kind !== 'SIMPLERSP' || m.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
      expect(m.response.returnValue).to.deep.equal([]);
    });
  }

  it('delivers items before the document ends', () => {
    let seen = 0;
    const d = createMessageDecoder({ onReturnItem: () => { seen++; } });
    d.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(seen).to.be.greaterThan(50).and.lessThan(200);
    d.write(bytes.subarray(Math.floor(bytes.length / 2)));
    d.end();
    expect(seen).to.equal(200);
  });

  it('reads pull-response PARAMVALUEs after a streamed IRETURNVALUE', () => {
    const m = response(items(3));
    if (m.kind !== 'SIMPLERSP' || m.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
    m.response.name = 'OpenEnumerateInstances';
    m.response.params = [typedParam('EnumerationContext', 'string', 'ctx-7'), typedParam('EndOfSequence', 'boolean', true)];
    const text = batch.add('pull', encodeMessage(m));
    let n = 0;
    const d = createMessageDecoder({ onReturnItem: () => { n++; } });
    d.write(text);
    const back = d.end();
    if (back.kind !== 'SIMPLERSP' || back.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
    expect(n).to.equal(3);
    expect(back.response.params.map((p) => [p.name, p.value])).to.deep.equal([
      ['EnumerationContext', { kind: 'VALUE', text: 'ctx-7' }], ['EndOfSequence', { kind: 'VALUE', text: 'TRUE' }],
    ]);
  });

  it('streams a response much larger than the element limit, which only counts what is held', () => {
    const text = encodeMessage(response(items(300)));
    let n = 0;
    const d = createMessageDecoder({ onReturnItem: () => { n++; }, limits: { maxElements: 100 } });
    d.write(text);
    d.end();
    expect(n).to.equal(300);
    expect(() => decodeMessage(text, { maxElements: 100 })).to.throw(CimXmlError, /more than 100 elements/);
  });

  it('lets errors from the callback through unchanged', () => {
    const d = createMessageDecoder({ onReturnItem: () => { throw new RangeError('stop'); } });
    expect(() => d.write(xml)).to.throw(RangeError, 'stop');
  });

  it('refuses a body that ends inside a UTF-8 sequence or in the middle of the document', () => {
    const d = createMessageDecoder();
    d.write(bytes);
    d.write(new Uint8Array([0xe2, 0x82]));
    expect(() => d.end()).to.throw(CimXmlError, /ends inside a UTF-8 sequence/);
    const d2 = createMessageDecoder();
    d2.write(bytes.subarray(0, 1000));
    expect(() => d2.end()).to.throw(CimXmlError);
  });

  it('strips a UTF-8 byte order mark', () => {
    const m = decodeMessage(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]));
    expect(m.kind).to.equal('SIMPLERSP');
  });
});

describe('xml: streaming encode', () => {
  const all = items(50);
  const whole = encodeMessage(response(all));

  it('head + items + tail is byte-for-byte the one-shot encoding', () => {
    const enc = new ResponseStreamEncoder({ id: '77' }, 'EnumerateInstances');
    const text = enc.head() + all.map((it) => enc.item(it)).join('') + enc.tail();
    expect(text).to.equal(whole);
  });

  it('stream() gives the same text from an async source, in chunks, usable with Readable.from', async () => {
    async function* source() {
      for (const it of all) {
        await new Promise((r) => setImmediate(r));
        yield it;
      }
    }
    const chunks: string[] = [];
    for await (const c of Readable.from(new ResponseStreamEncoder({ id: '77' }, 'EnumerateInstances').stream(source()))) chunks.push(c as string);
    expect(chunks.join('')).to.equal(whole);
  });

  it('sends the head before the first item exists', async () => {
    const gen = new ResponseStreamEncoder({ id: '1' }, 'EnumerateInstances').stream((async function* () {
      await new Promise((r) => setImmediate(r));
      yield* [] as ReturnItem[];
    })());
    const first = await gen.next();
    expect(first.value).to.match(/<IRETURNVALUE>$/);
    const rest = await gen.next();
    expect(rest.value).to.equal('</IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>\n');
    expect(batch.add('empty stream', first.value + rest.value)).to.include('<IRETURNVALUE></IRETURNVALUE>');
  });

  it('writes pull parameters in the tail and refuses mixed item kinds', () => {
    const enc = new ResponseStreamEncoder({ id: '5' }, 'PullInstancesWithPath');
    let text = enc.head();
    const inst = instance('TVDc_X', [['A', 'string', 'a']], instancePath('TVDc_X', [{ name: 'A', type: 'string', value: 'a' }], 'root/tvdc', 'h'));
    text += enc.item({ kind: 'VALUE.INSTANCEWITHPATH', instance: inst });
    expect(() => enc.item({ kind: 'INSTANCE', instance: new CimInstance('X') })).to.throw(CimXmlError, /holds VALUE.INSTANCEWITHPATH/);
    text += enc.tail([typedParam('EnumerationContext', 'string', 'c'), typedParam('EndOfSequence', 'boolean', false)]);
    batch.add('pull stream', text);
    const m = decodeMessage(text);
    if (m.kind !== 'SIMPLERSP' || m.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
    expect(m.response.params.length).to.equal(2);
  });

  it('every streamed document is DTD-valid', () => {
    batch.add('whole', whole);
    expect(dtdInvalid(batch.docs)).to.deep.equal([]);
  });
});
