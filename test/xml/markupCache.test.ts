// The cached openings the encoder reuses: the same text per name and type, never another name's
// or type's, also after the bounded tables start over, and the same bytes an instance had before.
import { expect } from 'chai';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { MarkupCache } from '../../src/xml/MarkupCache.js';
import { XmlWriter } from '../../src/xml/XmlWriter.js';
import { writeInstance, writeInstanceName } from '../../src/xml/objectEncoder.js';

describe('xml: MarkupCache', () => {
  it('gives the made text per name and type, and keeps types apart', () => {
    let made = 0;
    const c = new MarkupCache((name, type) => { made++; return `<P N="${name}" T="${type}">`; });
    expect(c.get('Id', 'uint32')).to.equal('<P N="Id" T="uint32">');
    expect(c.get('Id', 'uint32')).to.equal('<P N="Id" T="uint32">');
    expect(c.get('Id', 'string')).to.equal('<P N="Id" T="string">');
    expect(c.get('id', 'uint32')).to.equal('<P N="id" T="uint32">');
    expect(made).to.equal(3);
  });

  it('stays right once a table is full and starts over', () => {
    const c = new MarkupCache((name, type) => `${type}:${name}`);
    for (let i = 0; i < 10_000; i++) expect(c.get(`N${i}`, 'sint8')).to.equal(`sint8:N${i}`);
    for (let i = 0; i < 10_000; i += 997) expect(c.get(`N${i}`, 'sint8')).to.equal(`sint8:N${i}`);
  });

  it('writes names that need escaping escaped, the same on every use', () => {
    const odd = 'A&B"<C>';
    const inst = new CimInstance(odd, NameMap.from([
      new CimProperty(odd, 'string', 'v'), new CimProperty('N', 'uint8', null), new CimProperty('K', 'uint16', 7),
    ], (p) => p.name));
    const path = new CimObjectPath(odd, NameMap.from([{ name: odd, type: 'string' as const, value: 'x' }], (b) => b.name));
    for (let round = 0; round < 2; round++) {
      const w = new XmlWriter();
      writeInstanceName(w, path);
      writeInstance(w, inst);
      expect(w.toString()).to.equal(
        '<INSTANCENAME CLASSNAME="A&amp;B&quot;&lt;C&gt;"><KEYBINDING NAME="A&amp;B&quot;&lt;C&gt;"><KEYVALUE VALUETYPE="string" TYPE="string">x</KEYVALUE></KEYBINDING></INSTANCENAME>' +
        '<INSTANCE CLASSNAME="A&amp;B&quot;&lt;C&gt;"><PROPERTY NAME="A&amp;B&quot;&lt;C&gt;" TYPE="string"><VALUE>v</VALUE></PROPERTY>' +
        '<PROPERTY NAME="N" TYPE="uint8"></PROPERTY><PROPERTY NAME="K" TYPE="uint16"><VALUE>7</VALUE></PROPERTY></INSTANCE>');
    }
  });
});
