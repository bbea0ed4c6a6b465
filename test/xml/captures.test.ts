// Real traffic: every shared capture (wbemcli and pywbem requests, responses wbemcli accepted) and
// every pywbem functiontest body decodes, re-encodes to DTD-valid CIM-XML, and re-decodes to an
// equivalent model.
import { expect } from 'chai';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimXmlError, decodeMessage, encodeMessage, type CimXmlMessage } from '../../src/xml/index.js';
import { loadCaptures, loadPywbemBodies } from './support/captures.js';
import { canonical } from './support/canonical.js';
import { dtdInvalid, DtdBatch } from './support/xmllint.js';

const batch = new DtdBatch();

function roundTrip(name: string, m: CimXmlMessage): void {
  const xml = batch.add(name, encodeMessage(m));
  const again = decodeMessage(xml);
  expect(canonical(again), `${name} re-decoded`).to.deep.equal(canonical(m));
  expect(encodeMessage(again), `${name} re-encoded`).to.equal(xml);
}

describe('xml: shared captures', () => {
  const captures = loadCaptures();

  it('finds the captures', () => {
    expect(captures.length).to.be.greaterThanOrEqual(45);
  });

  for (const c of captures) {
    it(`decodes and round-trips ${c.name}`, () => {
      const m = decodeMessage(c.body);
      expect(m.kind).to.equal(c.name.includes('responses') ? 'SIMPLERSP' : 'SIMPLEREQ');
      roundTrip(c.name, m);
    });
  }

  it('reads wbemcli CreateInstance as typed properties and qualifiers', () => {
    const m = decodeMessage(captures.find((c) => c.name.endsWith('ci-02-CreateInstance.http'))!.body);
    if (m.kind !== 'SIMPLEREQ' || m.call.kind !== 'IMETHODCALL') throw new Error('expected IMETHODCALL');
    expect(m.call.name).to.equal('CreateInstance');
    expect(m.call.namespace).to.equal('root/cimv2');
    const v = m.call.params[0]!.value;
    if (v?.kind !== 'INSTANCE') throw new Error('expected INSTANCE');
    expect(v.instance.className).to.equal('TVD_Widget');
    expect(v.instance.get('Id')).to.equal(7);
    expect(v.instance.get('Enabled')).to.equal(true);
    expect(v.instance.get('Tags')).to.deep.equal(['x', 'y']);
    expect(v.instance.qualifiers.get('description')?.value).to.equal('A widget');
  });

  it('reads KEYVALUE without TYPE (wbemcli) and with TYPE (pywbem) to the same key values', () => {
    const w = decodeMessage(captures.find((c) => c.name.endsWith('cm-02-InvokeMethod-instance.http'))!.body);
    const p = decodeMessage(captures.find((c) => c.name === 'pywbem/InvokeMethod.http')!.body);
    if (w.kind !== 'SIMPLEREQ' || w.call.kind !== 'METHODCALL' || p.kind !== 'SIMPLEREQ' || p.call.kind !== 'METHODCALL') throw new Error('expected METHODCALL');
    expect(w.call.target.keys!.get('Id')).to.deep.equal({ name: 'Id', type: 'uint64', value: 7n });
    expect(p.call.target.keys!.get('Id')).to.deep.equal({ name: 'Id', type: 'uint32', value: 7 });
    expect(w.call.target.namespace).to.equal('root/cimv2');
    // wbemcli sends the parameter untyped, pywbem with PARAMTYPE: both keep the text.
    expect(w.call.params[0]).to.deep.equal({ name: 'Force', value: { kind: 'VALUE', text: 'true' } });
    expect(p.call.params[0]).to.deep.equal({ name: 'Force', type: 'boolean', value: { kind: 'VALUE', text: 'TRUE' } });
  });

  it('reads an ERROR response as a CimError', () => {
    const m = decodeMessage(captures.find((c) => c.name.endsWith('error-GetInstance-NOT_FOUND.xml'))!.body);
    if (m.kind !== 'SIMPLERSP') throw new Error('expected SIMPLERSP');
    expect(m.response.error?.status).to.equal(6);
    expect(m.response.error?.description).to.equal('Instance not found: TVD_Widget.Id=7');
  });

  it('reads association responses with reference keys and OBJECTPATH', () => {
    const m = decodeMessage(captures.find((c) => c.name.endsWith('responses-accepted/References.xml'))!.body);
    if (m.kind !== 'SIMPLERSP' || m.response.kind !== 'IMETHODRESPONSE') throw new Error('expected IMETHODRESPONSE');
    const item = m.response.returnValue![0]!;
    if (item.kind !== 'VALUE.OBJECTWITHPATH') throw new Error('expected VALUE.OBJECTWITHPATH');
    const path = item.object.path!;
    expect(path.host).to.equal('127.0.0.1');
    expect(path.namespace).to.equal('root/cimv2');
    const widget = path.keys!.get('Widget')!;
    expect(widget.type).to.equal('reference');
    expect((widget.value as CimObjectPath).className).to.equal('TVD_Widget');
  });
});

describe('xml: pywbem functiontest bodies', () => {
  const bodies = loadPywbemBodies();
  let decoded = 0;
  const refused: { name: string; xml: string }[] = [];

  it('finds the bodies', () => {
    expect(bodies.length).to.be.greaterThanOrEqual(100);
  });

  for (const b of bodies) {
    const name = `${b.file} ${b.case} ${b.which}`;
    it(`${name}`, () => {
      let m: CimXmlMessage;
      try {
        m = decodeMessage(b.body);
      } catch (e) {
        // Only bodies pywbem itself rejects as malformed may be refused, and the DTD must agree.
        expect(e).to.be.instanceOf(CimXmlError);
        expect(b.which, (e as Error).message).to.equal('response');
        expect(b.expectedException, (e as Error).message).to.equal('CIMXMLParseError');
        refused.push({ name, xml: b.body });
        return;
      }
      decoded++;
      roundTrip(name, m);
    });
  }

  it('decoded nearly all of them and every refused one is DTD-invalid too', () => {
    expect(decoded).to.be.greaterThanOrEqual(bodies.length - 8);
    expect(dtdInvalid(refused).map((f) => f.name).sort()).to.deep.equal(refused.map((r) => r.name).sort());
  });

  it('decodes ExportIndication with every CIM type', () => {
    const b = bodies.find((x) => x.case === 'ExportIndication2' && x.which === 'request')!;
    const m = decodeMessage(b.body);
    if (m.kind !== 'SIMPLEEXPREQ') throw new Error('expected SIMPLEEXPREQ');
    expect(m.call.name).to.equal('ExportIndication');
    const p = m.call.params[0]!;
    expect(p.name).to.equal('NewIndication');
    if (p.value?.kind !== 'INSTANCE') throw new Error('expected INSTANCE');
    const inst: CimInstance = p.value.instance;
    const types = new Set(inst.properties.values().map((x) => x.type));
    for (const t of ['string', 'boolean', 'uint8', 'sint64', 'real64', 'datetime']) expect(types, t).to.include(t);
    const dt = inst.properties.values().find((x) => x.type === 'datetime' && !x.isArray)!;
    expect(dt.value).to.be.instanceOf(CimDateTime);
  });
});

describe('xml: capture round trips are DTD-valid', () => {
  it('xmllint --dtdvalid accepts every re-encoded capture and functiontest body', () => {
    expect(batch.docs.length).to.be.greaterThan(100);
    expect(dtdInvalid(batch.docs)).to.deep.equal([]);
  });
});
