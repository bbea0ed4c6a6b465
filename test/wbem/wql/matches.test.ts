// WQL evaluation: class tests, comparisons across CIM types, three-valued logic, embedded
// instances, ISA, LIKE and projection.
import { expect } from 'chai';
import { parseWql, matches, project, selectedProperties, type WqlIsA } from '../../../src/wbem/wql/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { CimDateTime } from '../../../src/cim/CimDateTime.js';
import type { CimType } from '../../../src/cim/CimType.js';
import type { CimValue } from '../../../src/cim/CimValue.js';

function inst(className: string, props: [string, CimType, CimValue, boolean?][]): CimInstance {
  const i = new CimInstance(className);
  for (const [n, t, v, arr] of props) i.properties.set(n, new CimProperty(n, t, v, arr ?? false));
  return i;
}

const supers: Record<string, string> = {
  tvdc_computersystem: 'cim_computersystem',
  tvdc_hostsystem: 'cim_computersystem',
  cim_computersystem: 'cim_system',
  cim_instcreation: 'cim_instindication',
  cim_instmodification: 'cim_instindication',
  cim_instindication: 'cim_indication',
};
const isa: WqlIsA = (c, s) => {
  let cur: string | undefined = c.toLowerCase();
  while (cur) {
    if (cur === s.toLowerCase()) return true;
    cur = supers[cur];
  }
  return false;
};

const vm = inst('TVDc_ComputerSystem', [
  ['Name', 'string', 'vm1'],
  ['EnabledState', 'uint16', 2],
  ['Memory', 'uint64', 4294967296n],
  ['Load', 'real64', 0.75],
  ['Trusted', 'boolean', true],
  ['Label', 'string', null],
  ['Installed', 'datetime', CimDateTime.parse('20260101120000.000000+060')],
  ['Tags', 'string', ['a', 'b'], true],
]);
const ind = inst('CIM_InstModification', [
  ['SourceInstance', 'string', vm],
  ['IndicationIdentifier', 'string', 'tvdc:1'],
]);

function sel(where: string, i: CimInstance = vm, from = 'CIM_ComputerSystem'): boolean {
  return matches(parseWql(`SELECT * FROM ${from} WHERE ${where}`), i, isa);
}

describe('wql/matches', () => {
  it('selects by FROM class through the isa callback', () => {
    expect(matches(parseWql('SELECT * FROM CIM_System'), vm, isa)).to.equal(true);
    expect(matches(parseWql('SELECT * FROM tvdc_computersystem'), vm, isa)).to.equal(true);
    expect(matches(parseWql('SELECT * FROM TVDc_HostSystem'), vm, isa)).to.equal(false);
    expect(matches(parseWql('SELECT * FROM TVDc_ComputerSystem'), vm)).to.equal(true);
  });

  it('compares strings case-sensitively and property names case-insensitively', () => {
    expect(sel("name = 'vm1'")).to.equal(true);
    expect(sel("Name = 'VM1'")).to.equal(false);
    expect(sel("Name <> 'vm2'")).to.equal(true);
    expect(sel("Name < 'vm2' AND Name > 'vm0'")).to.equal(true);
  });

  it('compares numbers exactly across number and bigint, and numeric strings against numbers', () => {
    expect(sel('EnabledState = 2')).to.equal(true);
    expect(sel("EnabledState = '2'")).to.equal(true);
    expect(sel('EnabledState >= 2.0 AND EnabledState < 2.5')).to.equal(true);
    expect(sel('Memory = 4294967296')).to.equal(true);
    expect(sel('Memory > 4294967295 AND Memory < 4294967297')).to.equal(true);
    expect(sel('Load < 1 AND Load > 0.5')).to.equal(true);
    expect(sel("EnabledState = 'two'")).to.equal(false);
    expect(sel("NOT EnabledState = 'two'")).to.equal(false); // unknown stays unknown under NOT
  });

  it('compares booleans with TRUE/FALSE and with their text', () => {
    expect(sel('Trusted = TRUE')).to.equal(true);
    expect(sel('Trusted = false')).to.equal(false);
    expect(sel("Trusted = 'true'")).to.equal(true);
  });

  it('compares datetimes as instants, whatever the UTC offset of the literal', () => {
    expect(sel("Installed = '20260101110000.000000+000'")).to.equal(true);
    expect(sel("Installed < '20260101110000.000001+000'")).to.equal(true);
    expect(sel("Installed > '20260101105959.999999+000'")).to.equal(true);
    expect(sel("Installed = 'not a date'")).to.equal(false);
  });

  it('uses three-valued logic for NULL and missing properties', () => {
    expect(sel('Label IS NULL')).to.equal(true);
    expect(sel('NoSuchProperty IS NULL')).to.equal(true);
    expect(sel('Name IS NOT NULL')).to.equal(true);
    expect(sel("Label = 'x'")).to.equal(false);
    expect(sel("NOT Label = 'x'")).to.equal(false);
    expect(sel("Label = 'x' OR Name = 'vm1'")).to.equal(true);
    expect(sel("Label = 'x' AND Name = 'vm1'")).to.equal(false);
    expect(sel('Label = NULL')).to.equal(false);
    expect(sel("Tags = 'a'")).to.equal(false); // arrays do not compare
  });

  it('reaches into embedded instances and tests their class with ISA', () => {
    const from = 'CIM_InstIndication';
    expect(sel('SourceInstance ISA TVDc_ComputerSystem', ind, from)).to.equal(true);
    expect(sel('SourceInstance ISA CIM_ComputerSystem', ind, from)).to.equal(true);
    expect(sel('SourceInstance ISA TVDc_HostSystem', ind, from)).to.equal(false);
    expect(sel('IndicationIdentifier ISA TVDc_HostSystem', ind, from)).to.equal(false);
    expect(sel('SourceInstance ISA TVDc_ComputerSystem AND SourceInstance.EnabledState = 2', ind, from)).to.equal(true);
    expect(sel("SourceInstance.Name = 'vm2'", ind, from)).to.equal(false);
    expect(sel('SourceInstance.Nope.Deeper IS NULL', ind, from)).to.equal(true);
    expect(sel('IndicationIdentifier.X IS NULL', ind, from)).to.equal(true);
  });

  it('compares two properties, as a state-change filter does', () => {
    const before = inst('TVDc_ComputerSystem', [['Name', 'string', 'vm1'], ['EnabledState', 'uint16', 3]]);
    const changed = inst('CIM_InstModification', [['SourceInstance', 'string', vm], ['PreviousInstance', 'string', before]]);
    const same = inst('CIM_InstModification', [['SourceInstance', 'string', vm], ['PreviousInstance', 'string', vm]]);
    const q = 'SourceInstance ISA TVDc_ComputerSystem AND SourceInstance.EnabledState <> PreviousInstance.EnabledState';
    expect(sel(q, changed, 'CIM_InstIndication')).to.equal(true);
    expect(sel(q, same, 'CIM_InstIndication')).to.equal(false);
  });

  it('reads __CLASS as the class name of an instance or an embedded one', () => {
    expect(sel("__CLASS = 'TVDc_ComputerSystem'")).to.equal(true);
    expect(sel("SourceInstance.__Class LIKE 'TVDc_%'", ind, 'CIM_InstIndication')).to.equal(true);
  });

  it('matches LIKE patterns with %, _ and sets', () => {
    expect(sel("Name LIKE 'vm%'")).to.equal(true);
    expect(sel("Name LIKE 'v_1'")).to.equal(true);
    expect(sel("Name LIKE 'vm[0-9]'")).to.equal(true);
    expect(sel("Name LIKE 'vm[^1]'")).to.equal(false);
    expect(sel("Name NOT LIKE 'host%'")).to.equal(true);
    expect(sel("Name LIKE 'v.1'")).to.equal(false); // "." is literal
  });

  it('projects the SELECT list, narrowing embedded instances', () => {
    const q = parseWql('SELECT Name, EnabledState, Nope FROM CIM_ComputerSystem');
    expect(selectedProperties(q)).to.deep.equal(['Name', 'EnabledState', 'Nope']);
    const p = project(q, vm);
    expect(p.properties.names()).to.deep.equal(['Name', 'EnabledState']);
    expect(p.get('Name')).to.equal('vm1');
    const q2 = parseWql('SELECT SourceInstance.Name, IndicationIdentifier FROM CIM_InstModification');
    const p2 = project(q2, ind);
    const src = p2.get('SourceInstance') as CimInstance;
    expect(src.properties.names()).to.deep.equal(['Name']);
    expect(vm.properties.size).to.equal(8); // the original is untouched
    expect(selectedProperties(parseWql('SELECT * FROM C'))).to.equal(null);
    expect(project(parseWql('SELECT * FROM C'), vm)).to.equal(vm);
  });
});
