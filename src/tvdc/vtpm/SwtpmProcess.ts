// One swtpm process serving one TPM 2.0 (or TPM 1.2) over Unix sockets. It runs in its own process group and
// with --terminate, holding our data connection: if the owner dies, even by SIGKILL, the kernel
// closes that connection and swtpm exits, so no swtpm outlives the agent that started it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TvdcError } from '../TvdcError.js';
import { SwtpmControl } from './SwtpmControl.js';
import { SocketTransport } from './TpmTransport.js';
import { Tpm } from './Tpm.js';
import { Tpm12 } from './Tpm12.js';
import { stateFiles, type TpmFamily } from './TpmFamily.js';

/**
 * fresh: a power-on (Startup(CLEAR), PCRs reset). resume: continue the volatile state stored in
 * the state dir (PCRs kept). blank: no TPM initialization, so state blobs can be set first.
 */
/** Whether the swtpm program runs here (`swtpm --version`): vTPMs need it. */
export function swtpmInstalled(swtpmPath = 'swtpm'): boolean {
  return spawnSync(swtpmPath, ['--version'], { stdio: 'ignore' }).status === 0;
}

export type SwtpmStartMode = 'fresh' | 'resume' | 'blank';

export interface SwtpmStartOptions {
  stateDir: string;
  mode: SwtpmStartMode;
  swtpmPath?: string;
  timeoutMs?: number;
  /** The TPM swtpm emulates (default tpm2). */
  family?: TpmFamily;
}

/** Unix socket paths are limited to 107 bytes; long state dirs get a short private socket dir. */
export function socketDirFor(stateDir: string): string {
  if (join(stateDir, 'ctrl.sock').length < 100) return stateDir;
  const dir = join(tmpdir(), `tvdc-vtpm-${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const live = new Set<SwtpmProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Belt and braces beside --terminate: a normal exit kills whatever is still running.
  process.on('exit', () => {
    for (const p of live) p.kill();
  });
}

export class SwtpmProcess {
  /** The TPM 2.0 client; only meaningful when family is tpm2. */
  readonly tpm: Tpm;
  /** The TPM 1.2 client; only meaningful when family is tpm12. */
  readonly tpm12: Tpm12;
  readonly control: SwtpmControl;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly stateDir: string,
    readonly socketDir: string,
    transport: SocketTransport,
    readonly family: TpmFamily,
  ) {
    this.tpm = new Tpm(transport);
    this.tpm12 = new Tpm12(transport);
    this.control = new SwtpmControl({ path: join(socketDir, 'ctrl.sock') });
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
    });
    this.exited.then((code) => {
      this.exitCode = code;
      live.delete(this);
      transport.close();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  static async start(opts: SwtpmStartOptions): Promise<SwtpmProcess> {
    installExitHook();
    const { stateDir, mode } = opts;
    const family = opts.family ?? 'tpm2';
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const sockDir = socketDirFor(stateDir);
    const tpmSock = join(sockDir, 'tpm.sock');
    const ctrlSock = join(sockDir, 'ctrl.sock');
    // Stale sockets from a crashed predecessor would make us talk to nothing.
    rmSync(tpmSock, { force: true });
    rmSync(ctrlSock, { force: true });
    if (mode === 'fresh') rmSync(join(stateDir, stateFiles(family).volatile), { force: true });
    const flags = mode === 'fresh' ? ['--flags', 'not-need-init,startup-clear'] : mode === 'resume' ? ['--flags', 'not-need-init'] : [];
    const args = [
      'socket', ...(family === 'tpm2' ? ['--tpm2'] : []),
      '--tpmstate', `dir=${stateDir},mode=0600`,
      '--server', `type=unixio,path=${tpmSock},mode=0600`,
      '--ctrl', `type=unixio,path=${ctrlSock},mode=0600`,
      '--pid', `file=${join(stateDir, 'swtpm.pid')}`,
      '--log', `file=${join(stateDir, 'swtpm.log')},truncate`,
      '--terminate',
      ...flags,
    ];
    const child = spawn(opts.swtpmPath ?? 'swtpm', args, { detached: true, stdio: 'ignore' });
    child.unref();
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const exitEarly = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    const fail = (why: string): never => {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      const log = existsSync(join(stateDir, 'swtpm.log')) ? readFileSync(join(stateDir, 'swtpm.log'), 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new TvdcError('VTPM_FAILED', `swtpm for ${stateDir} ${why}${log ? `: ${log}` : ''}`);
    };
    let exited = false;
    void exitEarly.then(() => (exited = true));
    let error: Error | undefined;
    void spawnError.then((e) => (error = e));
    // Wait for both sockets, then hold the data connection open for the process's lifetime.
    while (!(existsSync(tpmSock) && existsSync(ctrlSock))) {
      if (error) fail(`could not be started (${error.message})`);
      if (exited) fail('exited during startup');
      if (Date.now() > deadline) fail('did not open its sockets in time');
      await new Promise((r) => setTimeout(r, 5));
    }
    const transport = new SocketTransport({ path: tpmSock });
    const proc = new SwtpmProcess(child, stateDir, sockDir, transport, family);
    live.add(proc);
    // The socket file appears at bind(), a moment before listen(): retry refused connections.
    for (;;) {
      try {
        await transport.connect();
        break;
      } catch (e) {
        if (exited || Date.now() > deadline) fail(`refused the TPM connection (${(e as Error).message})`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    return proc;
  }

  /** Orderly end: swtpm writes its permanent state and exits. Falls back to SIGKILL. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    try {
      await this.control.shutdown();
    } catch {
      /* fall through to kill */
    }
    const t = setTimeout(() => this.kill(), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }

  kill(): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Pids of swtpm processes whose command line names a state dir under `root`. */
export function findSwtpmProcesses(root: string): { pid: number; stateDir: string }[] {
  const out: { pid: number; stateDir: string }[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const p of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0] || !/(^|\/)swtpm$/.test(argv[0])) continue;
    const i = argv.indexOf('--tpmstate');
    const spec = i >= 0 ? argv[i + 1] ?? '' : '';
    const m = /(?:^|,)dir=([^,]+)/.exec(spec);
    if (m && (m[1] === root || m[1]!.startsWith(root.endsWith('/') ? root : root + '/'))) out.push({ pid: Number(p), stateDir: m[1]! });
  }
  return out;
}

/** Kills a pid and waits (bounded) until it is gone. */
export async function killAndWait(pid: number, timeoutMs = 3000): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    // A zombie (not yet reaped by its parent) counts as gone: it holds no sockets or locks.
    try {
      if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
