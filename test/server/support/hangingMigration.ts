// A TVDc whose migrations hang: hosts a and b, the server reaching b (and so the source host
// reaching it too) through a relay that holds every AcceptMigration, a management server with a
// short migration timeout, and VM mv labeled and running on a. What the API and the console do
// when a migration's outcome cannot be known.
import { join } from 'node:path';
import type { ApiClient } from '../../../client/cli/ApiClient.js';
import { ManagementServer, serverModules } from '../../../client/server/ManagementServer.js';
import { Relay } from '../../support/Relay.js';
import { client, defineVm, paperTvdc, tempDir, tvdcConnection } from './serverHarness.js';
import { startTestHost, type TestHost } from './testHost.js';

export interface HangingMigration {
  a: TestHost;
  b: TestHost;
  relay: Relay;
  server: ManagementServer;
  url: string;
  /** The dcadmin `dc` (password `dc-password`). */
  dc: ApiClient;
  stop(): Promise<void>;
}

export async function startHangingMigration(options: { migrationTimeoutMs: number; log?: (line: string) => void }): Promise<HangingMigration> {
  const tmp = tempDir('tvdc-migration-hang-');
  const [a, b] = await Promise.all([startTestHost('a'), startTestHost('b')]);
  const relay = await new Relay(b.origin, { holdAcceptMigration: true }).start();
  const ca = tvdcConnection(a.origin);
  await defineVm(ca, 'a', 'mv');
  await ca.close();
  const server = ManagementServer.open({ db: join(tmp.dir, 'server.db'), modules: serverModules({ vms: { migrationTimeoutMs: options.migrationTimeoutMs } }), log: options.log ?? (() => {}) });
  const url = (await server.listen({ port: 0 })).http!;
  await server.users.add('dc', 'dcadmin', 'dc-password');
  const dc = client(url, 'dc', 'dc-password');
  await dc.post('/api/hosts', { url: a.origin });
  await dc.post('/api/hosts', { url: relay.origin });
  await paperTvdc(dc, 'g', ['a', 'b']);
  await dc.put('/api/groups/g/vms/mv/label', { label: 'MarketAnalysis' });
  await dc.post('/api/groups/g/vms/mv/start', {});
  return {
    a, b, relay, server, url, dc,
    stop: async () => {
      // Resetting the held request lets the source take its VM back before it stops.
      await relay.stop();
      await server.stop();
      await Promise.all([a.stop(), b.stop()]);
      tmp.remove();
    },
  };
}
