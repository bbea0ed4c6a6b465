// A real tvdc-host child process, run as a user runs it (node with tsx), for the tests that need a
// host in its own process: restarts, SIGKILL recovery, the command line itself, real clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST_SCRIPT = join(ROOT, 'client', 'cli', 'tvdc-host.ts');

/** How long a host may take to print its URL; tsx compiles the whole host on start. */
const START_TIMEOUT_MS = 30_000;
/** How long stop() waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 10_000;

export interface TvdcHostProcess {
  child: ChildProcess;
  /** The URL the host printed, without a trailing slash: `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM (SIGKILL if it lingers), and wait until the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
}

export interface SpawnOptions {
  /** Leave --vtpm out when `args` do not give it, so that tvdc-host's own default applies. */
  defaultVtpm?: boolean;
  /** The host's environment (PATH decides whether it finds swtpm). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts tvdc-host with `args` (its own command line: pass `--port 0` for a free port) and resolves
 * once it prints the URL it listens on. Rejects, with what it wrote to stderr, if it exits first
 * or does not start in time (then it is killed, so no test leaves a stray host behind).
 */
export function spawnTvdcHost(args: readonly string[], options: SpawnOptions = {}): Promise<TvdcHostProcess> {
  // Hosts here run without vTPMs unless a test asks (--vtpm): tvdc-host's own default, swtpm
  // whenever it is installed, would start swtpm processes that most tests never use.
  const vtpm = args.includes('--vtpm') || options.defaultVtpm ? [] : ['--vtpm', 'off'];
  const child = spawn(process.execPath, ['--import', 'tsx', HOST_SCRIPT, ...vtpm, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}),
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  // exitCode alone stays null for a process ended by a signal, so both are checked.
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tvdc-host did not start: ${err}`)); }, START_TIMEOUT_MS);
    const early = (code: number | null) => { clearTimeout(timer); reject(new Error(`tvdc-host exited with ${code}: ${err}`)); };
    child.once('exit', early);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', early);
      const origin = m[1]!.replace(/\/$/, '');
      resolve({
        child,
        origin,
        port: Number(new URL(origin).port),
        stderr: () => err,
        exited,
        stop: async () => {
          if (gone()) return;
          const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(kill);
        },
        kill9: async () => {
          if (!gone()) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
