// Failed logins limited per client address: the throttle itself (windows, blocks, successes,
// addresses and their /64s, bounded memory, bursts of parallel guesses) and the host agent's WBEM
// server over real HTTP, where an address over its limit gets 429 with Retry-After before any
// password check; wbemcli and the project's CIM client both see that 429 for what it is.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TooManyAttemptsError, WbemConnection } from '../../client/cim/index.js';
import { addressKey, LoginThrottle } from '../../src/wbem/LoginThrottle.js';
import type { Role } from '../../src/wbem/Provider.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { runTvdcCimInProcess } from '../client/support/runners.js';
import { imethodRequest, parseResponse, repositoryFrom, startServer, wbemcli, WBEM_FIXTURES, type RawResponse, type TestServer } from './support/wbemTestKit.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const ENUM = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';

/** A clock the test moves. */
function testClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_800_000_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** A password check that answers after `ms` and counts its calls. */
function checker(password: string, ms = 2): { calls: number; verify: (pw: string) => () => Promise<string | null> } {
  const c = {
    calls: 0,
    verify: (pw: string) => async () => {
      c.calls++;
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      return pw === password ? 'alice' : null;
    },
  };
  return c;
}

/** The real users file's directory, counting how often a password is checked (each uncached check is one scrypt). */
class CountingUsers extends UserDirectory {
  checks = 0;
  override authenticate(name: string, password: string): Promise<Role | null> {
    this.checks++;
    return super.authenticate(name, password);
  }
}

/** One request from the client address `from` (a loopback address of this machine). */
function rawFrom(from: string, port: number, bytes: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no response in time')); }, 10_000);
    const finish = (closed: boolean): void => {
      const r = parseResponse(buf, closed);
      if (r) {
        clearTimeout(timer);
        socket.destroy();
        resolve(r);
      } else if (closed) {
        clearTimeout(timer);
        reject(new Error('connection closed without a complete response'));
      }
    };
    socket.on('data', (d) => { buf = Buffer.concat([buf, d]); finish(false); });
    socket.on('close', () => finish(true));
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.write(bytes);
  });
}

const enumAs = (from: string, port: number, user: string, pw: string) =>
  rawFrom(from, port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Authorization: basic(user, pw) }));

describe('login throttle: failed logins per client address', function () {
  it('the 11th failure in the window is refused without a check, for 60 s; then checks resume', async () => {
    const clock = testClock();
    const blocks: [string, number, number][] = [];
    const t = new LoginThrottle({ now: clock.now, onBlock: (a, n, s) => blocks.push([a, n, s]) });
    const c = checker('right');
    for (let i = 0; i < 10; i++) expect((await t.attempt('10.0.0.1', 'alice', c.verify('wrong'))).outcome).to.equal('rejected');
    expect(c.calls).to.equal(10);
    expect(await t.attempt('10.0.0.1', 'alice', c.verify('wrong'))).to.deep.equal({ outcome: 'throttled', retryAfterSeconds: 60 });
    // The right password is refused as well while the address is refused, and costs nothing.
    expect(await t.attempt('10.0.0.1', 'alice', c.verify('right'))).to.deep.equal({ outcome: 'throttled', retryAfterSeconds: 60 });
    expect(c.calls).to.equal(10);
    clock.advance(45_500);
    expect(await t.attempt('10.0.0.1', 'alice', c.verify('right'))).to.deep.equal({ outcome: 'throttled', retryAfterSeconds: 15 });
    clock.advance(14_500);
    expect(await t.attempt('10.0.0.1', 'alice', c.verify('right'))).to.deep.equal({ outcome: 'accepted', value: 'alice' });
    expect(c.calls).to.equal(11);
    expect(blocks).to.deep.equal([['10.0.0.1', 10, 60]]);
  });

  it('a success clears the count; a window without its tenth failure ends and starts afresh', async () => {
    const clock = testClock();
    const t = new LoginThrottle({ now: clock.now });
    const c = checker('right');
    for (let i = 0; i < 9; i++) await t.attempt('10.0.0.1', 'alice', c.verify('wrong'));
    expect((await t.attempt('10.0.0.1', 'alice', c.verify('right'))).outcome).to.equal('accepted');
    for (let i = 0; i < 9; i++) expect((await t.attempt('10.0.0.1', 'alice', c.verify('wrong'))).outcome).to.equal('rejected');
    clock.advance(60_000);
    for (let i = 0; i < 9; i++) expect((await t.attempt('10.0.0.1', 'alice', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.0.1', 'alice', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.0.1', 'alice', c.verify('right'))).outcome).to.equal('throttled');
  });

  it('counts per address, never per user: another address is unaffected; an IPv6 /64 is one address', async () => {
    const t = new LoginThrottle({ maxFailures: 2, now: testClock().now });
    const c = checker('right');
    await t.attempt('2001:db8:1:2::1', 'alice', c.verify('wrong'));
    await t.attempt('2001:db8:1:2:ffff:0:0:9', 'alice', c.verify('wrong'));
    expect((await t.attempt('2001:db8:1:2::77', 'alice', c.verify('right'))).outcome).to.equal('throttled');
    expect((await t.attempt('2001:db8:1:3::1', 'alice', c.verify('right'))).outcome).to.equal('accepted');
    expect((await t.attempt('10.0.0.2', 'alice', c.verify('right'))).outcome).to.equal('accepted');
    expect(addressKey('::ffff:10.0.0.1')).to.equal('10.0.0.1');
    expect(addressKey('10.0.0.1')).to.equal('10.0.0.1');
    expect(addressKey('2001:DB8:0001:0002:0003::1')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::10.1.2.3')).to.equal('64:ff9b:0:0::/64');
  });

  it('follows at most maxAddresses, however many send; an address that keeps trying stays refused', async () => {
    const t = new LoginThrottle({ maxAddresses: 100, maxFailures: 3, now: testClock().now });
    const c = checker('right', 0);
    for (let i = 0; i < 3; i++) await t.attempt('10.9.9.9', 'alice', c.verify('wrong'));
    let largest = 0;
    for (let i = 0; i < 3000; i++) {
      await t.attempt(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'alice', c.verify('wrong'));
      largest = Math.max(largest, t.size);
      if (i % 50 === 0) expect((await t.attempt('10.9.9.9', 'alice', c.verify('right'))).outcome, `after ${i} others`).to.equal('throttled');
    }
    expect(largest).to.equal(100);
    expect(t.size).to.equal(100);
  });

  it('a burst of parallel guesses runs no more checks than the failures left; parallel right logins all pass', async () => {
    const t = new LoginThrottle({ now: testClock().now });
    const c = checker('right', 5);
    const burst = await Promise.all(Array.from({ length: 50 }, () => t.attempt('10.0.0.5', 'alice', c.verify('wrong'))));
    expect(c.calls).to.equal(10);
    expect(burst.filter((r) => r.outcome === 'rejected')).to.have.length(10);
    expect(burst.filter((r) => r.outcome === 'throttled')).to.have.length(40);
    const good = checker('right', 5);
    const logins = await Promise.all(Array.from({ length: 30 }, () => t.attempt('10.0.0.6', 'alice', good.verify('right'))));
    expect(logins.every((r) => r.outcome === 'accepted')).to.equal(true);
  });

  it('refuses at once (Retry-After 1) beyond maxWaiting attempts waiting for a check; a failed check counts nothing', async () => {
    const t = new LoginThrottle({ maxFailures: 2, maxWaiting: 3, now: testClock().now });
    const c = checker('right', 20);
    const all = await Promise.all(Array.from({ length: 8 }, () => t.attempt('10.0.0.7', 'alice', c.verify('right'))));
    // Two checks run, three wait (and pass once the first succeeds), three are refused.
    expect(all.map((r) => r.outcome)).to.deep.equal(['accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'throttled', 'throttled', 'throttled']);
    expect(all[7]).to.deep.equal({ outcome: 'throttled', retryAfterSeconds: 1 });
    const broken = () => Promise.reject(new Error('database gone'));
    for (let i = 0; i < 5; i++) {
      try {
        await t.attempt('10.0.0.8', 'alice', broken);
        expect.fail('the check failed');
      } catch (e) {
        expect((e as Error).message).to.equal('database gone');
      }
    }
    expect((await t.attempt('10.0.0.8', 'alice', c.verify('right'))).outcome).to.equal('accepted');
  });

  it('a success forgives only the failures under its own name: 9 guesses at one user and a good login as another, twice, is refused', async () => {
    const t = new LoginThrottle({ now: testClock().now });
    const c = checker('right');
    for (let i = 0; i < 9; i++) expect((await t.attempt('10.0.1.1', 'dcadmin', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.1.1', 'alice', c.verify('right'))).outcome).to.equal('accepted');
    expect((await t.attempt('10.0.1.1', 'dcadmin', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.1.1', 'alice', c.verify('right'))).outcome).to.equal('throttled');
    expect(c.calls).to.equal(11);
  });

  it('a success takes back its own name\'s failures and leaves the others counting', async () => {
    const t = new LoginThrottle({ now: testClock().now });
    const c = checker('right');
    for (let i = 0; i < 5; i++) await t.attempt('10.0.1.2', 'alice', c.verify('wrong'));
    for (let i = 0; i < 4; i++) await t.attempt('10.0.1.2', 'bob', c.verify('wrong'));
    expect((await t.attempt('10.0.1.2', 'alice', c.verify('right'))).outcome).to.equal('accepted');
    // bob's 4 remain: 5 more (under any name) stay below 10, the 6th reaches it.
    for (let i = 0; i < 5; i++) expect((await t.attempt('10.0.1.2', `other${i}`, c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.1.2', 'carol', c.verify('right'))).outcome).to.equal('accepted');
    expect((await t.attempt('10.0.1.2', 'bob', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.1.2', 'bob', c.verify('right'))).outcome).to.equal('throttled');
  });

  it('tells apart at most maxNamesPerAddress names: failures under further names count but no success clears them', async () => {
    const t = new LoginThrottle({ maxFailures: 5, maxNamesPerAddress: 2, now: testClock().now });
    const c = checker('right');
    for (const n of ['n1', 'n2', 'n3']) await t.attempt('10.0.1.3', n, c.verify('wrong'));
    // n3 was not told apart: its success clears nothing (3 left); n1's clears its own (2 left).
    expect((await t.attempt('10.0.1.3', 'n3', c.verify('right'))).outcome).to.equal('accepted');
    expect((await t.attempt('10.0.1.3', 'n1', c.verify('right'))).outcome).to.equal('accepted');
    for (let i = 0; i < 2; i++) expect((await t.attempt('10.0.1.3', 'n2', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.1.3', 'n2', c.verify('wrong'))).outcome).to.equal('rejected');
    expect((await t.attempt('10.0.1.3', 'n1', c.verify('right'))).outcome).to.equal('throttled');
  });

  it('a refused address is not pushed out by others while refused, even when it stays quiet', async () => {
    const clock = testClock();
    const t = new LoginThrottle({ maxAddresses: 100, maxFailures: 3, now: clock.now });
    const c = checker('right', 0);
    for (let i = 0; i < 3; i++) await t.attempt('10.9.9.8', 'x', c.verify('wrong'));
    for (let i = 0; i < 3000; i++) await t.attempt(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'x', c.verify('wrong'));
    expect(t.size).to.equal(100);
    expect((await t.attempt('10.9.9.8', 'x', c.verify('right'))).outcome).to.equal('throttled');
    clock.advance(60_000);
    expect((await t.attempt('10.9.9.8', 'x', c.verify('right'))).outcome).to.equal('accepted');
  });

  it('while every followed address is refused, a new address waits for the first refusal to end', async () => {
    const clock = testClock();
    const t = new LoginThrottle({ maxAddresses: 3, maxFailures: 1, now: clock.now });
    const c = checker('right', 0);
    for (const a of ['10.0.2.1', '10.0.2.2', '10.0.2.3']) {
      await t.attempt(a, 'x', c.verify('wrong'));
      clock.advance(10_000);
    }
    const calls = c.calls;
    expect(await t.attempt('10.0.2.4', 'x', c.verify('right'))).to.deep.equal({ outcome: 'throttled', retryAfterSeconds: 30 });
    expect(c.calls).to.equal(calls);
    expect(t.size).to.equal(3);
    clock.advance(30_000);
    // 10.0.2.1's refusal ended: it is the one forgotten.
    expect((await t.attempt('10.0.2.4', 'x', c.verify('right'))).outcome).to.equal('accepted');
    expect((await t.attempt('10.0.2.2', 'x', c.verify('right'))).outcome).to.equal('throttled');
    expect((await t.attempt('10.0.2.3', 'x', c.verify('right'))).outcome).to.equal('throttled');
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => new LoginThrottle({ maxFailures: 0 })).to.throw(RangeError, 'maxFailures');
    expect(() => new LoginThrottle({ windowMs: 1.5 })).to.throw(RangeError, 'windowMs');
    expect(() => new LoginThrottle({ maxNamesPerAddress: 0 })).to.throw(RangeError, 'maxNamesPerAddress');
  });
});

describe('login throttle: the host agent over HTTP', function () {
  this.timeout(60_000);
  let dir: string;
  let users: CountingUsers;
  let s: TestServer;
  const clock = testClock();
  const log: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvdc-throttle-'));
    const file = join(dir, 'users.json');
    await UserDirectory.addUserToFile(file, 'reader', 'read', 'r-pass');
    await UserDirectory.addUserToFile(file, 'admin', 'admin', 'a-pass');
    users = new CountingUsers(UserDirectory.load(file).entries());
    s = await startServer({
      repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), users,
      extra: { loginThrottle: { now: clock.now }, log: (l) => void log.push(l) },
    });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the 11th wrong password from an address gets 429 with Retry-After and no password check; other addresses go on', async () => {
    for (let i = 0; i < 10; i++) expect((await enumAs('127.0.0.1', s.port, 'reader', `guess${i}`)).status).to.equal(401);
    expect(users.checks).to.equal(10);
    const refused = await enumAs('127.0.0.1', s.port, 'reader', 'guess10');
    expect(refused.statusLine).to.equal('HTTP/1.1 429 Too Many Requests');
    expect(refused.headers['retry-after']).to.equal('60');
    expect(refused.headers['content-length']).to.equal('0');
    expect(refused.headers['x-tvdc-error-detail']).to.equal(encodeURIComponent('too many failed logins from this address; retry after 60 s'));
    // An HTTP-level refusal of the caller, as 401 is: no CIMError, no challenge.
    expect(refused.headers).to.not.have.property('cimerror');
    expect(refused.headers).to.not.have.property('www-authenticate');
    // The right password from the refused address: refused too, still without a check.
    expect((await enumAs('127.0.0.1', s.port, 'reader', 'r-pass')).status).to.equal(429);
    expect(users.checks).to.equal(10);
    // Another address is not refused, for the right password or a wrong one.
    expect((await enumAs('127.0.0.2', s.port, 'reader', 'r-pass')).status).to.equal(200);
    expect((await enumAs('127.0.0.2', s.port, 'reader', 'wrong')).status).to.equal(401);
    // Without credentials the challenge is still answered (no password is tried).
    const none = await rawFrom('127.0.0.1', s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM));
    expect(none.status).to.equal(401);
    clock.advance(59_000);
    expect((await enumAs('127.0.0.1', s.port, 'reader', 'r-pass')).headers['retry-after']).to.equal('1');
    clock.advance(1_000);
    expect((await enumAs('127.0.0.1', s.port, 'reader', 'r-pass')).status).to.equal(200);
    // One log line for the refused address, not one per refused attempt.
    expect(log).to.deep.equal(['login refused: 10 failed logins from 127.0.0.1; its logins are refused with 429 for 60 s']);
  });

  it('a success from an address clears its count', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) expect((await enumAs('127.0.0.3', s.port, 'reader', 'nope')).status).to.equal(401);
      expect((await enumAs('127.0.0.3', s.port, 'reader', 'r-pass')).status).to.equal(200);
    }
  });

  it('a good login as one user does not forgive guesses at another: 9 wrong admin passwords, reader logs in, 1 more, then 429', async () => {
    for (let i = 0; i < 9; i++) expect((await enumAs('127.0.0.4', s.port, 'admin', `guess${i}`)).status).to.equal(401);
    expect((await enumAs('127.0.0.4', s.port, 'reader', 'r-pass')).status).to.equal(200);
    expect((await enumAs('127.0.0.4', s.port, 'admin', 'guess9')).status).to.equal(401);
    expect((await enumAs('127.0.0.4', s.port, 'reader', 'r-pass')).status).to.equal(429);
    expect((await enumAs('127.0.0.4', s.port, 'admin', 'a-pass')).status).to.equal(429);
    clock.advance(60_000);
    expect((await enumAs('127.0.0.4', s.port, 'admin', 'a-pass')).status).to.equal(200);
  });

  it('the project\'s CIM client reports TOO_MANY_ATTEMPTS with Retry-After; tvdc-cim prints it; wbemcli fails', async () => {
    for (let i = 0; i < 10; i++) expect((await enumAs('127.0.0.1', s.port, 'reader', 'again')).status).to.equal(401);
    const conn = new WbemConnection(`http://127.0.0.1:${s.port}`, { namespace: 'root/cimv2', user: 'reader', password: 'r-pass', retries: 3 });
    try {
      await conn.enumerateInstanceNames('TVD_Widget').toArray();
      expect.fail('the host refuses this address');
    } catch (e) {
      expect(e).to.be.instanceOf(TooManyAttemptsError);
      const err = e as TooManyAttemptsError;
      expect([err.code, err.status, err.retryAfterSeconds]).to.deep.equal(['TOO_MANY_ATTEMPTS', 429, 60]);
      expect(err.message).to.include('retry after 60 s (Retry-After)');
    } finally {
      await conn.close();
    }
    const cim = await runTvdcCimInProcess(['ein', `http://reader:r-pass@127.0.0.1:${s.port}/root/cimv2:TVD_Widget`]);
    expect(cim.code).to.equal(16);
    expect(cim.stderr).to.include('Http Exception').and.include('HTTP 429').and.include('Retry-After');
    // wbemcli names no status ("HTTP response code said error"); the unchanged count of password
    // checks shows it was refused before its password was looked at.
    const checks = users.checks;
    const w = await wbemcli('ein', `http://reader:r-pass@127.0.0.1:${s.port}/root/cimv2:TVD_Widget`);
    expect(w.code).to.equal(16);
    expect(w.stdout).to.equal('');
    expect(w.stderr).to.contain('Http Exception');
    expect(users.checks).to.equal(checks);
    clock.advance(60_000);
    const ok = await wbemcli('ein', `http://reader:r-pass@127.0.0.1:${s.port}/root/cimv2:TVD_Widget`);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.contain('TVD_Widget.CreationClassName="TVD_Widget",Id=1');
  });

  it('the CIM client sends a 429 once, retries allowed or not, and reads an HTTP-date Retry-After', async () => {
    let requests = 0;
    const at = new Date(Date.now() + 120_000).toUTCString();
    const server = http.createServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(429, { 'Retry-After': requests === 1 ? '17' : at, 'Content-Length': '0' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const conn = new WbemConnection(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { namespace: 'root/cimv2', user: 'u', password: 'p', retries: 3 });
    try {
      const seen: (number | undefined)[] = [];
      for (let i = 0; i < 2; i++) {
        try {
          await conn.enumerateInstanceNames('TVD_Widget').toArray();
        } catch (e) {
          expect(e).to.be.instanceOf(TooManyAttemptsError);
          seen.push((e as TooManyAttemptsError).retryAfterSeconds);
        }
      }
      expect(requests).to.equal(2);
      expect(seen[0]).to.equal(17);
      expect(seen[1]).to.be.within(118, 120);
    } finally {
      await conn.close();
      server.close();
    }
  });
});
