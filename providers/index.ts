// The provider registration hook: tvdc-host calls registerProviders once, after the schema is
// loaded and before the server listens. Each TVDc domain (isolation, integrity) registers its
// classes here; classes several domains contribute instances to (the associations TVDc_HostedService,
// TVDc_ServiceAffectsElement, TVDc_SystemDevice, ..., and TVDc_ResourceAllocationSettingData, whose
// disk and NIC allocations are the isolation side's and vTPM ones the integrity side's) are
// collected and served by one provider each.
import type { CimInstance } from '../src/cim/CimInstance.js';
import type { WbemServer } from '../src/wbem/WbemServer.js';
import { iterateResults, type Results } from '../src/wbem/Provider.js';
import type { Db } from '../src/store/Store.js';
import type { KeyObject } from 'node:crypto';
import { registerIsolation } from './isolation/registerIsolation.js';
import { registerIntegrity } from './integrity/registerIntegrity.js';

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
  /** The management server's public key (`--manager-key`): whose migration authorizations count. */
  managerKey?: KeyObject | null;
}

/** Instances by class (mostly association links), from every domain; registered once all domains added theirs. */
export class SharedAssociations {
  private readonly parts = new Map<string, Array<() => Results<CimInstance>>>();

  add(className: string, links: () => Results<CimInstance>): void {
    const list = this.parts.get(className) ?? [];
    list.push(links);
    this.parts.set(className, list);
  }

  registerWith(server: WbemServer, namespace: string): void {
    for (const [className, sources] of this.parts) {
      server.registerProvider(namespace, className, {
        enumerateInstances: async function* () {
          for (const links of sources) yield* iterateResults(links());
        },
      });
    }
  }
}

/** Registers every domain provider with `server`; returns a function that releases what they hold. */
export async function registerProviders(server: WbemServer, setup: ProviderSetup): Promise<() => Promise<void>> {
  const shared = new SharedAssociations();
  const isolation = registerIsolation(server, setup);
  for (const a of isolation.associations) shared.add(a.className, () => a.links());
  // The integrity side follows the isolation side's VMs (vTPMs live and move with them).
  let integrity;
  try {
    integrity = await registerIntegrity(server, setup, isolation.service);
  } catch (e) {
    await isolation.close();
    throw e;
  }
  for (const a of integrity.associations) shared.add(a.className, () => a.links());
  // The migration service (isolation) carries vTPMs through the integrity side's keys.
  const hi = integrity.integrity;
  if (hi) {
    isolation.vtpmMigrationKeys.attach({
      ownPublicKeyPem: () => hi.migrationPublicKeyPem(),
      hasVtpm: (vm) => hi.has(vm),
      useDestinationKeyOnce: (vm, pem) => hi.useDestinationKeyOnce(vm, pem),
      useSourceKeyOnce: (vm, pem) => hi.useSourceKeyOnce(vm, pem),
    });
  }
  shared.registerWith(server, 'root/tvdc');
  return async () => {
    isolation.vtpmMigrationKeys.attach(null);
    await integrity.close();
    await isolation.close();
  };
}
