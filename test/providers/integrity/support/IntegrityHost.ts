// A host agent with real swtpm vTPMs, in this process (client/host/HostAgent.ts, as tvdc-host
// builds one, with the real indication pipeline) or as a child tvdc-host process, on 127.0.0.1
// port 0 with its own state directory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSwtpmProcesses, killAndWait } from '../../../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostAgent } from '../../../../client/host/HostAgent.js';
import { WbemConnection } from '../../../../client/cim/index.js';
import { UserDirectory } from '../../../../src/wbem/UserDirectory.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../../../support/TvdcHostProcess.js';

export interface IntegrityHost {
  name: string;
  origin: string;
  port: number;
  state: string;
  /** The host's vTPM CA (anchor for its VMs' EK certificates) and platform CA (for its own TPM). */
  vtpmCaPem(): string;
  platformCaPem(): string;
  /** The root directory of a VM's simulated image. */
  imageRoot(vm: string): string;
  stop(): Promise<void>;
}

function caFiles(state: string): { vtpm: () => string; platform: () => string } {
  return {
    vtpm: () => readFileSync(join(state, 'vtpm', 'ca', 'virtual-ca-cert.pem'), 'utf8'),
    platform: () => readFileSync(join(state, 'host-tpm', 'vtpm', 'ca', 'platform-ca-cert.pem'), 'utf8'),
  };
}

export function newStateDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `tvdc-int-${name}-`));
}

/** Kills any swtpm left under `state` (there should be none) and removes it. */
export async function removeState(state: string): Promise<void> {
  for (const p of findSwtpmProcesses(state)) await killAndWait(p.pid);
  rmSync(state, { recursive: true, force: true });
}

export async function startInProcessHost(name: string, state = newStateDir(name), vtpm: 'swtpm' | 'off' = 'swtpm'): Promise<IntegrityHost> {
  const { agent, urls } = await HostAgent.start({ name, stateDir: state, vtpm, log: () => {} }, { port: 0, host: '127.0.0.1' });
  const ca = caFiles(state);
  return {
    name,
    origin: urls.http!,
    port: Number(new URL(urls.http!).port),
    state,
    vtpmCaPem: ca.vtpm,
    platformCaPem: ca.platform,
    imageRoot: (vm) => join(state, 'vm-images', vm),
    stop: () => agent.stop(),
  };
}

/** A host that demands logins: its users file holds `login` (role write), whom `conn` speaks as. */
export interface LoggedInHost {
  name: string;
  origin: string;
  state: string;
  conn: WbemConnection;
  /** Closes `conn`, stops the agent and removes its state. */
  stop(): Promise<void>;
}

/** `managerKey`: the management server's public key PEM (tvdc-host --manager-key), whose authorizations let `login` migrate VMs. */
export async function startLoggedInHost(name: string, login: { user: string; password: string }, options: { managerKey?: string } = {}): Promise<LoggedInHost> {
  const state = newStateDir(name);
  const file = join(state, 'users.json');
  await UserDirectory.addUserToFile(file, login.user, 'write', login.password);
  const { agent, urls } = await HostAgent.start({
    name, stateDir: state, vtpm: 'swtpm', users: UserDirectory.load(file), log: () => {}, ...(options.managerKey ? { managerKey: options.managerKey } : {}),
  }, { port: 0, host: '127.0.0.1' });
  const conn = new WbemConnection(urls.http!, { namespace: 'root/tvdc', ...login });
  return {
    name, origin: urls.http!, state, conn,
    stop: async () => {
      await conn.close();
      await agent.stop();
      await removeState(state);
    },
  };
}

/** A host in its own tvdc-host process, which a test can also SIGKILL. */
export type HostProcess = IntegrityHost & TvdcHostProcess;

export async function startHostProcess(name: string, state: string): Promise<HostProcess> {
  const host = await spawnTvdcHost(['--name', name, '--port', '0', '--state', state, '--vtpm', 'swtpm']);
  const ca = caFiles(state);
  return {
    ...host,
    name,
    state,
    vtpmCaPem: ca.vtpm,
    platformCaPem: ca.platform,
    imageRoot: (vm) => join(state, 'vm-images', vm),
  };
}
