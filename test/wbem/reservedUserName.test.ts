// The user name migration tickets log in under (tvdc-migration) is the server's own: a users file
// that defines it is refused with its place in the file, `tvdc-host --add-user` refuses it, and a
// login under it is a one-time credential or nothing, never a password looked up in the users file.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../src/wbem/Provider.js';
import { hashPassword } from '../../src/wbem/PasswordHash.js';
import { MIGRATION_TICKET_USER, UserDirectory, UserFileError } from '../../src/wbem/UserDirectory.js';
import { imethodRequest, PROJECT_ROOT, rawRequest, repositoryFrom, startServer, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const ENUM = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';

/** The UserFileError `f` throws (fails the test when it throws none). */
function fileError(f: () => unknown): UserFileError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(UserFileError);
    return e as UserFileError;
  }
  expect.fail('expected a UserFileError');
}

/** tvdc-host with `args`, as a user runs it: exit code and stderr. */
function tvdcHost(args: string[], input = ''): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'client/cli/tvdc-host.ts'), ...args], { cwd: PROJECT_ROOT, timeout: 30_000 }, (err, _out, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stderr: String(stderr) });
    });
    child.stdin?.end(input);
  });
}

/** The real users file's directory, counting how often the file's passwords are consulted. */
class CountingUsers extends UserDirectory {
  checks = 0;
  override authenticate(name: string, password: string): Promise<Role | null> {
    this.checks++;
    return super.authenticate(name, password);
  }
}

describe('the reserved user name tvdc-migration', function () {
  this.timeout(60_000);
  let dir: string;
  let hash: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-reserved-'));
    hash = await hashPassword('pw');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a users file in the line form that defines it is refused at its line and column', () => {
    const file = join(dir, 'users.txt');
    writeFileSync(file, `# users\nalice:admin:${hash}\n  ${MIGRATION_TICKET_USER}:admin:${hash}\n`);
    const e = fileError(() => UserDirectory.load(file));
    expect(e.code).to.equal('USERS_RESERVED');
    expect(e.message).to.equal(`${file}:3:3: user name "tvdc-migration" is reserved: migration tickets log in as tvdc-migration, so no users file may define it; rename this user`);
  });

  it('a users file in the JSON form that defines it, in any case, is refused naming the user', () => {
    const file = join(dir, 'users.json');
    writeFileSync(file, JSON.stringify({ users: [{ name: 'alice', role: 'read', password: hash }, { name: 'TVDC-Migration', role: 'write', password: hash }] }));
    const e = fileError(() => UserDirectory.load(file));
    expect(e.code).to.equal('USERS_RESERVED');
    expect(e.message).to.match(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: user #2 \\("TVDC-Migration"\\): user name "TVDC-Migration" is reserved`));
    // The other entry problems name their place the same way.
    const role = fileError(() => UserDirectory.parse(`\n\tbob:boss:${hash}`, 'f.txt'));
    expect([role.code, role.message]).to.deep.equal(['USERS_ROLE', 'f.txt:2:2: role "boss" is not read, write or admin']);
  });

  it('UserDirectory refuses it whichever way it is given, and addUserToFile leaves the file alone', async () => {
    expect(fileError(() => new UserDirectory([{ name: MIGRATION_TICKET_USER, role: 'read', password: hash }])).code).to.equal('USERS_RESERVED');
    const file = join(dir, 'added.json');
    let err: unknown;
    try {
      await UserDirectory.addUserToFile(file, MIGRATION_TICKET_USER, 'admin', 'pw');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UserFileError);
    expect((err as UserFileError).code).to.equal('USERS_RESERVED');
    expect(existsSync(file)).to.equal(false);
    await UserDirectory.addUserToFile(file, 'alice', 'admin', 'pw');
    expect(UserDirectory.load(file).entries().map((u) => u.name)).to.deep.equal(['alice']);
  });

  it('tvdc-host --add-user refuses it (exit 2); tvdc-host --users with it does not start (exit 1, file:line:col)', async () => {
    const file = join(dir, 'cli-users.json');
    const add = await tvdcHost(['--add-user', MIGRATION_TICKET_USER, '--role', 'admin', '--users', file], 'pw\n');
    expect(add.code).to.equal(2);
    expect(add.stderr).to.include('tvdc-host: --add-user: user name "tvdc-migration" is reserved');
    expect(existsSync(file)).to.equal(false);
    const text = join(dir, 'cli-users.txt');
    writeFileSync(text, `${MIGRATION_TICKET_USER}:write:${hash}\n`);
    const run = await tvdcHost(['--name', 'h', '--port', '0', '--vtpm', 'off', '--users', text]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`${text}:1:1: user name "tvdc-migration" is reserved`);
  });

  describe('logging in as tvdc-migration', () => {
    let users: CountingUsers;
    let s: TestServer;
    let ticket: string;
    const enumAs = (user: string, pw: string) => rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Authorization: basic(user, pw) }));

    before(async () => {
      users = new CountingUsers([{ name: 'alice', role: 'read', password: hash }]);
      s = await startServer({
        repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), users,
        extra: { loginThrottle: { maxFailures: 3 } },
      });
      ticket = users.oneTime.issue(MIGRATION_TICKET_USER, {
        purpose: 'this test', namespace: 'root/cimv2', calls: [{ operation: 'EnumerateInstanceNames', className: 'TVD_Widget' }], scope: {},
      }, 60_000).secret;
    });
    after(() => s.close());

    it('with an issued ticket logs in; with any other password is 401 without the users file being asked, and counted', async () => {
      expect((await enumAs(MIGRATION_TICKET_USER, ticket)).status).to.equal(200);
      for (const pw of ['pw', 'x'.repeat(43)]) {
        const r = await enumAs(MIGRATION_TICKET_USER, pw);
        expect(r.status).to.equal(401);
        expect(r.headers['www-authenticate']).to.equal('Basic realm="tvdc", charset="UTF-8"');
      }
      expect(users.checks).to.equal(0);
      // A file user's wrong password is asked of the file, and each failure counted alike.
      expect((await enumAs('alice', 'wrong')).status).to.equal(401);
      expect(users.checks).to.equal(1);
      const after = await enumAs(MIGRATION_TICKET_USER, ticket);
      expect([after.status, after.headers['retry-after']]).to.deep.equal([429, '60']);
    });
  });
});
