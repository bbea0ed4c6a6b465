// A management server's migration signing key for tests that drive host agents directly: hosts
// started with its public half (--manager-key) let a write user migrate with a statement signed
// here, as the management server signs it (client/server/vmMigration.ts does the same with its own key).
import { generateKeyPairSync } from 'node:crypto';
import type { WbemConnection } from '../../client/cim/index.js';
import { signMigrationAuthorization } from '../../src/tvdc/MigrationAuthorization.js';
import { parseMigrationPublicKey } from '../../src/tvdc/vtpm/MigrationKey.js';

const pair = generateKeyPairSync('ed25519');

/** The key's public half, PEM: what a host's --manager-key file holds. */
export const TEST_MANAGER_KEY = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/**
 * A MigrationAuthorization for `vm` leaving host `source` for the host at `destination` (its
 * origin), binding the migration key that host publishes to `dest` (a connection to it), or none.
 */
export async function migrationAuthorization(vm: string, source: string, destination: string, dest: WbemConnection): Promise<string> {
  let pem: unknown;
  for await (const i of dest.enumerateInstances('TVDc_VTPMManagementService', { propertyList: ['MigrationPublicKey'] })) {
    pem = i.get('MigrationPublicKey');
    break;
  }
  const destinationKey = typeof pem === 'string' && pem.trim() !== '' ? parseMigrationPublicKey(pem, 'MigrationPublicKey').fingerprint : null;
  return signMigrationAuthorization({ vm, source, destination: new URL(destination).origin, destinationKey }, pair.privateKey);
}
