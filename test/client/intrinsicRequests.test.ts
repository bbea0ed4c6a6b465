// The client writes intrinsic requests into frames cached per operation and namespace: the result
// must be exactly what encodeMessage writes for the same message, whatever the names and values.
import { expect } from 'chai';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimXmlError, encodeMessage, type ParamValue } from '../../src/xml/index.js';
import { IntrinsicRequests } from '../../client/cim/IntrinsicRequests.js';

function reference(id: string, name: string, namespace: string, params: ParamValue[]): string {
  return encodeMessage({ kind: 'SIMPLEREQ', id, call: { kind: 'IMETHODCALL', name, namespace, params } });
}

describe('intrinsic request bodies', () => {
  const widget = CimObjectPath.instance('TVD_Widget', { CreationClassName: 'TVD_Widget', Id: 7n, Label: 'a <b> & "c"' });
  const inst = new CimInstance('TVD_Widget');
  inst.properties.set('Label', new CimProperty('Label', 'string', 'x\ty'));
  const cases: [string, string, ParamValue[]][] = [
    ['GetInstance', 'root/tvdc', [{ name: 'InstanceName', value: { kind: 'INSTANCENAME', path: widget } }, { name: 'LocalOnly', value: { kind: 'VALUE', text: 'FALSE' } }]],
    ['EnumerateInstances', 'root/cimv2', [{ name: 'ClassName', value: { kind: 'CLASSNAME', name: 'TVD_Widget' } }, { name: 'PropertyList', value: { kind: 'VALUE.ARRAY', items: ['Id', 'Label'] } }]],
    ['EnumerateQualifiers', 'interop', []],
    ['CreateInstance', 'root/a b/ü', [{ name: 'NewInstance', value: { kind: 'INSTANCE', instance: inst } }]],
    ['ExecQuery', 'root/\uE000', [{ name: 'Query', value: { kind: 'VALUE', text: 'SELECT * FROM X WHERE A < 3 \uE000' } }]],
    ['Get@id@', 'root/@id@', [{ name: 'Query', value: { kind: 'VALUE', text: '@id@' } }]],
  ];

  it('are what encodeMessage writes, call after call and with the frame reused', () => {
    const r = new IntrinsicRequests();
    for (let round = 0; round < 2; round++) {
      for (const [i, [name, ns, params]] of cases.entries()) {
        const id = String(1000 + round * 10 + i);
        expect(r.encode(id, name, ns, params), `${name} in ${ns}`).to.equal(reference(id, name, ns, params));
      }
    }
  });

  it('refuse what encodeMessage refuses', () => {
    const r = new IntrinsicRequests();
    expect(() => r.encode('1', 'GetClass', '', [])).to.throw(CimXmlError);
    expect(() => r.encode('1', 'ExecQuery', 'root', [{ name: 'Query', value: { kind: 'VALUE', text: 'bad \u0001' } }])).to.throw(CimXmlError);
  });
});
