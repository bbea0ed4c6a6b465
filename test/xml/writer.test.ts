// The string writer's rules, pinned at the byte level: escaping, characters XML 1.0 cannot carry,
// explicit end tags everywhere, KEYVALUE with VALUETYPE and TYPE.
import { expect } from 'chai';
import { CimClass } from '../../src/cim/CimClass.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimMethod } from '../../src/cim/CimMethod.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimXmlError, decodeMessage, encodeEmbeddedObject, encodeMessage, escapeAttr, escapeText, XmlWriter } from '../../src/xml/index.js';
import { instance, instancePath } from './support/build.js';

describe('xml: XmlWriter escaping', () => {
  it('escapes & < > in text and also " TAB LF in attributes; CR always as a reference', () => {
    expect(escapeText('a&b<c>d"e\'f\tg\nh\ri')).to.equal('a&amp;b&lt;c&gt;d"e\'f\tg\nh&#13;i');
    expect(escapeAttr('a&b<c>d"e\'f\tg\nh\ri')).to.equal('a&amp;b&lt;c&gt;d&quot;e\'f&#9;g&#10;h&#13;i');
    expect(escapeText('plain')).to.equal('plain');
    expect(escapeText('\u{1F600}\u00e9')).to.equal('\u{1F600}\u00e9');
  });

  it('refuses characters XML 1.0 cannot carry, naming the code point', () => {
    for (const bad of ['\u0000', '\u0001', '\u001f', '\u000b', '\ufffe', '\uffff', '\ud800', 'x\udc00', '\ud83dx']) {
      expect(() => escapeText(bad), JSON.stringify(bad)).to.throw(CimXmlError, /cannot be carried by XML 1.0/);
      expect(() => escapeAttr(bad)).to.throw(CimXmlError);
    }
    try {
      escapeText('ab\u0007');
    } catch (e) {
      expect((e as CimXmlError).code).to.equal('XML_UNENCODABLE');
      expect((e as CimXmlError).message).to.equal('character U+0007 at position 2 cannot be carried by XML 1.0');
    }
  });

  it('text that needs escaping survives a round trip exactly, CR and all', () => {
    const s = 'a\r\nb\rc\td "q" \'s\' <x> & ]]>';
    const m = decodeMessage(encodeMessage({ kind: 'SIMPLERSP', id: s, response: { kind: 'IMETHODRESPONSE', name: 'GetProperty', returnValue: [{ kind: 'VALUE', text: s }], params: [] } }));
    if (m.kind !== 'SIMPLERSP' || m.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
    expect(m.id).to.equal(s);
    expect(m.response.returnValue).to.deep.equal([{ kind: 'VALUE', text: s }]);
  });

  it('hands out what it has with take() and counts what it holds', () => {
    const w = new XmlWriter();
    w.open('A').attr('N', '"').text('<');
    expect(w.length).to.equal('<A> N="&quot;"&lt;'.length);
    expect(w.take()).to.equal('<A> N="&quot;"&lt;');
    expect(w.take()).to.equal('');
    const big = 'x'.repeat(5000);
    for (let i = 0; i < 10; i++) w.raw(big);
    w.close('A');
    expect(w.length).to.equal(50004);
    expect(w.toString()).to.equal(big.repeat(10) + '</A>');
  });
});

describe('xml: encoder output shape', () => {
  const cls = new CimClass('TVD_Widget', 'CIM_ManagedElement');
  cls.properties.set('Label', new CimProperty('Label', 'string'));
  cls.properties.set('Tags', new CimProperty('Tags', 'string', null, true));
  cls.properties.set('Ref', new CimProperty('Ref', 'reference', null, false, undefined, 'CIM_X'));
  const m = new CimMethod('Reset', 'uint32');
  m.parameters.set('Force', new CimParameter('Force', 'boolean'));
  cls.methods.set('Reset', m);

  it('never writes a self-closing tag (wbemcli refuses them)', () => {
    const texts = [
      encodeEmbeddedObject(cls),
      encodeMessage({ kind: 'SIMPLERSP', id: '1', response: { kind: 'IMETHODRESPONSE', name: 'DeleteInstance', returnValue: [], params: [] } }),
      encodeMessage({ kind: 'SIMPLERSP', id: '1', response: { kind: 'METHODRESPONSE', name: 'M', returnValue: { value: null }, params: [{ name: 'P', value: null }] } }),
      encodeMessage({ kind: 'SIMPLEREQ', id: '1', call: { kind: 'IMETHODCALL', name: 'EnumerateInstances', namespace: 'root/cimv2', params: [{ name: 'ClassName', value: { kind: 'CLASSNAME', name: 'X' } }, { name: 'PropertyList', value: { kind: 'VALUE.ARRAY', items: [null] } }] } }),
    ];
    for (const t of texts) expect(t).not.to.match(/\/>/);
    expect(texts[0]).to.include('<PROPERTY NAME="Label" TYPE="string"></PROPERTY>');
    expect(texts[0]).to.include('<PARAMETER NAME="Force" TYPE="boolean"></PARAMETER>');
    expect(texts[1]).to.include('<IMETHODRESPONSE NAME="DeleteInstance"><IRETURNVALUE></IRETURNVALUE></IMETHODRESPONSE>');
    expect(texts[3]).to.include('<NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="cimv2"></NAMESPACE>');
    expect(texts[3]).to.include('<VALUE.NULL></VALUE.NULL>');
  });

  it('writes KEYVALUE with VALUETYPE and TYPE for every key type', () => {
    const path = instancePath('C', [
      { name: 'S', type: 'string', value: 'x' }, { name: 'B', type: 'boolean', value: true }, { name: 'N', type: 'uint16', value: 7 },
      { name: 'R', type: 'real64', value: 1.5 }, { name: 'D', type: 'char16', value: 'c' },
    ]);
    const t = encodeMessage({ kind: 'SIMPLERSP', id: '1', response: { kind: 'IMETHODRESPONSE', name: 'EnumerateInstanceNames', returnValue: [{ kind: 'INSTANCENAME', path }], params: [] } });
    expect(t).to.include('<KEYBINDING NAME="S"><KEYVALUE VALUETYPE="string" TYPE="string">x</KEYVALUE></KEYBINDING>');
    expect(t).to.include('<KEYVALUE VALUETYPE="boolean" TYPE="boolean">TRUE</KEYVALUE>');
    expect(t).to.include('<KEYVALUE VALUETYPE="numeric" TYPE="uint16">7</KEYVALUE>');
    expect(t).to.include('<KEYVALUE VALUETYPE="numeric" TYPE="real64">1.5</KEYVALUE>');
    expect(t).to.include('<KEYVALUE VALUETYPE="string" TYPE="char16">c</KEYVALUE>');
  });

  it('pins a whole GetInstance response byte for byte', () => {
    const inst = instance('TVD_Widget', [['Id', 'uint32', 7], ['Label', 'string', 'a<b'], ['Tags', 'string', ['x', null]], ['Ref', 'reference', new CimObjectPath('TVD_X', null, 'root/cimv2')]]);
    expect(encodeMessage({ kind: 'SIMPLERSP', id: '4711', response: { kind: 'IMETHODRESPONSE', name: 'GetInstance', returnValue: [{ kind: 'INSTANCE', instance: inst }], params: [] } })).to.equal(
      '<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLERSP>'
      + '<IMETHODRESPONSE NAME="GetInstance"><IRETURNVALUE><INSTANCE CLASSNAME="TVD_Widget">'
      + '<PROPERTY NAME="Id" TYPE="uint32"><VALUE>7</VALUE></PROPERTY>'
      + '<PROPERTY NAME="Label" TYPE="string"><VALUE>a&lt;b</VALUE></PROPERTY>'
      + '<PROPERTY.ARRAY NAME="Tags" TYPE="string"><VALUE.ARRAY><VALUE>x</VALUE><VALUE.NULL></VALUE.NULL></VALUE.ARRAY></PROPERTY.ARRAY>'
      + '<PROPERTY.REFERENCE NAME="Ref"><VALUE.REFERENCE><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="cimv2"></NAMESPACE></LOCALNAMESPACEPATH><CLASSNAME NAME="TVD_X"></CLASSNAME></LOCALCLASSPATH></VALUE.REFERENCE></PROPERTY.REFERENCE>'
      + '</INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>\n',
    );
  });

  it('pins an ERROR response with a CIM_Error instance', () => {
    const e = new CimError(CimStatus.CIM_ERR_NOT_FOUND, 'no "vm1"', [instance('CIM_Error', [['CIMStatusCode', 'uint32', 6]])]);
    expect(encodeMessage({ kind: 'SIMPLERSP', id: '9', response: { kind: 'IMETHODRESPONSE', name: 'GetInstance', error: e, returnValue: null, params: [] } })).to.include(
      '<IMETHODRESPONSE NAME="GetInstance"><ERROR CODE="6" DESCRIPTION="no &quot;vm1&quot;"><INSTANCE CLASSNAME="CIM_Error"><PROPERTY NAME="CIMStatusCode" TYPE="uint32"><VALUE>6</VALUE></PROPERTY></INSTANCE></ERROR></IMETHODRESPONSE>',
    );
  });

  it('refuses values that do not fit their type, and text XML cannot carry', () => {
    const bad: [string, CimInstance][] = [
      ['uint8 300', instance('C', [['P', 'uint8', 300]])],
      ['sint8 1.5', instance('C', [['P', 'sint8', 1.5]])],
      ['uint64 -1n', instance('C', [['P', 'uint64', -1n]])],
      ['uint64 2^64', instance('C', [['P', 'uint64', 18446744073709551616n]])],
      ['uint64 unsafe number', instance('C', [['P', 'uint64', 2 ** 60]])],
      ['boolean "yes"', instance('C', [['P', 'boolean', 'yes']])],
      ['datetime string', instance('C', [['P', 'datetime', '20260101000000.000000+000']])],
      ['char16 "ab"', instance('C', [['P', 'char16', 'ab']])],
      ['array for scalar', instance('C', [['P', 'string', ['a'], false]])],
      ['scalar for array', instance('C', [['P', 'string', 'a', true]])],
      ['control char', instance('C', [['P', 'string', 'bell\u0007']])],
    ];
    for (const [what, inst] of bad) {
      expect(() => encodeEmbeddedObject(inst), what).to.throw(CimXmlError).with.property('code', 'XML_UNENCODABLE');
    }
    expect(() => encodeMessage({ kind: 'MULTIREQ', id: '1', parts: 2 })).to.throw(CimXmlError, /never written/);
    expect(() => encodeMessage({ kind: 'SIMPLERSP', id: '1', response: { kind: 'IMETHODRESPONSE', name: 'X', returnValue: [{ kind: 'VALUE.NAMEDINSTANCE', instance: new CimInstance('X') }], params: [] } }))
      .to.throw(CimXmlError, /VALUE.NAMEDINSTANCE needs the object's path/);
  });
});
