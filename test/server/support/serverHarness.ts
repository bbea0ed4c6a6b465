// A management server on loopback port 0 over a real SQLite file, API clients for its users, and
// the CIM calls tests make on hosts directly (the paper's VMs exist before anyone labels them).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CimError, CimStatus, WbemConnection } from '../../../client/cim/index.js';
import { ApiClient, ApiClientError } from '../../../client/cli/ApiClient.js';
import { main } from '../../../client/cli/tvdc.js';
import { ManagementServer, serverModules } from '../../../client/server/ManagementServer.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';

export interface RunningServer {
  server: ManagementServer;
  url: string;
  log: string[];
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** With `indications`, the server follows the hosts' violation reports on a listener of its own. */
export async function startServer(db: string, options: { indications?: boolean; keyFile?: string } = {}): Promise<RunningServer> {
  const log: string[] = [];
  const modules = serverModules(options.indications ? { indications: { listenPort: 0 } } : {});
  const server = ManagementServer.open({ db, modules, log: (l) => void log.push(l), ...(options.keyFile ? { keyFile: options.keyFile } : {}) });
  const { http } = await server.listen({ port: 0 });
  return { server, url: http!, log };
}

/** The paper's policy (Market Analysis, Security Underwriting ...) from the shared fixtures. */
export const PAPER_POLICY = join(fileURLToPath(new URL('../../../', import.meta.url)), 'fixtures/policies/paper-ma-su.xml');

/**
 * TVDc `name` of `hosts` with the paper's policy, deployed on them; with `conflictSet`, the
 * paper's Chinese Wall (MA and SU never on one host at a time) first, as version 1.1.
 */
export async function paperTvdc(dc: ApiClient, name: string, hosts: readonly string[], options: { conflictSet?: boolean } = {}): Promise<void> {
  await dc.post('/api/groups', { name });
  await dc.post(`/api/groups/${name}/hosts`, { hosts });
  await dc.put(`/api/groups/${name}/policy`, { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
  if (options.conflictSet) await dc.post(`/api/groups/${name}/conflicts`, { name: 'MA-SU', types: ['MA', 'SU'] });
  expect((await dc.post<{ ok: boolean }>(`/api/groups/${name}/policy/deploy`)).ok).to.equal(true);
}

export function client(url: string, user: string, password: string): ApiClient {
  return new ApiClient(url, user, password);
}

export interface TvdcRun {
  code: number;
  out: string;
  err: string;
}

/** `tvdc ARGS` in this process, as given: exit code and output. */
export async function runMain(args: readonly string[]): Promise<TvdcRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * `tvdc ARGS` in this process against the server at `url` as `user`: exit code and output. main
 * closes every API client of the process when it is done, so callers make theirs again after it.
 */
export function runTvdc(url: string, user: string, password: string, ...args: string[]): Promise<TvdcRun> {
  return runMain([...args, '--server', url, '--user', user, '--password', password]);
}

/** Awaits `p` and checks it failed with this status and code; returns the message. */
export async function refused(p: Promise<unknown>, status: number, code: string): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(ApiClientError);
    const err = e as ApiClientError;
    expect({ status: err.status, code: err.code }, err.message).to.deep.equal({ status, code });
    return err.message;
  }
  expect.fail(`expected ${status} ${code}, but the call succeeded`);
}

export function tvdcConnection(origin: string): WbemConnection {
  return new WbemConnection(origin, { namespace: 'root/tvdc' });
}

export function service(host: string, cls: string, name: string): CimObjectPath {
  return CimObjectPath.instance(cls, { SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: cls, Name: name }, 'root/tvdc');
}

export function vm(name: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: name }, 'root/tvdc');
}

/** DefineSystem of an unlabeled VM on the host. */
export async function defineVm(conn: WbemConnection, host: string, name: string): Promise<void> {
  const settings = new CimInstance('TVDc_VirtualSystemSettingData');
  settings.properties.set('ElementName', new CimProperty('ElementName', 'string', name));
  const r = await conn.invokeMethod(service(host, 'TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService'), 'DefineSystem', { SystemSettings: settings });
  expect(Number(r.returnValue)).to.equal(0);
}

/** RequestStateChange; returns the return code and Reason. */
export async function requestState(conn: WbemConnection, name: string, state: number): Promise<{ code: number; reason: string }> {
  const r = await conn.invokeMethod(vm(name), 'RequestStateChange', { RequestedState: { type: 'uint16', value: state } });
  return { code: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? '') };
}

/** EnabledState of the VM on the host (2 running, 3 stopped), or null when the host has no such VM. */
export async function stateOn(conn: WbemConnection, name: string): Promise<number | null> {
  try {
    return Number((await conn.getInstance(vm(name))).get('EnabledState'));
  } catch (e) {
    if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return null;
    throw e;
  }
}

/** The EK certificate of the VM's vTPM on the host, or undefined when the host has none for it. */
export async function ekOf(h: { conn: WbemConnection }, name: string): Promise<string | undefined> {
  for await (const i of h.conn.enumerateInstances('TVDc_VTPM')) if (i.get('SystemName') === name) return String(i.get('EKCertificate'));
  return undefined;
}

/** The VM's SecurityLabel as the host reports it. */
export async function hostLabel(conn: WbemConnection, name: string): Promise<string | null> {
  const i = await conn.getInstance(CimObjectPath.instance('TVDc_VirtualSystemSettingData', { InstanceID: `TVDc:${name}` }, 'root/tvdc'));
  const v = i.get('SecurityLabel');
  return v === null || v === undefined ? null : String(v);
}

/** The host's active policy, `name version`. */
export async function activePolicy(conn: WbemConnection): Promise<string | null> {
  const all = await conn.enumerateInstances('TVDc_SecurityPolicy').toArray();
  const a = all.find((p) => Number(p.get('Enabled')) === 1);
  return a ? `${String(a.get('PolicyGroupName'))} ${String(a.get('PolicyVersion'))}` : null;
}

/** CreateInstance of a disk exported by the host's management VM. */
export async function createDisk(conn: WbemConnection, host: string, name: string): Promise<void> {
  const disk = new CimInstance('TVDc_LogicalDisk');
  for (const [k, v] of Object.entries({ SystemCreationClassName: 'TVDc_HostSystem', SystemName: host, CreationClassName: 'TVDc_LogicalDisk', DeviceID: name })) {
    disk.properties.set(k, new CimProperty(k, 'string', v));
  }
  await conn.createInstance(disk);
}

/** CreateInstance of an 802.1Q network segment. */
export async function createSegment(conn: WbemConnection, name: string, vlan: number): Promise<void> {
  const seg = new CimInstance('TVDc_NetworkSegment');
  seg.properties.set('InstanceID', new CimProperty('InstanceID', 'string', `TVDc:segment:${name}`));
  seg.properties.set('VLANId', new CimProperty('VLANId', 'uint16', vlan));
  await conn.createInstance(seg);
}

/** The label of a disk or segment as the host reports it (its TVDc_ElementSecurityLabel), e.g. `TVDc:tvdc-paper:resource:MarketAnalysis`. */
export async function resourceLabel(conn: WbemConnection, element: CimObjectPath): Promise<string | null> {
  const links = await conn.references(element, { resultClass: 'TVDc_ElementSecurityLabel' }).toArray();
  const level = links[0] ? (links[0] as CimInstance).get('SecurityLevel') : null;
  return level instanceof CimObjectPath ? String(level.key('InstanceID')) : null;
}

/** Polls `check` until it returns something (or `ms` pass, then fails). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) expect.fail(`nothing after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
