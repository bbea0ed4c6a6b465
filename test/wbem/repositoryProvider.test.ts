// The repository provider's durable layer: client changes to MOF-declared instances (modify,
// delete) and created instances come back after a restart from the same SQLite file.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { openStore } from '../../src/store/Store.js';
import { WbemServer } from '../../src/wbem/WbemServer.js';
import { OperationContext } from '../../src/wbem/OperationContext.js';
import { repositoryFrom, WBEM_FIXTURES } from './support/wbemTestKit.js';

const widget = (id: number) => CimObjectPath.instance('TVD_Widget', { CreationClassName: 'TVD_Widget', Id: id });

describe('wbem: repository provider persistence', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tvdc-repo-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function open(): { server: WbemServer; ctx: OperationContext; close(): void } {
    const store = openStore(join(dir, 'state.db'));
    const server = new WbemServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), store, log: () => undefined });
    const ctx = new OperationContext(server, 'root/cimv2', null, 'admin', { signal: new AbortController().signal });
    return { server, ctx, close: () => store.close() };
  }

  it('keeps modifications, deletions of MOF instances and created instances across a restart', async () => {
    const a = open();
    const p = a.server.repositoryProvider;
    const changed = new CimInstance('TVD_Widget', NameMap.from([new CimProperty('Label', 'string', 'changed')], (x) => x.name), widget(1));
    await p.modifyInstance(a.ctx, changed, ['Label']);
    await p.deleteInstance(a.ctx, widget(2));
    await p.createInstance(a.ctx, new CimInstance('TVD_Widget', NameMap.from([
      new CimProperty('CreationClassName', 'string', 'TVD_Widget'), new CimProperty('Id', 'uint32', 5), new CimProperty('Label', 'string', 'five'),
    ], (x) => x.name)));
    await a.server.close();
    a.close();

    const b = open();
    expect(b.server.restored).to.deep.include({ loaded: 2, deleted: 1 });
    const ids = b.server.repository.instances('root/cimv2', 'TVD_Widget', { deep: false }).map((i) => i.get('Id')).sort();
    expect(ids).to.deep.equal([1, 5]);
    expect(b.server.repository.getInstance('root/cimv2', widget(1)).get('Label')).to.equal('changed');
    expect(b.server.repository.getInstance('root/cimv2', widget(5)).get('Label')).to.equal('five');
    await b.server.close();
    b.close();
  });

  it('fails a create of an existing instance without disturbing the others in the same batch', async () => {
    const c = open();
    const p = c.server.repositoryProvider;
    const make = (id: number) => new CimInstance('TVD_Widget', NameMap.from([
      new CimProperty('CreationClassName', 'string', 'TVD_Widget'), new CimProperty('Id', 'uint32', id),
    ], (x) => x.name));
    const results = await Promise.allSettled([p.createInstance(c.ctx, make(6)), p.createInstance(c.ctx, make(5)), p.createInstance(c.ctx, make(7))]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).to.contain('CIM_ERR_ALREADY_EXISTS');
    await c.server.close();
    c.close();
    const d = open();
    expect(d.server.repository.instances('root/cimv2', 'TVD_Widget', { deep: false }).map((i) => i.get('Id')).sort()).to.deep.equal([1, 5, 6, 7]);
    await d.server.close();
    d.close();
  });
});
