// A tvdc host agent in this process (client/host/HostAgent.ts, as tvdc-host builds one, with the
// real indication service, so subscriptions deliver) on loopback port 0 with its own state
// directory; optionally demanding HTTP Basic credentials (tvdc-host --users) and serving HTTPS too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { HostAgent } from '../../../client/host/HostAgent.js';

export interface TestHost {
  name: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  httpsOrigin?: string;
  stop(): Promise<void>;
}

export interface TestHostOptions {
  /** A user (role write) the host demands on every request. */
  login?: { user: string; password: string };
  tls?: { cert: string; key: string };
  /** The management server's public key (tvdc-host --manager-key): its authorizations let `login` migrate VMs. */
  managerKey?: string;
}

export async function startTestHost(name: string, options: TestHostOptions = {}): Promise<TestHost> {
  const dir = mkdtempSync(join(tmpdir(), `tvdc-testhost-${name}-`));
  let users: UserDirectory | null = null;
  if (options.login) {
    const usersFile = join(dir, 'users.json');
    await UserDirectory.addUserToFile(usersFile, options.login.user, 'write', options.login.password);
    users = UserDirectory.load(usersFile);
  }
  const { agent, urls } = await HostAgent.start(
    { name, stateDir: dir, vtpm: 'off', users, log: () => {}, ...(options.managerKey ? { managerKey: options.managerKey } : {}) },
    { port: 0, host: '127.0.0.1', ...(options.tls ? { httpsPort: 0, cert: options.tls.cert, key: options.tls.key } : {}) },
  );
  let stopped = false;
  return {
    name,
    origin: urls.http!,
    ...(urls.https ? { httpsOrigin: urls.https } : {}),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
