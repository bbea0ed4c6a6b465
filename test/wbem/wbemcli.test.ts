// The real sblim wbemcli against a running server, one verb per test, checking what it prints;
// every response body the server sent is then validated against the DSP0203 DTD.
import { expect } from 'chai';
import { join } from 'node:path';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { repositoryBacked, repositoryFrom, startServer, validateAgainstDtd, wbemcli, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

describe('wbem: wbemcli against the server', function () {
  let s: TestServer;
  let base: string;
  const w1 = () => `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=1`;
  const w2 = () => `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=2`;
  const calls: string[] = [];

  before(async () => {
    const repository = repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]);
    s = await startServer({ repository });
    s.server.registerProvider('root/cimv2', 'TVD_Widget', repositoryBacked(s.server, {
      invokeMethod: (_ctx, path, name, params) => {
        calls.push(`${name} ${path.toString()} ${params.map((p) => `${p.name}=${String(p.value instanceof CimInstance ? p.value.className : p.value)}:${p.type}`).join(' ')}`);
        if (name === 'Grow') {
          const by = params.find((p) => p.name === 'By')?.value as number;
          const size = params.find((p) => p.name === 'Size')?.value as number;
          return { returnValue: 0, outParams: [{ name: 'Size', value: size + by }] };
        }
        const sample = params.find((p) => p.name === 'Sample')?.value;
        if (!(sample instanceof CimInstance)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'Sample');
        return { returnValue: `a ${sample.className} labelled ${String(sample.get('Label'))}` };
      },
    }));
    base = `http://127.0.0.1:${s.port}/root/cimv2`;
  });

  after(async () => {
    await s.close();
  });

  it('ei lists every widget, subclasses included, with all properties', async () => {
    const r = await wbemcli('ei', `${base}:TVD_Widget`);
    expect(r.code).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(3);
    expect(lines[0]).to.equal(`127.0.0.1:${s.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1 CreationClassName="TVD_Widget",Id=1,Label="red & blue",Tags="a","b",Enabled=TRUE,Offset=-9223372036854775808,Ratio=0.5,Created=20240101120000.000000+000`);
    expect(lines[2]).to.contain('TVD_Gadget.CreationClassName="TVD_Gadget",Id=3').and.contain('Mass=18446744073709551615');
  });

  it('ei -nl prints one property per line', async () => {
    const r = await wbemcli('ei', '-nl', `${base}:TVD_Gadget`);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('\n-Label="heavy"\n').and.contain('\n-Mass=18446744073709551615\n');
  });

  it('ein lists the instance paths', async () => {
    const r = await wbemcli('ein', `${base}:TVD_Widget`);
    expect(r.code).to.equal(0);
    expect(r.stdout.trim().split('\n')).to.deep.equal([
      `127.0.0.1:${s.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1`,
      `127.0.0.1:${s.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=2`,
      `127.0.0.1:${s.port}/root/cimv2:TVD_Gadget.CreationClassName="TVD_Gadget",Id=3`,
    ]);
  });

  it('gi fetches one instance, and reports NOT_FOUND for a missing one', async () => {
    const r = await wbemcli('gi', w1());
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('Label="red & blue"').and.contain('Tags="a","b"');
    const missing = await wbemcli('gi', `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=99`);
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.contain('CIM_ERR_NOT_FOUND');
  });

  it('ci creates an instance that ei then shows', async () => {
    const r = await wbemcli('ci', `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=9`, 'CreationClassName="TVD_Widget",Id=9,Label="new one",Tags="x","y",Enabled=true');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(`127.0.0.1:${s.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=9`);
    const g = await wbemcli('gi', `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=9`);
    expect(g.stdout).to.contain('Label="new one"').and.contain('Tags="x","y"').and.contain('Enabled=TRUE');
    const again = await wbemcli('ci', `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=9`, 'CreationClassName="TVD_Widget",Id=9');
    expect(again.stderr).to.contain('CIM_ERR_ALREADY_EXISTS');
  });

  it('mi changes the given properties only', async () => {
    const r = await wbemcli('mi', w2(), 'Label="modified"');
    expect(r.code, r.stderr).to.equal(0);
    const g = await wbemcli('gi', w2());
    expect(g.stdout).to.contain('Label="modified"').and.contain('Enabled=FALSE');
  });

  it('di deletes an instance', async () => {
    const target = `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=9`;
    const r = await wbemcli('di', target);
    expect(r.code, r.stderr).to.equal(0);
    const g = await wbemcli('gi', target);
    expect(g.stderr).to.contain('CIM_ERR_NOT_FOUND');
  });

  it('gp reads one property and sp sets it', async () => {
    const before = await wbemcli('gp', w1(), 'Label');
    expect(before.stdout.trim()).to.equal('red & blue');
    const r = await wbemcli('sp', w1(), 'Label=set by sp');
    expect(r.code, r.stderr).to.equal(0);
    const after = await wbemcli('gp', w1(), 'Label');
    expect(after.stdout.trim()).to.equal('set by sp');
  });

  it('gc shows the class with inherited and local properties', async () => {
    const r = await wbemcli('gc', `${base}:TVD_Gadget`);
    expect(r.code).to.equal(0);
    expect(r.stdout.trim()).to.equal(`127.0.0.1:${s.port}/root/cimv2:TVD_Gadget CreationClassName=,Id=,Label=,Tags=,Enabled=,Offset=,Ratio=,Created=,Mass=`);
  });

  it('ec and ecn enumerate classes', async () => {
    const ec = await wbemcli('ec', `${base}:TVD_Widget`);
    expect(ec.stdout.trim().split('\n')).to.deep.equal([`127.0.0.1:${s.port}/root/cimv2:TVD_Gadget CreationClassName=,Id=,Label=,Tags=,Enabled=,Offset=,Ratio=,Created=,Mass=`]);
    const ecn = await wbemcli('ecn', base);
    expect(ecn.stdout.trim().split('\n').sort()).to.deep.equal(['TVD_Feeds', 'TVD_Gadget', 'TVD_Widget'].map((c) => `127.0.0.1:${s.port}/root/cimv2:${c}`));
  });

  it('ain and ai follow the association both ways', async () => {
    const ain = await wbemcli('ain', w2());
    expect(ain.stdout.trim().split('\n')).to.deep.equal([
      'testhost/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1',
      'testhost/root/cimv2:TVD_Gadget.CreationClassName="TVD_Gadget",Id=3',
    ]);
    const ai = await wbemcli('ai', '-arc', 'TVD_Gadget', w2());
    expect(ai.stdout.trim().split('\n')).to.have.length(1);
    expect(ai.stdout).to.contain('Label="heavy"');
    const byRole = await wbemcli('ain', '-ar', 'Source', w2());
    expect(byRole.stdout.trim()).to.equal('testhost/root/cimv2:TVD_Gadget.CreationClassName="TVD_Gadget",Id=3');
  });

  it('rin and ri list the association instances', async () => {
    const rin = await wbemcli('rin', w1());
    expect(rin.stdout.trim()).to.equal('testhost/root/cimv2:TVD_Feeds.Source=TVD_Widget.CreationClassName="TVD_Widget",Id=1,Sink=TVD_Widget.CreationClassName="TVD_Widget",Id=2');
    const ri = await wbemcli('ri', w2());
    const lines = ri.stdout.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines.map((l) => /Rate=(\d+)/.exec(l)?.[1])).to.deep.equal(['7', '9']);
  });

  it('cm calls a method with untyped parameters coerced by the declaration', async () => {
    const r = await wbemcli('cm', w1(), 'Grow.By=3,Size=4,Note=hi');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(`127.0.0.1:${s.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1 Grow: 0, Size (uint32): 7`);
    expect(calls.at(-1)).to.equal('Grow root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1 By=3:uint32 Size=4:uint32 Note=hi:string');
    const bad = await wbemcli('cm', w1(), 'Grow.By=lots');
    expect(bad.stderr).to.contain('CIM_ERR_INVALID_PARAMETER');
    const unknown = await wbemcli('cm', w1(), 'Shrink');
    expect(unknown.stderr).to.contain('CIM_ERR_METHOD_NOT_FOUND');
  });

  it('every response body the server sent is valid DSP0203 CIM-XML', async () => {
    expect(s.bodies.length).to.be.greaterThan(20);
    expect(await validateAgainstDtd(s.bodies)).to.equal('');
  });
});
