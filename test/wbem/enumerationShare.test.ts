// Pull enumeration contexts are shared out per principal: one caller holding its share is refused
// with CIM_ERR_SERVER_LIMITS_EXCEEDED naming the per-user limit while other users go on opening
// theirs; a context answers only the principal that opened it; CloseEnumeration and the
// OperationTimeout give the share back. Real servers, real HTTP.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { imethodRequest, rawRequest, repositoryFrom, startServer, WBEM_FIXTURES, type RawResponse, type TestServer } from './support/wbemTestKit.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const VAL = (n: string, v: string) => `<IPARAMVALUE NAME="${n}"><VALUE>${v}</VALUE></IPARAMVALUE>`;
const CLS = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';
const errorOf = (r: RawResponse) => /<ERROR CODE="(\d+)"/.exec(r.body)?.[1];
const descriptionOf = (r: RawResponse) => /<ERROR CODE="\d+" DESCRIPTION="([^"]*)"/.exec(r.body)?.[1];
const ctxOf = (r: RawResponse) => /<PARAMVALUE NAME="EnumerationContext"[^>]*><VALUE>([^<]*)<\/VALUE>/.exec(r.body)?.[1];

describe('wbem: each user gets a share of the pull enumeration contexts', function () {
  let dir: string;
  let s: TestServer;
  const as = (user: string) => ({ Authorization: basic(user, `${user}-pw`) });
  const call = (user: string, method: string, params: string) => rawRequest(s.port, imethodRequest(method, 'root/cimv2', params, as(user)));
  const open = (user: string, timeout = 60) => call(user, 'OpenEnumerateInstancePaths', CLS + VAL('OperationTimeout', String(timeout)) + VAL('MaxObjectCount', '0'));
  const opened = async (user: string, timeout = 60): Promise<string> => {
    const r = await open(user, timeout);
    const ctx = ctxOf(r);
    expect(ctx, `${user}'s open: ${r.body}`).to.be.a('string');
    return ctx!;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-enumshare-'));
    const file = join(dir, 'users.json');
    for (const [user, role] of [['greedy', 'read'], ['other', 'read'], ['admin', 'admin']] as const) {
      await UserDirectory.addUserToFile(file, user, role, `${user}-pw`);
    }
    s = await startServer({
      repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), users: UserDirectory.load(file),
      extra: { maxOpenEnumerationsPerUser: 3, maxOpenEnumerations: 5 },
    });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a user past the per-user limit is refused (27, naming the limit) while others still open theirs, and its own contexts still work', async () => {
    const mine = [await opened('greedy'), await opened('greedy'), await opened('greedy')];
    const refused = await open('greedy');
    expect(errorOf(refused)).to.equal('27');
    expect(descriptionOf(refused)).to.equal('too many open enumerations for user &quot;greedy&quot;: the limit is 3 per user; close some with CloseEnumeration or let them time out');
    expect(s.server.enumerations.size).to.equal(3);

    const theirs = await opened('other');
    const pulled = await call('greedy', 'PullInstancePaths', VAL('EnumerationContext', mine[0]!) + VAL('MaxObjectCount', '1'));
    expect(errorOf(pulled), pulled.body).to.equal(undefined);
    expect(pulled.body).to.contain('<INSTANCEPATH>');
    const next = ctxOf(pulled);
    expect(next).to.be.a('string');

    // Someone else's context is no context at all to this caller, for Pull and Close alike.
    expect(errorOf(await call('other', 'PullInstancePaths', VAL('EnumerationContext', next!) + VAL('MaxObjectCount', '1')))).to.equal('21');
    expect(errorOf(await call('admin', 'CloseEnumeration', VAL('EnumerationContext', next!)))).to.equal('21');
    expect(s.server.enumerations.size).to.equal(4);

    // CloseEnumeration gives the share back.
    const closed = await call('greedy', 'CloseEnumeration', VAL('EnumerationContext', next!));
    expect(errorOf(closed), closed.body).to.equal(undefined);
    const again = await opened('greedy');

    // The server-wide limit still holds, with its own message.
    const admins = await opened('admin');
    const full = await open('admin');
    expect(errorOf(full)).to.equal('27');
    expect(descriptionOf(full)).to.equal("too many open enumerations: the server's limit is 5");

    for (const [user, ctx] of [['greedy', mine[1]], ['greedy', mine[2]], ['greedy', again], ['other', theirs], ['admin', admins]] as const) {
      expect(errorOf(await call(user, 'CloseEnumeration', VAL('EnumerationContext', ctx!)))).to.equal(undefined);
    }
    expect(s.server.enumerations.openBy('greedy')).to.equal(0);
  });

  it('a context that times out gives its share back', async () => {
    expect(s.server.enumerations.size).to.equal(0);
    for (let i = 0; i < 3; i++) await opened('admin', 1);
    expect(errorOf(await open('admin'))).to.equal('27');
    await new Promise((r) => setTimeout(r, 1300));
    expect(s.server.enumerations.openBy('admin')).to.equal(0);
    await opened('admin');
  });
});

describe('wbem: anonymous callers share one enumeration share', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), extra: { maxOpenEnumerationsPerUser: 2 } });
  });
  after(() => s.close());

  it('is refused past the per-user limit, as anonymous callers', async () => {
    const open = () => rawRequest(s.port, imethodRequest('OpenEnumerateInstancePaths', 'root/cimv2', CLS + VAL('MaxObjectCount', '0')));
    expect(ctxOf(await open())).to.be.a('string');
    expect(ctxOf(await open())).to.be.a('string');
    const refused = await open();
    expect(errorOf(refused)).to.equal('27');
    expect(descriptionOf(refused)).to.equal('too many open enumerations for anonymous callers: the limit is 2 per user; close some with CloseEnumeration or let them time out');
  });
});
