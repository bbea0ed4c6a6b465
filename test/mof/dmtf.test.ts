// tvdc's own DMTF class subset (mof/dmtf) against the DMTF CIM 2.41 fixture: every class both
// define has the same properties, with the same types, and the same keys.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMof } from '../../src/mof/index.js';
import type { CimClass } from '../../src/cim/CimClass.js';
import { dmtfFixture, projectMof } from './paths.js';

/**
 * The fixture was re-serialized from the DMTF schema by a tool that dropped every property a class
 * overrides (the file has no Override qualifier at all), so key overrides are missing there. In
 * DMTF CIM 2.41 CIM_System and CIM_Service declare `[Key, Override ("Name")] string Name`, and
 * CIM_ConcreteJob and CIM_RegisteredSpecification `[Key, Override ("InstanceID")] string InstanceID`;
 * tvdc follows DMTF. These are the only key differences allowed, and each is checked to be exactly
 * such a lost override.
 */
const KEYS_LOST_IN_FIXTURE: Record<string, string[]> = {
  CIM_System: ['Name'], CIM_ComputerSystem: ['Name'],
  CIM_Service: ['Name'], CIM_IndicationService: ['Name'], CIM_WBEMService: ['Name'], CIM_ObjectManager: ['Name'],
  CIM_ConcreteJob: ['InstanceID'], CIM_RegisteredSpecification: ['InstanceID'], CIM_RegisteredProfile: ['InstanceID'],
};

describe('mof/dmtf agrees with DMTF CIM 2.41', () => {
  const fixture = compileMof({ files: [dmtfFixture] });
  const ours = compileMof({ files: [join(projectMof, 'tvdc.mof')] });
  const common = fixture.classes.map((c) => c.cls.name).filter((n) => ours.repository.hasClass('root/tvdc', n));

  it('both compile, and mof/dmtf defines every class of the fixture', () => {
    expect(fixture.errors).to.deep.equal([]);
    expect(ours.errors).to.deep.equal([]);
    expect(common).to.have.length(fixture.classes.length);
  });

  it('the fixture indeed has no Override qualifier (the reason for the allowed key differences)', () => {
    expect(readFileSync(dmtfFixture, 'utf8')).not.to.match(/\bOverride\s*\(/);
  });

  const describeProps = (c: CimClass) => Object.fromEntries(c.properties.values().map((p) => [p.name, `${p.type}${p.isArray ? '[]' : ''}`]));

  for (const name of fixture.classes.map((c) => c.cls.name)) {
    it(`${name}: same superclass, properties, types and keys`, () => {
      const theirs = fixture.repository.getClass('root/tvdc', name);
      const mine = ours.repository.getClass('root/tvdc', name);
      expect(mine.superclass).to.equal(theirs.superclass);
      expect(describeProps(mine)).to.deep.equal(describeProps(theirs));
      const lost = KEYS_LOST_IN_FIXTURE[name] ?? [];
      for (const k of lost) expect(theirs.keyNames, `${k} is not a key in the fixture`).not.to.include(k);
      expect([...mine.keyNames].sort()).to.deep.equal([...theirs.keyNames, ...lost].sort());
      expect(mine.isAssociation).to.equal(theirs.isAssociation);
      expect(mine.isIndication).to.equal(theirs.isIndication);
      expect(mine.isAbstract).to.equal(theirs.isAbstract);
      // Methods and their parameters too, where the fixture declares them.
      for (const m of theirs.methods.values()) {
        const mm = mine.methods.get(m.name);
        expect(mm, `method ${m.name}`).to.not.equal(undefined);
        expect(mm!.returnType).to.equal(m.returnType);
        expect(mm!.parameters.values().map((p) => `${p.name}:${p.type}${p.isArray ? '[]' : ''}`))
          .to.deep.equal(m.parameters.values().map((p) => `${p.name}:${p.type}${p.isArray ? '[]' : ''}`));
      }
    });
  }
});
