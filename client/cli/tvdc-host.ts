#!/usr/bin/env node
// tvdc-host: the host agent. A WBEM server with the project's schema in root/tvdc and
// root/interop, any extra MOF models (root/cimv2 unless they say otherwise), the TVDc providers
// and DSP1054 indications; state in SQLite under --state. Also manages the users file.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserDirectory, UserFileError, isRole, userNameProblem } from '../../src/wbem/UserDirectory.js';
import { WbemServerError } from '../../src/wbem/WbemServer.js';
import { StoreError } from '../../src/store/Store.js';
import { swtpmInstalled } from '../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostAgent, HostAgentError } from '../host/HostAgent.js';
import { onClosedPipe } from './closedPipe.js';
import { UsageError } from './commandKit.js';
import { loginLimits } from './loginLimits.js';

const USAGE = `usage: tvdc-host --name NAME [--port 5988] [--host 127.0.0.1] [--https-port 5989 --cert F --key F]
                 [--state DIR] [--hypervisor sim] [--vtpm swtpm|off] [--users FILE] [--mof FILE...]
                 [--login-failures 1-1000] [--login-block 1-86400] [--manager-key FILE]
       tvdc-host --add-user NAME --role read|write|admin --users FILE   (password read from stdin)`;

// One bad-command-line error for every program here (loginLimits throws it for both).
export { UsageError };

interface HostOptions {
  name: string;
  port: number | undefined;
  host: string;
  httpsPort: number | undefined;
  cert: string | undefined;
  key: string | undefined;
  state: string | null;
  hypervisor: string;
  /** Undefined: decided at start, swtpm when it is installed. */
  vtpm: 'swtpm' | 'off' | undefined;
  users: string | undefined;
  mof: string[];
  /** `--manager-key`: the PEM file of the management server whose migration authorizations count. */
  managerKey: string | undefined;
  addUser: string | undefined;
  role: string | undefined;
  /** `--login-failures`, `--login-block`: only the limits given, the others keep their defaults. */
  loginThrottle: ReturnType<typeof loginLimits>;
}

function port(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`${flag} needs a port number 0-65535, not "${v}"`);
  return n;
}

export function parseHostArgs(argv: readonly string[]): HostOptions {
  const o: HostOptions = {
    name: '', port: undefined, host: '127.0.0.1', httpsPort: undefined, cert: undefined, key: undefined, state: null,
    hypervisor: 'sim', vtpm: undefined, users: undefined, mof: [], managerKey: undefined, addUser: undefined, role: undefined, loginThrottle: {},
  };
  let loginFailures: string | undefined;
  let loginBlock: string | undefined;
  let sawPort = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--name': o.name = value(); break;
      case '--port': o.port = port(flag, value()); sawPort = true; break;
      case '--host': o.host = value(); break;
      case '--https-port': o.httpsPort = port(flag, value()); break;
      case '--cert': o.cert = value(); break;
      case '--key': o.key = value(); break;
      case '--state': o.state = value(); break;
      case '--hypervisor': o.hypervisor = value(); break;
      case '--vtpm': {
        const v = value();
        if (v !== 'swtpm' && v !== 'off') throw new UsageError(`--vtpm is swtpm or off, not "${v}"`);
        o.vtpm = v;
        break;
      }
      case '--users': o.users = value(); break;
      case '--mof':
        o.mof.push(value());
        // --mof takes every following non-option argument too.
        while (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) o.mof.push(argv[++i]!);
        break;
      case '--manager-key': o.managerKey = value(); break;
      case '--login-failures': loginFailures = value(); break;
      case '--login-block': loginBlock = value(); break;
      case '--add-user': o.addUser = value(); break;
      case '--role': o.role = value(); break;
      case '--help': case '-h': throw new UsageError('');
      default: throw new UsageError(`unknown option "${arg}"`);
    }
  }
  o.loginThrottle = loginLimits(loginFailures, loginBlock);
  if (o.addUser !== undefined) {
    if (!o.role || !isRole(o.role)) throw new UsageError('--add-user needs --role read, write or admin');
    if (!o.users) throw new UsageError('--add-user needs --users FILE');
    const bad = userNameProblem(o.addUser);
    if (bad) throw new UsageError(`--add-user: ${bad.message}`);
    return o;
  }
  if (!o.name) throw new UsageError('--name NAME is required');
  if (o.hypervisor !== 'sim') throw new UsageError(`--hypervisor "${o.hypervisor}" is not available; this build has: sim`);
  if ((o.cert || o.key || o.httpsPort !== undefined) && !(o.cert && o.key && o.httpsPort !== undefined)) {
    throw new UsageError('HTTPS needs all of --https-port, --cert and --key');
  }
  if (!sawPort && o.httpsPort === undefined) o.port = 5988;
  return o;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function addUser(o: HostOptions): Promise<void> {
  if (process.stdin.isTTY) process.stderr.write(`password for ${o.addUser}: `);
  const password = await readStdin();
  if (password.length < 1) throw new UsageError('an empty password is not accepted');
  await UserDirectory.addUserToFile(o.users!, o.addUser!, o.role as 'read' | 'write' | 'admin', password);
  process.stdout.write(`user ${o.addUser} (${o.role}) written to ${o.users}\n`);
}

/**
 * `--vtpm`, or when it is not given: swtpm when installed (every VM of a TVDc host gets a vTPM),
 * else off with a notice, so a machine without swtpm still runs the isolation side.
 */
function vtpmMode(o: HostOptions): 'swtpm' | 'off' {
  if (o.vtpm === 'off') return 'off';
  if (swtpmInstalled()) return 'swtpm';
  if (o.vtpm === 'swtpm') throw new Error('--vtpm swtpm needs the swtpm program (Debian: swtpm swtpm-tools), which does not run here');
  process.stderr.write('tvdc-host: swtpm is not installed (Debian: swtpm swtpm-tools): VMs run without vTPMs; --vtpm off says so and silences this\n');
  return 'off';
}

/** The text of --manager-key's file; its key is checked when the agent opens. */
function readManagerKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read --manager-key ${file}: ${(e as Error).message} (write the management server's key there with: tvdc server manager-key --db FILE > ${file})`);
  }
}

async function runHost(o: HostOptions): Promise<void> {
  // Everything the host writes is its own: disk images, host.db, vTPM state. Modes are set
  // explicitly where the project creates files; the umask covers what others create for it
  // (SQLite's journal files, swtpm's state, VM images) and any file added later.
  process.umask(0o077);
  const vtpm = vtpmMode(o);
  const users = o.users ? UserDirectory.load(o.users) : null;
  const managerKey = o.managerKey === undefined ? null : readManagerKey(o.managerKey);
  let agent: HostAgent;
  try {
    agent = await HostAgent.open({ name: o.name, stateDir: o.state, hypervisor: o.hypervisor, vtpm, users, mof: o.mof, managerKey });
  } catch (e) {
    if (!(e instanceof HostAgentError)) throw e;
    for (const line of e.details) process.stderr.write(`${line}\n`);
    process.exit(1);
  }
  agent.server.limitLogins(o.loginThrottle);
  for (const s of agent.server.restored.skipped) process.stderr.write(`tvdc-host: stored instance not restored: ${s}\n`);
  const urls = await agent.listen({ port: o.port, host: o.host, httpsPort: o.httpsPort, cert: o.cert, key: o.key });
  if (!o.state) process.stderr.write('tvdc-host: no --state given; created instances are kept in memory only\n');
  for (const u of [urls.http, urls.https]) if (u) process.stdout.write(`tvdc-host ${o.name} listening on ${u}\n`);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tvdc-host: ${signal}, shutting down\n`);
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function main(): Promise<void> {
  let o: HostOptions;
  try {
    o = parseHostArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) process.stderr.write(`tvdc-host: ${e.message}\n`);
      process.stderr.write(`${USAGE}\n`);
      process.exit(e.message ? 2 : 0);
    }
    throw e;
  }
  if (o.addUser !== undefined) return addUser(o);
  return runHost(o);
}

// Run only as a program, so tests can import parseHostArgs.
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url) || invoked.replace(/\.js$/, '.ts') === fileURLToPath(import.meta.url).replace(/\.js$/, '.ts')) {
  // The agent serves on when whoever read its output is gone; only that output is lost.
  onClosedPipe(() => {});
  main().catch((e: unknown) => {
    // The users file's, the state directory's and the listener's errors carry a stable code, printed as `tvdc server` prints its own.
    const code = e instanceof UserFileError || e instanceof WbemServerError || e instanceof StoreError ? `${e.code}: ` : '';
    process.stderr.write(`tvdc-host: ${code}${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

