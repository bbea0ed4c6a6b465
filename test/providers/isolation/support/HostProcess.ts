// A real tvdc-host process on a free loopback port with a state directory, for restart tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './wbemcli.js';

export interface HostProcess {
  origin: string;
  port: number;
  stop(): Promise<void>;
}

export function startHostProcess(name: string, state: string): Promise<HostProcess> {
  const argv = ['--import', 'tsx', join(ROOT, 'client', 'cli', 'tvdc-host.ts'), '--name', name, '--port', '0', '--state', state];
  const child: ChildProcess = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tvdc-host did not start: ${err}`)); }, 30_000);
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tvdc-host exited with ${code}: ${err}`)); });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const origin = m[1]!;
      resolve({
        origin,
        port: Number(new URL(origin).port),
        stop: () => new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        }),
      });
    });
  });
}
