// Security: HTTP Basic against a users file of scrypt hashes, per-operation roles
// (read < write < admin) answered with CIM_ERR_ACCESS_DENIED, 401 challenges, and the rule that
// a server without users stays on loopback.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserDirectory, UserFileError } from '../../src/wbem/UserDirectory.js';
import { hashPassword } from '../../src/wbem/PasswordHash.js';
import { WbemServer, WbemServerError } from '../../src/wbem/WbemServer.js';
import { intrinsicOperationRoles } from '../../src/wbem/intrinsicOperations.js';
import { imethodRequest, rawRequest, repositoryFrom, startServer, validateAgainstDtd, wbemcli, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const errorOf = (body: string) => /<ERROR CODE="(\d+)"/.exec(body)?.[1];
const ENUM = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';
const NEW = (id: number) => `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="CreationClassName" TYPE="string"><VALUE>TVD_Widget</VALUE></PROPERTY><PROPERTY NAME="Id" TYPE="uint32"><VALUE>${id}</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`;
const NEWCLASS = '<IPARAMVALUE NAME="NewClass"><CLASS NAME="TVD_AuthTest"><PROPERTY NAME="X" TYPE="string"></PROPERTY></CLASS></IPARAMVALUE>';

describe('wbem: authentication and roles', function () {
  let dir: string;
  let s: TestServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-auth-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, 'reader', 'read', 'r-pass');
    await UserDirectory.addUserToFile(file, 'writer', 'write', 'w-pass');
    await UserDirectory.addUserToFile(file, 'root', 'admin', 'a:pass with colon');
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), users: UserDirectory.load(file) });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the users file holds salted scrypt hashes, never the passwords', () => {
    const text = readFileSync(join(dir, 'users.json'), 'utf8');
    expect(text).to.not.contain('r-pass');
    const users = JSON.parse(text).users as { name: string; password: string }[];
    expect(users.map((u) => u.name)).to.deep.equal(['reader', 'writer', 'root']);
    expect(users[0]!.password).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(users[0]!.password).to.not.equal(users[1]!.password);
  });

  it('asks for credentials with 401 and a Basic challenge', async () => {
    const none = await rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM));
    expect(none.status).to.equal(401);
    expect(none.headers['www-authenticate']).to.match(/^Basic realm="tvdc"/);
    const wrong = await rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Authorization: basic('reader', 'nope') }));
    expect(wrong.status).to.equal(401);
    const unknown = await rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Authorization: basic('ghost', 'r-pass') }));
    expect(unknown.status).to.equal(401);
    const garbage = await rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Authorization: 'Digest abc' }));
    expect(garbage.status).to.equal(401);
  });

  it('a read user may read but not write or change classes', async () => {
    const auth = { Authorization: basic('reader', 'r-pass') };
    const read = await rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, auth));
    expect(read.status).to.equal(200);
    expect(errorOf(read.body)).to.equal(undefined);
    expect(errorOf((await rawRequest(s.port, imethodRequest('CreateInstance', 'root/cimv2', NEW(70), auth))).body)).to.equal('2');
    expect(errorOf((await rawRequest(s.port, imethodRequest('CreateClass', 'root/cimv2', NEWCLASS, auth))).body)).to.equal('2');
  });

  it('a write user may create instances but not classes', async () => {
    const auth = { Authorization: basic('writer', 'w-pass') };
    expect(errorOf((await rawRequest(s.port, imethodRequest('CreateInstance', 'root/cimv2', NEW(71), auth))).body)).to.equal(undefined);
    expect(errorOf((await rawRequest(s.port, imethodRequest('CreateClass', 'root/cimv2', NEWCLASS, auth))).body)).to.equal('2');
  });

  it('an admin may change the schema (a password may contain a colon)', async () => {
    const auth = { Authorization: basic('root', 'a:pass with colon') };
    expect(errorOf((await rawRequest(s.port, imethodRequest('CreateClass', 'root/cimv2', NEWCLASS, auth))).body)).to.equal(undefined);
  });

  it('checks the role of every intrinsic operation before anything else', async () => {
    const ops = intrinsicOperationRoles();
    expect(ops.filter((o) => o.role === 'admin').map((o) => o.name).sort()).to.deep.equal(['CreateClass', 'DeleteClass', 'DeleteQualifier', 'ModifyClass', 'SetQualifier']);
    expect(ops.filter((o) => o.role === 'write').map((o) => o.name).sort()).to.deep.equal(['CreateInstance', 'DeleteInstance', 'ModifyInstance', 'SetProperty']);
    for (const [user, pw, allowed] of [['reader', 'r-pass', 'read'], ['writer', 'w-pass', 'write']] as const) {
      for (const op of ops) {
        const denied = (allowed === 'read' && op.role !== 'read') || (allowed === 'write' && op.role === 'admin');
        const r = await rawRequest(s.port, imethodRequest(op.name, 'root/cimv2', '', { Authorization: basic(user, pw) }));
        const code = errorOf(r.body);
        // Allowed calls fail on their (missing) parameters, never on access.
        if (denied) expect(code, `${user} ${op.name}`).to.equal('2');
        else expect(code, `${user} ${op.name}`).to.not.equal('2');
      }
    }
  });

  it('wbemcli authenticates with user:password in the URL and is refused methods as a reader', async () => {
    const ok = await wbemcli('ein', `http://reader:r-pass@127.0.0.1:${s.port}/root/cimv2:TVD_Widget`);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.contain('TVD_Widget.CreationClassName="TVD_Widget",Id=1');
    const denied = await wbemcli('cm', `http://reader:r-pass@127.0.0.1:${s.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=1`, 'Grow.By=1');
    expect(denied.stderr).to.contain('CIM_ERR_ACCESS_DENIED');
    const bad = await wbemcli('ein', `http://reader:wrong@127.0.0.1:${s.port}/root/cimv2:TVD_Widget`);
    expect(bad.code).to.not.equal(0);
  });

  it('without a users file the server refuses to listen beyond loopback', async () => {
    const server = new WbemServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), log: () => undefined });
    try {
      let err: unknown;
      try {
        await server.listen({ port: 0, host: '0.0.0.0' });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(WbemServerError);
      expect((err as WbemServerError).code).to.equal('WBEM_UNAUTHENTICATED_BIND');
    } finally {
      await server.close();
    }
  });

  it('every CIM-XML answer here is DTD-valid', async () => {
    expect(s.bodies.length).to.be.greaterThan(5);
    expect(await validateAgainstDtd(s.bodies)).to.equal('');
  });

  it('reads the text form of the users file and rejects broken entries with specific errors', async () => {
    const h = await hashPassword('pw');
    const dirFile = join(dir, 'users.txt');
    writeFileSync(dirFile, `# comment\n\nalice:write:${h}\n`);
    const users = UserDirectory.load(dirFile);
    expect(await users.authenticate('alice', 'pw')).to.equal('write');
    expect(await users.authenticate('alice', 'pw2')).to.equal(null);
    const codes = ['bob:boss:' + h, 'bob:read:md5$abc', 'bob', '{"users":[{"name":1}]}', '{ nope'].map((t) => {
      try {
        UserDirectory.parse(t);
        return 'ok';
      } catch (e) {
        return (e as UserFileError).code;
      }
    });
    expect(codes).to.deep.equal(['USERS_ROLE', 'USERS_HASH', 'USERS_SYNTAX', 'USERS_SYNTAX', 'USERS_SYNTAX']);
  });
});
