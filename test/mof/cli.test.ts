// tvdc-mof on the command line: output lines and exit codes of check and show (spawned for real).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dmtfFixture, projectRoot, pywbemMofDir } from './paths.js';

const CLI = join(projectRoot, 'client/cli/tvdc-mof.ts');
// Resolved here, so the CLI can run with a working directory outside the project.
const TSX = import.meta.resolve('tsx');

function run(args: string[], cwd = projectRoot): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tvdc-mof CLI', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-mof-cli-'));
    mkdirSync(join(dir, 'inc'));
    writeFileSync(join(dir, 'inc', 'q.mof'), 'Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);\n');
    writeFileSync(join(dir, 'main.mof'), '#pragma include ("q.mof")\nclass EX_A { [Key] string K; };\ninstance of EX_A { K = "a"; };\ninstance of EX_A { K = "b"; };\n');
    writeFileSync(join(dir, 'bad.mof'), 'class EX_A {\n  strng X;\n  uint8 Y = 300;\n};\nclass EX_B : EX_Nope { };\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check: the DMTF fixture gives the summary line and exit 0', () => {
    const r = run(['check', dmtfFixture]);
    expect(r.code).to.equal(0);
    expect(r.out).to.equal('35 classes, 0 instances, 70 qualifier types\n');
  });

  it('check: several files and the pywbem MOF that includes its qualifiers', () => {
    const r = run(['check', join(pywbemMofDir, 'test_types.mof')]);
    expect(r.code).to.equal(0);
    expect(r.out).to.equal('1 classes, 0 instances, 56 qualifier types\n');
  });

  it('check: -I adds an include directory (both "-I DIR" and "-IDIR")', () => {
    expect(run(['check', join(dir, 'main.mof')]).code).to.equal(1);
    expect(run(['check', '-I', join(dir, 'inc'), join(dir, 'main.mof')]).out).to.equal('1 classes, 2 instances, 1 qualifier types\n');
    expect(run(['check', `-I${join(dir, 'inc')}`, 'main.mof'], dir).code).to.equal(0);
  });

  it('check: every error as file:line:col: message, exit 1', () => {
    const file = resolve(pywbemMofDir, 'parse_error01.mof');
    const r = run(['check', file]);
    expect(r.code).to.equal(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.length).to.be.greaterThan(1);
    for (const l of lines) expect(l).to.match(/^\/.*parse_error01\.mof:\d+:\d+: \S/);
    expect(lines).to.include(`${file}:16:2: expected ";" after the value of comment, found "size"`);
  });

  it('check: several errors of one file, relative path as given', () => {
    const r = run(['check', 'bad.mof'], dir);
    expect(r.code).to.equal(1);
    expect(r.out).to.equal('bad.mof:2:3: unknown data type "strng" (a reference is written "strng REF name")\n' +
      'bad.mof:5:14: superclass EX_Nope of EX_B is not defined in namespace root/tvdc (DSP0004: a class must come after its superclass)\n');
  });

  it('check: an unreadable file and usage errors', () => {
    const r = run(['check', 'nope.mof'], dir);
    expect([r.code, r.out]).to.deep.equal([1, 'nope.mof:1:1: cannot read file: no such file\n']);
    expect(run(['check']).code).to.equal(2);
    expect(run(['frobnicate']).code).to.equal(2);
    expect(run(['check', '--bogus', 'x.mof']).code).to.equal(2);
    expect(run(['check', '-I']).code).to.equal(2);
    expect(run(['--help']).out).to.match(/^usage: tvdc-mof check/);
  });

  it('show: a TVDc class from the project mof/, resolved with inherited members', () => {
    const r = run(['show', 'TVDc_SecurityService'], dir);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/^\/\/ namespace root\/tvdc\n/);
    expect(r.out).to.contain('class TVDc_SecurityService : CIM_AuthorizationService {');
    expect(r.out).to.contain('   uint32 CheckAccess(\n      [In] CIM_ManagedElement REF Subject,');
    expect(r.out).to.contain('// inherited from CIM_Service');
    expect(r.out).to.match(/Key[^\]]*\]\n   string SystemName;/);
  });

  it('show: a class of the interop namespace, and of named files', () => {
    const a = run(['show', 'TVDc_RegisteredProfile']);
    expect(a.code).to.equal(0);
    expect(a.out).to.match(/^\/\/ namespace root\/interop\n/);
    const b = run(['show', 'cim_instcreation', dmtfFixture]);
    expect(b.code).to.equal(0);
    expect(b.out).to.contain('class CIM_InstCreation : CIM_InstIndication {');
    expect(b.out).to.contain('string SourceInstance;');
  });

  it('show: an unknown class exits 1; errors in the files are printed as by check', () => {
    const r = run(['show', 'EX_Nothing', dmtfFixture]);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/class EX_Nothing is not defined/);
    const b = run(['show', 'EX_A', 'bad.mof'], dir);
    expect(b.code).to.equal(1);
    expect(b.out.split('\n')[0]).to.equal('bad.mof:2:3: unknown data type "strng" (a reference is written "strng REF name")');
    expect(run(['show']).code).to.equal(2);
  });
});
