// Starts a real tvdc-host process on a free loopback port with extra MOF, and stops it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface HostProcess {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  stop(): Promise<void>;
}

export function startHost(args: { name?: string; mof?: string[]; extra?: string[] } = {}): Promise<HostProcess> {
  const argv = ['--import', 'tsx', join(ROOT, 'client', 'cli', 'tvdc-host.ts'), '--name', args.name ?? 'clienttest', '--port', '0', '--host', '127.0.0.1'];
  if (args.mof?.length) argv.push('--mof', ...args.mof);
  argv.push(...(args.extra ?? []));
  const child: ChildProcess = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tvdc-host did not start: ${err}`)); }, 30_000);
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tvdc-host exited with ${code}: ${err}`)); });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const origin = m[1]!.replace(/\/$/, '');
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
