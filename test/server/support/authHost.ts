// A tvdc host agent that demands HTTP Basic credentials (tvdc-host --users), wired as tvdc-host
// wires one, in this process on loopback port 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimRepository } from '../../../src/cim/CimRepository.js';
import { compileMof, projectMofFiles } from '../../../src/mof/index.js';
import { openStore } from '../../../src/store/Store.js';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { WbemServer } from '../../../src/wbem/WbemServer.js';
import { registerProviders } from '../../../providers/index.js';

/** Listens on HTTP and, with `tls`, on HTTPS too (`httpsOrigin`). */
export async function startAuthHost(name: string, user: string, password: string, tls?: { cert: string; key: string }): Promise<{ origin: string; httpsOrigin?: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `tvdc-authhost-${name}-`));
  const usersFile = join(dir, 'users.json');
  await UserDirectory.addUserToFile(usersFile, user, 'write', password);
  const repository = new CimRepository();
  const r = compileMof({ files: projectMofFiles(), repository });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.toString()).join('\n'));
  const store = openStore(join(dir, 'host.db'));
  const server = new WbemServer({ repository, store, name, users: UserDirectory.load(usersFile), log: () => {} });
  const release = await registerProviders(server, { name, stateDir: dir, hypervisor: 'sim', vtpm: 'off', store });
  const { http, https } = await server.listen({ port: 0, host: '127.0.0.1', ...(tls ? { httpsPort: 0, cert: tls.cert, key: tls.key } : {}) });
  return {
    origin: http!,
    ...(https ? { httpsOrigin: https } : {}),
    stop: async () => {
      await server.close();
      await release();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
