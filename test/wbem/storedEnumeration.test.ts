// EnumerateInstances of classes the repository provider serves hands the stored instances to the
// encoder without views (src/wbem/storedEnumeration.ts), and a streamed reply's ASCII chunks are
// written as Latin-1 (HttpTransport). Both must be invisible on the wire: the same bytes as the
// general path (a provider that is not the repository provider, serving the same store through
// views), and a value outside ASCII still arrives as UTF-8 wherever it falls in the stream.
import { expect } from 'chai';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimRepository } from '../../src/cim/CimRepository.js';
import { OperationContext } from '../../src/wbem/OperationContext.js';
import { classesToEnumerate } from '../../src/wbem/InstanceRouter.js';
import { storedSources } from '../../src/wbem/storedEnumeration.js';
import { imethodRequest, rawRequest, repositoryFrom, startServer, validateAgainstDtd, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

const CLS = (n: string) => `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="${n}"/></IPARAMVALUE>`;
const VAL = (n: string, v: string) => `<IPARAMVALUE NAME="${n}"><VALUE>${v}</VALUE></IPARAMVALUE>`;
const LIST = (...names: string[]) => `<IPARAMVALUE NAME="PropertyList"><VALUE.ARRAY>${names.map((n) => `<VALUE>${n}</VALUE>`).join('')}</VALUE.ARRAY></IPARAMVALUE>`;

/** Enough gadgets for a reply of several 64 KiB chunks; three of them carry text outside ASCII. */
const GADGETS = 1500;
const NON_ASCII: Record<number, string> = { 10: 'Grüße', 700: 'price 5 € (€)', [GADGETS - 1]: 'last one 😀 𝄞 ā' };

function withGadgets(repository: CimRepository): CimRepository {
  for (let i = 0; i < GADGETS; i++) {
    repository.addInstance('root/cimv2', new CimInstance('TVD_Gadget', NameMap.from([
      new CimProperty('CreationClassName', 'string', 'TVD_Gadget'), new CimProperty('Id', 'uint32', 100 + i),
      new CimProperty('Label', 'string', NON_ASCII[i] ?? `gadget ${i} & co <ascii>`), new CimProperty('Tags', 'string', ['x', 'y'], true),
      new CimProperty('Mass', 'uint64', BigInt(i) * 1000n),
    ], (p) => p.name)));
  }
  return repository;
}

describe('wbem: enumerations from the stored instances', () => {
  let stored: TestServer;
  let viewed: TestServer;
  const ask = (s: TestServer, params: string) => rawRequest(s.port, imethodRequest('EnumerateInstances', 'root/cimv2', params));

  before(async () => {
    stored = await startServer({ repository: withGadgets(repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }])), name: 'samehost' });
    viewed = await startServer({ repository: withGadgets(repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }])), name: 'samehost' });
    // The same store behind a provider that is not the repository provider: the general path.
    const r = viewed.server.repositoryProvider;
    for (const cls of ['TVD_Widget', 'TVD_Gadget']) viewed.server.registerProvider('root/cimv2', cls, { enumerateInstances: (ctx, c, o) => r.enumerateInstances(ctx, c, o) });
  });
  after(async () => {
    await stored.close();
    await viewed.close();
  });

  it('takes the stored instances only where the repository provider serves every class and CLASSORIGIN is not asked for', () => {
    const ctx = (s: TestServer) => new OperationContext(s.server, 'root/cimv2', null, 'admin', { signal: new AbortController().signal });
    const plain = { includeQualifiers: false, includeClassOrigin: false, propertyList: null };
    const classes = classesToEnumerate(ctx(stored), 'TVD_Widget');
    expect(classes).to.deep.equal(['TVD_Widget', 'TVD_Gadget']);
    expect(storedSources(ctx(stored), classes, plain)).to.have.length(2);
    expect(storedSources(ctx(stored), classes, { ...plain, includeClassOrigin: true })).to.equal(null);
    expect(storedSources(ctx(viewed), classes, plain)).to.equal(null);
  });

  it('sends what the general path sends, whatever the flags', async () => {
    const cases = [
      CLS('TVD_Widget'),
      CLS('TVD_Gadget'),
      CLS('TVD_Widget') + VAL('DeepInheritance', 'FALSE'),
      CLS('TVD_Widget') + VAL('IncludeQualifiers', 'TRUE') + VAL('LocalOnly', 'TRUE'),
      CLS('TVD_Widget') + LIST('Label', 'Mass'),
      CLS('TVD_Widget') + VAL('DeepInheritance', 'FALSE') + LIST('Id', 'Mass'),
      CLS('TVD_Widget') + VAL('IncludeClassOrigin', 'TRUE'),
    ];
    const docs: string[] = [];
    for (const params of cases) {
      const a = await ask(stored, params);
      const b = await ask(viewed, params);
      expect(a.status, params).to.equal(200);
      expect(a.headers['transfer-encoding'], params).to.equal('chunked');
      expect(a.body.length, params).to.be.greaterThan(64 * 1024);
      expect(a.body, params).to.equal(b.body);
      docs.push(a.body);
    }
    // The cases differ from each other where they should: DeepInheritance=false drops Mass from the gadgets.
    expect(docs[0]).to.contain('<PROPERTY NAME="Mass" TYPE="uint64"><VALUE>1499000</VALUE></PROPERTY>');
    expect(docs[2]).not.to.contain('NAME="Mass"');
    expect(docs[4]).not.to.contain('NAME="Tags"');
    expect(docs[5]).to.contain('<PROPERTY NAME="Id" TYPE="uint32"><VALUE>1599</VALUE></PROPERTY></INSTANCE>');
    expect(docs[6]).to.contain('CLASSORIGIN="TVD_Gadget"');
    expect(await validateAgainstDtd([docs[0]!, docs[2]!, docs[4]!])).to.equal('');
    // The store is as it was: the stored path hands out what it reads, and reads only.
    expect((await ask(stored, CLS('TVD_Widget'))).body).to.equal(docs[0]);
    const g = stored.server.repository.getInstance('root/cimv2', CimObjectPath.instance('TVD_Gadget', { CreationClassName: 'TVD_Gadget', Id: 100 }));
    expect(g.get('Mass')).to.equal(0n);
    expect(g.get('Tags')).to.deep.equal(['x', 'y']);
    expect(g.properties.get('Mass')!.classOrigin).to.equal('TVD_Gadget');
    expect(g.path!.host).to.equal(undefined);
  });

  it('sends text outside ASCII as UTF-8 in any chunk of a streamed reply, and ASCII text byte for byte', async () => {
    const r = await ask(stored, CLS('TVD_Gadget'));
    expect(r.status).to.equal(200);
    expect(r.headers['transfer-encoding']).to.equal('chunked');
    // parseResponse decodes the body as UTF-8: a character sent as Latin-1 would not survive.
    for (const label of Object.values(NON_ASCII)) expect(r.body).to.contain(`<PROPERTY NAME="Label" TYPE="string"><VALUE>${label}</VALUE></PROPERTY>`);
    expect(r.body).to.contain('<VALUE>gadget 1498 &amp; co &lt;ascii&gt;</VALUE>');
    expect(r.body).not.to.contain('\ufffd');
    const ids = [...r.body.matchAll(/<PROPERTY NAME="Id" TYPE="uint32"><VALUE>(\d+)<\/VALUE>/g)].map((m) => Number(m[1]));
    expect(ids).to.have.length(GADGETS + 1);
    expect(await validateAgainstDtd([r.body])).to.equal('');
  });
});
