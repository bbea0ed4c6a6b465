// A tvdc host agent in this process wired as tvdc-host wires one (project schema, SQLite store,
// providers, and the real indication service, so subscriptions deliver), on loopback port 0;
// optionally demanding HTTP Basic credentials (tvdc-host --users) and serving HTTPS too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimRepository } from '../../../src/cim/CimRepository.js';
import { compileMof, projectMofFiles } from '../../../src/mof/index.js';
import { openStore } from '../../../src/store/Store.js';
import { attachIndications } from '../../../src/wbem/indications/index.js';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { WbemServer } from '../../../src/wbem/WbemServer.js';
import { registerProviders } from '../../../providers/index.js';

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
}

export async function startTestHost(name: string, options: TestHostOptions = {}): Promise<TestHost> {
  const dir = mkdtempSync(join(tmpdir(), `tvdc-testhost-${name}-`));
  let users: UserDirectory | null = null;
  if (options.login) {
    const usersFile = join(dir, 'users.json');
    await UserDirectory.addUserToFile(usersFile, options.login.user, 'write', options.login.password);
    users = UserDirectory.load(usersFile);
  }
  const repository = new CimRepository();
  const r = compileMof({ files: projectMofFiles(), repository });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.toString()).join('\n'));
  const store = openStore(join(dir, 'host.db'));
  const server = new WbemServer({ repository, store, name, users, log: () => {} });
  attachIndications(server);
  const release = await registerProviders(server, { name, stateDir: dir, hypervisor: 'sim', vtpm: 'off', store });
  const { http, https } = await server.listen({ port: 0, host: '127.0.0.1', ...(options.tls ? { httpsPort: 0, cert: options.tls.cert, key: options.tls.key } : {}) });
  let stopped = false;
  return {
    name,
    origin: http!,
    ...(https ? { httpsOrigin: https } : {}),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      await release();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
