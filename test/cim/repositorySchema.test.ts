// Repository schema side: namespaces, qualifier declarations, classes with inheritance, overrides,
// qualifier flavors and scopes, subclass queries, class changes.
import { expect } from 'chai';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { CimStatus } from '../../src/cim/CimError.js';
import { CimQualifierDeclaration } from '../../src/cim/CimQualifierDeclaration.js';
import { CimQualifier } from '../../src/cim/CimQualifier.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { NS, repoWithQualifiers, q, quals, prop, method, cls, expectCimError } from './support.js';

/** CIM_ManagedElement <- CIM_LogicalElement <- TVDc_ComputerSystem, DMTF style. */
function hierarchy(): CimRepository {
  const repo = repoWithQualifiers();
  repo.addClass(NS, cls('CIM_ManagedElement', null, [
    prop('Caption', 'string', { quals: [q('MaxLen', 64, 'uint32')] }),
    prop('Description', 'string', { value: 'none' }),
  ], [q('Abstract', true), q('Version', '2.41.0'), q('Description', 'root of all')]));
  repo.addClass(NS, cls('CIM_LogicalElement', 'CIM_ManagedElement', [
    prop('Name', 'string', { quals: [q('Description', 'the name')] }),
  ], [q('Abstract', true)], [method('RequestStateChange', 'uint32', [new CimParameter('RequestedState', 'uint16', false, quals(q('In', true)))])]));
  repo.addClass(NS, cls('TVDc_ComputerSystem', 'CIM_LogicalElement', [
    prop('Name', 'string', { quals: [q('Key', true), q('Override', 'Name')] }),
    prop('Description', 'string', { value: 'a VM', quals: [q('Override', 'Description')] }),
    prop('Memory', 'uint64'),
  ], [], [method('RequestStateChange', 'uint32', [new CimParameter('RequestedState', 'uint16', false, quals(q('Description', 'wanted')))], [q('Override', 'RequestStateChange')])]));
  return repo;
}

describe('cim/CimRepository schema', () => {
  it('manages namespaces case-insensitively, with aliases, refusing bad and duplicate names', () => {
    const repo = new CimRepository();
    repo.createNamespace('root/cimv2');
    expect(repo.hasNamespace('ROOT/CIMV2')).to.equal(true);
    expect(repo.hasNamespace('/root/cimv2/')).to.equal(true);
    expectCimError(() => repo.createNamespace('Root/CimV2'), CimStatus.CIM_ERR_ALREADY_EXISTS, /already exists/);
    expectCimError(() => repo.createNamespace('root//x'), CimStatus.CIM_ERR_INVALID_PARAMETER, /invalid namespace name/);
    expectCimError(() => repo.createNamespace('root/a b'), CimStatus.CIM_ERR_INVALID_PARAMETER, /invalid namespace name/);
    repo.createNamespace('root/interop');
    repo.aliasNamespace('interop', 'root/interop');
    repo.addClass('interop', cls('CIM_Namespace', null, []));
    expect(repo.hasClass('root/interop', 'cim_namespace')).to.equal(true);
    expect(repo.namespaces()).to.deep.equal(['root/cimv2', 'root/interop']);
    expectCimError(() => repo.deleteNamespace('root/interop'), CimStatus.CIM_ERR_NAMESPACE_NOT_EMPTY, /holds 1 classes/);
    repo.deleteClass('root/interop', 'CIM_Namespace');
    repo.deleteNamespace('root/interop');
    expect(repo.hasNamespace('interop')).to.equal(false);
    expectCimError(() => repo.classNames('root/nowhere'), CimStatus.CIM_ERR_INVALID_NAMESPACE, /root\/nowhere does not exist/);
    repo.ensureNamespace('root/cimv2');
    repo.ensureNamespace('root/new');
    expect(repo.hasNamespace('root/new')).to.equal(true);
  });

  it('stores qualifier declarations as copies with coerced defaults', () => {
    const repo = repoWithQualifiers();
    const key = repo.getQualifierDeclaration(NS, 'KEY');
    expect(key.name).to.equal('Key');
    expect(key.flavor.overridable).to.equal(false);
    key.value = true;
    expect(repo.getQualifierDeclaration(NS, 'Key').value).to.equal(false);
    repo.setQualifierDeclaration(NS, new CimQualifierDeclaration('Counter', 'uint64', 5));
    expect(repo.getQualifierDeclaration(NS, 'counter').value).to.equal(5n);
    expectCimError(() => repo.setQualifierDeclaration(NS, new CimQualifierDeclaration('Bad', 'uint8', 300)), CimStatus.CIM_ERR_TYPE_MISMATCH, /default of qualifier Bad: .*out of range/);
    expectCimError(() => repo.setQualifierDeclaration(NS, new CimQualifierDeclaration('R', 'reference')), CimStatus.CIM_ERR_INVALID_PARAMETER, /cannot be references/);
    expect(repo.qualifierDeclarations(NS).map((d) => d.name)).to.include.members(['Key', 'Counter', 'ValueMap']);
    repo.deleteQualifierDeclaration(NS, 'counter');
    expect(repo.hasQualifierDeclaration(NS, 'Counter')).to.equal(false);
    expectCimError(() => repo.getQualifierDeclaration(NS, 'Counter'), CimStatus.CIM_ERR_NOT_FOUND, /not declared/);
    expectCimError(() => repo.deleteQualifierDeclaration(NS, 'Counter'), CimStatus.CIM_ERR_NOT_FOUND, /not declared/);
  });

  it('resolves inherited members as propagated with their class of origin, in superclass order', () => {
    const repo = hierarchy();
    const c = repo.getClass(NS, 'tvdc_computersystem');
    expect(c.name).to.equal('TVDc_ComputerSystem');
    expect(c.properties.names()).to.deep.equal(['Caption', 'Description', 'Name', 'Memory']);
    const caption = c.properties.get('caption')!;
    expect(caption).to.include({ propagated: true, classOrigin: 'CIM_ManagedElement' });
    expect(caption.qualifiers.get('MaxLen')).to.include({ value: 64, propagated: true });
    const memory = c.properties.get('Memory')!;
    expect(memory).to.include({ propagated: false, classOrigin: 'TVDc_ComputerSystem' });
    expect(c.keyNames).to.deep.equal(['Name']);
    const local = repo.getLocalClass(NS, 'TVDc_ComputerSystem');
    expect(local.properties.names()).to.deep.equal(['Name', 'Description', 'Memory']);
  });

  it('lets an overriding property replace the inherited one, keeping its place and merging qualifiers', () => {
    const repo = hierarchy();
    const c = repo.getClass(NS, 'TVDc_ComputerSystem');
    const name = c.properties.get('Name')!;
    expect(name).to.include({ propagated: false, classOrigin: 'TVDc_ComputerSystem' });
    // Description on Name came from CIM_LogicalElement (ToSubclass); Key is local.
    expect(name.qualifiers.get('Description')).to.include({ value: 'the name', propagated: true });
    expect(name.qualifiers.get('Key')).to.include({ value: true, propagated: false });
    // Key's DisableOverride comes from the declaration, not the applied qualifier.
    expect(name.qualifiers.get('Key')!.flavor.overridable).to.equal(false);
    expect(c.properties.get('Description')!.value).to.equal('a VM');
    const m = c.methods.get('RequestStateChange')!;
    expect(m).to.include({ propagated: false, classOrigin: 'TVDc_ComputerSystem' });
    expect(m.parameters.get('RequestedState')!.qualifiers.get('In')).to.include({ value: true, propagated: true });
    expect(m.parameters.get('RequestedState')!.qualifiers.get('Description')).to.include({ value: 'wanted', propagated: false });
    const le = repo.getClass(NS, 'CIM_LogicalElement');
    expect(le.methods.get('RequestStateChange')).to.include({ propagated: false, classOrigin: 'CIM_LogicalElement' });
    expect(le.properties.get('Description')).to.include({ value: 'none', propagated: true });
  });

  it('propagates ToSubclass qualifiers and keeps Restricted ones behind', () => {
    const repo = hierarchy();
    const c = repo.getClass(NS, 'TVDc_ComputerSystem');
    expect(c.isAbstract).to.equal(false);
    expect(c.qualifiers.has('Version')).to.equal(false);
    expect(c.qualifiers.get('Description')).to.include({ value: 'root of all', propagated: true });
    expect(repo.getClass(NS, 'CIM_LogicalElement').isAbstract).to.equal(true);
    // Override is Restricted too: the next subclass does not see it.
    repo.addClass(NS, cls('TVDc_Sub', 'TVDc_ComputerSystem', []));
    expect(repo.getClass(NS, 'TVDc_Sub').properties.get('Name')!.qualifiers.has('Override')).to.equal(false);
    expect(repo.getClass(NS, 'TVDc_Sub').properties.get('Name')!.qualifiers.get('Key')!.value).to.equal(true);
  });

  it('takes an explicitly stated flavor over the declaration', () => {
    const repo = hierarchy();
    const restricted = new CimQualifier('Description', 'string', 'private', false, { overridable: true, toSubclass: false, toInstance: false, translatable: false });
    repo.addClass(NS, cls('TVDc_Base', null, [prop('P', 'string', { quals: [restricted] })]));
    repo.addClass(NS, cls('TVDc_Derived', 'TVDc_Base', []));
    expect(repo.getClass(NS, 'TVDc_Base').properties.get('P')!.qualifiers.get('Description')!.flavor.translatable).to.equal(true);
    expect(repo.getClass(NS, 'TVDc_Derived').properties.get('P')!.qualifiers.has('Description')).to.equal(false);
  });

  it('refuses a different value for a DisableOverride qualifier, but accepts restating it', () => {
    const repo = hierarchy();
    expectCimError(
      () => repo.addClass(NS, cls('TVDc_Bad', 'TVDc_ComputerSystem', [prop('Name', 'string', { quals: [q('Key', false), q('Override', 'Name')] })])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /qualifier Key on property TVDc_Bad\.Name is DisableOverride .* from true to false/,
    );
    expect(repo.hasClass(NS, 'TVDc_Bad')).to.equal(false);
    repo.addClass(NS, cls('TVDc_Ok', 'TVDc_ComputerSystem', [prop('Name', 'string', { quals: [q('Key', true), q('Override', 'Name')] })]));
    expect(repo.getClass(NS, 'TVDc_Ok').keyNames).to.deep.equal(['Name']);
  });

  it('refuses bad overrides: nothing to override, another name, a different type', () => {
    const repo = hierarchy();
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', 'CIM_LogicalElement', [prop('Ghost', 'string', { quals: [q('Override', 'Ghost')] })])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /TVDc_A\.Ghost has Override but CIM_LogicalElement has no such property/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', 'CIM_LogicalElement', [prop('Name', 'string', { quals: [q('Override', 'Caption')] })])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /must name the property itself/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', 'CIM_LogicalElement', [prop('Name', 'uint32', { quals: [q('Override', 'Name')] })])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /TVDc_A\.Name is uint32 but overrides CIM_LogicalElement\.Name of type string/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', 'CIM_LogicalElement', [], [], [method('Stop', 'uint32', [], [q('Override', 'Stop')])])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /method TVDc_A\.Stop has Override/);
  });

  it('checks qualifier scope, type and declaration', () => {
    const repo = hierarchy();
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', null, [], [q('Key', true)])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /qualifier Key may not be applied to class TVDc_A: its scope is property, reference/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', null, [prop('P', 'string', { quals: [q('MaxLen', 'long', 'string')] })])),
      CimStatus.CIM_ERR_TYPE_MISMATCH, /qualifier MaxLen on property TVDc_A\.P: invalid uint32 value "long"/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', null, [prop('P', 'string', { quals: [q('Frobnicate', true)] })])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /qualifier Frobnicate on property TVDc_A\.P is not declared/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', null, [prop('P', 'string', { quals: [q('Association', true)] })])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /qualifier Association may not be applied to property TVDc_A\.P: its scope is association/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', null, [], [], [method('M', 'uint32', [new CimParameter('x', 'uint8', false, quals(q('Key', true)))])])),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /qualifier Key may not be applied to parameter x of method TVDc_A\.M/);
    // ValueMap is string[]: a scalar is a mismatch, an array is fine.
    expectCimError(() => repo.addClass(NS, cls('TVDc_A', null, [prop('P', 'uint16', { quals: [q('ValueMap', '1')] })])),
      CimStatus.CIM_ERR_TYPE_MISMATCH, /expected an array/);
    repo.addClass(NS, cls('TVDc_A', null, [prop('P', 'uint16', { quals: [new CimQualifier('valuemap', 'string', ['1', '2'], true)] })]));
    expect(repo.getClass(NS, 'TVDc_A').properties.get('P')!.qualifiers.get('ValueMap')).to.include({ name: 'ValueMap', isArray: true });
    // A namespace without declarations accepts anything (classes that arrive over the wire).
    const bare = new CimRepository();
    bare.createNamespace('root/x');
    bare.addClass('root/x', cls('X_Y', null, [prop('P', 'string', { quals: [q('Whatever', true)] })]));
    expect(bare.getClass('root/x', 'X_Y').properties.get('P')!.qualifiers.has('Whatever')).to.equal(true);
    const strict = new CimRepository({ requireDeclaredQualifiers: true });
    strict.createNamespace('root/x');
    expectCimError(() => strict.addClass('root/x', cls('X_Y', null, [], [q('Whatever', true)])), CimStatus.CIM_ERR_INVALID_PARAMETER, /not declared/);
  });

  it('coerces property defaults and refuses unknown types and array keys', () => {
    const repo = hierarchy();
    repo.addClass(NS, cls('TVDc_D', null, [prop('N', 'uint64', { value: 7 }), prop('T', 'datetime', { value: '00000001000000.000000:000' })]));
    const d = repo.getClass(NS, 'TVDc_D');
    expect(d.properties.get('N')!.value).to.equal(7n);
    expect(String(d.properties.get('T')!.value)).to.equal('00000001000000.000000:000');
    expectCimError(() => repo.addClass(NS, cls('TVDc_E', null, [prop('N', 'uint8', { value: 256 })])), CimStatus.CIM_ERR_TYPE_MISMATCH, /default of property TVDc_E\.N/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_E', null, [prop('N', 'int' as 'uint8')])), CimStatus.CIM_ERR_INVALID_PARAMETER, /unknown type int/);
    expectCimError(() => repo.addClass(NS, cls('TVDc_E', null, [prop('K', 'string', { isArray: true, quals: [q('Key', true)] })])), CimStatus.CIM_ERR_INVALID_PARAMETER, /key cannot be an array/);
    expectCimError(() => repo.addClass(NS, cls('9Bad', null, [])), CimStatus.CIM_ERR_INVALID_PARAMETER, /invalid class name/);
  });

  it('answers subclass queries: roots, direct, deep, chains', () => {
    const repo = hierarchy();
    repo.addClass(NS, cls('TVDc_HostSystem', 'CIM_LogicalElement', [prop('Name', 'string', { quals: [q('Key', true), q('Override', 'Name')] })]));
    repo.addClass(NS, cls('TVDc_Other', null, []));
    expect(repo.classNames(NS)).to.deep.equal(['CIM_ManagedElement', 'TVDc_Other']);
    expect(repo.classNames(NS, { deep: true })).to.deep.equal(['CIM_ManagedElement', 'CIM_LogicalElement', 'TVDc_ComputerSystem', 'TVDc_HostSystem', 'TVDc_Other']);
    expect(repo.classNames(NS, { className: 'cim_managedelement' })).to.deep.equal(['CIM_LogicalElement']);
    expect(repo.classNames(NS, { className: 'CIM_ManagedElement', deep: true })).to.deep.equal(['CIM_LogicalElement', 'TVDc_ComputerSystem', 'TVDc_HostSystem']);
    expect(repo.classes(NS, { className: 'CIM_LogicalElement' }).map((c) => c.name)).to.deep.equal(['TVDc_ComputerSystem', 'TVDc_HostSystem']);
    expect(repo.isSubclassOf(NS, 'TVDc_HostSystem', 'cim_managedelement')).to.equal(true);
    expect(repo.isSubclassOf(NS, 'TVDc_HostSystem', 'TVDc_HostSystem')).to.equal(true);
    expect(repo.isSubclassOf(NS, 'TVDc_HostSystem', 'TVDc_ComputerSystem')).to.equal(false);
    expect(repo.isSubclassOf(NS, 'Nope', 'CIM_ManagedElement')).to.equal(false);
    expect(repo.superclassChain(NS, 'TVDc_ComputerSystem')).to.deep.equal(['CIM_LogicalElement', 'CIM_ManagedElement']);
    expect(repo.superclassChain(NS, 'TVDc_Other')).to.deep.equal([]);
    expectCimError(() => repo.classNames(NS, { className: 'Nope' }), CimStatus.CIM_ERR_INVALID_CLASS, /Nope does not exist/);
  });

  it('refuses a missing superclass, a duplicate, and an unknown class', () => {
    const repo = hierarchy();
    expectCimError(() => repo.addClass(NS, cls('TVDc_X', 'CIM_Nope', [])), CimStatus.CIM_ERR_INVALID_SUPERCLASS, /superclass CIM_Nope of TVDc_X does not exist/);
    expectCimError(() => repo.addClass(NS, cls('tvdc_computersystem', null, [])), CimStatus.CIM_ERR_ALREADY_EXISTS, /already exists/);
    expectCimError(() => repo.getClass(NS, 'Nope'), CimStatus.CIM_ERR_NOT_FOUND, /Nope does not exist/);
    expectCimError(() => repo.getLocalClass(NS, 'Nope'), CimStatus.CIM_ERR_NOT_FOUND, /Nope/);
  });

  it('deletes only classes without subclasses', () => {
    const repo = hierarchy();
    expectCimError(() => repo.deleteClass(NS, 'CIM_LogicalElement'), CimStatus.CIM_ERR_CLASS_HAS_CHILDREN, /has subclasses/);
    repo.deleteClass(NS, 'TVDc_ComputerSystem');
    repo.deleteClass(NS, 'CIM_LogicalElement');
    expect(repo.classNames(NS, { deep: true })).to.deep.equal(['CIM_ManagedElement']);
    expectCimError(() => repo.deleteClass(NS, 'CIM_LogicalElement'), CimStatus.CIM_ERR_NOT_FOUND, /does not exist/);
  });

  it('modifies a class, re-resolving its subclasses, and undoes a change they cannot take', () => {
    const repo = hierarchy();
    const le = repo.getLocalClass(NS, 'CIM_LogicalElement');
    le.properties.set('Status', prop('Status', 'string', { value: 'OK' }));
    repo.modifyClass(NS, le);
    expect(repo.getClass(NS, 'TVDc_ComputerSystem').properties.get('Status')).to.include({ value: 'OK', propagated: true, classOrigin: 'CIM_LogicalElement' });
    const broken = repo.getLocalClass(NS, 'CIM_LogicalElement');
    broken.properties.delete('Name');
    expectCimError(() => repo.modifyClass(NS, broken), CimStatus.CIM_ERR_INVALID_PARAMETER, /TVDc_ComputerSystem\.Name has Override/);
    expect(repo.getClass(NS, 'TVDc_ComputerSystem').properties.get('Name')!.qualifiers.get('Description')!.value).to.equal('the name');
    const loop = repo.getLocalClass(NS, 'CIM_ManagedElement');
    loop.superclass = 'TVDc_ComputerSystem';
    expectCimError(() => repo.modifyClass(NS, loop), CimStatus.CIM_ERR_INVALID_SUPERCLASS, /one of its subclasses/);
    expectCimError(() => repo.modifyClass(NS, cls('Nope', null, [])), CimStatus.CIM_ERR_NOT_FOUND, /Nope/);
  });

  it('marks association and indication classes and their subclasses', () => {
    const repo = hierarchy();
    repo.addClass(NS, cls('CIM_Dependency', null, [
      prop('Antecedent', 'reference', { ref: 'CIM_ManagedElement', quals: [q('Key', true)] }),
      prop('Dependent', 'reference', { ref: 'CIM_ManagedElement', quals: [q('Key', true)] }),
    ], [q('Association', true), q('Abstract', true)]));
    repo.addClass(NS, cls('TVDc_HostedSystem', 'CIM_Dependency', []));
    repo.addClass(NS, cls('CIM_Indication', null, [prop('IndicationTime', 'datetime')], [q('Indication', true), q('Abstract', true)]));
    repo.addClass(NS, cls('TVDc_AccessDeniedIndication', 'CIM_Indication', [prop('Subject', 'string')]));
    expect(repo.getClass(NS, 'TVDc_HostedSystem').isAssociation).to.equal(true);
    expect(repo.getClass(NS, 'TVDc_HostedSystem').keyNames).to.deep.equal(['Antecedent', 'Dependent']);
    expect(repo.getClass(NS, 'TVDc_HostedSystem').properties.get('Antecedent')!.referenceClass).to.equal('CIM_ManagedElement');
    expect(repo.getClass(NS, 'TVDc_AccessDeniedIndication').isIndication).to.equal(true);
    expect(repo.getClass(NS, 'TVDc_ComputerSystem').isAssociation).to.equal(false);
  });

  it('hands out copies: changing a returned class does not change the store', () => {
    const repo = hierarchy();
    const c = repo.getClass(NS, 'TVDc_ComputerSystem');
    c.properties.delete('Name');
    c.qualifiers.clear();
    const again = repo.getClass(NS, 'TVDc_ComputerSystem');
    expect(again.properties.has('Name')).to.equal(true);
    expect(again.qualifiers.has('Description')).to.equal(true);
    // And what was handed in is copied too.
    const mine = cls('TVDc_Mine', null, [prop('A', 'string')]);
    repo.addClass(NS, mine);
    mine.properties.set('B', prop('B', 'string'));
    expect(repo.getClass(NS, 'TVDc_Mine').properties.has('B')).to.equal(false);
  });

  // Resolved classes share inherited members, qualifiers and flavors with their superclasses (see
  // resolveClass.ts), so a change that reached any of them would show in a whole subtree.
  it('hands out deep copies although classes share what they inherit', () => {
    const repo = hierarchy();
    repo.addClass(NS, cls('TVDc_Sub', 'TVDc_ComputerSystem', [prop('Tags', 'string', { isArray: true, value: ['a'], quals: [q('ValueMap', ['1', '2'])] })]));
    const names = ['CIM_ManagedElement', 'CIM_LogicalElement', 'TVDc_ComputerSystem', 'TVDc_Sub'];
    const view = (): string => JSON.stringify(names.map((n) => [repo.getClass(NS, n), repo.getLocalClass(NS, n)]), (_k, v: unknown) => {
      if (v instanceof NameMap) return [...v];
      return typeof v === 'bigint' ? String(v) : v;
    });
    const before = view();
    const scramble = (qs: NameMap<CimQualifier>): void => {
      for (const x of qs.values()) {
        x.flavor.overridable = !x.flavor.overridable;
        x.flavor.toSubclass = !x.flavor.toSubclass;
        x.propagated = !x.propagated;
        if (Array.isArray(x.value)) x.value.push('changed');
        else x.value = 'changed';
      }
      qs.set('Changed', q('Changed', true));
    };
    for (const n of names) {
      for (const c of [repo.getClass(NS, n), repo.getLocalClass(NS, n)]) {
        scramble(c.qualifiers);
        for (const p of c.properties.values()) {
          scramble(p.qualifiers);
          p.propagated = !p.propagated;
          p.classOrigin = 'Changed';
          if (Array.isArray(p.value)) p.value.push('changed');
          else p.value = 'changed';
        }
        for (const m of c.methods.values()) {
          scramble(m.qualifiers);
          m.propagated = !m.propagated;
          for (const prm of m.parameters.values()) scramble(prm.qualifiers);
          m.parameters.clear();
        }
        c.properties.clear();
      }
    }
    expect(view()).to.equal(before);
    // What was handed in, down to qualifier values and flavors, is copied as well.
    const mine = cls('TVDc_Mine', 'TVDc_Sub', [prop('Codes', 'string', { isArray: true, quals: [q('ValueMap', ['x'])] })]);
    repo.addClass(NS, mine);
    const vm = mine.properties.get('Codes')!.qualifiers.get('ValueMap')!;
    (vm.value as string[]).push('y');
    vm.flavor.toSubclass = false;
    const got = repo.getClass(NS, 'TVDc_Mine').properties.get('Codes')!.qualifiers.get('ValueMap')!;
    expect(got.value).to.deep.equal(['x']);
    expect(got.flavor.toSubclass).to.equal(true);
  });

  it('restating a DisableOverride qualifier makes it local and keeps it DisableOverride', () => {
    const repo = hierarchy();
    repo.addClass(NS, cls('TVDc_Sub', 'TVDc_ComputerSystem', [prop('Name', 'string', { quals: [q('Key', true)] })]));
    const key = repo.getClass(NS, 'TVDc_Sub').properties.get('Name')!.qualifiers.get('Key')!;
    expect(key).to.include({ value: true, propagated: false });
    expect(key.flavor).to.deep.equal({ overridable: false, toSubclass: true, toInstance: false, translatable: false });
    // The inherited one, in the superclass's other subclasses, is unaffected.
    repo.addClass(NS, cls('TVDc_Other', 'TVDc_ComputerSystem', []));
    expect(repo.getClass(NS, 'TVDc_Other').properties.get('Name')!.qualifiers.get('Key')).to.include({ value: true, propagated: true });
  });
});
