import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAcmXml } from '../../../src/tvdc/policy/parseAcmXml.js';
import { writeAcmXml } from '../../../src/tvdc/policy/writeAcmXml.js';
import { loadPolicy } from '../../../src/tvdc/policy/loadPolicy.js';
import { policyFromJson, policyToJson } from '../../../src/tvdc/policy/policyJson.js';
import { TvdcError } from '../../../src/tvdc/TvdcError.js';

const XEN = join(process.cwd(), '..', 'shared', 'fixtures', 'xen-acm');
const OURS = join(process.cwd(), 'fixtures', 'policies');
const XSD = join(XEN, 'security_policy.xsd');

describe('Xen ACM policy XML', () => {
  let tmp: string;
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'tvdc-acmxml-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const files = [...readdirSync(XEN).filter((f) => f.endsWith('.xml')).map((f) => join(XEN, f)), ...readdirSync(OURS).map((f) => join(OURS, f))];
  for (const file of files) {
    it(`imports, exports and re-imports ${file.split('/').pop()} to the same model`, () => {
      const first = parseAcmXml(readFileSync(file, 'utf8'));
      if (!first.ok) throw new Error(first.errors.map((e) => e.message).join('; '));
      const xml = writeAcmXml(first.policy);
      const again = parseAcmXml(xml);
      expect(again.ok).to.equal(true);
      if (again.ok) expect(again.policy).to.deep.equal(first.policy);
      // The exported document is valid under Xen's own schema.
      const out = join(tmp, 'out.xml');
      writeFileSync(out, xml);
      expect(() => execFileSync('xmllint', ['--noout', '--schema', XSD, out], { stdio: 'pipe' })).not.to.throw();
      // And the JSON form carries the same model.
      const viaJson = policyFromJson(policyToJson(first.policy));
      expect(viaJson.ok && viaJson.policy).to.deep.equal(first.policy);
    });
  }

  it('reads the model the xm-test policy describes', () => {
    const r = parseAcmXml(readFileSync(join(XEN, 'xm-test-security_policy.xml'), 'utf8'));
    if (!r.ok) throw new Error('refused');
    expect(r.policy.header).to.include({ name: 'xm-test', version: '1.0' });
    expect(r.policy.steTypes).to.deep.equal(['SystemManagement', 'green', 'red', 'blue']);
    expect(r.policy.conflictSets).to.deep.equal([{ name: 'RER', types: ['blue', 'red'] }]);
    expect(r.policy.bootstrap).to.equal('SystemManagement');
    expect(r.policy.primary).to.equal('chwall');
    expect(r.policy.resourceLabels.find((l) => l.name === 'red')).to.deep.equal({ name: 'red', ste: 'red' });
  });

  it("ignores the DEFAULT policy's empty Chinese Wall <Type/> in labels", () => {
    const r = parseAcmXml(readFileSync(join(XEN, 'DEFAULT-security_policy.xml'), 'utf8'));
    if (!r.ok) throw new Error('refused');
    expect(r.policy.vmLabels.map((l) => l.cw)).to.deep.equal([[], []]);
  });

  it('keeps conflict sets that share a name, as Xen did (user guide policy)', () => {
    const r = parseAcmXml(readFileSync(join(XEN, 'userguide.mytest-security_policy.xml'), 'utf8'));
    if (!r.ok) throw new Error('refused');
    expect(r.policy.conflictSets.map((c) => c.name)).to.deep.equal(['RER', 'RER']);
  });

  it('reads label renames (from=) and FromPolicy', () => {
    const p = loadPolicy(readFileSync(join(OURS, 'paper-ma-su-1.1.xml'), 'utf8'));
    expect(p.header.from).to.deep.equal({ name: 'tvdc-paper', version: '1.0' });
    expect(p.vmLabels.find((l) => l.from)).to.deep.include({ name: 'MarketAnalysisOnlyHost', from: 'MarketAnalysisHost' });
  });
});

// A small valid policy; each broken variant changes one thing and must be refused with its rule and line.
const BASE = `<?xml version="1.0"?>
<SecurityPolicyDefinition xmlns="http://www.ibm.com">
  <PolicyHeader>
    <PolicyName>t</PolicyName>
    <Version>1.0</Version>
  </PolicyHeader>
  <SimpleTypeEnforcement>
    <SimpleTypeEnforcementTypes>
      <Type>SystemManagement</Type>
      <Type>red</Type>
      <Type>blue</Type>
    </SimpleTypeEnforcementTypes>
  </SimpleTypeEnforcement>
  <ChineseWall>
    <ChineseWallTypes>
      <Type>SystemManagement</Type>
      <Type>red</Type>
      <Type>blue</Type>
    </ChineseWallTypes>
    <ConflictSets>
      <Conflict name="RB">
        <Type>red</Type>
        <Type>blue</Type>
      </Conflict>
    </ConflictSets>
  </ChineseWall>
  <SecurityLabelTemplate>
    <SubjectLabels bootstrap="SystemManagement">
      <VirtualMachineLabel>
        <Name>SystemManagement</Name>
        <SimpleTypeEnforcementTypes>
          <Type>SystemManagement</Type>
          <Type>red</Type>
          <Type>blue</Type>
        </SimpleTypeEnforcementTypes>
        <ChineseWallTypes>
          <Type>SystemManagement</Type>
        </ChineseWallTypes>
      </VirtualMachineLabel>
      <VirtualMachineLabel>
        <Name>red</Name>
        <SimpleTypeEnforcementTypes>
          <Type>red</Type>
        </SimpleTypeEnforcementTypes>
        <ChineseWallTypes>
          <Type>red</Type>
        </ChineseWallTypes>
      </VirtualMachineLabel>
    </SubjectLabels>
    <ObjectLabels>
      <ResourceLabel>
        <Name>red</Name>
        <SimpleTypeEnforcementTypes>
          <Type>red</Type>
        </SimpleTypeEnforcementTypes>
      </ResourceLabel>
    </ObjectLabels>
  </SecurityLabelTemplate>
</SecurityPolicyDefinition>
`;

function lineOf(xml: string, needle: string, nth = 1): number {
  let idx = -1;
  for (let i = 0; i < nth; i++) idx = xml.indexOf(needle, idx + 1);
  if (idx < 0) throw new Error(`fixture edit failed: ${needle}`);
  return xml.slice(0, idx).split('\n').length;
}

function edit(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`fixture edit failed: ${from}`);
  return BASE.replace(from, to);
}

function refuse(xml: string, rule: string, line: number): void {
  const r = parseAcmXml(xml);
  expect(r.ok, 'policy should be refused').to.equal(false);
  if (r.ok) return;
  const hit = r.errors.find((e) => e.rule === rule);
  expect(hit, `rule ${rule} in ${JSON.stringify(r.errors)}`).to.not.equal(undefined);
  expect(hit!.at?.line).to.equal(line);
  // The formatted error starts with file:line:col.
  try {
    loadPolicy(xml, 'bad.xml');
    expect.fail('loadPolicy accepted a broken policy');
  } catch (e) {
    expect(e).to.be.instanceOf(TvdcError);
    expect((e as TvdcError).code).to.equal('POLICY_INVALID');
    expect((e as TvdcError).message).to.match(new RegExp(`bad\\.xml:${line}:\\d+: .*\\[${rule}\\]`));
  }
}

describe('policy validation rules (one broken policy each)', () => {
  it('the base policy is valid', () => {
    expect(parseAcmXml(BASE).ok).to.equal(true);
  });

  it('xml-syntax: a mismatched tag', () => {
    const xml = edit('<PolicyName>t</PolicyName>', '<PolicyName>t</PolicyNam>');
    refuse(xml, 'xml-syntax', lineOf(xml, '</PolicyNam>'));
  });

  it('xml-syntax: a DOCTYPE with entities is refused, not expanded', () => {
    const xml = BASE.replace('<?xml version="1.0"?>', '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>');
    refuse(xml, 'xml-syntax', 2);
  });

  it('schema: wrong root element', () => {
    refuse('<Policy xmlns="http://www.ibm.com"/>', 'schema', 1);
  });

  it('schema: missing PolicyHeader Version', () => {
    const xml = edit('    <Version>1.0</Version>\n', '');
    refuse(xml, 'schema', lineOf(xml, '<PolicyHeader>'));
  });

  it('schema: unknown element', () => {
    const xml = edit('<PolicyName>t</PolicyName>', '<PolicyName>t</PolicyName><Colour>red</Colour>');
    refuse(xml, 'schema', lineOf(xml, '<Colour>'));
  });

  it('schema: text where only elements belong', () => {
    const xml = edit('<PolicyHeader>', '<PolicyHeader>stray');
    refuse(xml, 'schema', lineOf(xml, '<PolicyHeader>'));
  });

  it('schema: elements out of order (ChineseWall before SimpleTypeEnforcement)', () => {
    const ste = BASE.slice(BASE.indexOf('  <SimpleTypeEnforcement>'), BASE.indexOf('  <ChineseWall>'));
    const xml = BASE.replace(ste, '').replace('  </ChineseWall>\n', '  </ChineseWall>\n' + ste);
    refuse(xml, 'schema', lineOf(xml, '<SimpleTypeEnforcement>'));
  });

  it('schema: Conflict without a name attribute', () => {
    const xml = edit('<Conflict name="RB">', '<Conflict>');
    refuse(xml, 'schema', lineOf(xml, '<Conflict>'));
  });

  it('schema: bad priority value', () => {
    const xml = edit('<ChineseWall>', '<ChineseWall priority="Secondary">');
    refuse(xml, 'schema', lineOf(xml, '<ChineseWall '));
  });

  it('primary-twice: both components claim priority', () => {
    const xml = edit('<SimpleTypeEnforcement>', '<SimpleTypeEnforcement priority="PrimaryPolicyComponent">').replace('<ChineseWall>', '<ChineseWall priority="PrimaryPolicyComponent">');
    refuse(xml, 'primary-twice', lineOf(xml, '<ChineseWall '));
  });

  it('version-format: version must be major.minor', () => {
    for (const v of ['1', '1x0', '1.0.1', 'a.b', '123456789.0']) {
      const xml = edit('<Version>1.0</Version>', `<Version>${v}</Version>`);
      refuse(xml, 'version-format', lineOf(xml, '<Version>'));
    }
  });

  it('version-format: FromPolicy version too', () => {
    const xml = edit('<Version>1.0</Version>', '<Version>1.1</Version><FromPolicy><PolicyName>t</PolicyName><Version>one</Version></FromPolicy>');
    refuse(xml, 'version-format', lineOf(xml, '<FromPolicy>'));
  });

  it("policy-name: a policy name with ':'", () => {
    const xml = edit('<PolicyName>t</PolicyName>', '<PolicyName>a:b</PolicyName>');
    refuse(xml, 'policy-name', lineOf(xml, '<PolicyName>'));
  });

  it("label-name: a label name with ':' or empty", () => {
    let xml = edit('<Name>red</Name>', '<Name>re:d</Name>');
    refuse(xml, 'label-name', lineOf(xml, '<Name>re:d'));
    xml = edit('<Name>red</Name>', '<Name></Name>');
    refuse(xml, 'label-name', lineOf(xml, '<Name></Name>'));
  });

  it('reserved-name: __NULL_LABEL__ and __INACCESSIBLE__ cannot be declared', () => {
    let xml = edit('<Name>red</Name>', '<Name>__NULL_LABEL__</Name>');
    refuse(xml, 'reserved-name', lineOf(xml, '__NULL_LABEL__'));
    xml = edit('<Type>blue</Type>', '<Type>__INACCESSIBLE__</Type>');
    refuse(xml, 'reserved-name', lineOf(xml, '__INACCESSIBLE__'));
  });

  it('empty-type: an empty declared type', () => {
    const xml = edit('<Type>blue</Type>', '<Type></Type>');
    refuse(xml, 'empty-type', lineOf(xml, '<Type></Type>'));
  });

  it('duplicate-type: an STE type declared twice', () => {
    const xml = edit('<Type>blue</Type>', '<Type>blue</Type>\n      <Type>red</Type>');
    refuse(xml, 'duplicate-type', lineOf(xml, '<Type>red</Type>', 2));
  });

  it('duplicate-type: a Chinese Wall type declared twice', () => {
    const cw = BASE.indexOf('<ChineseWallTypes>');
    const xml = BASE.slice(0, cw) + BASE.slice(cw).replace('<Type>blue</Type>', '<Type>blue</Type><Type>blue</Type>');
    const r = parseAcmXml(xml);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors.find((e) => e.rule === 'duplicate-type')?.path).to.equal('cwTypes[3]');
    refuse(xml, 'duplicate-type', lineOf(xml, '<Type>blue</Type><Type>blue</Type>'));
  });

  it('duplicate-label: a VM label defined twice', () => {
    const vm = '      <VirtualMachineLabel>\n        <Name>red</Name>';
    const xml = edit(vm, vm.replace('red', 'SystemManagement'));
    refuse(xml, 'duplicate-label', lineOf(xml, '<Name>SystemManagement</Name>', 2));
  });

  it('duplicate-label: a resource label defined twice', () => {
    const res = BASE.slice(BASE.indexOf('      <ResourceLabel>'), BASE.indexOf('    </ObjectLabels>'));
    const xml = BASE.replace(res, res + res);
    refuse(xml, 'duplicate-label', lineOf(xml, '<ResourceLabel>', 2) + 1);
  });

  it('undeclared-type: a VM label using an undeclared STE type', () => {
    const xml = edit('          <Type>red</Type>\n        </SimpleTypeEnforcementTypes>\n        <ChineseWallTypes>\n          <Type>red</Type>', '          <Type>green</Type>\n        </SimpleTypeEnforcementTypes>\n        <ChineseWallTypes>\n          <Type>red</Type>');
    refuse(xml, 'undeclared-type', lineOf(xml, '<Type>green</Type>'));
  });

  it('undeclared-type: a VM label using an undeclared Chinese Wall type', () => {
    const xml = edit('<ChineseWallTypes>\n          <Type>red</Type>', '<ChineseWallTypes>\n          <Type>purple</Type>');
    refuse(xml, 'undeclared-type', lineOf(xml, '<Type>purple</Type>'));
  });

  it('undeclared-type: a resource label using an undeclared STE type', () => {
    const res = BASE.indexOf('<ResourceLabel>');
    const xml = BASE.slice(0, res) + BASE.slice(res).replace('<Type>red</Type>', '<Type>orange</Type>');
    refuse(xml, 'undeclared-type', lineOf(xml, '<Type>orange</Type>'));
  });

  it('conflict-set-type: a conflict set naming a type that is not a Chinese Wall type', () => {
    const xml = edit('<Conflict name="RB">\n        <Type>red</Type>', '<Conflict name="RB">\n        <Type>green</Type>');
    refuse(xml, 'conflict-set-type', lineOf(xml, '<Type>green</Type>'));
  });

  it('conflict-set-duplicate-type: a type twice in one conflict set', () => {
    const xml = edit('<Type>red</Type>\n        <Type>blue</Type>\n      </Conflict>', '<Type>red</Type>\n        <Type>red</Type>\n      </Conflict>');
    refuse(xml, 'conflict-set-duplicate-type', lineOf(xml, '<Type>red</Type>\n        <Type>red</Type>') + 1);
  });

  it('conflict-set-name: an empty conflict set name', () => {
    const xml = edit('<Conflict name="RB">', '<Conflict name="">');
    refuse(xml, 'conflict-set-name', lineOf(xml, '<Conflict name="">'));
  });

  it('bootstrap-missing: SubjectLabels without bootstrap', () => {
    const xml = edit('<SubjectLabels bootstrap="SystemManagement">', '<SubjectLabels>');
    refuse(xml, 'bootstrap-missing', lineOf(xml, '<SubjectLabels>'));
  });

  it('bootstrap-undefined: bootstrap names no VM label', () => {
    const xml = edit('bootstrap="SystemManagement"', 'bootstrap="Dom0"');
    refuse(xml, 'bootstrap-undefined', lineOf(xml, 'bootstrap="Dom0"'));
  });

  it('resource-single-type: a resource label with two STE types', () => {
    const res = BASE.indexOf('<ResourceLabel>');
    const xml = BASE.slice(0, res) + BASE.slice(res).replace('<Type>red</Type>', '<Type>red</Type><Type>blue</Type>');
    refuse(xml, 'resource-single-type', lineOf(xml, '<SimpleTypeEnforcementTypes>', 4));
  });

  it('resource-single-type: a resource label with no STE type', () => {
    const res = BASE.indexOf('<ResourceLabel>');
    const xml = BASE.slice(0, res) + BASE.slice(res).replace('<Type>red</Type>', '<Type/>');
    refuse(xml, 'resource-single-type', lineOf(xml, '<SimpleTypeEnforcementTypes>', 4));
  });

  it('duplicate-rename: two labels renamed from the same old label', () => {
    const xml = edit('<Name>red</Name>', '<Name from="x">red</Name>').replace('<Name>SystemManagement</Name>', '<Name from="x">SystemManagement</Name>');
    refuse(xml, 'duplicate-rename', lineOf(xml, '<Name from="x">red'));
  });

  it('reports every problem, not only the first, in document order', () => {
    const xml = edit('<Version>1.0</Version>', '<Version>1</Version>').replace('bootstrap="SystemManagement"', 'bootstrap="nobody"');
    const r = parseAcmXml(xml);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors.map((e) => e.rule)).to.deep.equal(['version-format', 'bootstrap-undefined']);
  });

  it('JSON form: shape errors name the path', () => {
    const r = policyFromJson('{"header":{"name":"x","version":2}}');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors[0]).to.include({ rule: 'json-shape', path: 'header.version' });
    const bad = policyFromJson('not json');
    expect(bad.ok).to.equal(false);
  });

  it('JSON form: semantic rules apply too', () => {
    const r = parseAcmXml(BASE);
    if (!r.ok) throw new Error('base refused');
    const p = structuredClone(r.policy);
    p.vmLabels[1]!.ste.push('violet');
    const j = policyFromJson(JSON.stringify(p));
    expect(j.ok).to.equal(false);
    if (!j.ok) expect(j.errors[0]).to.include({ rule: 'undeclared-type', path: 'vmLabels[1].ste[1]' });
  });
});
