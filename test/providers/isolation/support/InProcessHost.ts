// A host agent in this process, wired exactly as tvdc-host wires one (project schema, SQLite store,
// providers/index.ts), listening on 127.0.0.1 port 0; every indication it emits is recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CimInstance } from '../../../../src/cim/CimInstance.js';
import { CimRepository } from '../../../../src/cim/CimRepository.js';
import { compileMof, projectMofFiles } from '../../../../src/mof/index.js';
import { openStore, type Db } from '../../../../src/store/Store.js';
import { WbemServer } from '../../../../src/wbem/WbemServer.js';
import { registerProviders } from '../../../../providers/index.js';

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

/** The project schema, compiled for each host as tvdc-host does. */
function repository(): CimRepository {
  const repo = new CimRepository();
  const r = compileMof({ files: projectMofFiles(), repository: repo });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.toString()).join('\n'));
  return repo;
}

export async function startInProcessHost(name: string): Promise<InProcessHost> {
  const dir = mkdtempSync(join(tmpdir(), `tvdc-iso-${name}-`));
  const store: Db = openStore(join(dir, 'host.db'));
  const server = new WbemServer({ repository: repository(), store, name, log: () => {} });
  const indications: CimInstance[] = [];
  server.attachIndications({ emit: (_ns, i) => void indications.push(i), close: async () => {} });
  const release = await registerProviders(server, { name, stateDir: dir, hypervisor: 'sim', vtpm: 'off', store });
  const { http } = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    name,
    origin: http!,
    port: Number(new URL(http!).port),
    server,
    indications,
    stop: async () => {
      await server.close();
      await release();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
