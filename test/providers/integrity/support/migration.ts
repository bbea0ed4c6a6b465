// What a management server reads to pin a migrating vTPM's keys: each host's
// TVDc_VTPMManagementService and its MigrationPublicKey (for PrepareVTPMMigrationOut/In).
import { CimObjectPath } from '../../../../src/cim/CimObjectPath.js';
import type { WbemConnection } from '../../../../client/cim/index.js';

export function vtpmServicePath(host: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPMManagementService', {
    CreationClassName: 'TVDc_VTPMManagementService', Name: 'VTPMManagementService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
  }, 'root/tvdc');
}

/** The host's MigrationPublicKey property (PEM). */
export async function migrationKey(conn: WbemConnection, host: string): Promise<string> {
  const v = (await conn.getInstance(vtpmServicePath(host))).get('MigrationPublicKey');
  if (typeof v !== 'string') throw new Error(`host ${host} publishes no MigrationPublicKey: ${String(v)}`);
  return v;
}
