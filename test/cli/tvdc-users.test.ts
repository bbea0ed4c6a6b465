// `tvdc users` and `tvdc groups` against a real management server (in this process, over HTTP):
// tables, --json, the new-password sources, and the exit codes.
import { expect } from 'chai';
import { join } from 'node:path';
import { main } from '../../client/cli/tvdc.js';
import { openServerDb } from '../../client/server/ManagementServer.js';
import { UserStore } from '../../client/server/UserStore.js';
import { startServer, tempDir, type RunningServer } from '../server/support/serverHarness.js';

describe('cli: tvdc users (in process, against a real server)', function () {
  this.timeout(30_000);
  const tmp = tempDir('tvdc-cli-users-');
  let srv: RunningServer;
  let as: (user: string, password: string) => string[];

  async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  before(async () => {
    const db = join(tmp.dir, 'server.db');
    const d = openServerDb(db);
    await new UserStore(d).add('root', 'dcadmin', 'root-password');
    d.close();
    srv = await startServer(db);
    as = (user, password) => ['--server', srv.url, '--user', user, '--password', password];
  });
  after(async () => {
    await srv?.server.stop();
    tmp.remove();
  });

  it('users add (new password from TVDC_NEW_PASSWORD), authorize, list as a table and as JSON', async () => {
    expect((await run(['groups', 'create', 'blue', ...as('root', 'root-password')])).code).to.equal(0);
    const add = await run(['users', 'add', 'dana', '--role', 'tvdcadmin', ...as('root', 'root-password')], { TVDC_NEW_PASSWORD: 'dana-password' });
    expect([add.code, add.out]).to.deep.equal([0, 'user dana added (tvdcadmin)']);
    expect((await run(['users', 'authorize', 'dana', 'blue', ...as('root', 'root-password')])).out).to.equal('dana is authorized for: blue');
    const table = await run(['users', 'list', ...as('root', 'root-password')]);
    expect(table.out.split('\n')).to.deep.equal(['USER  ROLE       TVDCS', 'dana  tvdcadmin  blue', 'root  dcadmin    (all)']);
    const json = JSON.parse((await run(['users', 'list', '--json', ...as('root', 'root-password')])).out);
    expect(json).to.deep.equal({ users: [{ name: 'dana', role: 'tvdcadmin', groups: ['blue'] }, { name: 'root', role: 'dcadmin', groups: [] }] });
    const groups = await run(['groups', 'list', ...as('dana', 'dana-password')]);
    expect(groups.out.split('\n')).to.deep.equal(['TVDC  HOSTS  POLICY  DEPLOYED', 'blue  -      -       -']);
  });

  it('whoami, passwd for oneself, revoke and remove', async () => {
    expect((await run(['users', 'whoami', ...as('dana', 'dana-password')])).out).to.match(/^dana\s+tvdcadmin\s+blue$/m);
    expect((await run(['users', 'passwd', 'dana', ...as('dana', 'dana-password')], { TVDC_NEW_PASSWORD: 'dana-password-2' })).out).to.equal('password of dana changed');
    const old = await run(['users', 'whoami', ...as('dana', 'dana-password')]);
    expect([old.code, old.err]).to.deep.equal([1, 'tvdc: UNAUTHORIZED: wrong user name or password (user "dana")']);
    expect((await run(['users', 'revoke', 'dana', 'blue', ...as('root', 'root-password')])).out).to.equal('dana is authorized for: no TVDc');
    expect((await run(['users', 'remove', 'dana', ...as('root', 'root-password')])).out).to.equal('user dana removed');
    const gone = await run(['users', 'remove', 'dana', ...as('root', 'root-password')]);
    expect([gone.code, gone.err]).to.deep.equal([1, 'tvdc: NOT_FOUND: no user named dana']);
  });

  it('usage errors exit 2: a missing role, a bad --server, no user, an unknown option', async () => {
    expect((await run(['users', 'add', 'x', ...as('root', 'root-password')])).code).to.equal(2);
    const bad = await run(['users', 'list', '--server', 'ftp://x', '--user', 'root', '--password', 'p']);
    expect([bad.code, bad.err]).to.deep.equal([2, 'tvdc users list: --server must be an http or https URL, not ftp://x']);
    const noUser = await run(['users', 'list', '--server', srv.url], { TVDC_USER: '' });
    expect(noUser.code).to.equal(2);
    expect(noUser.err).to.include('no user');
    expect((await run(['users', 'list', '--bogus', ...as('root', 'root-password')])).err).to.equal('tvdc users list: unknown option --bogus');
  });
});
