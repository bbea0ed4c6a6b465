// Intrinsic operations over real HTTP, beyond what wbemcli can send: class and qualifier
// options, pull enumerations, ExecQuery, the interop namespace, lifecycle indications, and
// NOT_SUPPORTED for what is not implemented. Every CIM-XML answer is checked against the DTD.
import { expect } from 'chai';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import type { IndicationSink } from '../../src/wbem/Provider.js';
import { baseRepository, repositoryBacked, imethodRequest, rawRequest, repositoryFrom, startServer, validateAgainstDtd, WBEM_FIXTURES, type RawResponse, type TestServer } from './support/wbemTestKit.js';

const CLS = (n: string) => `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="${n}"/></IPARAMVALUE>`;
const VAL = (n: string, v: string) => `<IPARAMVALUE NAME="${n}"><VALUE>${v}</VALUE></IPARAMVALUE>`;
const ctxOf = (r: RawResponse) => /<PARAMVALUE NAME="EnumerationContext"[^>]*><VALUE>([^<]*)<\/VALUE>/.exec(r.body)?.[1];
const endOf = (r: RawResponse) => /<PARAMVALUE NAME="EndOfSequence"[^>]*><VALUE>([^<]*)<\/VALUE>/.exec(r.body)?.[1];
const errorOf = (r: RawResponse) => /<ERROR CODE="(\d+)"/.exec(r.body)?.[1];
const count = (r: RawResponse, tag: string) => r.body.split(`<${tag}>`).length - 1 + r.body.split(`<${tag} `).length - 1;

describe('wbem: operations', function () {
  let s: TestServer;
  const emitted: Array<{ ns: string; ind: CimInstance }> = [];
  const call = (method: string, ns: string, params = '') => rawRequest(s.port, imethodRequest(method, ns, params));

  before(async () => {
    const repository = baseRepository();
    repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }], repository);
    s = await startServer({ repository, name: 'opshost' });
    s.server.registerProvider('root/cimv2', 'TVD_Gadget', repositoryBacked(s.server, {
      invokeMethod: (_ctx, path, name, params) => {
        const sample = params.find((p) => p.name === 'Sample')?.value;
        return { returnValue: `${name} on ${path.className}: ${sample instanceof CimInstance ? `${sample.className} ${String(sample.get('Label'))}` : typeof sample}` };
      },
    }));
    const sink: IndicationSink = { emit: (ns, ind) => { emitted.push({ ns, ind }); }, close: async () => undefined };
    s.server.attachIndications(sink);
    if (repository.hasClass('root/tvdc', 'TVDc_HostSystem')) {
      const host = new CimInstance('TVDc_HostSystem', NameMap.from([
        new CimProperty('CreationClassName', 'string', 'TVDc_HostSystem'), new CimProperty('Name', 'string', 'opshost'),
      ], (p) => p.name));
      s.server.registerProvider('root/tvdc', 'TVDc_HostSystem', { enumerateInstances: () => [host] });
      s.server.interop.addProfile({ organization: 2, name: 'System Virtualization', version: '1.0.0', centralClass: 'TVDc_HostSystem', centralNamespace: 'root/tvdc' });
    }
  });
  after(() => s.close());

  describe('classes and qualifiers', () => {
    it('GetClass honours LocalOnly, IncludeQualifiers, IncludeClassOrigin and PropertyList', async () => {
      const local = await call('GetClass', 'root/cimv2', CLS('TVD_Gadget'));
      expect(local.body).to.contain('<PROPERTY NAME="Mass"').and.not.contain('NAME="Label"');
      const all = await call('GetClass', 'root/cimv2', CLS('TVD_Gadget') + VAL('LocalOnly', 'FALSE') + VAL('IncludeClassOrigin', 'TRUE'));
      expect(all.body).to.match(/<PROPERTY NAME="Label" TYPE="string" CLASSORIGIN="TVD_Widget" PROPAGATED="true"/);
      const bare = await call('GetClass', 'root/cimv2', CLS('TVD_Widget') + VAL('IncludeQualifiers', 'FALSE'));
      expect(bare.body).to.not.contain('<QUALIFIER');
      const some = await call('GetClass', 'root/cimv2', CLS('TVD_Widget') + '<IPARAMVALUE NAME="PropertyList"><VALUE.ARRAY><VALUE>Label</VALUE></VALUE.ARRAY></IPARAMVALUE>');
      expect(count(some, 'PROPERTY')).to.equal(1);
      expect(errorOf(await call('GetClass', 'root/cimv2', CLS('No_Such')))).to.equal('6');
      expect(errorOf(await call('GetClass', 'root/nowhere', CLS('TVD_Widget')))).to.equal('3');
    });

    it('EnumerateClassNames and EnumerateClasses follow DeepInheritance', async () => {
      const roots = await call('EnumerateClassNames', 'root/cimv2');
      expect(roots.body).to.contain('<CLASSNAME NAME="TVD_Widget"').and.not.contain('TVD_Gadget');
      const deep = await call('EnumerateClassNames', 'root/cimv2', VAL('DeepInheritance', 'TRUE'));
      expect(deep.body).to.contain('<CLASSNAME NAME="TVD_Gadget"');
      const subs = await call('EnumerateClasses', 'root/cimv2', CLS('TVD_Widget'));
      expect(count(subs, 'CLASS')).to.equal(1);
    });

    it('CreateClass, DeleteClass and the qualifier operations change the schema', async () => {
      const cls = '<IPARAMVALUE NAME="NewClass"><CLASS NAME="TVD_Extra" SUPERCLASS="TVD_Widget"><PROPERTY NAME="Note" TYPE="string"></PROPERTY></CLASS></IPARAMVALUE>';
      const created = await call('CreateClass', 'root/cimv2', cls);
      expect(errorOf(created), created.body).to.equal(undefined);
      expect((await call('GetClass', 'root/cimv2', CLS('TVD_Extra'))).body).to.contain('NAME="Note"');
      expect(errorOf(await call('CreateClass', 'root/cimv2', cls))).to.equal('11');
      expect(errorOf(await call('DeleteClass', 'root/cimv2', CLS('TVD_Extra')))).to.equal(undefined);
      expect(errorOf(await call('GetClass', 'root/cimv2', CLS('TVD_Extra')))).to.equal('6');
      const quals = await call('EnumerateQualifiers', 'root/cimv2');
      expect(quals.body).to.contain('<QUALIFIER.DECLARATION NAME="Key"');
      const key = await call('GetQualifier', 'root/cimv2', VAL('QualifierName', 'Key'));
      expect(count(key, 'QUALIFIER.DECLARATION')).to.equal(1);
      expect(errorOf(await call('GetQualifier', 'root/cimv2', VAL('QualifierName', 'NoSuchQualifier')))).to.equal('6');
    });

    it('ModifyClass, SetQualifier and DeleteQualifier change the schema', async () => {
      const decl = '<IPARAMVALUE NAME="QualifierDeclaration"><QUALIFIER.DECLARATION NAME="TestNote" TYPE="string"><SCOPE CLASS="true" PROPERTY="true"></SCOPE></QUALIFIER.DECLARATION></IPARAMVALUE>';
      const set = await call('SetQualifier', 'root/cimv2', decl);
      expect(errorOf(set), set.body).to.equal(undefined);
      expect((await call('GetQualifier', 'root/cimv2', VAL('QualifierName', 'TestNote'))).body).to.contain('NAME="TestNote"');
      const base = '<CLASS NAME="TVD_Mod"><PROPERTY NAME="A" TYPE="string"></PROPERTY></CLASS>';
      expect(errorOf(await call('CreateClass', 'root/cimv2', `<IPARAMVALUE NAME="NewClass">${base}</IPARAMVALUE>`))).to.equal(undefined);
      const modified = '<CLASS NAME="TVD_Mod"><PROPERTY NAME="A" TYPE="string"></PROPERTY><PROPERTY NAME="B" TYPE="uint8"></PROPERTY></CLASS>';
      const mod = await call('ModifyClass', 'root/cimv2', `<IPARAMVALUE NAME="ModifiedClass">${modified}</IPARAMVALUE>`);
      expect(errorOf(mod), mod.body).to.equal(undefined);
      expect((await call('GetClass', 'root/cimv2', CLS('TVD_Mod'))).body).to.contain('<PROPERTY NAME="B" TYPE="uint8"');
      expect(errorOf(await call('DeleteQualifier', 'root/cimv2', VAL('QualifierName', 'TestNote')))).to.equal(undefined);
      expect(errorOf(await call('GetQualifier', 'root/cimv2', VAL('QualifierName', 'TestNote')))).to.equal('6');
    });
  });

  describe('instances', () => {
    it('EnumerateInstances with DeepInheritance=false keeps only the requested class properties', async () => {
      const r = await call('EnumerateInstances', 'root/cimv2', CLS('TVD_Widget') + VAL('DeepInheritance', 'FALSE'));
      expect(count(r, 'VALUE.NAMEDINSTANCE')).to.equal(3);
      expect(r.body).to.not.contain('NAME="Mass"');
    });

    it('CreateInstance, ModifyInstance and DeleteInstance raise lifecycle indications', async () => {
      emitted.length = 0;
      const inst = '<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="CreationClassName" TYPE="string"><VALUE>TVD_Widget</VALUE></PROPERTY><PROPERTY NAME="Id" TYPE="uint32"><VALUE>50</VALUE></PROPERTY><PROPERTY NAME="Label" TYPE="string"><VALUE>fifty</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>';
      const created = await call('CreateInstance', 'root/cimv2', inst);
      expect(created.body).to.contain('<INSTANCENAME CLASSNAME="TVD_Widget">');
      const name = '<INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVD_Widget</KEYVALUE></KEYBINDING><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">50</KEYVALUE></KEYBINDING></INSTANCENAME>';
      const mod = `<IPARAMVALUE NAME="ModifiedInstance"><VALUE.NAMEDINSTANCE>${name}<INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="Label" TYPE="string"><VALUE>changed</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE></IPARAMVALUE>`;
      expect(errorOf(await call('ModifyInstance', 'root/cimv2', mod))).to.equal(undefined);
      const got = await call('GetProperty', 'root/cimv2', `<IPARAMVALUE NAME="InstanceName">${name}</IPARAMVALUE>${VAL('PropertyName', 'Label')}`);
      expect(got.body).to.contain('<IRETURNVALUE><VALUE>changed</VALUE></IRETURNVALUE>');
      expect(errorOf(await call('DeleteInstance', 'root/cimv2', `<IPARAMVALUE NAME="InstanceName">${name}</IPARAMVALUE>`))).to.equal(undefined);
      expect(emitted.map((e) => e.ind.className)).to.deep.equal(['CIM_InstCreation', 'CIM_InstModification', 'CIM_InstDeletion']);
      const source = emitted[1]!.ind.get('SourceInstance');
      expect(source).to.be.instanceOf(CimInstance);
      expect((source as CimInstance).get('Label')).to.equal('changed');
      expect((emitted[1]!.ind.get('PreviousInstance') as CimInstance).get('Label')).to.equal('fifty');
      expect(emitted.every((e) => e.ns === 'root/cimv2')).to.equal(true);
    });

    it('refuses unknown parameters and wrong shapes with CIM_ERR_INVALID_PARAMETER', async () => {
      expect(errorOf(await call('EnumerateInstances', 'root/cimv2', CLS('TVD_Widget') + VAL('Bogus', 'x')))).to.equal('4');
      expect(errorOf(await call('EnumerateInstances', 'root/cimv2', VAL('ClassName', 'TVD_Widget')))).to.equal('4');
      expect(errorOf(await call('GetInstance', 'root/cimv2', ''))).to.equal('4');
    });
  });

  describe('pull enumerations', () => {
    it('Open, Pull and EndOfSequence walk the whole set once', async () => {
      const open = await call('OpenEnumerateInstances', 'root/cimv2', CLS('TVD_Widget') + VAL('MaxObjectCount', '2'));
      expect(count(open, 'VALUE.INSTANCEWITHPATH')).to.equal(2);
      expect(endOf(open)).to.equal('FALSE');
      const ctx = ctxOf(open)!;
      const pull = await call('PullInstancesWithPath', 'root/cimv2', VAL('EnumerationContext', ctx) + VAL('MaxObjectCount', '10'));
      expect(count(pull, 'VALUE.INSTANCEWITHPATH')).to.equal(1);
      expect(endOf(pull)).to.equal('TRUE');
      const again = await call('PullInstancesWithPath', 'root/cimv2', VAL('EnumerationContext', ctx) + VAL('MaxObjectCount', '10'));
      expect(errorOf(again)).to.equal('21');
    });

    it('CloseEnumeration ends a context; the wrong Pull kind or namespace is refused', async () => {
      const open = await call('OpenEnumerateInstancePaths', 'root/cimv2', CLS('TVD_Widget') + VAL('MaxObjectCount', '1'));
      expect(count(open, 'INSTANCEPATH')).to.equal(1);
      const ctx = ctxOf(open)!;
      expect(errorOf(await call('PullInstancesWithPath', 'root/cimv2', VAL('EnumerationContext', ctx) + VAL('MaxObjectCount', '1')))).to.equal('21');
      expect(errorOf(await call('PullInstancePaths', 'root/interop', VAL('EnumerationContext', ctx) + VAL('MaxObjectCount', '1')))).to.equal('21');
      expect(errorOf(await call('CloseEnumeration', 'root/cimv2', VAL('EnumerationContext', ctx)))).to.equal(undefined);
      expect(errorOf(await call('PullInstancePaths', 'root/cimv2', VAL('EnumerationContext', ctx) + VAL('MaxObjectCount', '1')))).to.equal('21');
      expect(errorOf(await call('PullInstancePaths', 'root/cimv2', VAL('EnumerationContext', 'made-up') + VAL('MaxObjectCount', '1')))).to.equal('21');
    });

    it('checks OperationTimeout, FilterQuery and ContinueOnError', async () => {
      expect(errorOf(await call('OpenEnumerateInstances', 'root/cimv2', CLS('TVD_Widget') + VAL('OperationTimeout', '100000')))).to.equal('22');
      expect(errorOf(await call('OpenEnumerateInstances', 'root/cimv2', CLS('TVD_Widget') + VAL('FilterQueryLanguage', 'DMTF:FQL') + VAL('FilterQuery', 'x')))).to.equal('25');
      expect(errorOf(await call('OpenEnumerateInstances', 'root/cimv2', CLS('TVD_Widget') + VAL('ContinueOnError', 'TRUE')))).to.equal('26');
    });

    it('closes an enumeration its client stops pulling for longer than OperationTimeout', async () => {
      const open = await call('OpenEnumerateInstancePaths', 'root/cimv2', CLS('TVD_Widget') + VAL('MaxObjectCount', '1') + VAL('OperationTimeout', '1'));
      expect(endOf(open)).to.equal('FALSE');
      await new Promise((r) => setTimeout(r, 1300));
      expect(errorOf(await call('PullInstancePaths', 'root/cimv2', VAL('EnumerationContext', ctxOf(open)!) + VAL('MaxObjectCount', '1')))).to.equal('21');
    });

    it('OpenQueryInstances and PullInstances run WQL', async () => {
      const open = await call('OpenQueryInstances', 'root/cimv2', VAL('FilterQueryLanguage', 'WQL') + VAL('FilterQuery', 'SELECT * FROM TVD_Widget WHERE Id &gt;= 2') + VAL('MaxObjectCount', '1'));
      expect(count(open, 'INSTANCE')).to.equal(1);
      const pull = await call('PullInstances', 'root/cimv2', VAL('EnumerationContext', ctxOf(open)!) + VAL('MaxObjectCount', '5'));
      expect(count(pull, 'INSTANCE')).to.equal(1);
      expect(endOf(pull)).to.equal('TRUE');
    });

    it('OpenAssociatorInstances and OpenReferenceInstancePaths traverse associations', async () => {
      const src = '<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVD_Widget</KEYVALUE></KEYBINDING><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">2</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>';
      const a = await call('OpenAssociatorInstances', 'root/cimv2', src + VAL('MaxObjectCount', '10'));
      expect(count(a, 'VALUE.INSTANCEWITHPATH')).to.equal(2);
      const r = await call('OpenReferenceInstancePaths', 'root/cimv2', src + VAL('MaxObjectCount', '10'));
      expect(count(r, 'INSTANCEPATH')).to.equal(2);
    });
  });

  describe('extrinsic methods', () => {
    it('decodes an embedded instance sent as untyped escaped text, as wbemcli does', async () => {
      const embedded = '&lt;INSTANCE CLASSNAME="TVD_Widget"&gt;&lt;PROPERTY NAME="Label" TYPE="string"&gt;&lt;VALUE&gt;inner&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;';
      const body = '<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="9" PROTOCOLVERSION="1.0"><SIMPLEREQ>' +
        '<METHODCALL NAME="Describe"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>' +
        `<CLASSNAME NAME="TVD_Gadget"/></LOCALCLASSPATH><PARAMVALUE NAME="Sample"><VALUE>${embedded}</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>`;
      const req = `POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `CIMOperation: MethodCall\r\nCIMMethod: Describe\r\nCIMObject: root%2Fcimv2%3ATVD_Gadget\r\nConnection: close\r\n\r\n${body}`;
      const r = await rawRequest(s.port, req);
      expect(r.body).to.contain('<RETURNVALUE PARAMTYPE="string"><VALUE>Describe on TVD_Gadget: TVD_Widget inner</VALUE></RETURNVALUE>');
      const broken = req.replace('&lt;/INSTANCE&gt;', '').replace(/Content-Length: \d+/, `Content-Length: ${Buffer.byteLength(body) - '&lt;/INSTANCE&gt;'.length}`);
      expect(errorOf(await rawRequest(s.port, broken))).to.equal('4');
    });
  });

  describe('class-level association traversal', () => {
    it('AssociatorNames and ReferenceNames on a class name answer with classes', async () => {
      const obj = '<IPARAMVALUE NAME="ObjectName"><CLASSNAME NAME="TVD_Gadget"/></IPARAMVALUE>';
      const refs = await call('ReferenceNames', 'root/cimv2', obj);
      expect([...refs.body.matchAll(/<CLASSNAME NAME="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['TVD_Feeds']);
      const assocs = await call('AssociatorNames', 'root/cimv2', obj);
      expect([...assocs.body.matchAll(/<CLASSNAME NAME="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(['TVD_Widget']);
      const full = await call('References', 'root/cimv2', obj);
      expect(full.body).to.contain('<VALUE.OBJECTWITHPATH><CLASSPATH>').and.contain('<CLASS NAME="TVD_Feeds"');
    });
  });

  describe('queries and unsupported operations', () => {
    it('ExecQuery selects with WHERE and projects the SELECT list', async () => {
      const r = await call('ExecQuery', 'root/cimv2', VAL('QueryLanguage', 'WQL') + VAL('Query', 'SELECT Label FROM TVD_Widget WHERE Label IS NOT NULL AND NOT Id = 1'));
      expect(count(r, 'VALUE.OBJECTWITHPATH')).to.equal(2);
      expect(count(r, 'PROPERTY')).to.equal(2);
      expect(r.body).to.contain('<VALUE>heavy</VALUE>');
      expect(errorOf(await call('ExecQuery', 'root/cimv2', VAL('QueryLanguage', 'CQL') + VAL('Query', 'SELECT * FROM TVD_Widget')))).to.equal('14');
      expect(errorOf(await call('ExecQuery', 'root/cimv2', VAL('QueryLanguage', 'WQL') + VAL('Query', 'SELECT FROM')))).to.equal('15');
    });

    it('answers CIM_ERR_NOT_SUPPORTED, never CIM_ERR_FAILED, for what it does not implement', async () => {
      for (const op of ['EnumerationCount', 'OpenQueryInstancesWithPath', 'Bogus', 'PullInstancePathsWithCount']) {
        expect(errorOf(await call(op, 'root/cimv2', '')), op).to.equal('7');
      }
    });
  });

  describe('interop namespace', () => {
    it('has a CIM_Namespace for every namespace, itself included, under both names', async () => {
      for (const ns of ['root/interop', 'interop']) {
        const r = await call('EnumerateInstances', ns, CLS('CIM_Namespace'));
        const names = [...r.body.matchAll(/<PROPERTY NAME="Name" TYPE="string"><VALUE>([^<]*)<\/VALUE>/g)].map((m) => m[1]).sort();
        expect(names).to.deep.equal(s.server.repository.namespaces().map((n) => n.toLowerCase()).sort());
        expect(names).to.include('root/interop').and.include('root/cimv2');
      }
    });

    it('has one CIM_ObjectManager and the registered profiles', async () => {
      const om = await call('EnumerateInstanceNames', 'root/interop', CLS('CIM_ObjectManager'));
      expect(count(om, 'INSTANCENAME')).to.equal(1);
      const profiles = await call('EnumerateInstances', 'root/interop', CLS('CIM_RegisteredProfile'));
      expect(profiles.body).to.contain('<VALUE>Profile Registration</VALUE>');
    });

    it('CIM_ElementConformsToProfile is traversable from both namespaces', async () => {
      expect(s.server.repository.hasClass('root/tvdc', 'TVDc_HostSystem'), 'the project schema defines TVDc_HostSystem').to.equal(true);
      const profileName = [...(await call('EnumerateInstanceNames', 'root/interop', CLS('CIM_RegisteredProfile'))).body.matchAll(/<INSTANCENAME[\s\S]*?<\/INSTANCENAME>/g)]
        .map((m) => m[0]).find((x) => x.includes('System Virtualization'))!;
      const fromProfile = await call('AssociatorNames', 'root/interop', `<IPARAMVALUE NAME="ObjectName">${profileName}</IPARAMVALUE>`);
      expect(fromProfile.body).to.contain('<NAMESPACE NAME="tvdc">').and.contain('TVDc_HostSystem').and.contain('>opshost</KEYVALUE>');
      const hostName = '<INSTANCENAME CLASSNAME="TVDc_HostSystem"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVDc_HostSystem</KEYVALUE></KEYBINDING><KEYBINDING NAME="Name"><KEYVALUE>opshost</KEYVALUE></KEYBINDING></INSTANCENAME>';
      const fromHost = await call('Associators', 'root/tvdc', `<IPARAMVALUE NAME="ObjectName">${hostName}</IPARAMVALUE>`);
      expect(fromHost.body).to.contain('<NAMESPACE NAME="interop">').and.contain('<VALUE>System Virtualization</VALUE>');
    });
  });

  describe('the wire', () => {
    it('every CIM-XML answer in this file is DTD-valid', async () => {
      expect(s.bodies.length).to.be.greaterThan(40);
      expect(await validateAgainstDtd(s.bodies)).to.equal('');
    });
  });
});

