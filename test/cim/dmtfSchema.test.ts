// The repository against real DMTF schema: the shared CIM 2.41 interop subset (70 qualifier
// declarations, 35 classes) compiled by tvdc's MOF compiler must resolve with the inheritance,
// flavor and key rules holding for every class, and take instances of its concrete classes.
import { expect } from 'chai';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileMof } from '../../src/mof/index.js';
import type { CimRepository } from '../../src/cim/CimRepository.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimStatus } from '../../src/cim/CimError.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { expectCimError } from './support.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DMTF = resolve(root, '../shared/fixtures/cim/dmtf/dmtf-cim241-interop-min.mof');
const NS = 'root/interop';

describe('cim/CimRepository on the DMTF interop schema', () => {
  let repo: CimRepository;
  before(() => {
    const r = compileMof({ files: [DMTF], defaultNamespace: NS });
    expect(r.errors.map(String)).to.deep.equal([]);
    repo = r.repository;
  });

  it('holds all 35 classes and 70 qualifier declarations, parents before children', () => {
    const names = repo.classNames(NS, { deep: true });
    expect(names).to.have.length(35);
    expect(repo.qualifierDeclarations(NS)).to.have.length(70);
    const seen = new Set<string>();
    for (const n of names) {
      const sup = repo.getLocalClass(NS, n).superclass;
      if (sup) expect(seen.has(sup.toLowerCase()), `${sup} before ${n}`).to.equal(true);
      seen.add(n.toLowerCase());
    }
    expect(repo.classNames(NS)).to.include.members(['CIM_ManagedElement', 'CIM_Indication', 'CIM_Dependency', 'CIM_Error']);
  });

  it('marks every member propagated exactly when it comes from a superclass in the chain', () => {
    for (const n of repo.classNames(NS, { deep: true })) {
      const c = repo.getClass(NS, n);
      const chain = repo.superclassChain(NS, n).map((s) => s.toLowerCase());
      const local = repo.getLocalClass(NS, n);
      for (const member of [...c.properties.values(), ...c.methods.values()]) {
        const origin = (member.classOrigin ?? '').toLowerCase();
        if (member.propagated) {
          expect(chain, `${n}.${member.name}`).to.include(origin);
          expect(local.properties.has(member.name) || local.methods.has(member.name), `${n}.${member.name}`).to.equal(false);
        } else {
          expect(origin, `${n}.${member.name}`).to.equal(n.toLowerCase());
        }
      }
      // Every superclass member is still there.
      if (c.superclass) {
        const sup = repo.getClass(NS, c.superclass);
        for (const p of sup.properties.names()) expect(c.properties.has(p), `${n} lacks ${p}`).to.equal(true);
        for (const m of sup.methods.names()) expect(c.methods.has(m), `${n} lacks ${m}()`).to.equal(true);
      }
    }
  });

  it('propagates only ToSubclass qualifiers, and Key everywhere with DisableOverride', () => {
    let propagatedSeen = 0;
    for (const n of repo.classNames(NS, { deep: true })) {
      const c = repo.getClass(NS, n);
      for (const q of c.qualifiers.values()) {
        if (q.propagated) { propagatedSeen++; expect(q.flavor.toSubclass, `${n} ${q.name}`).to.equal(true); }
      }
      // Abstract, Version and Override are Restricted: never inherited.
      for (const r of ['Abstract', 'Version']) expect(c.qualifiers.get(r)?.propagated ?? false, `${n} ${r}`).to.equal(false);
      for (const p of c.properties.values()) {
        for (const q of p.qualifiers.values()) {
          if (q.propagated) { propagatedSeen++; expect(q.flavor.toSubclass, `${n}.${p.name} ${q.name}`).to.equal(true); }
        }
        expect(p.qualifiers.get('Override')?.propagated ?? false, `${n}.${p.name} Override`).to.equal(false);
        const key = p.qualifiers.get('Key');
        if (key) expect(key.flavor.overridable, `${n}.${p.name} Key`).to.equal(false);
      }
    }
    expect(propagatedSeen).to.be.greaterThan(20);
    expect(repo.getClass(NS, 'CIM_ListenerDestination').isAbstract).to.equal(true);
    expect(repo.getClass(NS, 'CIM_ListenerDestinationCIMXML').isAbstract).to.equal(false);
  });

  it('knows associations, indications and their keys', () => {
    const ectp = repo.getClass(NS, 'CIM_ElementConformsToProfile');
    expect(ectp.isAssociation).to.equal(true);
    expect(ectp.keyNames).to.deep.equal(['ConformantStandard', 'ManagedElement']);
    expect(ectp.properties.get('ConformantStandard')).to.include({ type: 'reference', referenceClass: 'CIM_RegisteredProfile' });
    expect(repo.getClass(NS, 'CIM_IndicationSubscription').isAssociation).to.equal(true);
    expect(repo.getClass(NS, 'CIM_InstCreation').isIndication).to.equal(true);
    expect(repo.isSubclassOf(NS, 'CIM_InstCreation', 'CIM_Indication')).to.equal(true);
    expect(repo.classNames(NS, { className: 'CIM_InstIndication' })).to.deep.equal(['CIM_InstCreation', 'CIM_InstDeletion', 'CIM_InstModification']);
    expect(repo.getClass(NS, 'CIM_Namespace').keyNames).to.deep.equal(
      ['SystemCreationClassName', 'SystemName', 'ObjectManagerCreationClassName', 'ObjectManagerName', 'CreationClassName', 'Name']);
  });

  it('takes instances of concrete classes and refuses the abstract ones', () => {
    const props = (o: Record<string, unknown>): NameMap<CimProperty> =>
      NameMap.from(Object.entries(o).map(([k, v]) => new CimProperty(k, 'string', v as string)), (p) => p.name);
    const ns = new CimInstance('CIM_Namespace', props({
      SystemCreationClassName: 'TVDc_HostSystem', SystemName: 'host1', ObjectManagerCreationClassName: 'CIM_ObjectManager',
      ObjectManagerName: 'tvdc', CreationClassName: 'CIM_Namespace', Name: 'root/tvdc',
    }));
    const path = repo.validateInstance(NS, ns).path!;
    expect(path.key('Name')).to.equal('root/tvdc');
    const filter = repo.validateInstance(NS, new CimInstance('CIM_IndicationFilter', props({
      SystemCreationClassName: 'CIM_ComputerSystem', SystemName: 'h', CreationClassName: 'CIM_IndicationFilter', Name: 'f1',
      Query: 'SELECT * FROM CIM_InstCreation', QueryLanguage: 'WQL',
    })));
    const dest = repo.validateInstance(NS, new CimInstance('CIM_ListenerDestinationCIMXML', props({
      SystemCreationClassName: 'CIM_ComputerSystem', SystemName: 'h', CreationClassName: 'CIM_ListenerDestinationCIMXML', Name: 'd1',
      Destination: 'http://127.0.0.1:5990',
    })));
    const sub = new CimInstance('CIM_IndicationSubscription', NameMap.from([
      new CimProperty('Filter', 'reference', filter.path!.toString()),
      new CimProperty('Handler', 'reference', dest.path!),
    ], (p) => p.name));
    const v = repo.validateInstance(NS, sub);
    expect(v.get('Filter')).to.be.instanceOf(CimObjectPath);
    expect(v.path!.keys!.get('Handler')!.type).to.equal('reference');
    expectCimError(() => repo.validateInstance(NS, new CimInstance('CIM_ManagedElement')), CimStatus.CIM_ERR_INVALID_CLASS, /abstract/);
    expectCimError(() => repo.validateInstance(NS, new CimInstance('CIM_IndicationSubscription', NameMap.from([
      new CimProperty('Filter', 'reference', filter.path!), new CimProperty('Handler', 'reference', filter.path!),
    ], (p) => p.name))), CimStatus.CIM_ERR_TYPE_MISMATCH, /Handler: CIM_IndicationFilter is not a CIM_ListenerDestination/);
  });
});
