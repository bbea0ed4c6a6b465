// Per-method roles: a provider may declare that an extrinsic method needs more than the `write`
// every method call needs; the server refuses a caller below it with CIM_ERR_ACCESS_DENIED before
// the provider runs (and before the parameters are checked), while a one-time credential whose
// grant lists the method is held to its grant only.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserDirectory, MIGRATION_TICKET_USER } from '../../src/wbem/UserDirectory.js';
import { repositoryBacked, repositoryFrom, startServer, wbemcli, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

describe('wbem: roles declared per extrinsic method', function () {
  let dir: string;
  let s: TestServer;
  let users: UserDirectory;
  const ran: string[] = [];
  const url = (user: string, pw: string, object: string) => `http://${user}:${encodeURIComponent(pw)}@127.0.0.1:${s.port}/root/cimv2:${object}`;
  const w1 = 'TVD_Widget.CreationClassName="TVD_Widget",Id=1';
  const g3 = 'TVD_Gadget.CreationClassName="TVD_Gadget",Id=3';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-method-roles-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, 'reader', 'read', 'r-pass');
    await UserDirectory.addUserToFile(file, 'writer', 'write', 'w-pass');
    await UserDirectory.addUserToFile(file, 'root', 'admin', 'a-pass');
    users = UserDirectory.load(file);
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), users });
    s.server.registerProvider('root/cimv2', 'TVD_Widget', repositoryBacked(s.server, {
      // Declared in another case than the schema's: method names are case-insensitive.
      methodRoles: { grow: 'admin' },
      invokeMethod: (ctx, path, method) => {
        ran.push(`${ctx.user}:${path.className}.${method}`);
        return { returnValue: method === 'Grow' ? 5 : 'described' };
      },
    }));
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    ran.length = 0;
  });

  it('refuses a write user a method declared admin, naming the method and the role, without running the provider', async () => {
    const r = await wbemcli('cm', url('writer', 'w-pass', w1), 'Grow.By=3');
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('CIM_ERR_ACCESS_DENIED: writer (write) may not invoke TVD_Widget.Grow, which needs admin');
    expect(ran).to.deep.equal([]);
  });

  it('checks the role before the parameters: a refused caller learns nothing from them', async () => {
    const r = await wbemcli('cm', url('writer', 'w-pass', w1), 'Grow.NoSuchParameter=1');
    expect(r.stderr).to.contain('CIM_ERR_ACCESS_DENIED');
    expect(r.stderr).to.not.contain('NoSuchParameter');
  });

  it('holds a subclass instance to the role its provider (found through the superclass) declares', async () => {
    const r = await wbemcli('cm', url('writer', 'w-pass', g3), 'Grow.By=1');
    expect(r.stderr).to.contain('may not invoke TVD_Gadget.Grow, which needs admin');
    expect(ran).to.deep.equal([]);
  });

  it('lets a write user call the methods without a declared role, and an admin the declared one', async () => {
    const d = await wbemcli('cm', url('writer', 'w-pass', 'TVD_Widget'), 'Describe');
    expect(d.code, d.stderr).to.equal(0);
    const g = await wbemcli('cm', url('root', 'a-pass', w1), 'Grow.By=3');
    expect(g.code, g.stderr).to.equal(0);
    expect(g.stdout).to.contain('5');
    expect(ran).to.deep.equal(['writer:TVD_Widget.Describe', 'root:TVD_Widget.Grow']);
  });

  it('a read user is still refused every method, by the general rule', async () => {
    const r = await wbemcli('cm', url('reader', 'r-pass', w1), 'Grow.By=3');
    expect(r.stderr).to.contain('reader (read) may not invoke methods');
    expect(ran).to.deep.equal([]);
  });

  it('a one-time credential whose grant lists the method may call it, though its role is only nominal', async () => {
    const ticket = users.oneTime.issue(MIGRATION_TICKET_USER, {
      purpose: 'this test', namespace: 'root/cimv2', // wbemcli reads the class before it calls.
      calls: [{ operation: 'GetClass', className: 'TVD_Widget' }, { method: 'Grow', className: 'TVD_Widget' }], scope: {},
    }, 60_000).secret;
    const r = await wbemcli('cm', url(MIGRATION_TICKET_USER, ticket, w1), 'Grow.By=3');
    expect(r.code, r.stderr).to.equal(0);
    expect(ran).to.deep.equal([`${MIGRATION_TICKET_USER}:TVD_Widget.Grow`]);
  });
});
