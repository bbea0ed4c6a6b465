// The decoder reuses each depth's child arrays from one element to the next (CimXmlParser.open):
// an element with fewer children than the sibling before it must see only its own.
import { expect } from 'chai';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimXmlError, createMessageDecoder, decodeMessage, type ReturnItem } from '../../src/xml/index.js';

function response(items: string): string {
  return '<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0">'
    + `<SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstances"><IRETURNVALUE>${items}</IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`;
}

function instances(items: string): CimInstance[] {
  const m = decodeMessage(response(items));
  if (m.kind !== 'SIMPLERSP' || m.response.kind !== 'IMETHODRESPONSE') throw new Error('not an IMETHODRESPONSE');
  return (m.response.returnValue as ReturnItem[]).map((it) => (it as { instance: CimInstance }).instance);
}

const Q = '<QUALIFIER NAME="Key" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER>';

describe('xml decoder: reused child arrays', () => {
  it('an element with fewer children than its previous sibling sees only its own', () => {
    const [a, b, c] = instances(
      '<INSTANCE CLASSNAME="A">'
        + `<PROPERTY NAME="P" TYPE="string">${Q}${Q.replace('Key', 'Required')}<VALUE>x</VALUE></PROPERTY>`
        + '<PROPERTY.ARRAY NAME="L" TYPE="string"><VALUE.ARRAY><VALUE>1</VALUE><VALUE>2</VALUE><VALUE.NULL/></VALUE.ARRAY></PROPERTY.ARRAY>'
        + '<PROPERTY NAME="Q" TYPE="uint8"><VALUE>7</VALUE></PROPERTY>'
        + '</INSTANCE>'
        + '<INSTANCE CLASSNAME="B"><PROPERTY NAME="P" TYPE="string"></PROPERTY>'
        + '<PROPERTY.ARRAY NAME="L" TYPE="uint8"><VALUE.ARRAY><VALUE>9</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>'
        + '<INSTANCE CLASSNAME="C"></INSTANCE>',
    );
    expect(a!.properties.names()).to.deep.equal(['P', 'L', 'Q']);
    expect(a!.properties.get('P')!.qualifiers.names()).to.deep.equal(['Key', 'Required']);
    expect(a!.get('L')).to.deep.equal(['1', '2', null]);
    expect(b!.properties.names()).to.deep.equal(['P', 'L']);
    expect(b!.get('P')).to.equal(null);
    expect(b!.properties.get('P')!.hasQualifiers).to.equal(false);
    expect(b!.get('L')).to.deep.equal([9]);
    expect(c!.properties.size).to.equal(0);
  });

  it('an empty element after a non-empty sibling is still empty', () => {
    const [, b] = instances(
      '<INSTANCE CLASSNAME="A"><PROPERTY.ARRAY NAME="L" TYPE="string"><VALUE.ARRAY><VALUE>1</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>'
        + '<PROPERTY.ARRAY NAME="M" TYPE="string"><VALUE.ARRAY></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>'
        + '<INSTANCE CLASSNAME="A"><PROPERTY.ARRAY NAME="L" TYPE="string"></PROPERTY.ARRAY></INSTANCE>',
    );
    expect(b!.get('L')).to.equal(null);
    const [a] = instances('<INSTANCE CLASSNAME="A"><PROPERTY.ARRAY NAME="L" TYPE="string"><VALUE.ARRAY><VALUE>1</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>'
      + '<PROPERTY.ARRAY NAME="M" TYPE="string"><VALUE.ARRAY></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>');
    expect(a!.get('M')).to.deep.equal([]);
  });

  it('a left-over child of an earlier element neither satisfies nor breaks a content model', () => {
    // KEYVALUE left at this depth by the first KEYBINDING must not count for the second.
    const path = (kb2: string) => response(
      '<INSTANCENAME CLASSNAME="A"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="string">v</KEYVALUE></KEYBINDING>'
        + `<KEYBINDING NAME="j">${kb2}</KEYBINDING></INSTANCENAME>`,
    ).replace('EnumerateInstances', 'EnumerateInstanceNames');
    expect(() => decodeMessage(path(''))).to.throw(CimXmlError, /KEYBINDING needs KEYVALUE or VALUE.REFERENCE/);
    expect(() => decodeMessage(path('<KEYVALUE VALUETYPE="string">w</KEYVALUE>'))).not.to.throw();
    // The error path counts only this element's children.
    const twice = response('<INSTANCENAME CLASSNAME="A"><KEYBINDING NAME="k"><KEYVALUE>v</KEYVALUE></KEYBINDING>'
      + '<KEYBINDING NAME="K"><KEYVALUE>w</KEYVALUE></KEYBINDING></INSTANCENAME>').replace('EnumerateInstances', 'EnumerateInstanceNames');
    expect(() => decodeMessage(twice)).to.throw(CimXmlError, /key K is bound twice/);
  });

  it('string and boolean values come through the fast paths unchanged', () => {
    const [a] = instances('<INSTANCE CLASSNAME="A">'
      + '<PROPERTY NAME="B1" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY><PROPERTY NAME="B2" TYPE="boolean"><VALUE>false</VALUE></PROPERTY>'
      + '<PROPERTY NAME="B3" TYPE="boolean"><VALUE> True </VALUE></PROPERTY>'
      + '<PROPERTY.ARRAY NAME="S" TYPE="string"><VALUE.ARRAY><VALUE> a </VALUE><VALUE.NULL/><VALUE></VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>');
    expect([a!.get('B1'), a!.get('B2'), a!.get('B3')]).to.deep.equal([true, false, true]);
    expect(a!.get('S')).to.deep.equal([' a ', null, '']);
    expect(() => instances('<INSTANCE CLASSNAME="A"><PROPERTY NAME="B" TYPE="boolean"><VALUE>yes</VALUE></PROPERTY></INSTANCE>')).to.throw(CimXmlError, /boolean/);
  });

  it('a document decoded after others (finished, failed, deeper, interleaved) sees nothing of theirs', () => {
    const deep = '<INSTANCE CLASSNAME="D"><PROPERTY.ARRAY NAME="L" TYPE="string"><VALUE.ARRAY><VALUE>d1</VALUE><VALUE>d2</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>';
    const shallow = '<INSTANCE CLASSNAME="S"></INSTANCE>';
    const alone = instances(shallow);
    // After a finished document with deeper and longer element lists, and after a failed one.
    instances(deep + deep + deep);
    expect(() => decodeMessage(response(deep).replace('</VALUE.ARRAY>', ''))).to.throw(CimXmlError);
    expect(instances(shallow)).to.deep.equal(alone);
    // Two streaming decoders fed alternately, each ending while the other is still open.
    const got: string[][] = [[], []];
    const decoders = [0, 1].map((k) => createMessageDecoder({ onReturnItem: (it) => { got[k]!.push((it as { instance: CimInstance }).instance.className); } }));
    const texts = [response(deep + shallow), response(shallow + deep + shallow)];
    const cut = [40, 60];
    decoders[0]!.write(texts[0]!.slice(0, cut[0]));
    decoders[1]!.write(texts[1]!.slice(0, cut[1]));
    decoders[0]!.write(texts[0]!.slice(cut[0]));
    decoders[0]!.end();
    expect(instances(deep)[0]!.get('L')).to.deep.equal(['d1', 'd2']);
    decoders[1]!.write(texts[1]!.slice(cut[1]));
    decoders[1]!.end();
    expect(got).to.deep.equal([['D', 'S'], ['S', 'D', 'S']]);
  });

  it('a large document leaves nothing behind that a later one could see or that would keep it', () => {
    const many = Array.from({ length: 300 }, (_, i) => `<INSTANCE CLASSNAME="C${i}"><PROPERTY NAME="P" TYPE="string"><VALUE>v${i}</VALUE></PROPERTY></INSTANCE>`).join('');
    expect(instances(many)).to.have.length(300);
    const [one] = instances('<INSTANCE CLASSNAME="X"></INSTANCE>');
    expect(one!.className).to.equal('X');
    expect(one!.properties.size).to.equal(0);
  });
});

