// The MOF parser: each DSP0004 production to its syntax tree with positions, and error recovery
// that reports several errors in one pass.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseMof } from '../../src/mof/MofParser.js';
import type { MofClassNode, MofInstanceNode, MofPragmaNode, MofQualifierDeclNode } from '../../src/mof/MofAst.js';
import { pywbemMofDir } from './paths.js';

function ok(text: string) {
  const r = parseMof(text, 't.mof');
  expect(r.errors.map((e) => e.message)).to.deep.equal([]);
  return r.productions;
}

function errorsOf(text: string): string[] {
  return parseMof(text, 't.mof').errors.map((e) => e.message);
}

describe('mof parser', () => {
  it('parses a qualifier declaration with type, array, default, scopes and flavors', () => {
    const [q] = ok('Qualifier ValueMap : string[] = {"a", "b"},\n  Scope(property, method, parameter),\n  Flavor(EnableOverride, ToSubclass, Translatable);') as MofQualifierDeclNode[];
    expect(q!.kind).to.equal('qualifierDecl');
    expect(q!.name).to.equal('ValueMap');
    expect(q!.dataType.type).to.equal('string');
    expect(q!.isArray).to.equal(true);
    expect(q!.defaultValue).to.deep.include({ kind: 'array' });
    expect(q!.scopes).to.deep.equal(['property', 'method', 'parameter']);
    expect(q!.flavors).to.deep.equal(['enableoverride', 'tosubclass', 'translatable']);
    expect(q!.pos).to.deep.equal({ file: 't.mof', line: 1, col: 11 });
  });

  it('parses a fixed-size array qualifier type and a scope-only declaration', () => {
    const [a, b] = ok('qualifier Q : uint8[4], scope(any);\nQUALIFIER Key : boolean = false, Scope(property, reference), Flavor(DisableOverride);') as MofQualifierDeclNode[];
    expect(a!.arraySize).to.equal(4);
    expect(a!.flavors).to.deep.equal([]);
    expect(b!.defaultValue).to.deep.include({ kind: 'boolean', value: false });
  });

  it('parses a class with qualifiers, superclass, properties, references, arrays, defaults and methods', () => {
    const text = `[Association, Description ("one" " two")]
class EX_Assoc as $cls : EX_Base {
   [Key] EX_Thing REF Left;
   [Key, Override ("Right") : DisableOverride ToSubclass] EX_Thing ref Right;
   uint8 Fixed[16];
   string Names[] = { "a", "b" };
   sint32 Count = -5;
   real64 Ratio = 1.5e3;
   char16 Letter = 'x';
   datetime When = "20260101000000.000000+000";
   boolean Flag = TRUE;
   string Nothing = NULL;
   [Description ("m")] uint32 Do([IN] string A, [IN, OUT] EX_Thing REF B, uint16 C[], string D[4]);
   string NoArgs();
};`;
    const [c] = ok(text) as MofClassNode[];
    expect(c!.name).to.equal('EX_Assoc');
    expect(c!.alias).to.equal('cls');
    expect(c!.superclass).to.equal('EX_Base');
    expect(c!.superclassPos).to.deep.equal({ file: 't.mof', line: 2, col: 26 });
    expect(c!.qualifiers.map((q) => q.name)).to.deep.equal(['Association', 'Description']);
    expect(c!.qualifiers[1]!.value).to.deep.include({ kind: 'string', value: 'one two' });
    const f = Object.fromEntries(c!.features.map((x) => [x.name, x]));
    expect(f.Left).to.deep.include({ kind: 'property', isArray: false });
    expect(f.Left!.kind === 'property' && f.Left.dataType).to.deep.include({ type: 'reference', refClass: 'EX_Thing' });
    expect(f.Right!.qualifiers[1]!.flavors).to.deep.equal(['disableoverride', 'tosubclass']);
    expect(f.Fixed).to.deep.include({ isArray: true, arraySize: 16 });
    expect(f.Names).to.deep.include({ isArray: true });
    expect(f.Count!.kind === 'property' && f.Count.defaultValue).to.deep.include({ kind: 'integer', value: -5n });
    expect(f.Ratio!.kind === 'property' && f.Ratio.defaultValue).to.deep.include({ kind: 'real', value: 1500 });
    expect(f.Letter!.kind === 'property' && f.Letter.defaultValue).to.deep.include({ kind: 'char16', value: 'x' });
    expect(f.Flag!.kind === 'property' && f.Flag.defaultValue).to.deep.include({ kind: 'boolean', value: true });
    expect(f.Nothing!.kind === 'property' && f.Nothing.defaultValue).to.deep.include({ kind: 'null' });
    const m = f.Do!;
    expect(m.kind).to.equal('method');
    if (m.kind !== 'method') return;
    expect(m.returnType.type).to.equal('uint32');
    expect(m.parameters.map((p) => [p.name, p.dataType.type, p.isArray, p.arraySize])).to.deep.equal([
      ['A', 'string', false, undefined], ['B', 'reference', false, undefined], ['C', 'uint16', true, undefined], ['D', 'string', true, 4],
    ]);
    expect(m.parameters[1]!.qualifiers.map((q) => q.name)).to.deep.equal(['IN', 'OUT']);
    expect(f.NoArgs!.kind === 'method' && f.NoArgs.parameters).to.deep.equal([]);
  });

  it('accepts keywords in any case and keyword-like names where a name is expected', () => {
    const [c] = ok('CLASS Ex_A { STRING Class; Uint32 Instance; BOOLEAN Ref(); };') as MofClassNode[];
    expect(c!.features.map((f) => f.name)).to.deep.equal(['Class', 'Instance', 'Ref']);
  });

  it('parses instances with aliases, alias references, arrays and property qualifiers', () => {
    const text = 'instance of EX_A as $first { Name = "x"; [Description("q")] Items = {1, 2, 3}; };\n' +
      'instance of EX_Link { Left = $first; Right = "EX_A.Name=\\"y\\""; Many = { $first, $first }; };';
    const [a, b] = ok(text) as MofInstanceNode[];
    expect(a!.alias).to.equal('first');
    expect(a!.aliasPos).to.deep.equal({ file: 't.mof', line: 1, col: 21 });
    expect(a!.values.map((v) => v.name)).to.deep.equal(['Name', 'Items']);
    expect(a!.values[1]!.qualifiers[0]!.name).to.equal('Description');
    expect(b!.values[0]!.value).to.deep.include({ kind: 'alias', name: 'first' });
    expect(b!.values[1]!.value).to.deep.include({ kind: 'string', value: 'EX_A.Name="y"' });
    expect(b!.values[2]!.value.kind === 'array' && b!.values[2]!.value.items.map((i) => i.kind)).to.deep.equal(['alias', 'alias']);
  });

  it('parses every pragma, joining adjacent strings in the parameter', () => {
    const ps = ok('#pragma include ("a/" "b.mof")\n#pragma namespace("root/x")\n#pragma locale ("en_US")\n#pragma nonlocal("x")') as MofPragmaNode[];
    expect(ps.map((p) => [p.name, p.value])).to.deep.equal([['include', 'a/b.mof'], ['namespace', 'root/x'], ['locale', 'en_US'], ['nonlocal', 'x']]);
    expect(ps[1]!.valuePos).to.deep.equal({ file: 't.mof', line: 2, col: 19 });
  });

  it('concatenates adjacent strings across lines and comments', () => {
    const [c] = ok('class EX_A { string S = "a" /* c */ "b"\n // d\n "c"; };') as MofClassNode[];
    expect(c!.features[0]!.kind === 'property' && c!.features[0]!.defaultValue).to.deep.include({ value: 'abc' });
  });

  it('rejects pywbem parse_error01.mof at the token after the missing ";"', () => {
    const file = resolve(pywbemMofDir, 'parse_error01.mof');
    const r = parseMof(readFileSync(file, 'utf8'), file);
    expect(r.errors.map((e) => e.message)).to.deep.equal([`${file}:16:2: expected ";" after the value of comment, found "size"`]);
    // Recovery keeps the rest of the file: both classes and three instances still parse.
    expect(r.productions.map((p) => p.kind)).to.deep.equal(['class', 'instance', 'instance', 'class', 'instance', 'class']);
    expect(r.productions.filter((p) => p.kind === 'instance' && p.broken)).to.have.length(1);
  });

  it('reports several errors in one file, each where it is', () => {
    const text = [
      'class EX_A {',
      '  string A',             // 2: missing ;
      '  uint32 B;',
      '  strng C;',             // 4: unknown type
      '  uint8 D[0];',          // 5: bad array size
      '};',
      'class EX_B : { };',      // 7: missing superclass name
      'instance of EX_A { A = ; B = 3; };', // 8: missing value
      'Qualifier Q : string, Flavor(Restricted);', // 9: scope missing
      'class EX_C { uint32 E = {1, {2}}; };', // 10: nested array
      'garbage here;',          // 11
      'class EX_D { string F; };',
    ].join('\n');
    const r = parseMof(text, 't.mof');
    expect(r.errors.map((e) => `${e.line}:${e.col}`)).to.deep.equal(['3:3', '4:3', '5:11', '7:14', '8:24', '9:41', '10:29', '11:1']);
    expect(r.errors.every((e) => e.code === 'MOF_SYNTAX')).to.equal(true);
    expect(r.errors[1]!.reason).to.match(/unknown data type "strng"/);
    expect(r.errors[2]!.reason).to.match(/array size is a positive decimal integer/);
    // The last class is intact, and the broken ones are marked.
    const classes = r.productions.filter((p): p is MofClassNode => p.kind === 'class');
    expect(classes.map((c) => [c.name, c.broken])).to.deep.equal([['EX_A', true], ['EX_C', true], ['EX_D', false]]);
    expect(classes[2]!.features.map((f) => f.name)).to.deep.equal(['F']);
  });

  it('notices a class body that is never closed and still parses what follows', () => {
    const r = parseMof('class EX_A {\n  string A;\n\nclass EX_B { string B; };', 't.mof');
    expect(r.errors.map((e) => e.message)).to.deep.equal(['t.mof:4:1: missing "};" to close class EX_A (opened at line 1)']);
    expect(r.productions.map((p) => p.kind === 'class' && p.name)).to.deep.equal(['EX_B']);
  });

  it('reports a truncated file at its end', () => {
    expect(errorsOf('class EX_A { string A = "x"')).to.deep.equal(['t.mof:1:28: expected ";" after the declaration of A, found end of file']);
    expect(errorsOf('instance of')).to.deep.equal(['t.mof:1:12: expected a class name after "instance of", found end of file']);
    expect(errorsOf('[Key')).to.deep.equal(['t.mof:1:5: expected "," or "]" in the qualifier list, found end of file']);
  });

  it('stops after too many errors with one final MOF_LIMIT error', () => {
    const r = parseMof('@'.repeat(1000), 't.mof');
    expect(r.errors).to.have.length(201);
    expect(r.errors.at(-1)!.code).to.equal('MOF_LIMIT');
  });

  it('refuses qualifiers on a qualifier declaration and unknown scopes and flavors', () => {
    expect(errorsOf('[A] Qualifier Q : string, Scope(any);')[0]).to.match(/cannot itself have qualifiers/);
    expect(errorsOf('Qualifier Q : string, Scope(everything);')[0]).to.match(/unknown scope "everything"/);
    expect(errorsOf('Qualifier Q : string, Scope(any), Flavor(Sticky);')[0]).to.match(/unknown flavor "Sticky"/);
    expect(errorsOf('Qualifier Q : Foo REF, Scope(any);')[0]).to.match(/not a qualifier type/);
  });
});
