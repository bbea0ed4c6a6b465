// Bad input gives a specific CimXmlError with a stable code and the element path: not
// well-formed text, invalid CIM-XML, DOCTYPE and entity attacks, depth and size bombs.
import { expect } from 'chai';
import { CimXmlError, createMessageDecoder, decodeEmbeddedObject, decodeMessage, type CimXmlErrorCode } from '../../src/xml/index.js';

const HEAD = '<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0">';
const TAIL = '</MESSAGE></CIM>';
const req = (call: string) => `${HEAD}<SIMPLEREQ>${call}</SIMPLEREQ>${TAIL}`;
const NS = '<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="tvdc"/></LOCALNAMESPACEPATH>';

function refused(xml: string | Uint8Array, code: CimXmlErrorCode, message?: RegExp | string): CimXmlError {
  try {
    decodeMessage(xml);
  } catch (e) {
    expect(e).to.be.instanceOf(CimXmlError);
    const err = e as CimXmlError;
    expect(err.code, err.message).to.equal(code);
    if (message instanceof RegExp) expect(err.message).to.match(message);
    else if (message !== undefined) expect(err.message).to.equal(message);
    return err;
  }
  throw new Error('expected the decoder to refuse the document');
}

describe('xml: decoder errors name the element path', () => {
  it('points at the second IPARAMVALUE', () => {
    const xml = req(`<IMETHODCALL NAME="GetInstance">${NS}<IPARAMVALUE NAME="A"><VALUE>x</VALUE></IPARAMVALUE><IPARAMVALUE><VALUE>y</VALUE></IPARAMVALUE></IMETHODCALL>`);
    const e = refused(xml, 'XML_INVALID', 'CIM/MESSAGE/SIMPLEREQ/IMETHODCALL/IPARAMVALUE[2]: IPARAMVALUE needs attribute NAME');
    expect(e.path).to.equal('CIM/MESSAGE/SIMPLEREQ/IMETHODCALL/IPARAMVALUE[2]');
    expect(e.reason).to.equal('IPARAMVALUE needs attribute NAME');
  });

  const invalid: [string, string, RegExp][] = [
    ['unknown element', req('<IMETHODCALL NAME="X"><FOO/></IMETHODCALL>'), /IMETHODCALL\/FOO: unknown element FOO/],
    ['unknown attribute', req(`<IMETHODCALL NAME="X" BAR="1">${NS}</IMETHODCALL>`), /attribute BAR is not allowed on IMETHODCALL/],
    ['missing namespace', req('<IMETHODCALL NAME="X"></IMETHODCALL>'), /IMETHODCALL needs LOCALNAMESPACEPATH/],
    ['children out of order', req(`<IMETHODCALL NAME="X"><IPARAMVALUE NAME="a"/>${NS}</IMETHODCALL>`), /needs LOCALNAMESPACEPATH where IPARAMVALUE is/],
    ['two values in a PARAMVALUE', req(`<METHODCALL NAME="M"><LOCALCLASSPATH>${NS}<CLASSNAME NAME="C"/></LOCALCLASSPATH><PARAMVALUE NAME="p"><VALUE>1</VALUE><VALUE>2</VALUE></PARAMVALUE></METHODCALL>`), /PARAMVALUE: VALUE is not allowed here in PARAMVALUE \(child 2\)/],
    ['text where elements belong', req(`<IMETHODCALL NAME="X">hello${NS}</IMETHODCALL>`), /character data is not allowed in IMETHODCALL/],
    ['element inside VALUE', req(`<IMETHODCALL NAME="X">${NS}<IPARAMVALUE NAME="a"><VALUE><VALUE/></VALUE></IPARAMVALUE></IMETHODCALL>`), /VALUE is not allowed inside VALUE/],
    ['bad CIM type', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="GetInstance"><IRETURNVALUE><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="uint128"/></INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /PROPERTY@TYPE "uint128" is not a CIM type/],
    ['out-of-range value', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="GetInstance"><IRETURNVALUE><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="uint8"><VALUE>256</VALUE></PROPERTY></INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /INSTANCE\/PROPERTY: invalid uint8 value "256"/],
    ['bad datetime', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="GetInstance"><IRETURNVALUE><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="datetime"><VALUE>yesterday</VALUE></PROPERTY></INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /invalid datetime/],
    ['mixed IRETURNVALUE', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><IRETURNVALUE><CLASSNAME NAME="A"/><INSTANCENAME CLASSNAME="B"/></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /IRETURNVALUE: IRETURNVALUE holds CLASSNAME and cannot also hold INSTANCENAME/],
    ['ERROR with bad CODE', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><ERROR CODE="six"/></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /ERROR@CODE "six" is not a positive integer/],
    ['duplicate property', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><IRETURNVALUE><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="string"/><PROPERTY NAME="P" TYPE="string"/></INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /property P appears twice/],
    ['wrong root', '<INSTANCE CLASSNAME="C"/>', /the root element must be CIM/],
    ['DECLARATION', '<CIM CIMVERSION="2.0" DTDVERSION="2.0"><DECLARATION/></CIM>', /DECLARATION documents are not messages/],
    ['MULTIREQ with one part', `${HEAD}<MULTIREQ><SIMPLEREQ><IMETHODCALL NAME="X">${NS}</IMETHODCALL></SIMPLEREQ></MULTIREQ>${TAIL}`, /MULTIREQ needs at least two SIMPLEREQ/],
    ['bad embedded object', `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><IRETURNVALUE><INSTANCE CLASSNAME="C"><PROPERTY NAME="e" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE&gt;</VALUE></PROPERTY></INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`, /INSTANCE\/PROPERTY\(embedded\)\/INSTANCE: 1:10: unclosed tag: INSTANCE/],
    ['KEYVALUE with bad VALUETYPE', req(`<IMETHODCALL NAME="GetInstance">${NS}<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="date">1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE></IMETHODCALL>`), /KEYVALUE@VALUETYPE must be string, boolean or numeric/],
    ['numeric KEYVALUE that is no number', req(`<IMETHODCALL NAME="GetInstance">${NS}<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="numeric">seven</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE></IMETHODCALL>`), /KEYBINDING\/KEYVALUE: invalid real64 value "seven"/],
  ];
  for (const [what, xml, re] of invalid) {
    it(`refuses ${what} as XML_INVALID`, () => {
      refused(xml, 'XML_INVALID', re);
    });
  }

  const malformed: [string, string | Uint8Array][] = [
    ['mismatched tags', `${HEAD}<SIMPLEREQ></SIMPLERSP>${TAIL}`],
    ['truncation', `${HEAD}<SIMPLEREQ><IMETHODCALL NAME="X">`],
    ['an undefined entity', `${HEAD}&foo;${TAIL}`],
    ['two roots', `${HEAD}<SIMPLEREQ><IMETHODCALL NAME="X">${NS}</IMETHODCALL></SIMPLEREQ>${TAIL}<CIM/>`],
    ['an empty body', ''],
    ['invalid UTF-8', new Uint8Array([0x3c, 0x43, 0x49, 0x4d, 0xff, 0xfe, 0x3e])],
    ['a control character', `${HEAD}<SIMPLEREQ>\u0001</SIMPLEREQ>${TAIL}`],
  ];
  for (const [what, xml] of malformed) {
    it(`refuses ${what} as XML_NOT_WELL_FORMED`, () => {
      const e = refused(xml, 'XML_NOT_WELL_FORMED');
      expect(e.isNotWellFormed).to.equal(true);
    });
  }

  it('recognises MULTIREQ (so the server can refuse it) without decoding it as a simple request', () => {
    const part = `<SIMPLEREQ><IMETHODCALL NAME="EnumerateClassNames">${NS}</IMETHODCALL></SIMPLEREQ>`;
    const m = decodeMessage(`${HEAD}<MULTIREQ>${part}${part}${part}</MULTIREQ>${TAIL}`);
    expect(m).to.deep.equal({ kind: 'MULTIREQ', id: '1', protocolVersion: '1.0', parts: 3, cimVersion: '2.0', dtdVersion: '2.0' });
  });
});

describe('xml: entity and DOCTYPE attacks, bombs and limits', () => {
  it('refuses billion laughs before expanding anything', () => {
    const lol = '<?xml version="1.0"?><!DOCTYPE CIM [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
      + '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
      + '<CIM CIMVERSION="2.0" DTDVERSION="2.0">&lol3;</CIM>';
    refused(lol, 'XML_FORBIDDEN', /DOCTYPE and entity declarations are not accepted/);
  });

  it('refuses external entities and external DTDs', () => {
    refused('<?xml version="1.0"?><!DOCTYPE CIM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CIM CIMVERSION="2.0" DTDVERSION="2.0">&xxe;</CIM>', 'XML_FORBIDDEN');
    refused('<?xml version="1.0"?><!DOCTYPE CIM SYSTEM "http://example.com/cim.dtd"><CIM CIMVERSION="2.0" DTDVERSION="2.0"/>', 'XML_FORBIDDEN');
    refused('<?xml version="1.0"?><!DOCTYPE CIM [<!ENTITY % p SYSTEM "http://example.com/x">%p;]><CIM/>', 'XML_FORBIDDEN');
  });

  it('refuses a DOCTYPE inside an embedded object too', () => {
    const inner = '<!DOCTYPE INSTANCE [<!ENTITY a "b">]><INSTANCE CLASSNAME="C"/>';
    const xml = `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><IRETURNVALUE><INSTANCE CLASSNAME="C"><PROPERTY NAME="e" TYPE="string" EmbeddedObject="instance"><VALUE><![CDATA[${inner}]]></VALUE></PROPERTY></INSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`;
    refused(xml, 'XML_FORBIDDEN');
  });

  it('refuses a depth bomb of nested elements', () => {
    const n = 100000;
    const xml = `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><IRETURNVALUE>${'<VALUE.ARRAY>'.repeat(n)}${'</VALUE.ARRAY>'.repeat(n)}</IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`;
    refused(xml, 'XML_LIMIT', /elements nest deeper than 64/);
  });

  it('counts the depth of embedded objects inside embedded objects', () => {
    // Each level of embedding escapes the next; 40 levels of 2-3 elements each pass 64.
    let text = '<INSTANCE CLASSNAME="C"></INSTANCE>';
    for (let i = 0; i < 40; i++) {
      const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      text = `<INSTANCE CLASSNAME="C"><PROPERTY NAME="e" TYPE="string" EmbeddedObject="instance"><VALUE>${esc}</VALUE></PROPERTY></INSTANCE>`;
    }
    expect(() => decodeEmbeddedObject(text)).to.throw(CimXmlError, /nest deeper than 64/);
  });

  it('applies the size and element limits it is given', () => {
    const big = `${HEAD}<SIMPLERSP><IMETHODRESPONSE NAME="X"><IRETURNVALUE>${'<CLASSNAME NAME="A"/>'.repeat(1000)}</IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP>${TAIL}`;
    expect(() => decodeMessage(big, { maxChars: 1000 })).to.throw(CimXmlError, /exceeds 1000 characters/);
    expect(() => decodeMessage(big, { maxElements: 500 })).to.throw(CimXmlError, /more than 500 elements/);
    expect(() => decodeMessage(big, { maxDepth: 4 })).to.throw(CimXmlError, /deeper than 4/);
    expect(decodeMessage(big).kind).to.equal('SIMPLERSP');
  });

  it('a finished decoder refuses further input', () => {
    const d = createMessageDecoder();
    d.write(`${HEAD}<SIMPLEREQ><IMETHODCALL NAME="X">${NS}</IMETHODCALL></SIMPLEREQ>${TAIL}`);
    d.end();
    expect(() => d.write('<x/>')).to.throw(CimXmlError, /already finished/);
  });
});
