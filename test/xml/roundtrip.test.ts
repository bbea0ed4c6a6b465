// Round trips through the encoder and decoder for every CIM type (extremes included), every
// element the codec writes, and every path form; each encoder output is also checked against the
// DSP0203 DTD with xmllint.
import { expect } from 'chai';
import { CimClass } from '../../src/cim/CimClass.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimMethod } from '../../src/cim/CimMethod.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimQualifier } from '../../src/cim/CimQualifier.js';
import { CimQualifierDeclaration, type QualifierScope } from '../../src/cim/CimQualifierDeclaration.js';
import type { CimType } from '../../src/cim/CimType.js';
import type { CimScalar } from '../../src/cim/CimValue.js';
import { NameMap } from '../../src/cim/NameMap.js';
import {
  decodeEmbeddedObject, decodeMessage, encodeEmbeddedObject, encodeMessage, fromWireValue, toWireValue, typedParam,
  type CimXmlMessage, type ReturnItem,
} from '../../src/xml/index.js';
import { canonical } from './support/canonical.js';
import { instance, instancePath, type PropSpec } from './support/build.js';
import { dtdInvalid, DtdBatch } from './support/xmllint.js';

const batch = new DtdBatch();

function roundTrip(name: string, m: CimXmlMessage): CimXmlMessage {
  const xml = batch.add(name, encodeMessage(m));
  const back = decodeMessage(xml);
  expect(canonical(back), name).to.deep.equal(canonical(m));
  return back;
}

function enumResponse(items: ReturnItem[], name = 'EnumerateInstances'): CimXmlMessage {
  return { kind: 'SIMPLERSP', id: '42', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0', response: { kind: 'IMETHODRESPONSE', name, returnValue: items, params: [] } };
}

const dt = (s: string) => CimDateTime.parse(s);

/** Values per type: extremes, edge cases, and the texts that need escaping. */
const SAMPLES: [CimType, CimScalar[]][] = [
  ['boolean', [true, false]],
  ['string', ['', 'plain', '  spaced  ', 'a&b<c>d"e\'f', 'line1\nline2\r\nline3\ttab', 'snow\u2603man \u{1F600} surrogate pair', ']]> not CDATA end', '<INSTANCE CLASSNAME="x"/> as text']],
  ['char16', ['x', '<', '&', '\u00e9', ' ']],
  ['datetime', [dt('20261129071600.123456+060'), dt('19700101000000.000000+000'), dt('99991231235959.999999-720'), dt('20260101000000.******+000'),
    dt('2026**********.******+000'), dt('00000000000000.000000:000'), dt('99999999235959.999999:000'), dt('00000001******.******:000')]],
  ['uint8', [0, 255]],
  ['sint8', [-128, 127, 0]],
  ['uint16', [0, 65535]],
  ['sint16', [-32768, 32767]],
  ['uint32', [0, 4294967295]],
  ['sint32', [-2147483648, 2147483647]],
  ['uint64', [0n, 9007199254740993n, 18446744073709551615n]],
  ['sint64', [-9223372036854775808n, 9223372036854775807n, -1n]],
  ['real32', [0, Math.fround(0.1), Math.fround(3.4028234663852886e38), Math.fround(1.401298464324817e-45), -0, NaN, Infinity, -Infinity, Math.fround(-1.5e-7)]],
  ['real64', [0.1, 1 / 3, Number.MAX_VALUE, Number.MIN_VALUE, -0, NaN, Infinity, -Infinity, 1e21, 123456789012345680000, -2.2250738585072014e-308]],
];

describe('xml: round trips of every CIM type', () => {
  for (const [type, values] of SAMPLES) {
    it(`${type}: scalars, arrays with nulls, qualifiers`, () => {
      const props: PropSpec[] = values.map((v, i) => [`P${i}`, type, v]);
      props.push(['Arr', type, [...values, null], true], ['Empty', type, [], true], ['Null', type, null], ['NullArr', type, null, true]);
      const inst = instance('TVDc_Types', props, instancePath('TVDc_Types', [{ name: 'Id', type: 'string', value: type }]));
      inst.qualifiers.set('Q', new CimQualifier('Q', type, values[0]!));
      inst.qualifiers.set('QA', new CimQualifier('QA', type, values, true));
      const back = roundTrip(`types ${type}`, enumResponse([{ kind: 'VALUE.NAMEDINSTANCE', instance: inst }]));
      if (back.kind !== 'SIMPLERSP' || back.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
      const got = (back.response.returnValue![0] as { instance: CimInstance }).instance;
      // Exactness beyond the canonical comparison: bigint stays bigint, reals keep their bits.
      values.forEach((v, i) => {
        const g = got.get(`P${i}`);
        if (typeof v === 'number') expect(Object.is(g, v), `${type} ${v} came back as ${String(g)}`).to.equal(true);
        else if (v instanceof CimDateTime) expect((g as CimDateTime).text).to.equal(v.text);
        else expect(g).to.equal(v);
      });
    });
  }

  it('keys of every scalar type and reference keys survive in INSTANCENAME', () => {
    const target = instancePath('TVDc_Target', [{ name: 'Name', type: 'string', value: 't"1' }], 'root/tvdc');
    const keys = SAMPLES.filter(([t]) => t !== 'real32' && t !== 'real64').map(([t, vs], i) => ({ name: `K${i}`, type: t, value: vs[vs.length - 1]! as never }));
    keys.push({ name: 'Ref', type: 'reference', value: target as never });
    const path = instancePath('TVDc_Keys', keys);
    roundTrip('keys', enumResponse([{ kind: 'INSTANCENAME', path }], 'EnumerateInstanceNames'));
  });

  it('keeps a single unnamed KEYVALUE and a lone VALUE.REFERENCE key', () => {
    for (const body of ['<KEYVALUE VALUETYPE="numeric" TYPE="uint8">5</KEYVALUE>', '<VALUE.REFERENCE><CLASSNAME NAME="X"/></VALUE.REFERENCE>']) {
      const xml = `<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstanceNames"><IRETURNVALUE><INSTANCENAME CLASSNAME="C">${body}</INSTANCENAME></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`;
      const m = decodeMessage(xml);
      roundTrip(`lone key ${body}`, m);
      expect(encodeMessage(m)).to.include(body.replace('<CLASSNAME NAME="X"/>', '<CLASSNAME NAME="X"></CLASSNAME>'));
    }
  });

  it('writes 64-bit extremes exactly and datetimes as 25 characters', () => {
    const inst = instance('C', [['U', 'uint64', 18446744073709551615n], ['S', 'sint64', -9223372036854775808n], ['D', 'datetime', dt('20261129071600.123456-300')]]);
    const xml = encodeEmbeddedObject(inst);
    expect(xml).to.include('<VALUE>18446744073709551615</VALUE>');
    expect(xml).to.include('<VALUE>-9223372036854775808</VALUE>');
    expect(xml).to.include('<VALUE>20261129071600.123456-300</VALUE>');
  });
});

describe('xml: round trips of every element', () => {
  const ns = 'root/tvdc';
  const vmPath = instancePath('TVDc_ComputerSystem', [{ name: 'CreationClassName', type: 'string', value: 'TVDc_ComputerSystem' }, { name: 'Name', type: 'string', value: 'vm1' }], ns, 'host1:5988');
  const vm = instance('TVDc_ComputerSystem', [['Name', 'string', 'vm1'], ['Labels', 'string', ['red', 'blue']], ['MemoryMB', 'uint64', 4096n]], vmPath);
  const pathForms: [string, CimObjectPath][] = [
    ['INSTANCEPATH', vmPath],
    ['LOCALINSTANCEPATH', instancePath('TVDc_ComputerSystem', [{ name: 'Name', type: 'string', value: 'vm1' }], ns)],
    ['INSTANCENAME', instancePath('TVDc_ComputerSystem', [{ name: 'Name', type: 'string', value: 'vm1' }])],
    ['CLASSPATH', new CimObjectPath('TVDc_ComputerSystem', null, ns, 'host1')],
    ['LOCALCLASSPATH', new CimObjectPath('TVDc_ComputerSystem', null, ns)],
    ['CLASSNAME', new CimObjectPath('TVDc_ComputerSystem')],
  ];

  function fullClass(): CimClass {
    const cls = new CimClass('TVDc_SecurityService', 'CIM_Service');
    cls.qualifiers.set('Description', new CimQualifier('Description', 'string', 'The <TVDc> policy service', false, { overridable: true, toSubclass: true, toInstance: false, translatable: true }));
    cls.qualifiers.set('Version', new CimQualifier('Version', 'string', '2.41.0', false, { overridable: false, toSubclass: false, toInstance: true, translatable: false }, true));
    const key = new CimProperty('Name', 'string', null, false, new NameMap(), undefined, undefined, undefined, 'CIM_ManagedSystemElement', true);
    key.qualifiers.set('Key', new CimQualifier('Key', 'boolean', true));
    cls.properties.set('Name', key);
    cls.properties.set('Codes', new CimProperty('Codes', 'uint16', [1, 2, 3], true, new NameMap(), undefined, undefined, undefined, undefined, false, 3));
    cls.properties.set('Owner', new CimProperty('Owner', 'reference', null, false, new NameMap(), 'CIM_System'));
    const m = new CimMethod('AssignLabel', 'uint32');
    m.qualifiers.set('ValueMap', new CimQualifier('ValueMap', 'string', ['0', '1', '..'], true));
    const out = new CimParameter('Job', 'reference', false, new NameMap(), 'CIM_ConcreteJob');
    out.qualifiers.set('Out', new CimQualifier('Out', 'boolean', true));
    m.parameters.set('Label', new CimParameter('Label', 'string'));
    m.parameters.set('Targets', new CimParameter('Targets', 'reference', true, new NameMap(), 'CIM_ManagedElement', 4));
    m.parameters.set('Flags', new CimParameter('Flags', 'uint8', true, new NameMap(), undefined, 2));
    m.parameters.set('Job', out);
    cls.methods.set('AssignLabel', m);
    cls.methods.set('Stop', new CimMethod('Stop', 'sint32', new NameMap(), new NameMap(), 'CIM_Service', true));
    return cls;
  }

  it('CLASS with qualifiers of every flavor, array and reference properties, and all parameter kinds', () => {
    roundTrip('class', enumResponse([{ kind: 'CLASS', cls: fullClass() }], 'GetClass'));
  });

  it('QUALIFIER.DECLARATION with scopes (any and specific), flavors, arrays', () => {
    const decls = [
      new CimQualifierDeclaration('Key', 'boolean', false, false, new Set<QualifierScope>(['property', 'reference']), { overridable: false, toSubclass: true, toInstance: false, translatable: false }),
      new CimQualifierDeclaration('Description', 'string', null, false, new Set<QualifierScope>(['any']), { overridable: true, toSubclass: true, toInstance: false, translatable: true }),
      new CimQualifierDeclaration('ValueMap', 'string', ['a', 'b'], true, new Set<QualifierScope>(['property', 'method', 'parameter'])),
      new CimQualifierDeclaration('MaxLen', 'uint32', null, true, new Set<QualifierScope>(['association', 'indication', 'class']), undefined, 4),
    ];
    roundTrip('qualifier decls', enumResponse(decls.map((declaration) => ({ kind: 'QUALIFIER.DECLARATION' as const, declaration })), 'EnumerateQualifiers'));
    roundTrip('SetQualifier', {
      kind: 'SIMPLEREQ', id: '7', call: { kind: 'IMETHODCALL', name: 'SetQualifier', namespace: ns, params: [{ name: 'QualifierDeclaration', value: { kind: 'QUALIFIER.DECLARATION', declaration: decls[0]! } }] },
      protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
    });
  });

  for (const [form, path] of pathForms) {
    it(`VALUE.REFERENCE as ${form} in a property, a key, a parameter and a return value`, () => {
      const assoc = instance('TVDc_Assoc', [['Ref', 'reference', path]], instancePath('TVDc_Assoc', [{ name: 'Ref', type: 'reference', value: path }]));
      const back = roundTrip(`ref ${form}`, enumResponse([{ kind: 'VALUE.NAMEDINSTANCE', instance: assoc }]));
      const xml = encodeMessage(back);
      expect(xml).to.include(`<VALUE.REFERENCE><${form}`);
      roundTrip(`ref param ${form}`, {
        kind: 'SIMPLERSP', id: '1', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
        response: { kind: 'METHODRESPONSE', name: 'M', returnValue: { type: 'reference', value: { kind: 'VALUE.REFERENCE', path } }, params: [{ name: 'Out', type: 'reference', value: { kind: 'VALUE.REFARRAY', paths: [path, null] } }] },
      });
    });
  }

  it('IRETURNVALUE of every kind', () => {
    const clsWithPath = fullClass();
    clsWithPath.path = new CimObjectPath(clsWithPath.name, null, ns, 'host1');
    const localInst = instance('TVDc_X', [['A', 'string', 'a']], instancePath('TVDc_X', [{ name: 'A', type: 'string', value: 'a' }], ns));
    const localCls = new CimClass('TVDc_Y', null, undefined, undefined, undefined, new CimObjectPath('TVDc_Y', null, ns));
    const all: ReturnItem[][] = [
      [{ kind: 'CLASSNAME', name: 'A' }, { kind: 'CLASSNAME', name: 'B' }],
      [{ kind: 'INSTANCENAME', path: instancePath('A', [{ name: 'k', type: 'uint32', value: 1 }]) }],
      [{ kind: 'VALUE', text: 'red & blue' }],
      [{ kind: 'VALUE.ARRAY', items: ['x', null] }],
      [{ kind: 'VALUE.REFERENCE', path: vmPath }],
      [{ kind: 'VALUE.OBJECTWITHPATH', object: vm }, { kind: 'VALUE.OBJECTWITHPATH', object: clsWithPath }],
      [{ kind: 'VALUE.OBJECTWITHLOCALPATH', object: localInst }, { kind: 'VALUE.OBJECTWITHLOCALPATH', object: localCls }],
      [{ kind: 'VALUE.OBJECT', object: new CimInstance('A') }, { kind: 'VALUE.OBJECT', object: new CimClass('B') }],
      [{ kind: 'OBJECTPATH', path: vmPath }, { kind: 'OBJECTPATH', path: new CimObjectPath('A', null, ns, 'h') }],
      [{ kind: 'CLASS', cls: new CimClass('A', 'B') }],
      [{ kind: 'INSTANCE', instance: new CimInstance('A') }],
      [{ kind: 'INSTANCEPATH', path: vmPath }],
      [{ kind: 'VALUE.NAMEDINSTANCE', instance: instance('A', [], instancePath('A', [])) }],
      [{ kind: 'VALUE.INSTANCEWITHPATH', instance: vm }],
      [],
    ];
    for (const items of all) roundTrip(`IRETURNVALUE ${items[0]?.kind ?? 'empty'}`, enumResponse(items));
  });

  it('METHODCALL on an instance and on a class, with every PARAMVALUE content', () => {
    const embedded = instance('TVDc_Label', [['Name', 'string', 'red'], ['Types', 'string', ['a', 'b']]]);
    const params = [
      typedParam('Label', 'string', 'red<>&'),
      typedParam('Count', 'uint64', 18446744073709551615n),
      typedParam('Flags', 'boolean', [true, null, false]),
      typedParam('Target', 'reference', vmPath),
      typedParam('Targets', 'reference', [vmPath, null]),
      typedParam('Embedded', 'string', embedded),
      typedParam('EmbeddedArray', 'string', [embedded, null]),
      typedParam('EmbeddedClass', 'string', new CimClass('TVDc_Z')),
      { name: 'Untyped', value: { kind: 'VALUE' as const, text: '17' } },
      { name: 'Nothing', value: null },
      { name: 'Cls', value: { kind: 'CLASSNAME' as const, name: 'TVDc_Label' } },
      { name: 'InstName', value: { kind: 'INSTANCENAME' as const, path: instancePath('A', [{ name: 'k', type: 'string', value: 'v' }]) } },
      { name: 'Class', value: { kind: 'CLASS' as const, cls: new CimClass('A') } },
      { name: 'Inst', value: { kind: 'INSTANCE' as const, instance: embedded } },
      // VALUE.NAMEDINSTANCE carries INSTANCENAME only: a path without namespace and host.
      { name: 'Named', value: { kind: 'VALUE.NAMEDINSTANCE' as const, instance: instance('TVDc_X', [['A', 'string', 'a']], pathForms[2]![1]) } },
    ];
    for (const target of [pathForms[1]![1], pathForms[4]![1]]) {
      const back = roundTrip(`METHODCALL ${target.isInstancePath}`, {
        kind: 'SIMPLEREQ', id: '9', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
        call: { kind: 'METHODCALL', name: 'AssignLabel', target, params },
        correlators: [{ name: 'Op', type: 'string', text: 'x-1' }],
      });
      if (back.kind !== 'SIMPLEREQ' || back.call.kind !== 'METHODCALL') throw new Error('shape');
      const emb = back.call.params.find((p) => p.name === 'Embedded')!;
      expect(emb.embeddedObject).to.equal('instance');
      expect(fromWireValue(emb.value, 'string', false)).to.be.instanceOf(CimInstance);
      expect(fromWireValue(back.call.params[1]!.value, 'uint64', false)).to.equal(18446744073709551615n);
      expect(fromWireValue(back.call.params.find((p) => p.name === 'Untyped')!.value, 'uint16', false)).to.equal(17);
    }
  });

  it('METHODRESPONSE with return value and out parameters, and with ERROR carrying CIM_Error', () => {
    roundTrip('METHODRESPONSE', {
      kind: 'SIMPLERSP', id: '9', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      response: { kind: 'METHODRESPONSE', name: 'GetQuote', returnValue: { type: 'uint32', value: { kind: 'VALUE', text: '0' } }, params: [typedParam('Quote', 'uint8', [0, 255, 16])] },
    });
    roundTrip('METHODRESPONSE null', {
      kind: 'SIMPLERSP', id: '9', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      response: { kind: 'METHODRESPONSE', name: 'GetQuote', returnValue: { value: null }, params: [] },
    });
    const cimError = instance('CIM_Error', [['CIMStatusCode', 'uint32', 6], ['Message', 'string', 'no such vm "x" & <y>'], ['MessageArguments', 'string', ['x']]]);
    const back = roundTrip('ERROR', {
      kind: 'SIMPLERSP', id: '9', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      response: { kind: 'IMETHODRESPONSE', name: 'GetInstance', error: new CimError(CimStatus.CIM_ERR_NOT_FOUND, 'no such vm "x" & <y>', [cimError]), returnValue: null, params: [] },
    });
    if (back.kind !== 'SIMPLERSP') throw new Error('shape');
    expect(back.response.error).to.be.instanceOf(CimError);
    expect(back.response.error!.instances[0]!.get('Message')).to.equal('no such vm "x" & <y>');
    roundTrip('METHODRESPONSE ERROR', {
      kind: 'SIMPLERSP', id: '9', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      response: { kind: 'METHODRESPONSE', name: 'M', error: new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED), returnValue: null, params: [] },
    });
  });

  it('pull operations: OpenEnumerateInstances request and response with EnumerationContext and EndOfSequence', () => {
    roundTrip('Open request', {
      kind: 'SIMPLEREQ', id: '3', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      call: { kind: 'IMETHODCALL', name: 'OpenEnumerateInstances', namespace: ns, params: [
        { name: 'ClassName', value: { kind: 'CLASSNAME', name: 'TVDc_ComputerSystem' } },
        { name: 'PropertyList', value: { kind: 'VALUE.ARRAY', items: ['Name', 'Labels'] } },
        { name: 'MaxObjectCount', value: { kind: 'VALUE', text: '100' } },
        { name: 'FilterQuery', value: null },
      ] },
    });
    const back = roundTrip('Open response', {
      kind: 'SIMPLERSP', id: '3', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      response: { kind: 'IMETHODRESPONSE', name: 'OpenEnumerateInstances', returnValue: [{ kind: 'VALUE.INSTANCEWITHPATH', instance: vm }], params: [
        typedParam('EnumerationContext', 'string', 'ctx-0001'), typedParam('EndOfSequence', 'boolean', false),
      ] },
    });
    if (back.kind !== 'SIMPLERSP' || back.response.kind !== 'IMETHODRESPONSE') throw new Error('shape');
    expect(fromWireValue(back.response.params[1]!.value, 'boolean', false)).to.equal(false);
  });

  it('ExportIndication request and response', () => {
    // An embedded INSTANCE has no path on the wire.
    const vmNoPath = instance('TVDc_ComputerSystem', [['Name', 'string', 'vm1'], ['Labels', 'string', ['red', 'blue']]]);
    const ind = instance('TVDc_AccessDeniedIndication', [['IndicationTime', 'datetime', dt('20261129071600.000000+000')], ['Subject', 'string', 'vm1'], ['SourceInstance', 'string', vmNoPath]]);
    const back = roundTrip('ExportIndication', {
      kind: 'SIMPLEEXPREQ', id: '5', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0',
      call: { kind: 'EXPMETHODCALL', name: 'ExportIndication', params: [{ name: 'NewIndication', value: { kind: 'INSTANCE', instance: ind } }] },
    });
    if (back.kind !== 'SIMPLEEXPREQ') throw new Error('shape');
    const src = (back.call.params[0]!.value as { instance: CimInstance }).instance.properties.get('SourceInstance')!;
    expect(src.embeddedObject).to.equal('instance');
    expect((src.value as CimInstance).get('Labels')).to.deep.equal(['red', 'blue']);
    roundTrip('ExportIndication response', { kind: 'SIMPLEEXPRSP', id: '5', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0', response: { kind: 'EXPMETHODRESPONSE', name: 'ExportIndication', returnValue: null } });
    roundTrip('ExportIndication error', { kind: 'SIMPLEEXPRSP', id: '5', protocolVersion: '1.0', cimVersion: '2.0', dtdVersion: '2.0', response: { kind: 'EXPMETHODRESPONSE', name: 'ExportIndication', error: new CimError(CimStatus.CIM_ERR_FAILED, 'x'), returnValue: null } });
  });

  it('embedded objects nest (instance in instance in instance) and read from CDATA as well as escaped text', () => {
    const inner = instance('TVDc_Inner', [['V', 'uint8', 1]]);
    const middle = instance('TVDc_Middle', [['In', 'string', inner], ['Cls', 'string', new CimClass('TVDc_C')]]);
    const outer = instance('TVDc_Outer', [['Mid', 'string', middle], ['Mids', 'string', [middle, null]]], instancePath('TVDc_Outer', []));
    roundTrip('nested embedded', enumResponse([{ kind: 'VALUE.NAMEDINSTANCE', instance: outer }]));
    const text = encodeEmbeddedObject(middle);
    const viaCdata = decodeEmbeddedObject(`<INSTANCE CLASSNAME="W"><PROPERTY NAME="M" TYPE="string" EmbeddedObject="instance"><VALUE><![CDATA[${text}]]></VALUE></PROPERTY></INSTANCE>`) as CimInstance;
    const viaOld = decodeEmbeddedObject(`<INSTANCE CLASSNAME="W"><PROPERTY NAME="M" TYPE="string" EMBEDDEDOBJECT="object"><VALUE>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</VALUE></PROPERTY></INSTANCE>`) as CimInstance;
    expect(canonical(viaCdata.get('M'))).to.deep.equal(canonical(middle));
    expect(canonical(viaOld.get('M'))).to.deep.equal(canonical(middle));
    // PARAMTYPE="instance" (DSP0203 2.4) means an embedded instance in a string parameter.
    const m = decodeMessage(`<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="M"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH><CLASSNAME NAME="C"/></LOCALCLASSPATH><PARAMVALUE NAME="P" PARAMTYPE="instance"><VALUE><![CDATA[${text}]]></VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`);
    if (m.kind !== 'SIMPLEREQ') throw new Error('shape');
    expect(m.call.params[0]!.embeddedObject).to.equal('instance');
    expect(fromWireValue(m.call.params[0]!.value, 'string', false)).to.be.instanceOf(CimInstance);
  });
});

describe('xml: wire value conversions', () => {
  it('coerces untyped wbemcli text against a declared type and refuses what does not fit', () => {
    expect(fromWireValue({ kind: 'VALUE', text: 'true' }, 'boolean', false)).to.equal(true);
    expect(fromWireValue({ kind: 'VALUE', text: '255' }, 'uint8', false)).to.equal(255);
    expect(fromWireValue({ kind: 'VALUE.ARRAY', items: ['1', null] }, 'sint64', true)).to.deep.equal([1n, null]);
    expect(fromWireValue({ kind: 'VALUE', text: 'root/tvdc:TVDc_X.Name="a"' }, 'reference', false)).to.be.instanceOf(CimObjectPath);
    expect(fromWireValue(null, 'uint8', false)).to.equal(null);
    expect(() => fromWireValue({ kind: 'VALUE', text: '256' }, 'uint8', false)).to.throw(CimError);
    expect(() => fromWireValue({ kind: 'VALUE', text: '1' }, 'uint8', true)).to.throw(CimError, /cannot be a uint8\[\]/);
    expect(() => fromWireValue({ kind: 'VALUE.ARRAY', items: [] }, 'uint8', false)).to.throw(CimError);
  });

  it('builds wire values from typed ones', () => {
    expect(toWireValue(3.5, 'real64')).to.deep.equal({ kind: 'VALUE', text: '3.5' });
    expect(toWireValue([true, null], 'boolean')).to.deep.equal({ kind: 'VALUE.ARRAY', items: ['TRUE', null] });
    expect(toWireValue(null, 'string')).to.equal(null);
    expect(() => toWireValue(300, 'uint8')).to.throw(/out of the uint8 range/);
  });
});

describe('xml: every encoder output in this file is DTD-valid', () => {
  it('xmllint --dtdvalid accepts them all', () => {
    expect(batch.docs.length).to.be.greaterThan(40);
    expect(dtdInvalid(batch.docs)).to.deep.equal([]);
  });
});
