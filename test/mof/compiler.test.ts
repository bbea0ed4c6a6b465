// The MOF compiler: real MOF (DMTF, pywbem, the project's own) compiles; semantic errors come
// with positions; includes, namespaces and aliases behave as DSP0004 describes.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileMof, compileProjectMof, type CompileMofResult } from '../../src/mof/index.js';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { dmtfFixture, projectMof, pywbemMofDir } from './paths.js';

const QUALS = `
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Abstract : boolean = false, Scope(class, association, indication), Flavor(EnableOverride, Restricted);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
Qualifier EmbeddedObject : boolean = false, Scope(property, method, parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Override : string = null, Scope(property, reference, method), Flavor(EnableOverride, Restricted);
`;

function compile(text: string, options: { repository?: CimRepository } = {}): CompileMofResult {
  return compileMof({ sources: [{ name: 't.mof', text: QUALS + text }], ...options });
}

/** Errors as `line:col: reason`, lines counted in `text` (after the qualifier preamble). */
function errors(text: string): string[] {
  const offset = QUALS.split('\n').length - 1;
  return compile(text).errors.map((e) => `${e.line - offset}:${e.col}: ${e.reason}`);
}

describe('mof compiler', () => {
  describe('real MOF', () => {
    it('compiles the DMTF CIM 2.41 interop fixture: 35 classes, 70 qualifier types', () => {
      const r = compileMof({ files: [dmtfFixture] });
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      expect(r.classes).to.have.length(35);
      expect(r.qualifiers).to.have.length(70);
      const cs = r.repository.getClass('root/tvdc', 'CIM_ComputerSystem');
      expect(cs.superclass).to.equal('CIM_System');
      expect(cs.properties.get('CreationClassName')!.qualifiers.get('Key')!.value).to.equal(true);
      expect(r.repository.getClass('root/tvdc', 'CIM_ElementConformsToProfile').isAssociation).to.equal(true);
      expect(r.repository.getClass('root/tvdc', 'CIM_InstCreation').isIndication).to.equal(true);
    });

    for (const f of readdirSync(pywbemMofDir).filter((n) => n.endsWith('.mof') && n !== 'parse_error01.mof')) {
      it(`compiles pywbem ${f}`, () => {
        const r = compileMof({ files: [resolve(pywbemMofDir, f)] });
        expect(r.errors.map((e) => e.message)).to.deep.equal([]);
        expect(r.qualifiers.length).to.be.greaterThan(50);
      });
    }

    it('compiles every type of pywbem test_types.mof into the right property types', () => {
      const r = compileMof({ files: [resolve(pywbemMofDir, 'test_types.mof')] });
      const c = r.repository.getClass('root/tvdc', 'EX_AllTypes');
      const types = Object.fromEntries(c.properties.values().map((p) => [p.name, p.type]));
      expect(types).to.deep.include({ pui8: 'uint8', psi64: 'sint64', pr32: 'real32', pc: 'char16', pdt: 'datetime', pb: 'boolean' });
      expect(c.properties.get('peo')!.embeddedObject).to.equal('object');
      expect(c.properties.get('pei')!.embeddedObject).to.equal('instance');
      expect(c.properties.get('pei')!.embeddedClass).to.equal('EX_AllTypes');
    });

    it('rejects pywbem parse_error01.mof, first with the syntax error at line 16', () => {
      const file = resolve(pywbemMofDir, 'parse_error01.mof');
      const r = compileMof({ files: [file] });
      expect(r.errors.length).to.be.greaterThan(0);
      expect(r.errors.map((e) => e.message)).to.include(`${file}:16:2: expected ";" after the value of comment, found "size"`);
    });

    it('compiles the project mof/ (tvdc.mof and interop.mof) without an error', () => {
      const r = compileMof({ files: [join(projectMof, 'tvdc.mof'), join(projectMof, 'interop.mof')] });
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      const repo = r.repository;
      expect(repo.hasClass('root/tvdc', 'TVDc_SecurityService')).to.equal(true);
      expect(repo.hasClass('root/interop', 'TVDc_RegisteredProfile')).to.equal(true);
      expect(repo.hasClass('root/interop', 'TVDc_SecurityService')).to.equal(false);
      const svc = repo.getClass('root/tvdc', 'TVDc_SecurityService');
      expect(svc.keyNames).to.have.members(['SystemCreationClassName', 'SystemName', 'CreationClassName', 'Name']);
      expect(svc.methods.names()).to.include.members(['SetPolicy', 'ActivatePolicy', 'AssignLabel', 'RemoveLabel', 'CheckAccess', 'Sanitize']);
      const check = svc.methods.get('CheckAccess')!;
      expect(check.parameters.names()).to.deep.equal(['Subject', 'Object', 'Permitted', 'Reason']);
      expect(check.parameters.get('Permitted')!.isOut).to.equal(true);
      const quote = repo.getClass('root/tvdc', 'TVDc_AttestationService').methods.get('GetQuote')!;
      expect(quote.parameters.values().map((p) => `${p.isOut ? 'out' : 'in'} ${p.type}${p.isArray ? '[]' : ''} ${p.name}`)).to.deep.equal([
        'in reference Target', 'in string Nonce', 'in uint32[] PCRSelection', 'in uint64 FromIndex',
        'out string Quote', 'out string Signature', 'out string QuoteFamily', 'out string AKPublic', 'out string AKCertificate', 'out string EKCertificate',
        'out string[] PCRValues', 'out string[] LogEntries', 'out uint64 LogIndex',
      ]);
      const define = repo.getClass('root/tvdc', 'TVDc_VirtualSystemManagementService').methods.get('DefineSystem')!;
      expect(define.parameters.get('SystemSettings')!.embeddedClass).to.equal('TVDc_VirtualSystemSettingData');
      expect(repo.getClass('root/tvdc', 'TVDc_ComputerSystem').keyNames).to.have.members(['CreationClassName', 'Name']);
      expect(repo.getClass('root/tvdc', 'TVDc_VTPM').superclass).to.equal('CIM_TPM');
      expect(repo.getClass('root/tvdc', 'TVDc_AccessDeniedIndication').isIndication).to.equal(true);
      expect(repo.getClass('root/tvdc', 'TVDc_ElementSecurityLabel').properties.get('SecurityLevel')!.referenceClass).to.equal('TVDc_SecurityLabel');
    });
  });

  describe('semantic errors, each at its position', () => {
    it('an undeclared qualifier', () => {
      expect(errors('[Color("red")] class EX_A { };')).to.deep.equal(['1:2: qualifier Color is not declared (declare it with "Qualifier Color : ..." or include qualifiers.mof)']);
    });

    it('a qualifier out of its scope, and one of the wrong type', () => {
      expect(errors('class EX_A { [In] string P; [MaxLen("long")] string Q; };')).to.deep.equal([
        '1:15: qualifier In cannot be applied to property EX_A.P: its scope is parameter',
        '1:37: qualifier MaxLen: a string is not a valid uint32 value',
      ]);
    });

    it('an unknown superclass, naming the DSP0004 ordering rule', () => {
      expect(errors('class EX_B : EX_A { };\nclass EX_A { };')).to.deep.equal([
        '1:14: superclass EX_A of EX_B is not defined in namespace root/tvdc (DSP0004: a class must come after its superclass); it is defined later, at t.mof:14:7',
      ]);
      expect(errors('class EX_B : EX_Gone { };')).to.deep.equal([
        '1:14: superclass EX_Gone of EX_B is not defined in namespace root/tvdc (DSP0004: a class must come after its superclass)',
      ]);
    });

    it('a class defined twice', () => {
      expect(errors('class EX_A { };\nclass EX_A { };')).to.deep.equal(['2:7: class EX_A is already defined at t.mof:13:7']);
    });

    it('default values that do not fit their type', () => {
      expect(errors([
        'class EX_A {',
        '  uint8 A = 256;',
        '  sint8 B = -129;',
        '  boolean C = 1;',
        '  string D = 5;',
        '  uint32 E[] = 5;',
        '  uint32 F = {1};',
        '  datetime G = "2026";',
        '  char16 H = "xy";',
        '  uint16 I = 1.5;',
        '  real32 J = 1e39;',
        '  uint64 K = 18446744073709551616;',
        '};',
      ].join('\n')).map((e) => e.replace(/: .*/, ''))).to.deep.equal(['2:13', '3:13', '4:15', '5:14', '6:16', '7:14', '8:16', '9:14', '10:14', '11:14', '12:14']);
    });

    it('accepts defaults of every type and literal form', () => {
      const r = compile([
        'class EX_A {',
        '  uint8 A = 0xFF; sint8 B = -0x80; uint16 C = 0177777; uint32 D = 11111111b; sint64 E = -9223372036854775808;',
        '  uint64 F = 18446744073709551615; real32 G = 1.5; real64 H = -2.5e-3; real64 I = 7;',
        '  char16 J = \'\\x41\'; string K = "a" "b\\n"; boolean L = false; datetime M = "20260102030405.123456-060";',
        '  datetime N = "00000001020304.000000:000"; string O[] = {"x", NULL}; uint8 P[3] = {1, 2, 3}; string Q = NULL;',
        '};',
      ].join('\n'));
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      const c = r.repository.getClass('root/tvdc', 'EX_A');
      const v = (n: string) => c.properties.get(n)!.value;
      expect([v('A'), v('B'), v('C'), v('D'), v('E'), v('F')]).to.deep.equal([255, -128, 65535, 255, -9223372036854775808n, 18446744073709551615n]);
      expect([v('G'), v('H'), v('I'), v('J'), v('K'), v('L'), v('O'), v('P'), v('Q')]).to.deep.equal([1.5, -0.0025, 7, 'A', 'ab\n', false, ['x', null], [1, 2, 3], null]);
      expect((v('M') as CimDateTime).text).to.equal('20260102030405.123456-060');
      expect((v('N') as CimDateTime).isInterval).to.equal(true);
      expect(c.properties.get('P')!.arraySize).to.equal(3);
    });

    it('a reference outside an association, to an unknown class, and a reference array', () => {
      expect(errors('class EX_T { };\nclass EX_A { EX_T REF R; };\n[Association] class EX_B { EX_Nope REF X; };\n[Association] class EX_C { EX_T REF Y[]; };')).to.deep.equal([
        '2:23: reference R is only allowed in an association class (qualify EX_A with [Association])',
        '3:28: class EX_Nope named in "EX_Nope REF" is not defined in namespace root/tvdc',
        '4:37: reference property Y cannot be an array',
      ]);
    });

    it('duplicate members and parameters, and EmbeddedInstance on a non-string', () => {
      expect(errors('class EX_A { string P; uint8 p; uint32 M(string a, string A); [EmbeddedInstance("EX_A")] uint8 Q; };')).to.deep.equal([
        '1:30: EX_A declares p twice',
        '1:59: method EX_A.M has two parameters named A',
        '1:96: property EX_A.Q carries an embedded object but is uint8, not string',
      ]);
    });

    it('a lexical error right after a declaration does not break that declaration', () => {
      expect(errors('class EX_A { }; @\nclass EX_B : EX_A { }; instance of EX_B { }; \u0001\nQualifier Q : string, Scope(any); `\nclass EX_C : EX_B { };')).to.deep.equal([
        '1:17: unexpected character "@" (U+0040)', '2:46: unexpected character (U+0001)', '3:35: unexpected character "`" (U+0060)',
      ]);
    });

    it('does not cascade: subclasses and instances of a broken class are not reported again', () => {
      expect(errors('class EX_A { strng X; };\nclass EX_B : EX_A { };\ninstance of EX_B { };')).to.deep.equal([
        '1:14: unknown data type "strng" (a reference is written "strng REF name")',
      ]);
    });

    it('instances: unknown class, unknown property, wrong value, missing key, duplicate', () => {
      const got = errors([
        'class EX_A { [Key] string K; uint8 N; };',
        'instance of EX_Nope { K = "a"; };',
        'instance of EX_A { K = "a"; Z = 1; };',
        'instance of EX_A { K = "b"; N = 300; };',
        'instance of EX_A { N = 1; };',
        'instance of EX_A { K = "c"; };',
        'instance of EX_A { K = "c"; };',
        'instance of EX_A { K = "d"; K = "e"; };',
      ].join('\n'));
      const expected = [
        '2:13: class EX_Nope is not defined in namespace root/tvdc',
        '3:29: class EX_A has no property Z',
        '4:33: property EX_A.N: bigint 300 is not a valid uint8: out of range 0..255',
        '5:13: key property EX_A.K has no value',
        '7:13: instance root/tvdc:EX_A.K="c" already exists',
        '8:29: property K is given twice',
      ];
      expect(got).to.have.length(expected.length);
      got.forEach((g, i) => expect(g.startsWith(expected[i]!), `${g} starts with ${expected[i]}`).to.equal(true));
    });

    it('aliases: instance paths for references, unknown and duplicate aliases', () => {
      const text = [
        'class EX_A { [Key] string K; };',
        '[Association] class EX_L { [Key] EX_A REF L; [Key] EX_A REF R; };',
        'instance of EX_A as $a { K = "one"; };',
        'instance of EX_A as $b { K = "two"; };',
        'instance of EX_L { L = $a; R = $b; };',
        'instance of EX_L { L = $a; R = "EX_A.K=\\"one\\""; };',
      ].join('\n');
      const r = compile(text);
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      expect(r.instances).to.have.length(4);
      const link = r.instances[2]!.instance;
      expect((link.get('L') as CimObjectPath).keys!.get('K')!.value).to.equal('one');
      expect((link.get('R') as CimObjectPath).keys!.get('K')!.value).to.equal('two');
      expect(errors('class EX_A { [Key] string K; };\n[Association] class EX_L { [Key] EX_A REF L; };\ninstance of EX_L { L = $nope; };\ninstance of EX_A as $x { K = "1"; };\ninstance of EX_A as $x { K = "2"; };')).to.deep.equal([
        '3:24: property EX_L.L: alias $nope is not defined (an alias must be defined before it is used)',
        '5:21: alias $x is already defined at t.mof:16:21',
      ]);
    });

    it('qualifier declarations: identical redeclaration is accepted, a different one is not', () => {
      expect(errors('Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);')).to.deep.equal([]);
      expect(errors('Qualifier Key : string, Scope(property);')).to.deep.equal(['1:11: qualifier Key is already declared differently in root/tvdc']);
      expect(errors('Qualifier Q : uint8 = 300, Scope(any);')[0]).to.match(/^1:23: default of qualifier Q: /);
      expect(errors('Qualifier Q : boolean, Scope(any), Flavor(EnableOverride, DisableOverride);')).to.deep.equal(['1:11: flavors disableoverride and enableoverride contradict each other']);
    });

    it('applies declared flavors, with local flavors overriding them', () => {
      const r = compile('[Description("d") : Restricted] class EX_A { [Key] string K; };');
      expect(r.errors).to.deep.equal([]);
      const c = r.repository.getLocalClass('root/tvdc', 'EX_A');
      expect(c.qualifiers.get('Description')!.flavor).to.deep.include({ toSubclass: false, translatable: true, overridable: true });
      expect(c.properties.get('K')!.qualifiers.get('Key')!.flavor).to.deep.include({ overridable: false, toSubclass: true });
    });
  });

  describe('includes and namespaces', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'tvdc-mof-'));
      mkdirSync(join(dir, 'sub'));
      mkdirSync(join(dir, 'lib'));
      writeFileSync(join(dir, 'quals.mof'), QUALS);
      writeFileSync(join(dir, 'lib', 'base.mof'), 'class EX_Base { [Key] string K; };\n');
      writeFileSync(join(dir, 'sub', 'child.mof'), '#pragma include ("sibling.mof")\nclass EX_Child : EX_Base { };\n');
      writeFileSync(join(dir, 'sub', 'sibling.mof'), 'class EX_Sibling { };\n');
      writeFileSync(join(dir, 'main.mof'), '#pragma include ("quals.mof")\n#pragma include ("base.mof")\n#pragma include ("sub/child.mof")\n');
      writeFileSync(join(dir, 'cycle-a.mof'), '#pragma include ("cycle-b.mof")\n');
      writeFileSync(join(dir, 'cycle-b.mof'), '#pragma include ("cycle-a.mof")\n');
      writeFileSync(join(dir, 'ns.mof'), '#pragma include ("quals.mof")\n#pragma namespace ("root/other")\n#pragma include ("quals.mof")\nclass EX_Other { };\n');
      writeFileSync(join(dir, 'missing.mof'), '\n  #pragma include ("nowhere.mof")\n');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('resolves includes relative to the including file, then each -I directory', () => {
      const r = compileMof({ files: [join(dir, 'main.mof')], includeDirs: [join(dir, 'lib')] });
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      expect(r.classes.map((c) => c.cls.name)).to.deep.equal(['EX_Base', 'EX_Sibling', 'EX_Child']);
    });

    it('reports a missing include at the pragma, listing where it looked', () => {
      const r = compileMof({ files: [join(dir, 'main.mof')] });
      expect(r.errors).to.have.length(2); // base.mof, then EX_Child's superclass
      expect(r.errors[0]!.message).to.equal(`${join(dir, 'main.mof')}:2:18: cannot find include file "base.mof" (looked in: ${dir})`);
      expect(r.errors[0]!.code).to.equal('MOF_INCLUDE');
      const m = compileMof({ files: [join(dir, 'missing.mof')], includeDirs: [join(dir, 'lib')] });
      expect(m.errors.map((e) => e.message)).to.deep.equal([`${join(dir, 'missing.mof')}:2:20: cannot find include file "nowhere.mof" (looked in: ${dir}, ${join(dir, 'lib')})`]);
    });

    it('detects an include cycle instead of recursing', () => {
      const r = compileMof({ files: [join(dir, 'cycle-a.mof')] });
      expect(r.errors.map((e) => e.reason)).to.deep.equal(['include cycle: "cycle-a.mof" is already being compiled']);
      expect(r.errors[0]!.file).to.match(/cycle-b\.mof$/);
    });

    it('stops include chains deeper than the limit with one MOF_LIMIT error', () => {
      const chain = join(dir, 'chain');
      mkdirSync(chain);
      for (let i = 0; i < 80; i++) writeFileSync(join(chain, `c${i}.mof`), `#pragma include ("c${i + 1}.mof")\n`);
      writeFileSync(join(chain, 'c80.mof'), 'class EX_Deep { };\n');
      const r = compileMof({ files: [join(chain, 'c0.mof')] });
      expect(r.errors.map((e) => [e.code, e.reason])).to.deep.equal([['MOF_LIMIT', 'includes nested more than 64 deep']]);
      expect(r.errors[0]!.file).to.match(/c63\.mof$/);
    });

    it('switches namespace with #pragma namespace', () => {
      const r = compileMof({ files: [join(dir, 'ns.mof')] });
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      expect(r.repository.hasClass('root/other', 'EX_Other')).to.equal(true);
      expect(r.repository.hasNamespace('root/tvdc')).to.equal(true);
      expect(r.classes[0]!.namespace).to.equal('root/other');
    });

    it('a #pragma namespace lasts to the end of its file: the includer keeps its own namespace', () => {
      writeFileSync(join(dir, 'ns-inner.mof'), '#pragma namespace ("root/inner")\n#pragma include ("quals.mof")\nclass EX_In { };\n');
      writeFileSync(join(dir, 'ns-outer.mof'), '#pragma include ("quals.mof")\n#pragma include ("ns-inner.mof")\nclass EX_Out { };\n');
      const r = compileMof({ files: [join(dir, 'ns-outer.mof')], defaultNamespace: 'root/outer' });
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      expect(r.classes.map((c) => `${c.namespace}:${c.cls.name}`)).to.deep.equal(['root/inner:EX_In', 'root/outer:EX_Out']);
    });

    it('reports a file that cannot be read', () => {
      const r = compileMof({ files: [join(dir, 'absent.mof'), join(dir, 'sub')] });
      expect(r.errors.map((e) => [e.code, e.line, e.col, e.reason])).to.deep.equal([
        ['MOF_IO', 1, 1, 'cannot read file: no such file'], ['MOF_IO', 1, 1, 'cannot read file: is a directory'],
      ]);
    });

    it('compiles into a given repository that already holds the schema', () => {
      const first = compileMof({ files: [join(dir, 'quals.mof')] });
      const r = compileMof({ sources: [{ name: 'x.mof', text: 'class EX_More { [Key] string K; };\ninstance of EX_More { K = "1"; };' }], repository: first.repository });
      expect(r.errors).to.deep.equal([]);
      expect(r.repository).to.equal(first.repository);
      expect(r.repository.instances('root/tvdc', 'EX_More')).to.have.length(1);
    });
  });
});

describe('compileProjectMof', () => {
  it('loads the project schema into both namespaces, extra files after it (with mof/ on the include path)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tvdc-mof-extra-'));
    try {
      writeFileSync(join(dir, 'extra.mof'), '#pragma namespace ("root/tvdc")\nclass TVDc_Extra : TVDc_LogicalDisk { };\n' +
        '#pragma namespace ("root/interop")\ninstance of TVDc_RegisteredProfile { InstanceID = "TVDc:isolation"; RegisteredOrganization = 1; OtherRegisteredOrganization = "TVDc"; ' +
        'RegisteredName = "TVDc Isolation"; RegisteredVersion = "1.0.0"; AdvertiseTypes = {2}; };\n');
      const r = compileProjectMof({ extraFiles: [join(dir, 'extra.mof')] });
      expect(r.errors.map((e) => e.message)).to.deep.equal([]);
      expect(r.repository.namespaces().map((n) => n.toLowerCase()).sort()).to.deep.equal(['root/interop', 'root/tvdc']);
      expect(r.repository.isSubclassOf('root/tvdc', 'TVDc_Extra', 'CIM_LogicalDevice')).to.equal(true);
      expect(r.instances[0]!.path.keys!.get('InstanceID')!.value).to.equal('TVDc:isolation');
      expect(r.instances[0]!.namespace).to.equal('root/interop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
