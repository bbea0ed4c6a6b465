// MOF files that are not UTF-8: one error naming the encoding at the first bad byte (not one per
// character), and bad bytes inside a string refused rather than turned into U+FFFD.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileMof, DEFAULT_MOF_NAMESPACE } from '../../src/mof/index.js';

const MOF = 'class A {\n  string x = "café";\n};\n';

describe('MOF file encodings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-mof-enc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function compile(name: string, bytes: Buffer): { errors: string[]; codes: string[]; defined: boolean } {
    const f = join(dir, name);
    writeFileSync(f, bytes);
    const r = compileMof({ files: [f] });
    let defined = true;
    try {
      r.repository.getClass(DEFAULT_MOF_NAMESPACE, 'A');
    } catch {
      defined = false;
    }
    return { errors: r.errors.map((e) => e.message.replace(dir + '/', '')), codes: r.errors.map((e) => e.code), defined };
  }

  it('UTF-16 with and without a byte order mark, either byte order: one error at 1:1', () => {
    const le = Buffer.from(MOF, 'utf16le');
    const be = Buffer.from(le).swap16();
    const cases: [string, Buffer, string][] = [
      ['le-bom.mof', Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'with a byte order mark'],
      ['be-bom.mof', Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'with a byte order mark'],
      ['le.mof', le, 'without a byte order mark'],
      ['be.mof', be, 'without a byte order mark'],
    ];
    for (const [name, bytes, kind] of cases) {
      const r = compile(name, bytes);
      expect(r.errors, name).to.deep.equal([`${name}:1:1: the file is UTF-16 ${kind}; MOF is read as UTF-8: save it as UTF-8`]);
      expect(r.codes).to.deep.equal(['MOF_LEXICAL']);
    }
  });

  it('an invalid UTF-8 byte in a string is an error at that byte, and the class is not defined', () => {
    const bytes = Buffer.concat([Buffer.from('class A {\n  string x = "caf'), Buffer.from([0xe9]), Buffer.from('";\n};\n')]);
    const r = compile('latin1.mof', bytes);
    expect(r.errors).to.deep.equal(['latin1.mof:2:18: not UTF-8: invalid byte 0xE9; MOF is read as UTF-8']);
    expect(r.defined).to.equal(false);
  });

  it('overlong forms and surrogates are invalid UTF-8 too; columns count the characters before the byte', () => {
    const overlong = Buffer.concat([Buffer.from('// é\nclass A { string x = "é'), Buffer.from([0xc0, 0xaf]), Buffer.from('"; };\n')]);
    expect(compile('overlong.mof', overlong).errors).to.deep.equal(['overlong.mof:2:24: not UTF-8: invalid byte 0xC0; MOF is read as UTF-8']);
    const surrogate = Buffer.concat([Buffer.from('class A { string x = "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"; };\n')]);
    expect(compile('surrogate.mof', surrogate).errors).to.deep.equal(['surrogate.mof:1:23: not UTF-8: invalid byte 0xED; MOF is read as UTF-8']);
  });

  it('a binary file gets one error, not one per byte', () => {
    const bytes = Buffer.alloc(2000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
    expect(compile('bin.mof', bytes).errors).to.have.length(1);
  });

  it('an included file is checked the same way', () => {
    writeFileSync(join(dir, 'inc16.mof'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MOF, 'utf16le')]));
    const r = compile('main.mof', Buffer.from('#pragma include ("inc16.mof")\n'));
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]).to.match(/inc16\.mof:1:1: the file is UTF-16 with a byte order mark; MOF is read as UTF-8: save it as UTF-8$/);
  });

  it('UTF-8, with or without a byte order mark, compiles with its non-ASCII text intact', () => {
    for (const [name, bytes] of [['plain.mof', Buffer.from(MOF)], ['bom.mof', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MOF)])]] as const) {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      const r = compileMof({ files: [f] });
      expect(r.errors.map(String), name).to.deep.equal([]);
      const a = r.repository.getClass(DEFAULT_MOF_NAMESPACE, 'A');
      expect(a.properties.get('x')?.value, name).to.equal('café');
    }
  });
});
