// The provider registration hook: tvdc-host calls registerProviders once, after the schema is
// loaded and before the server listens. The TVDc domain providers (isolation, integrity) add
// their registrations here; until then the host serves the repository and interop namespaces only.
import type { WbemServer } from '../src/wbem/WbemServer.js';
import type { Db } from '../src/store/Store.js';

/** What a host agent knows about itself when it wires up providers. */
export interface ProviderSetup {
  /** The host's name (`--name`). */
  name: string;
  /** The state directory (`--state`), or null when state is kept in memory only. */
  stateDir: string | null;
  /** The hypervisor driver to use (`--hypervisor`, e.g. `sim`). */
  hypervisor: string;
  /** How vTPMs are provided (`--vtpm`). */
  vtpm: 'swtpm' | 'off';
  /** The host agent's SQLite store (the same one the server uses). */
  store: Db;
}

/** Registers every domain provider with `server`; returns a function that releases what they hold. */
export async function registerProviders(server: WbemServer, setup: ProviderSetup): Promise<() => Promise<void>> {
  void server;
  void setup;
  return async () => {};
}
