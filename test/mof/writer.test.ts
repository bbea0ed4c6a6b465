// The MOF writer: what it writes compiles back to the same model (classes, qualifier types,
// instances, every value form), so `tvdc-mof show` output is real MOF.
import { expect } from 'chai';
import { join } from 'node:path';
import { compileMof, classToMof, instanceToMof, mofString, mofValue, qualifierDeclarationToMof, MofError, projectMofRoot, projectMofFiles } from '../../src/mof/index.js';
import { parseMof } from '../../src/mof/MofParser.js';
import type { CimClass } from '../../src/cim/CimClass.js';
import type { CimQualifier } from '../../src/cim/CimQualifier.js';
import type { NameMap } from '../../src/cim/NameMap.js';
import type { CimValue } from '../../src/cim/CimValue.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { projectMof } from './paths.js';

function show(v: CimValue): unknown {
  if (Array.isArray(v)) return v.map((x) => show(x));
  if (v instanceof CimDateTime || v instanceof CimObjectPath) return v.toString();
  if (typeof v === 'bigint') return `${v}n`;
  return v;
}

function quals(q: NameMap<CimQualifier>): unknown {
  return q.values().map((x) => [x.name, x.type, show(x.value), x.flavor.overridable, x.flavor.toSubclass]);
}

/** A comparable picture of a class as declared. */
function picture(c: CimClass): unknown {
  return {
    name: c.name, superclass: c.superclass, qualifiers: quals(c.qualifiers),
    properties: c.properties.values().map((p) => [p.name, p.type, p.isArray, p.arraySize, p.referenceClass, show(p.value), quals(p.qualifiers)]),
    methods: c.methods.values().map((m) => [m.name, m.returnType, quals(m.qualifiers),
      m.parameters.values().map((p) => [p.name, p.type, p.isArray, p.arraySize, p.referenceClass, quals(p.qualifiers)])]),
  };
}

describe('mof writer', () => {
  it('writes the whole project schema so that it compiles back to the same classes', () => {
    const r = compileMof({ files: [join(projectMof, 'tvdc.mof')] });
    expect(r.errors).to.deep.equal([]);
    const ns = 'root/tvdc';
    let text = r.qualifiers.map((q) => qualifierDeclarationToMof(q.declaration)).join('\n');
    for (const { cls } of r.classes) text += `\n${classToMof(r.repository.getLocalClass(ns, cls.name))}`;
    const back = compileMof({ sources: [{ name: 'written.mof', text }] });
    expect(back.errors.map((e) => e.message).slice(0, 5)).to.deep.equal([]);
    expect(back.classes).to.have.length(r.classes.length);
    for (const { cls } of r.classes) {
      expect(picture(back.repository.getLocalClass(ns, cls.name))).to.deep.equal(picture(r.repository.getLocalClass(ns, cls.name)));
    }
    for (const q of r.qualifiers) {
      const d = back.repository.getQualifierDeclaration(ns, q.declaration.name);
      expect([d.type, d.isArray, show(d.value), [...d.scopes], d.flavor]).to.deep.equal(
        [q.declaration.type, q.declaration.isArray, show(q.declaration.value), [...q.declaration.scopes], q.declaration.flavor]);
    }
  });

  it('writes instances, references and every scalar type back to the same values', () => {
    const src = `
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
class EX_V { [Key] string K; uint8 A; sint64 B; uint64 C; real32 D; real64 E; char16 F; boolean G;
  datetime H; string I[]; real64 J; string L; };
[Association] class EX_R { [Key] EX_V REF Ref; };
instance of EX_V as $v { K = "k\\"1\\\\"; A = 255; B = -9223372036854775808; C = 18446744073709551615; D = 0.1;
  E = 1e-300; F = '\\''; G = true; H = "20240229235959.999999-720"; I = {"x", NULL, "\\x01"}; J = -0.5; L = NULL; };
instance of EX_R { Ref = $v; };`;
    const r = compileMof({ sources: [{ name: 'v.mof', text: src }] });
    expect(r.errors.map((e) => e.message)).to.deep.equal([]);
    const schema = src.slice(0, src.indexOf('instance of'));
    const written = r.instances.map((i) => instanceToMof(i.instance)).join('\n');
    const back = compileMof({ sources: [{ name: 'w.mof', text: schema + written }] });
    expect(back.errors.map((e) => e.message)).to.deep.equal([]);
    for (let i = 0; i < r.instances.length; i++) {
      const a = r.instances[i]!.instance;
      const b = back.instances[i]!.instance;
      expect(b.properties.values().map((p) => [p.name, show(p.value)])).to.deep.equal(a.properties.values().map((p) => [p.name, show(p.value)]));
    }
  });

  it('escapes strings so the lexer reads back exactly the same text, long ones split into pieces', () => {
    const samples = [
      '', 'plain', 'quote " and backslash \\ and \' apostrophe', 'ctl \u0000\u0001\u001f\u007f tab\t nl\n cr\r bs\b ff\f',
      'unicode ✓ 😀 \ud800 lone', 'x'.repeat(500), `${'word '.repeat(60)}\\end`, `${'a'.repeat(69)}\\\\${'b'.repeat(80)}`,
      `${'c'.repeat(68)}\u0001${'d'.repeat(80)}`,
    ];
    for (const s of samples) {
      const lit = mofString(s, '   ');
      const r = parseMof(`class EX_A { string S = ${lit}; };`, 's.mof');
      expect(r.errors.map((e) => e.message), JSON.stringify(s)).to.deep.equal([]);
      const c = r.productions[0]!;
      expect(c.kind === 'class' && c.features[0]!.kind === 'property' && c.features[0]!.defaultValue).to.deep.include({ value: s });
      for (const line of lit.split('\n')) expect(line.length).to.be.lessThan(100);
    }
  });
});

describe('mof values and errors', () => {
  it('writes char16, reals and NULL so that they read back', () => {
    const r = compileMof({ sources: [{ name: 'c.mof', text: `class EX_A { char16 A = ${mofValue('char16', "'")}; char16 B = ${mofValue('char16', '\\')};
      char16 C = ${mofValue('char16', '\u0007')}; real64 D = ${mofValue('real64', 3)}; real32 E = ${mofValue('real32', 0.1)}; string F[] = ${mofValue('string', [null, 'x'])}; };` }] });
    expect(r.errors.map((e) => e.message)).to.deep.equal([]);
    const c = r.repository.getClass('root/tvdc', 'EX_A');
    expect(['A', 'B', 'C', 'D', 'E', 'F'].map((n) => c.properties.get(n)!.value)).to.deep.equal(["'", '\\', '\u0007', 3, Math.fround(0.1), [null, 'x']]);
    expect(mofValue('real64', 3)).to.equal('3.0');
  });

  it('formats MofError as file:line:col: message with a stable code', () => {
    const e = new MofError('MOF_SYNTAX', 'a/b.mof', 3, 14, 'expected ";"');
    expect(String(e)).to.equal('a/b.mof:3:14: expected ";"');
    expect(e.message).to.equal('a/b.mof:3:14: expected ";"');
    expect([e.code, e.file, e.line, e.col, e.reason, e.name]).to.deep.equal(['MOF_SYNTAX', 'a/b.mof', 3, 14, 'expected ";"', 'MofError']);
    expect(e).to.be.instanceOf(Error);
  });

  it('finds the project mof/ tree from the module location', () => {
    expect(projectMofRoot()).to.equal(projectMof);
    expect(projectMofFiles()).to.deep.equal([join(projectMof, 'tvdc.mof'), join(projectMof, 'interop.mof')]);
    expect(projectMofRoot('/')).to.equal(undefined);
  });
});
