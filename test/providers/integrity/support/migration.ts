// What a management server does before it moves a VM with a vTPM: reads both hosts'
// MigrationPublicKey over CIM and names each to the other (PrepareVTPMMigrationOut on the source,
// PrepareVTPMMigrationIn on the destination).
import { CimObjectPath } from '../../../../src/cim/CimObjectPath.js';
import type { WbemConnection } from '../../../../client/cim/index.js';
import { vmPath } from './attest.js';

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

export interface HostEnd {
  conn: WbemConnection;
  host: string;
}

/** Authorises moving `vm` from `src` to `dst`: each host learns the other's migration key. */
export async function prepareMigration(src: HostEnd, dst: HostEnd, vm: string): Promise<void> {
  const [srcKey, dstKey] = await Promise.all([migrationKey(src.conn, src.host), migrationKey(dst.conn, dst.host)]);
  const out = await src.conn.invokeMethod(vtpmServicePath(src.host), 'PrepareVTPMMigrationOut', { System: vmPath(vm), DestinationMigrationKey: dstKey });
  if (Number(out.returnValue) !== 0) throw new Error(`PrepareVTPMMigrationOut returned ${String(out.returnValue)}: ${String(out.outParams.get('Reason')?.value)}`);
  const inn = await dst.conn.invokeMethod(vtpmServicePath(dst.host), 'PrepareVTPMMigrationIn', { Name: vm, SourceMigrationKey: srcKey });
  if (Number(inn.returnValue) !== 0) throw new Error(`PrepareVTPMMigrationIn returned ${String(inn.returnValue)}: ${String(inn.outParams.get('Reason')?.value)}`);
}
