// A host agent in this process (client/host/HostAgent.ts, as tvdc-host builds one), listening on
// 127.0.0.1 port 0 with its own state directory; every indication it emits is recorded instead
// of delivered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CimInstance } from '../../../../src/cim/CimInstance.js';
import type { WbemServer } from '../../../../src/wbem/WbemServer.js';
import { HostAgent } from '../../../../client/host/HostAgent.js';

export interface InProcessHost {
  name: string;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  server: WbemServer;
  /** Indications the host emitted, oldest first. */
  indications: CimInstance[];
  stop(): Promise<void>;
}

export async function startInProcessHost(name: string): Promise<InProcessHost> {
  const dir = mkdtempSync(join(tmpdir(), `tvdc-iso-${name}-`));
  const indications: CimInstance[] = [];
  const { agent, urls } = await HostAgent.start({
    name, stateDir: dir, vtpm: 'off', log: () => {},
    indications: { sink: { emit: (_ns, i) => void indications.push(i), close: async () => {} } },
  }, { port: 0, host: '127.0.0.1' });
  return {
    name,
    origin: urls.http!,
    port: Number(new URL(urls.http!).port),
    server: agent.server,
    indications,
    stop: async () => {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
