// The `tvdc` CLI as a user runs it (`node --import tsx client/cli/tvdc.ts`, separate processes):
// the first administrator from a password on stdin, `tvdc server` itself, and the isolation use
// case's main verbs against real host agents, with tables, --json and the exit codes.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WbemConnection } from '../../client/cim/index.js';
import { startInProcessHost, type InProcessHost } from '../providers/isolation/support/InProcessHost.js';
import { defineVm, hostLabel, PAPER_POLICY, tempDir, tvdcConnection } from '../server/support/serverHarness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'client/cli/tvdc.ts');

interface Run { code: number | null; out: string; err: string }

/** Runs the CLI in its own process without blocking this one (the hosts live here). */
function tvdc(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...opts.env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(opts.input ?? '');
  });
}

describe('cli: tvdc server, users, hosts, groups, policy, labels, segments (spawned)', function () {
  this.timeout(60_000);
  const tmp = tempDir('tvdc-cli-iso-');
  const db = join(tmp.dir, 'server.db');
  let h1: InProcessHost;
  let h2: InProcessHost;
  let c1: WbemConnection;
  let server: ChildProcess;
  let serverOut = '';
  let url = '';
  let dcEnv: Record<string, string>;

  before(async () => {
    [h1, h2] = await Promise.all([startInProcessHost('c1'), startInProcessHost('c2')]);
    c1 = tvdcConnection(h1.origin);
    await defineVm(c1, 'c1', 'ma');
  });
  after(async () => {
    server?.kill('SIGTERM');
    await c1?.close();
    await h1?.stop();
    await h2?.stop().catch(() => {}); // the deploy test stops it already
    tmp.remove();
  });

  it('users add --db takes the password from stdin; tvdc server starts on it and prints its URL', async () => {
    const add = await tvdc(['users', 'add', 'root', '--role', 'dcadmin', '--db', db], { input: 'root-password\n' });
    expect(add.code, add.err).to.equal(0);
    expect(add.out.trim()).to.equal('user root added (dcadmin)');
    server = spawn(process.execPath, ['--import', 'tsx', CLI, 'server', '--port', '0', '--db', db, '--indications-port', '0'], { cwd: ROOT });
    url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => {
        serverOut += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serverOut);
        if (m) resolve(m[1]!);
      });
      server.on('exit', (code) => reject(new Error(`tvdc server exited ${code}`)));
    });
    dcEnv = { TVDC_SERVER: url, TVDC_USER: 'root', TVDC_PASSWORD: 'root-password' };
  });

  it('hosts discover / add / list: tables by default, JSON with --json', async () => {
    const d = await tvdc(['hosts', 'discover', h1.origin, 'http://127.0.0.1:1'], { env: dcEnv });
    expect(d.code, d.err).to.equal(0);
    expect(d.out).to.match(/^URL\s+FOUND\s+MANAGED$/m).and.match(/tvdc host c1\s+no/).and.include('HOST_UNREACHABLE');
    const added = await Promise.all([h1, h2].map((h) => tvdc(['hosts', 'add', h.origin], { env: dcEnv })));
    expect(added.map((r) => r.code)).to.deep.equal([0, 0]);
    const [list, watch] = await Promise.all([tvdc(['hosts', 'list', '--json'], { env: dcEnv }), tvdc(['violations', 'watch'], { env: dcEnv })]);
    expect(JSON.parse(list.out).hosts.map((h: { name: string }) => h.name)).to.deep.equal(['c1', 'c2']);
    // InProcessHost has no indication service: the server says it cannot follow these hosts yet.
    expect(watch.code, watch.err).to.equal(0);
    expect(watch.out).to.match(/^hosts report to http:\/\/127\.0\.0\.1:\d+; following: no host yet$/m);
  });

  it('groups create / add, policy set / deploy, labels add, users add / authorize', async () => {
    const steps: [string[], RegExp][] = [
      [['groups', 'create', 'fin'], /TVDc fin created/],
      [['groups', 'add', 'fin', 'c1', 'c2'], /^fin\s+c1,c2\s+-/m],
      [['policy', 'set', 'fin', PAPER_POLICY], /policy tvdc-paper 1\.0 set/],
      [['labels', 'add', 'fin', 'Web', '--types', 'WEB'], /label Web added; policy tvdc-paper 1\.1/],
      [['policy', 'conflicts', 'add', 'fin', 'MA-SU', '--types', 'MA,SU'], /conflict set MA-SU added; policy tvdc-paper 1\.2/],
      [['policy', 'deploy', 'fin'], /^c1\s+deployed\s+tvdc-paper 1\.2 active/m],
      [['segments', 'create', 'fin', 'ma-net', '--vlan', '30', '--label', 'MarketAnalysis'], /^c2\s+ok\s+created, labeled MarketAnalysis$/m],
    ];
    for (const [args, expected] of steps) {
      const r = await tvdc(args, { env: dcEnv });
      expect(r.code, `${args.join(' ')}: ${r.err}`).to.equal(0);
      expect(r.out).to.match(expected);
    }
    const add = await tvdc(['users', 'add', 'bob', '--role', 'tvdcadmin', '--json'], { env: { ...dcEnv, TVDC_NEW_PASSWORD: 'bob-password' } });
    expect(JSON.parse(add.out)).to.deep.equal({ name: 'bob', role: 'tvdcadmin', groups: [] });
    expect((await tvdc(['users', 'authorize', 'bob', 'fin'], { env: dcEnv })).out).to.include('bob is authorized for: fin');
  });

  it('attest monitor: the TVDc administrator switches attestation on new measurements on and off (--json, table, exit 1 and 2)', async () => {
    const bob = { TVDC_SERVER: url, TVDC_USER: 'bob', TVDC_PASSWORD: 'bob-password' };
    const [on, bad, missing, nosuch] = await Promise.all([
      tvdc(['attest', 'monitor', 'fin', 'on', '--json'], { env: bob }),
      tvdc(['attest', 'monitor', 'fin', 'maybe'], { env: bob }),
      tvdc(['attest', 'monitor', 'fin'], { env: bob }),
      tvdc(['attest', 'monitor', 'nosuch', 'on'], { env: dcEnv }),
    ]);
    expect(on.code, on.err).to.equal(0);
    const json = JSON.parse(on.out) as { group: string; enabled: boolean; enabledBy: string; enabledAt: string };
    expect(json).to.deep.equal({ group: 'fin', enabled: true, enabledBy: 'bob', enabledAt: json.enabledAt });
    expect(new Date(json.enabledAt).getTime()).to.be.closeTo(Date.now(), 60_000);
    expect([bad.code, bad.err.trim()]).to.deep.equal([2, 'tvdc attest monitor: "maybe" is neither on nor off']);
    expect([missing.code, missing.err.trim()]).to.deep.equal([2, 'tvdc attest monitor: usage: tvdc attest monitor GROUP on|off']);
    expect([nosuch.code, nosuch.err.trim()]).to.deep.equal([1, 'tvdc: NOT_FOUND: no TVDc named nosuch']);
    const listed = await tvdc(['attest', 'schedules'], { env: bob });
    expect(listed.out).to.match(/^TVDc fin is also attested on new measurements \(since \S+, by bob\)$/m);
    const off = await tvdc(['attest', 'monitor', 'fin', 'off'], { env: bob });
    expect([off.code, off.out.trim()]).to.deep.equal([0, 'TVDc fin: new measurements no longer cause attestations']);
    expect((await tvdc(['attest', 'schedules', '--json'], { env: bob })).out).to.include('"monitors": []');
  });

  it('the TVDc administrator assigns a label (checked on the host) and sees it in groups show', async () => {
    const bob = { TVDC_SERVER: url, TVDC_USER: 'bob', TVDC_PASSWORD: 'bob-password' };
    const a = await tvdc(['labels', 'assign', 'fin', 'ma', 'MarketAnalysis'], { env: bob });
    expect(a.code, a.err).to.equal(0);
    expect(a.out.trim()).to.equal('VM ma on host c1 labeled MarketAnalysis (ACM:tvdc-paper:MarketAnalysis)');
    expect(await hostLabel(c1, 'ma')).to.equal('ACM:tvdc-paper:MarketAnalysis');
    const show = await tvdc(['groups', 'show', 'fin'], { env: bob });
    expect(show.out).to.include('policy: tvdc-paper 1.2').and.include('administrators: bob').and.match(/host c1 .* policy deployed/);
    expect(show.out).to.match(/^ {2}ma\s+stopped\s+MarketAnalysis\s+-\s+-$/m);
    expect(show.out).to.match(/^ {2}ma-net\s+segment, VLAN 30\s+MarketAnalysis$/m);
    const json = JSON.parse((await tvdc(['labels', 'list', 'fin', '--json'], { env: bob })).out);
    expect(json.labels.map((l: { name: string }) => l.name)).to.include('Web');
  });

  it('policy export writes Xen ACM XML; hosts show lists the VMs; groups remove-host; deploy with a host down exits 1', async () => {
    const file = join(tmp.dir, 'exported.xml');
    const [exp, show] = await Promise.all([tvdc(['policy', 'export', 'fin', file], { env: dcEnv }), tvdc(['hosts', 'show', 'c1'], { env: dcEnv })]);
    expect(exp.code, exp.err).to.equal(0);
    expect(readFileSync(file, 'utf8')).to.include('<PolicyName>tvdc-paper</PolicyName>').and.include('<Version>1.2</Version>');
    expect(show.out).to.match(/^host c1 .* TVDc fin {2}label SystemManagement$/m).and.include('policy: tvdc-paper 1.2 (active)');
    expect(show.out).to.match(/^ {2}VM\s+STATE\s+LABEL\s+DISKS\s+SEGMENTS$/m);
    const moved = await tvdc(['groups', 'remove-host', 'fin', 'c2'], { env: dcEnv });
    expect(moved.out).to.match(/^fin\s+c1\s+tvdc-paper 1\.2\s+1\/1$/m);
    await tvdc(['groups', 'add', 'fin', 'c2'], { env: dcEnv });
    await h2.stop();
    const deploy = await tvdc(['policy', 'deploy', 'fin'], { env: dcEnv });
    expect(deploy.code).to.equal(1);
    expect(deploy.out).to.match(/^c1\s+deployed\s+tvdc-paper 1\.2 is already active$/m).and.match(/^c2\s+failed\s+HOST_UNREACHABLE: /m);
    expect(deploy.err).to.include('tvdc: 1 of 2 hosts did not take the policy');
  });

  it('errors: a refusal exits 1 with "tvdc: CODE: message", a usage error exits 2, a policy file error names file:line:col', async () => {
    const bob = { TVDC_SERVER: url, TVDC_USER: 'bob', TVDC_PASSWORD: 'bob-password' };
    const bad = join(tmp.dir, 'bad.xml');
    writeFileSync(bad, readFileSync(PAPER_POLICY, 'utf8').replace('<Name>MarketAnalysis</Name>', '<Name>SecurityUnderwriting</Name>'));
    const [forbidden, wrongPw, usage, set, down] = await Promise.all([
      tvdc(['labels', 'add', 'fin', 'X', '--types', 'X'], { env: bob }),
      tvdc(['groups', 'list'], { env: { ...bob, TVDC_PASSWORD: 'nope' } }),
      tvdc(['labels', 'assign', 'fin', 'ma'], { env: bob }),
      tvdc(['policy', 'set', 'fin', bad], { env: dcEnv }),
      tvdc(['groups', 'list'], { env: { ...dcEnv, TVDC_SERVER: 'http://127.0.0.1:1' } }),
    ]);
    expect(forbidden.code).to.equal(1);
    expect(forbidden.err).to.match(/^tvdc: FORBIDDEN: bob is a tvdcadmin/);
    expect(wrongPw.code).to.equal(1);
    expect(wrongPw.err).to.include('tvdc: UNAUTHORIZED:');
    expect(usage.code).to.equal(2);
    expect(usage.err).to.include('usage: tvdc labels assign GROUP VM LABEL');
    expect(set.code).to.equal(1);
    expect(set.err).to.match(/tvdc: BAD_REQUEST: the policy has \d+ errors?:\n.*bad\.xml:\d+:\d+: /);
    expect(down.code).to.equal(1);
    expect(down.err).to.include('tvdc: SERVER_UNREACHABLE:');
  });

  it('tvdc server stops cleanly on SIGTERM (exit 0)', async () => {
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
