// Object paths in their three text forms (model path, DSP0207 WBEM URI, wbemcli URL): parsing,
// rendering, escapes, nested references, typed keys, identity.
import { expect } from 'chai';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';

function refused(text: string, reason: RegExp): void {
  let err: unknown;
  try {
    CimObjectPath.parse(text);
  } catch (e) {
    err = e;
  }
  expect(err, text).to.be.instanceOf(CimError);
  expect((err as CimError).status).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
  expect((err as CimError).description).to.match(reason);
}

describe('cim/CimObjectPath', () => {
  it('parses a model path and infers key types', () => {
    const p = CimObjectPath.parse('CIM_Foo.Name="vm1",Id=3,Neg=-4,Ratio=0.5,On=true,C=\'x\'');
    expect(p.className).to.equal('CIM_Foo');
    expect(p.namespace).to.equal(undefined);
    expect(p.host).to.equal(undefined);
    const keys = p.keys!;
    expect(keys.get('name')).to.deep.equal({ name: 'Name', type: 'string', value: 'vm1' });
    expect(keys.get('Id')).to.deep.equal({ name: 'Id', type: 'uint64', value: 3n });
    expect(keys.get('Neg')).to.deep.equal({ name: 'Neg', type: 'sint64', value: -4n });
    expect(keys.get('Ratio')).to.deep.equal({ name: 'Ratio', type: 'real64', value: 0.5 });
    expect(keys.get('On')).to.deep.equal({ name: 'On', type: 'boolean', value: true });
    expect(keys.get('C')).to.deep.equal({ name: 'C', type: 'char16', value: 'x' });
    expect(p.toString()).to.equal('CIM_Foo.Name="vm1",Id=3,Neg=-4,Ratio=0.5,On=TRUE,C="x"');
  });

  it('escapes and unescapes quotes and backslashes inside strings', () => {
    const p = CimObjectPath.parse('root/cimv2:CIM_Foo.Name="a\\"b\\\\c,d=e"');
    expect(p.key('Name')).to.equal('a"b\\c,d=e');
    expect(p.toString()).to.equal('root/cimv2:CIM_Foo.Name="a\\"b\\\\c,d=e"');
    expect(CimObjectPath.parse(p.toString()).key('name')).to.equal('a"b\\c,d=e');
    // Other backslashes are literal characters.
    expect(CimObjectPath.parse('X_Y.P="C:\\temp"').key('P')).to.equal('C:\\temp');
  });

  it('reads nested references as paths, to any depth, and writes them back quoted', () => {
    const text = 'root/cimv2:CIM_Assoc.Antecedent="root/cimv2:CIM_A.Name=\\"x\\"",Dependent="CIM_B.Ref=\\"CIM_C.Id=\\\\\\"q\\\\\\"\\""';
    const p = CimObjectPath.parse(text);
    const ante = p.key('Antecedent') as CimObjectPath;
    expect(p.keys!.get('Antecedent')!.type).to.equal('reference');
    expect(ante.namespace).to.equal('root/cimv2');
    expect(ante.key('Name')).to.equal('x');
    const dep = p.key('Dependent') as CimObjectPath;
    expect((dep.key('Ref') as CimObjectPath).key('Id')).to.equal('q');
    expect(p.toString()).to.equal(text);
    // A quoted string that only looks a bit like a path stays a string.
    expect(CimObjectPath.parse('Foo_Bar.K="a.b=c"').keys!.get('K')!.type).to.equal('string');
  });

  it('reads keyless singletons and class paths', () => {
    const s = CimObjectPath.parse('root/tvdc:TVDc_Config=@');
    expect(s.isInstancePath).to.equal(true);
    expect(s.keys!.size).to.equal(0);
    expect(s.toString()).to.equal('root/tvdc:TVDc_Config=@');
    const c = CimObjectPath.parse('root/tvdc:TVDc_Config');
    expect(c.isInstancePath).to.equal(false);
    expect(c.toWbemUri()).to.equal('/root/tvdc:TVDc_Config');
  });

  it('parses and renders DSP0207 WBEM URIs with host, port, scheme and no namespace', () => {
    const p = CimObjectPath.parseWbemUri('//acme.com:5989/root/cimv2:CIM_Foo.k="v"');
    expect(p.host).to.equal('acme.com:5989');
    expect(p.namespace).to.equal('root/cimv2');
    expect(p.toWbemUri()).to.equal('//acme.com:5989/root/cimv2:CIM_Foo.k="v"');
    expect(p.toString()).to.equal('//acme.com:5989/root/cimv2:CIM_Foo.k="v"');
    const local = CimObjectPath.parseWbemUri('/root/cimv2:CIM_Foo.k="v"');
    expect(local.host).to.equal(undefined);
    expect(local.toWbemUri()).to.equal('/root/cimv2:CIM_Foo.k="v"');
    const scheme = CimObjectPath.parseWbemUri('https://user:pw@acme.com/root/cimv2:CIM_Foo.k="v"');
    expect(scheme.host).to.equal('acme.com');
    expect(CimObjectPath.parseWbemUri('cimxml.wbem://h:5988/root/x:X_Y.k=1').host).to.equal('h:5988');
    expect(CimObjectPath.parseWbemUri('https:/root/x:X_Y.k=1').namespace).to.equal('root/x');
    const noNs = CimObjectPath.parseWbemUri('/:CIM_Foo.k=1');
    expect(noNs.namespace).to.equal('');
    expect(CimObjectPath.parse('CIM_Foo.k=1').toWbemUri()).to.equal('/:CIM_Foo.k=1');
    expect(CimObjectPath.parseWbemUri('//[::1]:5988/interop:CIM_Namespace=@').host).to.equal('[::1]:5988');
  });

  it('renders and reads the typed WBEM URI form, keeping every key type', () => {
    const dt = CimDateTime.parse('20231015123456.123456+000');
    const inner = CimObjectPath.instance('CIM_A', { Name: 'x' }, 'root/cimv2');
    const p = CimObjectPath.instance('CIM_Foo', [
      { name: 'S', type: 'string', value: 'a"b' },
      { name: 'U8', type: 'uint8', value: 7 },
      { name: 'S64', type: 'sint64', value: -9223372036854775808n },
      { name: 'R32', type: 'real32', value: Math.fround(0.1) },
      { name: 'B', type: 'boolean', value: false },
      { name: 'D', type: 'datetime', value: dt },
      { name: 'C', type: 'char16', value: 'z' },
      { name: 'R', type: 'reference', value: inner },
    ], 'root/cimv2', 'h:1');
    const typed = p.toWbemUri({ typed: true });
    expect(typed).to.equal('//h:1/(instance)root/cimv2:CIM_Foo.S=(string)"a\\"b",U8=(uint8)7,S64=(sint64)-9223372036854775808,' +
      'R32=(real32)0.1,B=(boolean)FALSE,D=(datetime)"20231015123456.123456+000",C=(char16)"z",' +
      'R=(reference)"/(instance)root/cimv2:CIM_A.Name=(string)\\"x\\""');
    const back = CimObjectPath.parseWbemUri(typed);
    for (const [name, b] of p.keys!) {
      const got = back.keys!.get(name)!;
      expect(got.type, name).to.equal(b.type);
    }
    expect(back.key('U8')).to.equal(7);
    expect(back.key('R32')).to.equal(Math.fround(0.1));
    expect((back.key('D') as CimDateTime).text).to.equal(dt.text);
    expect(back.equals(p)).to.equal(true);
    expect(CimObjectPath.parse('/(class)root/cimv2:CIM_Foo').isInstancePath).to.equal(false);
  });

  it('parses and renders the wbemcli URL form', () => {
    const u = CimObjectPath.parseWbemcliUrl('http://user:pw@host:5988/root/tvdc:TVDc_ComputerSystem.Name="vm1"');
    expect(u).to.include({ scheme: 'http', user: 'user', password: 'pw', host: 'host', port: 5988 });
    expect(u.path.namespace).to.equal('root/tvdc');
    expect(u.path.key('Name')).to.equal('vm1');
    expect(u.path.toWbemcliUrl({ user: 'user', password: 'pw' })).to.equal('http://user:pw@host:5988/root/tvdc:TVDc_ComputerSystem.Name="vm1"');
    const s = CimObjectPath.parseWbemcliUrl('https://h/root/cimv2:CIM_Foo');
    expect(s).to.include({ scheme: 'https', port: 5989, host: 'h' });
    expect(s.user).to.equal(undefined);
    expect(s.path.isInstancePath).to.equal(false);
    // wbemcli users often leave string keys unquoted.
    expect(CimObjectPath.parseWbemcliUrl('localhost/root/cimv2:TVD_Widget.CreationClassName=TVD_Widget,Id=7').path.key('CreationClassName')).to.equal('TVD_Widget');
    const https = CimObjectPath.instance('TVDc_VTPM', { InstanceID: 'vm1:tpm', Index: 2n }, 'root/tvdc', 'h2:15989');
    expect(https.keys!.get('Index')!.type).to.equal('uint64');
    expect(https.toWbemcliUrl({ scheme: 'https' })).to.equal('https://h2:15989/root/tvdc:TVDc_VTPM.InstanceID="vm1:tpm",Index=2');
    expect(CimObjectPath.parseWbemcliUrl(https.toWbemcliUrl({ scheme: 'https' })).path.equals(https)).to.equal(true);
    expect(() => CimObjectPath.parseWbemcliUrl('ftp://h/root:X')).to.throw(CimError, /scheme must be http or https/);
    expect(() => CimObjectPath.parseWbemcliUrl('http://h:99999/root:X')).to.throw(CimError, /port "99999"/);
    expect(() => CimObjectPath.parseWbemcliUrl('http://h')).to.throw(CimError, /after the host/);
    expect(() => CimObjectPath.parseWbemcliUrl('http://h/X_Y')).to.throw(CimError, /namespace:Class/);
  });

  it('compares paths by a canonical key: names case-insensitive, key order free, host ignored', () => {
    const a = CimObjectPath.parse('//h1/ROOT/CimV2:cim_foo.B=2,a="X"');
    const b = CimObjectPath.parse('root/cimv2:CIM_Foo.A="X",b=2');
    expect(a.canonicalKey()).to.equal(b.canonicalKey());
    expect(a.equals(b)).to.equal(true);
    expect(a.equals(CimObjectPath.parse('root/cimv2:CIM_Foo.A="x",b=2'))).to.equal(false);
    expect(a.equals(CimObjectPath.parse('root/cimv2:CIM_Foo.A="X",b="2"'))).to.equal(false);
    expect(CimObjectPath.instance('CIM_Foo', { n: 3 }).equals(CimObjectPath.parse('CIM_Foo.n=3'))).to.equal(true);
    expect(CimObjectPath.parse('X_Y').canonicalKey()).to.not.equal(CimObjectPath.parse('X_Y=@').canonicalKey());
    // A reference without a namespace lives in the namespace of the path that holds it.
    expect(CimObjectPath.parse('root/x:A_B.r="C_D.k=1"').equals(CimObjectPath.parse('root/x:A_B.r="root/x:C_D.k=1"'))).to.equal(true);
    expect(CimObjectPath.parse('root/x:A_B.r="C_D.k=1"').equals(CimObjectPath.parse('root/x:A_B.r="root/y:C_D.k=1"'))).to.equal(false);
    const c = a.clone();
    c.keys!.get('a')!.value = 'changed';
    expect(a.key('a')).to.equal('X');
  });

  it('refuses malformed paths, saying what and where', () => {
    refused('', /expected a class name at character 1/);
    refused('CIM_Foo.', /expected a key name/);
    refused('CIM_Foo.k', /expected "=" after key name/);
    refused('CIM_Foo.k=', /has no value/);
    refused('CIM_Foo.k="abc', /unterminated quoted value/);
    refused('CIM_Foo.k="a"x', /unexpected "x"/);
    refused('CIM_Foo.k=abc', /not a quoted string, number or boolean/);
    refused('CIM_Foo.k=1,k=2', /given twice/);
    refused('CIM_Foo.k=(int)3', /unknown type "\(int\)"/);
    refused('CIM_Foo.k=(uint8)300', /out of range/);
    refused('CIM_Foo.k=\'ab\'', /exactly one character/);
    refused('//host', /followed by "\/"/);
    refused('root//x:CIM_Foo', /empty namespace segment/);
    refused('ro ot:CIM_Foo', /" " in namespace/);
    refused('1abc', /expected a class name/);
    refused('/(thing)root:CIM_Foo', /unknown object kind/);
    refused(`X_Y.k=${'"X_Y.k=\\'.repeat(1)}"`, /unterminated|unexpected|value/);
  });

  it('bounds reference nesting depth', () => {
    const nest = (levels: number, typed: boolean): string => {
      let p = 'X_Y.k=1';
      for (let i = 0; i < levels; i++) p = `X_Y.k=${typed ? '(reference)' : ''}"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      return p;
    };
    // Declared references must parse; too deep is refused.
    let err: unknown;
    try { CimObjectPath.parse(nest(18, true)); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(CimError);
    expect((err as CimError).description).to.match(/nested too deeply/);
    // Untyped, the levels past the limit stay strings rather than failing.
    let p: unknown = CimObjectPath.parse(nest(18, false));
    let depth = 0;
    while (p instanceof CimObjectPath) { p = p.key('k'); depth++; }
    expect(depth).to.be.within(10, 17);
    expect(p).to.be.a('string');
    const ok = CimObjectPath.parse(nest(5, true));
    expect(ok.toWbemUri({ typed: true })).to.contain('(reference)');
  });
});
