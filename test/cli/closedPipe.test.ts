// The programs when their reader goes away first (`tvdc ... | head`): the command-line tools end
// quietly, with no stack trace, and the host agent keeps serving.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `program args` with its stdout (and `closeStderr`: stderr) read by nobody from the start. */
function withClosedOutput(program: string, args: string[], closeStderr: boolean): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'client', 'cli', program), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy();
  let stderr = '';
  if (closeStderr) child.stderr!.destroy();
  else child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('cli: output to a closed pipe', function () {
  this.timeout(60_000);

  it('tvdc, tvdc-mof and tvdc-cim end quietly: no EPIPE, no stack trace, their own exit code', async () => {
    const runs = [
      withClosedOutput('tvdc.ts', ['--help'], false),
      withClosedOutput('tvdc-mof.ts', ['show', 'TVDc_ComputerSystem'], false),
      withClosedOutput('tvdc-cim.ts', ['--help'], true),
    ];
    const [tvdc, mof, cim] = await Promise.all(runs.map((r) => r.done));
    for (const r of [tvdc!, mof!]) {
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
    }
    // tvdc-cim's usage goes to stderr, closed too: still the 0 of a --help read to the end.
    expect(cim!.code).to.equal(0);
  });

  it('tvdc-host keeps serving when nobody reads its stdout and stderr', async () => {
    const port = await freePort();
    const { child, done } = withClosedOutput('tvdc-host.ts', ['--name', 'pipes', '--port', String(port), '--vtpm', 'off'], true);
    let exited = false;
    void done.then(() => { exited = true; });
    try {
      const answer = async (): Promise<number | null> => {
        try {
          return (await fetch(`http://127.0.0.1:${port}/cimom`)).status;
        } catch {
          return null;
        }
      };
      let status: number | null = null;
      for (let i = 0; i < 200 && status === null && !exited; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await answer();
      }
      expect(status, 'the host answered').to.not.equal(null);
      // It has written its startup lines to the closed pipes by now; it still answers.
      await new Promise((r) => setTimeout(r, 500));
      expect(exited).to.equal(false);
      expect(await answer()).to.equal(status);
    } finally {
      child.kill('SIGTERM');
      await done;
    }
  });
});
