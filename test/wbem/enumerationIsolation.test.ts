// The repository provider enumerates through views over frozen stored instances
// (CimRepository.instanceViews) and answers GetInstance with one (CimRepository.instanceView)
// instead of deep copies, and the server trims and stamps those views in place: nothing a
// request asks for, and nothing done to what an enumeration or GetInstance returns, may reach
// the stored instances.
import { expect } from 'chai';
import { join } from 'node:path';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { OperationContext } from '../../src/wbem/OperationContext.js';
import { imethodRequest, rawRequest, repositoryFrom, startServer, validateAgainstDtd, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

const CLS = (n: string) => `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="${n}"/></IPARAMVALUE>`;
const VAL = (n: string, v: string) => `<IPARAMVALUE NAME="${n}"><VALUE>${v}</VALUE></IPARAMVALUE>`;
const LIST = (...names: string[]) => `<IPARAMVALUE NAME="PropertyList"><VALUE.ARRAY>${names.map((n) => `<VALUE>${n}</VALUE>`).join('')}</VALUE.ARRAY></IPARAMVALUE>`;
const widget1 = CimObjectPath.instance('TVD_Widget', { CreationClassName: 'TVD_Widget', Id: 1 });

describe('wbem: enumerations cannot change the stored instances', () => {
  let s: TestServer;
  const call = (method: string, params: string) => rawRequest(s.port, imethodRequest(method, 'root/cimv2', params));

  before(async () => {
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), name: 'isohost' });
  });
  after(() => s.close());

  it('EnumerateInstances with IncludeClassOrigin, PropertyList or DeepInheritance=false leaves the next one whole', async () => {
    const whole = await call('EnumerateInstances', CLS('TVD_Widget'));
    expect(whole.body).to.contain('NAME="Mass"').and.contain('NAME="Tags"').and.not.contain('CLASSORIGIN');
    const origin = await call('EnumerateInstances', CLS('TVD_Widget') + VAL('IncludeClassOrigin', 'TRUE'));
    expect(origin.body).to.match(/<PROPERTY NAME="Mass" TYPE="uint64" CLASSORIGIN="TVD_Gadget"/);
    expect(origin.body).to.match(/<PROPERTY NAME="Label" TYPE="string" CLASSORIGIN="TVD_Widget"/);
    expect(origin.body).not.to.contain('PROPAGATED');
    const listed = await call('EnumerateInstances', CLS('TVD_Widget') + LIST('Label'));
    expect(listed.body).to.contain('NAME="Label"').and.not.contain('NAME="Tags"').and.not.contain('<PROPERTY NAME="Id"');
    const shallow = await call('EnumerateInstances', CLS('TVD_Widget') + VAL('DeepInheritance', 'FALSE'));
    expect(shallow.body).not.to.contain('NAME="Mass"');
    const again = await call('EnumerateInstances', CLS('TVD_Widget'));
    expect(again.body).to.equal(whole.body);
    expect(await validateAgainstDtd([whole, origin, listed, shallow].map((r) => r.body))).to.equal('');
    const stored = s.server.repository.getInstance('root/cimv2', widget1);
    expect(stored.get('Tags')).to.deep.equal(['a', 'b']);
    expect(stored.properties.get('Label')).to.include({ classOrigin: 'TVD_Widget', value: 'red & blue' });
    expect(stored.path!.host).to.equal(undefined);
  });

  it('what the repository provider enumerates may be trimmed and stamped, never edited through to the store', () => {
    const ctx = new OperationContext(s.server, 'root/cimv2', null, 'admin', { signal: new AbortController().signal });
    const provider = s.server.repositoryProvider;
    const got = [...provider.enumerateInstances(ctx, 'TVD_Widget')];
    const w1 = got.find((i) => i.get('Id') === 1)!;
    // The server's own edits: remove and replace properties, stamp the path, drop qualifiers.
    const tags = w1.get('Tags');
    w1.properties.delete('Tags');
    w1.properties.set('Label', new CimProperty('Label', 'string', 'trimmed'));
    w1.path!.namespace = 'root/elsewhere';
    w1.path!.host = 'isohost';
    w1.path!.keys!.delete('Id');
    // Edits of the shared property objects themselves are refused.
    expect(() => { w1.properties.get('Enabled')!.value = false; }).to.throw(TypeError);
    expect(() => { (tags as string[]).push('c'); }).to.throw(TypeError);
    const fresh: CimInstance = [...provider.enumerateInstances(ctx, 'TVD_Widget')].find((i) => i.get('Id') === 1)!;
    expect(fresh.get('Label')).to.equal('red & blue');
    expect(fresh.get('Tags')).to.deep.equal(['a', 'b']);
    expect(fresh.get('Enabled')).to.equal(true);
    expect(fresh.path!.toString()).to.equal('root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1');
    expect(s.server.repository.getInstance('root/cimv2', widget1).get('Label')).to.equal('red & blue');
  });

  it('GetInstance with IncludeClassOrigin or PropertyList leaves the next one whole', async () => {
    const NAME = '<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVD_Widget</KEYVALUE></KEYBINDING><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>';
    const GADGET = '<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TVD_Gadget"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVD_Gadget</KEYVALUE></KEYBINDING><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">3</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>';
    const whole = await call('GetInstance', NAME);
    expect(whole.body).to.contain('NAME="Label"').and.contain('NAME="Tags"').and.not.contain('CLASSORIGIN');
    const origin = await call('GetInstance', NAME + VAL('IncludeClassOrigin', 'TRUE'));
    expect(origin.body).to.match(/<PROPERTY NAME="Label" TYPE="string" CLASSORIGIN="TVD_Widget"/);
    const gadget = await call('GetInstance', GADGET + VAL('IncludeClassOrigin', 'TRUE'));
    expect(gadget.body).to.match(/<PROPERTY NAME="Mass" TYPE="uint64" CLASSORIGIN="TVD_Gadget"/);
    expect(gadget.body).to.match(/<PROPERTY NAME="Label" TYPE="string" CLASSORIGIN="TVD_Widget"/);
    expect(origin.body + gadget.body).not.to.contain('PROPAGATED');
    const listed = await call('GetInstance', NAME + LIST('Label'));
    expect(listed.body).to.contain('NAME="Label"').and.not.contain('NAME="Tags"');
    const again = await call('GetInstance', NAME);
    expect(again.body).to.equal(whole.body);
    expect(await validateAgainstDtd([whole, origin, gadget, listed].map((r) => r.body))).to.equal('');
    const stored = s.server.repository.getInstance('root/cimv2', widget1);
    expect(stored.get('Tags')).to.deep.equal(['a', 'b']);
    expect(stored.path!.host).to.equal(undefined);
  });

  it('what the repository provider returns for GetInstance may be trimmed and stamped, never edited through to the store', () => {
    const ctx = new OperationContext(s.server, 'root/cimv2', null, 'admin', { signal: new AbortController().signal });
    const provider = s.server.repositoryProvider;
    const w1 = provider.getInstance(ctx, widget1, {});
    expect(w1.properties.get('Label')!.classOrigin).to.equal(undefined);
    w1.properties.delete('Tags');
    w1.properties.set('Label', new CimProperty('Label', 'string', 'trimmed'));
    w1.path!.host = 'isohost';
    w1.path!.keys!.delete('Id');
    expect(() => { w1.properties.get('Enabled')!.value = false; }).to.throw(TypeError);
    const withOrigin = provider.getInstance(ctx, widget1, { includeClassOrigin: true });
    expect(withOrigin.properties.get('Label')).to.include({ classOrigin: 'TVD_Widget', value: 'red & blue' });
    const fresh = provider.getInstance(ctx, widget1, {});
    expect(fresh.get('Label')).to.equal('red & blue');
    expect(fresh.get('Tags')).to.deep.equal(['a', 'b']);
    expect(fresh.path!.toString()).to.equal('root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1');
    expect(s.server.repository.getInstance('root/cimv2', widget1).get('Label')).to.equal('red & blue');
  });

  it('EnumerateInstanceNames stamps the paths it returns without touching the stored ones', async () => {
    const names = await call('EnumerateInstanceNames', CLS('TVD_Widget'));
    expect(names.body).to.contain('<INSTANCENAME CLASSNAME="TVD_Widget">');
    expect(await validateAgainstDtd([names.body])).to.equal('');
    expect(s.server.repository.instanceNames('root/cimv2', 'TVD_Widget').every((p) => p.host === undefined)).to.equal(true);
  });
});
