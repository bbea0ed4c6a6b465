// `npm start`: the demo brings up a host agent, prints wbemcli commands with its real port, and
// those commands work as printed; Ctrl-C (SIGINT) stops it and removes its state.
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, methodOutput } from './support/wbemcli.js';

function bash(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', command], { cwd: ROOT, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}

describe('npm start (client/cli/demo.ts)', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let out = '';

  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'client', 'cli', 'demo.ts'), '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
