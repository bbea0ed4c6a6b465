// `npm start`: the demo brings up two host agents and the management server, set up through the
// server as in the paper's use cases, and prints wbemcli and tvdc commands with the real ports and
// passwords; those commands work as printed (each tvdc command in a shell with the `export` lines
// printed before it); Ctrl-C (SIGINT) stops it and removes its state.
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, methodOutput } from './support/wbemcli.js';

function bash(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', command], { cwd: ROOT, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}

/** Runs a command line whatever its exit code; the environment is the test's, as a user's shell would have it. */
function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', command], { cwd: ROOT, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

describe('npm start (client/cli/demo.ts)', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let out = '';

  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'client', 'cli', 'demo.ts'), '--port', '0', '--server-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not get ready: ${err}`)), 45_000);
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`demo exited with ${code}: ${err}`)); });
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Press Ctrl-C to stop.')) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve();
        }
      });
    });
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const commandAfter = (comment: string): string => {
    const lines = out.split('\n');
    const i = lines.findIndex((l) => l.startsWith(comment));
    expect(i, `no "${comment}" in:\n${out}`).to.be.greaterThan(-1);
    return lines[i + 1]!;
  };
  /** The command after `comment`, run after every `export` line printed before it (later ones win, as in a shell). */
  const tvdcAfter = async (comment: string) => {
    const lines = out.split('\n');
    const i = lines.findIndex((l) => l.startsWith(comment));
    expect(i, `no "${comment}" in:\n${out}`).to.be.greaterThan(-1);
    const command = lines[i + 1]!;
    expect(command).to.match(/^node --import tsx client\/cli\/tvdc\.ts /);
    // Without the test's own TVDC_* variables: the printed exports alone must be enough.
    const exports = lines.slice(0, i).filter((l) => l.startsWith('export '));
    return shell(['unset TVDC_SERVER TVDC_USER TVDC_PASSWORD TVDC_CACERT', ...exports, command].join('\n'));
  };

  it('prints its real port in the commands', () => {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    expect(Number(port)).to.be.greaterThan(0);
    expect(commandAfter('# Figure 3 case 3')).to.include(`http://127.0.0.1:${port}/root/tvdc:`);
  });

  it('the printed case 3 and case 4 commands give Figure 3\'s answers', async () => {
    const c3 = methodOutput(await bash(commandAfter('# Figure 3 case 3')));
    expect(c3.out['Permitted']).to.equal('FALSE');
    const c4 = methodOutput(await bash(commandAfter('# Figure 3 case 4')));
    expect(c4.out['Permitted']).to.equal('TRUE');
  });

  it('the printed policy update command is refused with the conflicts', async () => {
    const r = methodOutput(await bash(commandAfter('# Policy update 1.1')));
    expect(r.returnValue).to.equal(2);
    expect(r.out['Errors']).to.include("conflict set 'MA-SU'");
  });

  it('the printed integrity commands measure a program into the MA VM\'s vTPM and quote it with a fresh nonce each time', async () => {
    // The suite has swtpm (the integrity tests need it), so the demo runs its VMs with vTPMs.
    expect(out).to.include('Each VM has a vTPM (swtpm).');
    const exec = methodOutput(await bash(commandAfter('# The MA VM runs /bin/sh')));
    expect(exec.returnValue).to.equal(0);
    const index = exec.out['LogIndex'];
    const quote = async () => methodOutput(await bash(commandAfter('# A quote of PCRs 0 and 10')));
    const q1 = await quote();
    expect(q1.returnValue).to.equal(0);
    expect(q1.out['PCRValues']).to.match(/sha256:10:[0-9a-f]{64}/);
    expect(q1.out['LogEntries']).to.include('/bin/sh');
    expect(q1.out['EKCertificate']).to.include('-----BEGIN CERTIFICATE-----').and.not.include('&#13;');
    // The nonce is in the quoted TPMS_ATTEST: two runs of the printed command quote differently.
    const q2 = await quote();
    expect(q2.out['Quote']).to.not.equal(q1.out['Quote']);
    expect(index).to.match(/^\d+$/);
  });

  it('prints the management server, both users with their passwords, and the exports the tvdc commands need', () => {
    const server = /management server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(server, out).to.be.a('string');
    expect(out).to.include(`export TVDC_SERVER=${server}\n`);
    const dc = /dcadmin  Datacenter Administrator  password (\S+)/.exec(out)?.[1];
    const alice = /alice  TVDc Administrator of finance  password (\S+)/.exec(out)?.[1];
    expect(dc).to.match(/^[\w-]{12}$/);
    expect(alice).to.match(/^[\w-]{12}$/).and.not.equal(dc);
    expect(out).to.include(`export TVDC_USER=alice TVDC_PASSWORD=${alice}\n`);
    expect(out).to.include(`export TVDC_USER=dcadmin TVDC_PASSWORD=${dc}\n`);
    expect(/host agent "h2" listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]).to.match(/^\d+$/);
  });

  it('the printed web console shows the TVDc Administrator her TVDc', async () => {
    const consoleUrl = /web console at (http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(out)?.[1];
    expect(consoleUrl, out).to.be.a('string');
    const alice = /alice  TVDc Administrator of finance  password (\S+)/.exec(out)![1]!;
    const page = await fetch(consoleUrl!, { headers: { authorization: `Basic ${Buffer.from(`alice:${alice}`).toString('base64')}` } });
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('finance').and.include('h1').and.include('h2');
    expect((await fetch(consoleUrl!)).status).to.equal(401);
  });

  it('the printed groups show, as the TVDc Administrator, lists both hosts with the policy deployed and every VM with the label set through the server', async () => {
    const r = await tvdcAfter('# Her TVDc: both hosts');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('administrators: alice');
    expect(r.stdout).to.match(/^host h1 .* label SystemManagement\s+policy deployed$/m);
    expect(r.stdout).to.match(/^host h2 .* label SystemManagement\s+policy deployed$/m);
    for (const [vm, label] of [['mgmt', 'SystemManagement'], ['ma', 'MarketAnalysis'], ['su', 'SecurityUnderwriting'], ['ma2', 'MarketAnalysis'], ['su2', 'SecurityUnderwriting']])
      expect(r.stdout).to.match(new RegExp(`^  ${vm}\\s+running\\s+${label}\\s`, 'm'));
    expect(r.stdout).to.match(/^  su-disk\s+disk\s+SecurityUnderwriting$/m);
    // The labels were set through the management server: its log names who set them.
    const log = readFileSync(/log (\S+)\)/.exec(out)![1]!, 'utf8');
    expect(log).to.match(/VM ma2 .*labeled MarketAnalysis by alice/);
    expect(log).to.match(/VM mgmt .*labeled SystemManagement by dcadmin/);
  });

  it('the printed labels list shows the paper\'s labels; the TVDc Administrator\'s labels add is refused with exit 1 and FORBIDDEN', async () => {
    const list = await tvdcAfter('# The labels the Datacenter Administrator made');
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/^SystemManagement \(bootstrap\)\s+vm\s+SystemManagement,MA,SU/m);
    const add = await tvdcAfter('# She may not create labels');
    expect(add.code).to.equal(1);
    expect(add.stderr).to.match(/^tvdc: FORBIDDEN: alice is a tvdcadmin/);
    expect(add.stdout).to.equal('');
    const relabel = await tvdcAfter('# She may assign them, but the host has the last word');
    expect(relabel.code).to.equal(1);
    expect(relabel.stderr).to.match(/^tvdc: HOST_REFUSED: .*su2.*running/);
  });

  it('the printed vms list shows her VMs with host, state and label; the printed audit list shows who labeled them and her refused labels add', async () => {
    const vms = await tvdcAfter('# Her VMs with host, state and label');
    expect(vms.code, vms.stderr).to.equal(0);
    expect(vms.stdout).to.match(/^h2\s+ma2\s+running\s+MarketAnalysis/m);
    const audit = await tvdcAfter('# Who changed what through the server');
    expect(audit.code, audit.stderr).to.equal(0);
    expect(audit.stdout).to.match(/^\d+\s+\S+\s+alice\s+finance\s+label\.assign\s+done\s+TVDc finance: VM ma2 on h2 labeled MarketAnalysis by alice$/m);
    expect(audit.stdout).to.match(/^\d+\s+\S+\s+alice\s+finance\s+POST \/api\/groups\/:group\/labels\s+refused\s+/m);
  });

  it('the printed stop, update and start of the SU VM end in a refused start, which the host reports and the printed violations list shows', async () => {
    const stopSu = methodOutput(await bash(commandAfter('# Stop the SU VM, update again')));
    expect(stopSu.returnValue).to.equal(0);
    const lines = out.split('\n');
    const i = lines.findIndex((l) => l.startsWith('# Stop the SU VM, update again'));
    expect(methodOutput(await bash(lines[i + 2]!)).returnValue).to.equal(0);
    const start = methodOutput(await bash(lines[i + 3]!));
    expect(start.returnValue).to.equal(4);
    expect(start.out['Reason']).to.include('MA-SU');
    // The report travels as a CIM indication: poll for it.
    const refusedStart = /^\d+\s+\S+\s+finance\s+h1\s+start\s+COLLOCATION\s+.*MA-SU/m;
    let v = await tvdcAfter('# The host reports refused operations');
    for (let n = 0; n < 10 && !refusedStart.test(v.stdout); n++) {
      await new Promise((r) => setTimeout(r, 200));
      v = await tvdcAfter('# The host reports refused operations');
    }
    expect(v.code, v.stderr).to.equal(0);
    expect(v.stdout).to.match(refusedStart);
  });

  it('the printed attestation commands: all trusted, then the unknown program makes ma2 unknown, the plan shuts it down, and the events show it', async () => {
    const first = await tvdcAfter('# Attest the TVDc: both hosts and every running VM');
    expect(first.code, first.stderr).to.equal(0);
    const rows = first.stdout.split('\n').filter((l) => /^h[12]\s/.test(l));
    // Both hosts and their running VMs (su was stopped by the test above).
    expect(rows.map((l) => l.split(/\s+/).slice(0, 3).join(' ')).sort()).to.deep.equal([
      'h1 (host) trusted', 'h1 ma trusted', 'h1 mgmt trusted', 'h2 (host) trusted', 'h2 ma2 trusted', 'h2 su2 trusted',
    ]);
    const exec = methodOutput(await bash(commandAfter('# ma2 on h2 runs /tmp/miner')));
    expect(exec.returnValue).to.equal(0);
    const second = await tvdcAfter('# Attest ma2');
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.match(/^h2\s+ma2\s+unknown\s+virtual\s+\d+\s+shutdown:done$/m);
    expect(second.stdout).to.include('ENTRY_UNKNOWN: entry 2: /tmp/miner is not in the reference database');
    const gi = await bash(commandAfter('# ma2 is stopped now'));
    expect(gi).to.match(/EnabledState=3\b/);
    const events = await tvdcAfter('# What happened');
    expect(events.code, events.stderr).to.equal(0);
    expect(events.stdout).to.match(/finance\s+action\s+done\s+plan \d+: shutdown for VM ma2 on host h2/);
    expect(events.stdout).to.match(/finance\s+attestation\s+unknown\s+VM ma2 on host h2: .*\/tmp\/miner/);
    const plans = await tvdcAfter("# The TVDc's action plan");
    expect(plans.stdout).to.match(/^\d+\s+finance\s+untrusted,unknown\s+\*\s+shutdown\s+alice$/m);
  });

  it('the printed dcadmin commands list both hosts of the TVDc and both users', async () => {
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l === '# --- As the Datacenter Administrator ---');
    expect(at).to.be.greaterThan(-1);
    const exports = lines.slice(0, at + 2).filter((l) => l.startsWith('export '));
    const run = (cmd: string) => shell(['unset TVDC_SERVER TVDC_USER TVDC_PASSWORD', ...exports, cmd].join('\n'));
    const hosts = await run(lines[at + 2]!);
    expect(hosts.code, hosts.stderr).to.equal(0);
    expect(hosts.stdout).to.match(/^h1\s+http:\/\/127\.0\.0\.1:\d+\s+finance/m).and.match(/^h2\s+http:\/\/127\.0\.0\.1:\d+\s+finance/m);
    const users = await run(lines[at + 3]!);
    expect(users.stdout).to.match(/^alice\s+tvdcadmin\s+finance$/m).and.match(/^dcadmin\s+dcadmin\s/m);
  });

  it('SIGINT stops it and removes its state directory', async () => {
    const state = /state in (\S+)\)/.exec(out)![1]!;
    expect(existsSync(state)).to.equal(true);
    child.kill('SIGINT');
    // Polled rather than awaited as an event: the child's exit status is all that matters here.
    for (let i = 0; i < 100 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(child.exitCode).to.equal(0);
    expect(existsSync(state)).to.equal(false);
  });
});
