// --login-failures and --login-block on both servers, run as users run them (a tvdc-host process
// and a `tvdc server` process): the limits given are the limits kept, to the Retry-After second,
// and values out of range (0 included: throttling cannot be turned off) are usage errors, exit 2.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { parseHostArgs, UsageError } from '../../client/cli/tvdc-host.js';
import { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { runMain, tempDir } from '../server/support/serverHarness.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../support/TvdcHostProcess.js';
import { PROJECT_ROOT } from '../wbem/support/wbemTestKit.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with Basic credentials and a body of known length, on a connection of its own. */
function send(url: string, user: string, password: string, method: string, headers: Record<string, string> = {}, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      agent: false,
      headers: { ...headers, Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'Content-Length': String(Buffer.byteLength(body)) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `tvdc ARGS` in this process: exit code and what it wrote to stderr. */
async function tvdc(...args: string[]): Promise<{ code: number; err: string }> {
  const { code, err } = await runMain(args);
  return { code, err };
}

/** A `tvdc server` process; resolves with its URL once it listens. */
function spawnServer(args: string[]): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'client/cli/tvdc.ts'), 'server', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tvdc server did not start: ${err}`)); }, 30_000);
    const early = (code: number | null) => { clearTimeout(timer); reject(new Error(`tvdc server exited with ${code}: ${err}`)); };
    child.once('exit', early);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({ child, url: m[1]!, stop: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); await exited; } });
    });
  });
}

describe('login limits on the command line', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-login-limits-');
  after(() => tmp.remove());

  it('values out of range, 0 among them, and non-numbers are usage errors naming the option and range', async () => {
    const base = ['--name', 'h'];
    const cases: [string[], RegExp][] = [
      [['--login-failures', '0'], /^--login-failures must be a whole number from 1 to 1000, not "0"; failed logins are always limited$/],
      [['--login-failures', '1001'], /^--login-failures must be a whole number from 1 to 1000, not "1001"$/],
      [['--login-failures', '2.5'], /not "2\.5"$/],
      [['--login-failures', '-3'], /not "-3"$/],
      [['--login-block', '0'], /^--login-block must be a whole number of seconds from 1 to 86400, not "0"; a refused address is always refused for a while$/],
      [['--login-block', '86401'], /^--login-block must be a whole number of seconds from 1 to 86400, not "86401"$/],
      [['--login-block=1m'], /not "1m"$/],
    ];
    for (const [args, re] of cases) expect(() => parseHostArgs([...base, ...args]), args.join(' ')).to.throw(UsageError, re);
    expect(parseHostArgs([...base, '--login-failures', '1000', '--login-block', '86400']).loginThrottle).to.deep.equal({ maxFailures: 1000, windowMs: 86_400_000, blockMs: 86_400_000 });
    expect(parseHostArgs(base).loginThrottle).to.deep.equal({});

    const server = await tvdc('server', '--port', '0', '--db', join(tmp.dir, 'never.db'), '--login-failures', '0');
    expect(server).to.deep.equal({ code: 2, err: 'tvdc server: --login-failures must be a whole number from 1 to 1000, not "0"; failed logins are always limited' });
    const block = await tvdc('server', '--port', '0', '--db', join(tmp.dir, 'never.db'), '--login-block', '86401');
    expect(block.code).to.equal(2);
    expect(block.err).to.equal('tvdc server: --login-block must be a whole number of seconds from 1 to 86400, not "86401"');
  });

  it('tvdc-host --login-failures 3 --login-block 7: the 4th login from the address is 429 with Retry-After 7, the right password too', async () => {
    const users = join(tmp.dir, 'users.json');
    await UserDirectory.addUserToFile(users, 'alice', 'read', 'alice-pw');
    let host: TvdcHostProcess | undefined;
    try {
      host = await spawnTvdcHost(['--name', 'h', '--port', '0', '--users', users, '--login-failures', '3', '--login-block', '7']);
      const cim = (pw: string) => send(`${host!.origin}/cimom`, 'alice', pw, 'POST', {
        'Content-Type': 'application/xml; charset="utf-8"', CIMOperation: 'MethodCall', CIMMethod: 'EnumerateInstanceNames', CIMObject: 'root/tvdc',
      }, '<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="EnumerateInstanceNames"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="tvdc"/></LOCALNAMESPACEPATH><IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVDc_ComputerSystem"/></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>');
      expect((await cim('alice-pw')).status).to.equal(200);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await cim(`wrong${i}`)).status);
      expect(statuses).to.deep.equal([401, 401, 401]);
      const fourth = await cim('wrong3');
      expect([fourth.status, fourth.headers['retry-after']]).to.deep.equal([429, '7']);
      const right = await cim('alice-pw');
      expect([right.status, right.headers['retry-after']]).to.deep.equal([429, '7']);
      expect(host.stderr()).to.include('login refused: 3 failed logins from 127.0.0.1; its logins are refused with 429 for 7 s');
    } finally {
      await host?.stop();
    }
  });

  it('tvdc server --login-failures 3 --login-block 9: the 4th login from the address is TOO_MANY_ATTEMPTS, 429, Retry-After 9', async () => {
    const srv = await spawnServer(['--port', '0', '--db', join(tmp.dir, 'server.db'), '--login-failures', '3', '--login-block', '9']);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await send(`${srv.url}/api/hosts`, 'nobody', `wrong${i}`, 'GET')).status);
      expect(statuses).to.deep.equal([401, 401, 401]);
      const fourth = await send(`${srv.url}/api/hosts`, 'nobody', 'wrong3', 'GET');
      expect([fourth.status, fourth.headers['retry-after']]).to.deep.equal([429, '9']);
      expect((JSON.parse(fourth.body) as { error: { code: string } }).error.code).to.equal('TOO_MANY_ATTEMPTS');
    } finally {
      await srv.stop();
    }
  });
});
