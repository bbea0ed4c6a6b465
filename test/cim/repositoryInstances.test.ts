// Repository instance side: validation and coercion against the class (DSP0200 CreateInstance
// errors), keys and paths, lookups through subclasses, modification, deletion, enumeration.
import { expect } from 'chai';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { NameMap } from '../../src/cim/NameMap.js';
import type { CimType } from '../../src/cim/CimType.js';
import type { CimValue } from '../../src/cim/CimValue.js';
import { NS, repoWithQualifiers, q, prop, cls, expectCimError } from './support.js';

function inst(className: string, values: Record<string, [CimType, CimValue] | CimValue>): CimInstance {
  const props = new NameMap<CimProperty>();
  for (const [name, v] of Object.entries(values)) {
    const [type, value] = Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Array.isArray(v[1]) && ['string', 'uint8', 'uint16', 'uint32', 'uint64', 'sint64', 'datetime', 'boolean', 'reference', 'real32'].includes(v[0])
      ? v as [CimType, CimValue] : ['string' as CimType, v as CimValue];
    props.set(name, new CimProperty(name, type, value, Array.isArray(value)));
  }
  return new CimInstance(className, props);
}

function setup(): CimRepository {
  const repo = repoWithQualifiers();
  repo.addClass(NS, cls('CIM_ManagedElement', null, [prop('Caption', 'string')], [q('Abstract', true)]));
  repo.addClass(NS, cls('TVDc_ComputerSystem', 'CIM_ManagedElement', [
    prop('CreationClassName', 'string', { quals: [q('Key', true)] }),
    prop('Name', 'string', { quals: [q('Key', true)] }),
    prop('Memory', 'uint64', { value: 1024 }),
    prop('Vcpus', 'uint8', { value: 1 }),
    prop('Created', 'datetime'),
    prop('Labels', 'string', { isArray: true }),
    prop('Running', 'boolean', { value: false }),
  ]));
  repo.addClass(NS, cls('TVDc_VTPMSystem', 'TVDc_ComputerSystem', [prop('TpmVersion', 'string', { value: '2.0' })]));
  repo.addClass(NS, cls('TVDc_Counter', null, [prop('Id', 'uint32', { quals: [q('Key', true)] }), prop('N', 'sint64')]));
  repo.addClass(NS, cls('TVDc_Config', null, [prop('Mode', 'string', { value: 'enforce' })]));
  repo.addClass(NS, cls('TVDc_Hosted', null, [
    prop('Host', 'reference', { ref: 'TVDc_ComputerSystem', quals: [q('Key', true)] }),
    prop('Guest', 'reference', { ref: 'TVDc_ComputerSystem', quals: [q('Key', true)] }),
  ], [q('Association', true)]));
  return repo;
}

const vm1 = (): CimInstance => inst('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', name: 'vm1' });

describe('cim/CimRepository instances', () => {
  it('stores a validated copy with defaults filled and returns its key path', () => {
    const repo = setup();
    const path = repo.addInstance(NS, inst('TVDc_ComputerSystem', {
      CreationClassName: 'TVDc_ComputerSystem', NAME: 'vm1', Memory: ['uint64', 4096], Created: '20240101000000.000000+000', Labels: ['red', 'blue'],
    }));
    expect(path.toString()).to.equal('root/tvdc:TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="vm1"');
    const got = repo.getInstance(NS, path);
    expect(got.className).to.equal('TVDc_ComputerSystem');
    expect(got.properties.names()).to.deep.equal(['Caption', 'CreationClassName', 'Name', 'Memory', 'Vcpus', 'Created', 'Labels', 'Running']);
    expect(got.get('Memory')).to.equal(4096n);
    expect(got.get('Vcpus')).to.equal(1);
    expect(got.get('Running')).to.equal(false);
    expect(got.get('Caption')).to.equal(null);
    expect(got.get('Created')).to.be.instanceOf(CimDateTime);
    expect(got.get('Labels')).to.deep.equal(['red', 'blue']);
    expect(got.properties.get('Caption')).to.include({ classOrigin: 'CIM_ManagedElement', propagated: true });
    expect(got.path!.equals(path)).to.equal(true);
  });

  it('finds instances by untyped paths, coercing key text to the key types', () => {
    const repo = setup();
    repo.addInstance(NS, inst('TVDc_Counter', { Id: ['uint32', 3], N: ['sint64', -5] }));
    const byText = repo.getInstance(NS, CimObjectPath.parse('root/tvdc:tvdc_counter.ID=3'));
    expect(byText.get('N')).to.equal(-5n);
    expect(repo.getInstance(NS, CimObjectPath.parse('TVDc_Counter.Id="3"')).get('Id')).to.equal(3);
    expect(repo.hasInstance(NS, CimObjectPath.parse('TVDc_Counter.Id=4'))).to.equal(false);
    expectCimError(() => repo.getInstance(NS, CimObjectPath.parse('TVDc_Counter.Id=4')), CimStatus.CIM_ERR_NOT_FOUND, /no instance/);
    expectCimError(() => repo.getInstance(NS, CimObjectPath.parse('TVDc_Counter.Id=-1')), CimStatus.CIM_ERR_TYPE_MISMATCH, /property TVDc_Counter\.Id: .*out of range/);
    expectCimError(() => repo.getInstance(NS, CimObjectPath.parse('TVDc_Counter.Id=3,Extra=1')), CimStatus.CIM_ERR_INVALID_PARAMETER, /Extra is not a key of class TVDc_Counter/);
    expectCimError(() => repo.getInstance(NS, CimObjectPath.parse('TVDc_Counter.N=3')), CimStatus.CIM_ERR_INVALID_PARAMETER, /lacks key Id/);
    expectCimError(() => repo.getInstance(NS, CimObjectPath.parse('TVDc_Nope.Id=3')), CimStatus.CIM_ERR_INVALID_CLASS, /TVDc_Nope does not exist/);
    expectCimError(() => repo.getInstance(NS, CimObjectPath.parse('TVDc_Counter')), CimStatus.CIM_ERR_INVALID_PARAMETER, /class path/);
  });

  it('finds a subclass instance through a path naming its superclass', () => {
    const repo = setup();
    repo.addInstance(NS, inst('TVDc_VTPMSystem', { CreationClassName: 'TVDc_VTPMSystem', Name: 'vm2' }));
    const got = repo.getInstance(NS, CimObjectPath.parse('TVDc_ComputerSystem.CreationClassName="TVDc_VTPMSystem",Name="vm2"'));
    expect(got.className).to.equal('TVDc_VTPMSystem');
    expect(got.get('TpmVersion')).to.equal('2.0');
  });

  it('refuses what DSP0200 CreateInstance refuses, with the right status and the property named', () => {
    const repo = setup();
    expectCimError(() => repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'x', Name: 'a', Colour: 'red' })),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /class TVDc_ComputerSystem has no property Colour/);
    expectCimError(() => repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'x' })),
      CimStatus.CIM_ERR_INVALID_PARAMETER, /key property TVDc_ComputerSystem\.Name has no value/);
    expectCimError(() => repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'x', Name: 'a', Vcpus: ['uint8', 300] })),
      CimStatus.CIM_ERR_TYPE_MISMATCH, /property TVDc_ComputerSystem\.Vcpus: number 300 is not a valid uint8: out of range/);
    expectCimError(() => repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'x', Name: 'a', Running: 'maybe' })),
      CimStatus.CIM_ERR_TYPE_MISMATCH, /property TVDc_ComputerSystem\.Running: invalid boolean value "maybe"/);
    expectCimError(() => repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'x', Name: 'a', Labels: 'red' })),
      CimStatus.CIM_ERR_TYPE_MISMATCH, /Labels: .*expected an array/);
    expectCimError(() => repo.addInstance(NS, inst('CIM_ManagedElement', {})), CimStatus.CIM_ERR_INVALID_CLASS, /abstract/);
    expectCimError(() => repo.addInstance(NS, inst('TVDc_Nope', {})), CimStatus.CIM_ERR_INVALID_CLASS, /TVDc_Nope does not exist/);
    repo.addInstance(NS, vm1());
    expectCimError(() => repo.addInstance(NS, inst('tvdc_computersystem', { creationclassname: 'TVDc_ComputerSystem', NAME: 'vm1', Memory: ['uint64', 1] })),
      CimStatus.CIM_ERR_ALREADY_EXISTS, /already exists/);
    expect(repo.instances(NS, 'TVDc_ComputerSystem')).to.have.length(1);
  });

  it('keeps keyless singletons under the =@ path', () => {
    const repo = setup();
    const path = repo.addInstance(NS, inst('TVDc_Config', {}));
    expect(path.toString()).to.equal('root/tvdc:TVDc_Config=@');
    expect(repo.getInstance(NS, CimObjectPath.parse('TVDc_Config=@')).get('Mode')).to.equal('enforce');
    expectCimError(() => repo.addInstance(NS, inst('TVDc_Config', { Mode: 'warn' })), CimStatus.CIM_ERR_ALREADY_EXISTS, /=@ already exists/);
  });

  it('checks the class of references and matches reference keys', () => {
    const repo = setup();
    const host = repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'host' }));
    const guest = repo.addInstance(NS, vm1());
    const path = repo.addInstance(NS, inst('TVDc_Hosted', { Host: ['reference', host], Guest: ['reference', guest.toString()] }));
    expect(path.keys!.get('Guest')!.type).to.equal('reference');
    const text = path.toString();
    expect(repo.getInstance(NS, CimObjectPath.parse(text)).get('Host')).to.be.instanceOf(CimObjectPath);
    const counter = CimObjectPath.parse('TVDc_Counter.Id=1');
    expectCimError(() => repo.addInstance(NS, inst('TVDc_Hosted', { Host: ['reference', counter], Guest: ['reference', guest] })),
      CimStatus.CIM_ERR_TYPE_MISMATCH, /TVDc_Hosted\.Host: TVDc_Counter is not a TVDc_ComputerSystem/);
  });

  it('modifies non-key properties, honouring a property list, and refuses key changes', () => {
    const repo = setup();
    const path = repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'vm1', Memory: ['uint64', 2048], Vcpus: ['uint8', 4] }));
    const change = inst('TVDc_ComputerSystem', { Memory: ['uint64', 8192], Vcpus: ['uint8', 8] });
    change.path = path;
    repo.modifyInstance(NS, change, ['memory']);
    let got = repo.getInstance(NS, path);
    expect(got.get('Memory')).to.equal(8192n);
    expect(got.get('Vcpus')).to.equal(4);
    // Listed but absent goes back to the class default.
    repo.modifyInstance(NS, change, ['Vcpus', 'Caption']);
    got = repo.getInstance(NS, path);
    expect(got.get('Vcpus')).to.equal(8);
    expect(got.get('Caption')).to.equal(null);
    repo.modifyInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'vm1', Running: true }));
    expect(repo.getInstance(NS, path).get('Running')).to.equal(true);
    const rename = inst('TVDc_ComputerSystem', { Name: 'vm9' });
    rename.path = path;
    expectCimError(() => repo.modifyInstance(NS, rename), CimStatus.CIM_ERR_INVALID_PARAMETER, /key property TVDc_ComputerSystem\.Name cannot be modified/);
    expectCimError(() => repo.modifyInstance(NS, change, ['Colour']), CimStatus.CIM_ERR_INVALID_PARAMETER, /no property Colour/);
    const bad = inst('TVDc_ComputerSystem', { Vcpus: ['uint8', -1] });
    bad.path = path;
    expectCimError(() => repo.modifyInstance(NS, bad), CimStatus.CIM_ERR_TYPE_MISMATCH, /Vcpus/);
    const ghost = inst('TVDc_ComputerSystem', { Vcpus: ['uint8', 1] });
    ghost.path = CimObjectPath.parse('TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="ghost"');
    expectCimError(() => repo.modifyInstance(NS, ghost), CimStatus.CIM_ERR_NOT_FOUND, /no instance/);
  });

  it('enumerates deep and shallow, deletes, and guards classes that have instances', () => {
    const repo = setup();
    repo.addInstance(NS, vm1());
    repo.addInstance(NS, inst('TVDc_VTPMSystem', { CreationClassName: 'TVDc_VTPMSystem', Name: 'vm2' }));
    expect(repo.instances(NS, 'TVDc_ComputerSystem').map((i) => i.get('Name'))).to.deep.equal(['vm1', 'vm2']);
    expect(repo.instances(NS, 'TVDc_ComputerSystem', { deep: false }).map((i) => i.get('Name'))).to.deep.equal(['vm1']);
    expect(repo.instances(NS, 'CIM_ManagedElement')).to.have.length(2);
    expect(repo.instanceNames(NS, 'TVDc_ComputerSystem').map((p) => p.toLocalString())).to.deep.equal([
      'TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="vm1"',
      'TVDc_VTPMSystem.CreationClassName="TVDc_VTPMSystem",Name="vm2"',
    ]);
    expectCimError(() => repo.deleteClass(NS, 'TVDc_VTPMSystem'), CimStatus.CIM_ERR_CLASS_HAS_INSTANCES, /has instances/);
    expectCimError(() => repo.modifyClass(NS, repo.getLocalClass(NS, 'TVDc_ComputerSystem')), CimStatus.CIM_ERR_CLASS_HAS_INSTANCES, /has instances/);
    repo.deleteInstance(NS, CimObjectPath.parse('TVDc_VTPMSystem.CreationClassName="TVDc_VTPMSystem",Name="vm2"'));
    expectCimError(() => repo.deleteInstance(NS, CimObjectPath.parse('TVDc_VTPMSystem.CreationClassName="TVDc_VTPMSystem",Name="vm2"')), CimStatus.CIM_ERR_NOT_FOUND, /no instance/);
    repo.deleteClass(NS, 'TVDc_VTPMSystem');
    expect(repo.instances(NS, 'TVDc_ComputerSystem')).to.have.length(1);
    expectCimError(() => repo.instances(NS, 'TVDc_Nope'), CimStatus.CIM_ERR_INVALID_CLASS, /TVDc_Nope/);
  });

  it('validates without storing and computes paths from key properties or the given path', () => {
    const repo = setup();
    const v = repo.validateInstance(NS, inst('TVDc_Counter', { Id: '7' }));
    expect(v.get('Id')).to.equal(7);
    expect(v.path!.toString()).to.equal('root/tvdc:TVDc_Counter.Id=7');
    expect(repo.instances(NS, 'TVDc_Counter')).to.have.length(0);
    expect(repo.pathOf(NS, inst('TVDc_Counter', { Id: ['uint32', 9], N: ['sint64', 1] })).toString()).to.equal('root/tvdc:TVDc_Counter.Id=9');
    const fromPath = new CimInstance('TVDc_Counter', new NameMap(), CimObjectPath.parse('TVDc_Counter.Id=5'));
    expect(repo.pathOf(NS, fromPath).key('Id')).to.equal(5);
    expect(repo.validateInstance(NS, fromPath).get('Id')).to.equal(5);
    expectCimError(() => repo.pathOf(NS, inst('TVDc_Counter', {})), CimStatus.CIM_ERR_INVALID_PARAMETER, /Id has no value/);
  });

  it('hands out copies of instances', () => {
    const repo = setup();
    const path = repo.addInstance(NS, vm1());
    const a = repo.getInstance(NS, path);
    a.properties.get('Name')!.value = 'hacked';
    a.path!.keys!.get('Name')!.value = 'hacked';
    expect(repo.getInstance(NS, path).get('Name')).to.equal('vm1');
    expect(repo.instances(NS, 'TVDc_ComputerSystem')[0]!.path!.key('Name')).to.equal('vm1');
  });

  it('hands out instance views whose changes cannot reach the stored instance', () => {
    const repo = setup();
    const path = repo.addInstance(NS, inst('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'vm1', Labels: ['red'] }));
    const [v] = [...repo.instanceViews(NS, 'TVDc_ComputerSystem')];
    // The shared property objects, array values and key bindings are frozen: editing them throws.
    expect(() => { v!.properties.get('Name')!.value = 'hacked'; }).to.throw(TypeError);
    expect(() => { (v!.get('Labels') as string[]).push('blue'); }).to.throw(TypeError);
    expect(() => { v!.properties.get('Name')!.qualifiers.set('Key', q('Key', true)); }).to.throw(TypeError);
    expect(() => { v!.path!.keys!.get('Name')!.value = 'hacked'; }).to.throw(TypeError);
    // What the view owns may change freely (the WBEM server trims, replaces and stamps in place).
    v!.properties.set('Name', new CimProperty('Name', 'string', 'hacked'));
    v!.properties.delete('Labels');
    v!.properties.set('Extra', new CimProperty('Extra', 'string', 'x'));
    v!.qualifiers.set('Key', q('Key', true));
    v!.path!.namespace = 'root/other';
    v!.path!.host = 'elsewhere';
    v!.path!.keys!.set('Name', { name: 'Name', type: 'string', value: 'hacked' });
    v!.className = 'Hacked';
    const stored = repo.getInstance(NS, path);
    expect(stored.className).to.equal('TVDc_ComputerSystem');
    expect(stored.get('Name')).to.equal('vm1');
    expect(stored.get('Labels')).to.deep.equal(['red']);
    expect(stored.properties.has('Extra')).to.equal(false);
    expect(stored.qualifiers.size).to.equal(0);
    expect(stored.path!.toString()).to.equal(path.toString());
    const [again] = [...repo.instanceViews(NS, 'TVDc_ComputerSystem')];
    expect(again!.get('Name')).to.equal('vm1');
    expect(again!.path!.namespace).to.equal(NS);
    expect(again!.path!.host).to.equal(undefined);
    expect(again!.path!.key('Name')).to.equal('vm1');
    // Copies handed out are still the caller's to edit, arrays included.
    (stored.get('Labels') as string[]).push('blue');
    stored.properties.get('Name')!.value = 'mine';
    expect(repo.getInstance(NS, path).get('Labels')).to.deep.equal(['red']);
  });

  it('shows views without CLASSORIGIN unless asked, and copies with the class details as before', () => {
    const repo = setup();
    repo.addInstance(NS, inst('TVDc_VTPMSystem', { CreationClassName: 'TVDc_VTPMSystem', Name: 'vm2' }));
    const plain = [...repo.instanceViews(NS, 'TVDc_VTPMSystem')][0]!;
    expect(plain.properties.values().every((p) => p.classOrigin === undefined && !p.propagated)).to.equal(true);
    const origin = [...repo.instanceViews(NS, 'TVDc_VTPMSystem', { classOrigin: true })][0]!;
    const copy = repo.instances(NS, 'TVDc_VTPMSystem')[0]!;
    for (const c of [origin, copy]) {
      expect(c.properties.get('Caption')).to.include({ classOrigin: 'CIM_ManagedElement', propagated: true });
      expect(c.properties.get('TpmVersion')).to.include({ classOrigin: 'TVDc_VTPMSystem', propagated: false });
    }
    expect(repo.validateInstance(NS, plain).properties.get('Name')).to.include({ classOrigin: 'TVDc_ComputerSystem', propagated: true });
  });

  it('lists the instances there were when instanceViews was called, each as it was then', () => {
    const repo = setup();
    const p1 = repo.addInstance(NS, inst('TVDc_Counter', { Id: ['uint32', 1], N: ['sint64', 10n] }));
    repo.addInstance(NS, inst('TVDc_Counter', { Id: ['uint32', 2] }));
    const views = repo.instanceViews(NS, 'TVDc_Counter');
    repo.addInstance(NS, inst('TVDc_Counter', { Id: ['uint32', 3] }));
    repo.modifyInstance(NS, inst('TVDc_Counter', { Id: ['uint32', 1], N: ['sint64', 11n] }));
    repo.deleteInstance(NS, CimObjectPath.instance('TVDc_Counter', { Id: 2 }));
    expect([...views].map((v) => [v.get('Id'), v.get('N')])).to.deep.equal([[1, 10n], [2, null]]);
    expect(repo.getInstance(NS, p1).get('N')).to.equal(11n);
    expect([...repo.instanceViews(NS, 'TVDc_Counter')].map((v) => v.get('Id'))).to.deep.equal([1, 3]);
  });
});
