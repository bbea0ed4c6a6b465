// Who may send a VM (and its vTPM) where: the exfiltration, a write user naming a host of its
// own as DestinationHost, is refused on a host without --manager-key and on one with it unless the
// call brings the management server's MigrationAuthorization for that VM, this source, that
// destination origin and that destination's migration key; a forged, expired, replayed (also after
// a restart: the ids are in host.db), other-VM or other-destination statement is refused; an admin
// migrates as before. Real host agents with users files, real swtpm, SQLite and CIM over loopback
// HTTP; the management server's key is an Ed25519 pair made here (the server's own flow is tested
// in test/server/vmsMigrateAuthorization.test.ts).
import { expect } from 'chai';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CimError, CimStatus, WbemConnection, waitForJob } from '../../../client/cim/index.js';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { signMigrationAuthorization } from '../../../src/tvdc/MigrationAuthorization.js';
import { parseMigrationPublicKey } from '../../../src/tvdc/vtpm/MigrationKey.js';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { POLICY_1_0 } from '../isolation/support/wbemcli.js';
import { migrationKey } from './support/migration.js';
import { newStateDir, removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

const OP = { user: 'op', password: 'op-password' };
const ROOT = { user: 'root', password: 'root-password' };

const service = (host: string, cls: string, name: string) => CimObjectPath.instance(cls, {
  CreationClassName: cls, Name: name, SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
}, 'root/tvdc');
const vmPath = (name: string) => CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: name }, 'root/tvdc');
const migrationService = (host: string) => service(host, 'TVDc_VirtualSystemMigrationService', 'VirtualSystemMigrationService');

function ed25519(): { publicPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

/** A host agent with a users file (op: write, root: admin), kept in `state` across restarts. */
class Source {
  agent!: HostAgent;
  origin!: string;
  readonly conns: WbemConnection[] = [];
  constructor(readonly name: string, readonly state: string, readonly managerKey: string | null) {}

  async start(): Promise<void> {
    const file = join(this.state, 'users.json');
    const users = UserDirectory.load(file);
    const { agent, urls } = await HostAgent.start({ name: this.name, stateDir: this.state, vtpm: 'swtpm', users, log: () => {}, managerKey: this.managerKey }, { port: 0, host: '127.0.0.1' });
    this.agent = agent;
    this.origin = urls.http!;
  }

  as(login: { user: string; password: string }): WbemConnection {
    const c = new WbemConnection(this.origin, { namespace: 'root/tvdc', ...login, retries: 0 });
    this.conns.push(c);
    return c;
  }

  async stop(): Promise<void> {
    await Promise.all(this.conns.splice(0).map((c) => c.close()));
    await this.agent?.stop();
  }
}

async function newSource(name: string, managerKey: string | null): Promise<Source> {
  const state = newStateDir(name);
  const file = join(state, 'users.json');
  await UserDirectory.addUserToFile(file, OP.user, 'write', OP.password);
  await UserDirectory.addUserToFile(file, ROOT.user, 'admin', ROOT.password);
  const s = new Source(name, state, managerKey);
  await s.start();
  return s;
}

async function setPolicy(conn: WbemConnection, host: string): Promise<void> {
  const r = await conn.invokeMethod(service(host, 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: readFileSync(POLICY_1_0, 'utf8') });
  expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);
}

async function runVm(conn: WbemConnection, host: string, name: string): Promise<void> {
  const settings = new CimInstance('TVDc_VirtualSystemSettingData');
  settings.properties.set('ElementName', new CimProperty('ElementName', 'string', name));
  settings.properties.set('SecurityLabel', new CimProperty('SecurityLabel', 'string', 'MarketAnalysis'));
  const d = await conn.invokeMethod(service(host, 'TVDc_VirtualSystemManagementService', 'VirtualSystemManagementService'), 'DefineSystem', { SystemSettings: settings });
  expect(Number(d.returnValue), String(d.outParams.get('Reason')?.value)).to.equal(0);
  expect(Number((await conn.invokeMethod(vmPath(name), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } })).returnValue)).to.equal(0);
}

async function ekOf(conn: WbemConnection, vm: string): Promise<string | undefined> {
  for await (const i of conn.enumerateInstances('TVDc_VTPM')) if (i.get('SystemName') === vm) return String(i.get('EKCertificate'));
  return undefined;
}

/** MigrateVirtualSystemToHost; the CIM error it was refused with, or the job's end. */
async function migrate(conn: WbemConnection, host: string, vm: string, destination: string, authorization?: string): Promise<{ denied: string } | { jobState: number; error: string }> {
  let r;
  try {
    r = await conn.invokeMethod(migrationService(host), 'MigrateVirtualSystemToHost', {
      ComputerSystem: vmPath(vm), DestinationHost: destination, ...(authorization !== undefined ? { MigrationAuthorization: authorization } : {}),
    });
  } catch (e) {
    expect(e).to.be.instanceOf(CimError);
    expect((e as CimError).status, (e as CimError).description).to.equal(CimStatus.CIM_ERR_ACCESS_DENIED);
    return { denied: (e as CimError).description };
  }
  expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(4096);
  const job = await waitForJob(conn, r.outParams.get('Job')!.value as CimObjectPath, { timeoutMs: 30_000 });
  return { jobState: Number(job.get('JobState')), error: String(job.get('ErrorDescription') ?? '') };
}

describe('migration authority: a write user moves a VM only where the management server says (real swtpm)', function () {
  this.timeout(120_000);
  const manager = ed25519();
  let src: Source;
  let bare: Source;
  let dst: IntegrityHost;
  let evil: IntegrityHost;
  let dstConn: WbemConnection;
  let evilConn: WbemConnection;
  let dstKey: string;
  let evilKey: string;
  /** A statement as the management server signs it, for `vm` on `src` to `dst` unless told otherwise. */
  const authorize = (vm: string, over: { destination?: string; destinationKey?: string | null; source?: string; key?: KeyObject; now?: number } = {}) =>
    signMigrationAuthorization({ vm, source: over.source ?? 'src', destination: over.destination ?? dst.origin, destinationKey: over.destinationKey === undefined ? dstKey : over.destinationKey }, over.key ?? manager.privateKey, over.now !== undefined ? { now: over.now } : {});

  before(async () => {
    [src, bare, dst, evil] = await Promise.all([newSource('src', manager.publicPem), newSource('bare', null), startInProcessHost('dst'), startInProcessHost('evil')]);
    dstConn = new WbemConnection(dst.origin, { namespace: 'root/tvdc' });
    evilConn = new WbemConnection(evil.origin, { namespace: 'root/tvdc' });
    await Promise.all([setPolicy(src.as(OP), 'src'), setPolicy(bare.as(OP), 'bare'), setPolicy(dstConn, 'dst'), setPolicy(evilConn, 'evil')]);
    for (const vm of ['v1', 'v2', 'v3']) await runVm(src.as(OP), 'src', vm);
    await runVm(bare.as(OP), 'bare', 'b1');
    dstKey = parseMigrationPublicKey(await migrationKey(dstConn, 'dst'), 'dst').fingerprint;
    evilKey = parseMigrationPublicKey(await migrationKey(evilConn, 'evil'), 'evil').fingerprint;
  });
  after(async () => {
    await dstConn?.close();
    await evilConn?.close();
    for (const h of [src, bare]) {
      await h?.stop();
      if (h) await removeState(h.state);
    }
    for (const h of [dst, evil]) {
      await h?.stop();
      if (h) await removeState(h.state);
    }
  });

  /** The VM still runs on the source with its EK, and the attacker's host has nothing of it. */
  async function stayed(conn: WbemConnection, vm: string, ek: string | undefined): Promise<void> {
    expect(ek).to.be.a('string').and.not.equal('');
    expect(await ekOf(conn, vm)).to.equal(ek);
    expect(Number((await conn.getInstance(vmPath(vm))).get('EnabledState'))).to.equal(2);
    expect(await ekOf(evilConn, vm)).to.equal(undefined);
    expect((await evilConn.enumerateInstanceNames('TVDc_ComputerSystem').toArray()).map((p) => p.key('Name'))).to.not.include(vm);
  }

  it('a write user sending a VM to a host of its own, on a host without --manager-key: a write user may not migrate at all, and the answer names the option', async () => {
    const op = bare.as(OP);
    const ek = await ekOf(op, 'b1');
    const r = await migrate(op, 'bare', 'b1', evil.origin);
    expect(r).to.have.property('denied').that.matches(/^this host has no --manager-key: op \(write\) may not migrate VMs from host 'bare'/);
    expect((r as { denied: string }).denied).to.include('--manager-key FILE');
    // Nor with a statement: this host trusts no management server.
    const r2 = await migrate(op, 'bare', 'b1', evil.origin, authorize('b1', { source: 'bare', destination: evil.origin, destinationKey: evilKey }));
    expect(r2).to.have.property('denied').that.includes('no --manager-key');
    await stayed(op, 'b1', ek);
  });

  it('a write user sending a VM to a host of its own, on a host with --manager-key: no authorization, a forged one, an expired one, or text that is no statement are refused', async () => {
    const op = src.as(OP);
    const ek = await ekOf(op, 'v1');
    expect(await migrate(op, 'src', 'v1', evil.origin)).to.have.property('denied').that.includes("op (write) may migrate VM 'v1' only with a MigrationAuthorization");
    const forged = authorize('v1', { destination: evil.origin, destinationKey: evilKey, key: ed25519().privateKey });
    expect(await migrate(op, 'src', 'v1', evil.origin, forged)).to.have.property('denied').that.includes('MigrationAuthorization is not signed by this host\'s management server');
    // A genuine statement with its signature moved onto another statement's body.
    const genuine = authorize('v1');
    const other = authorize('v1', { destination: evil.origin, destinationKey: evilKey, key: ed25519().privateKey });
    const spliced = `${other.split('.')[0]}.${genuine.split('.')[1]}`;
    expect(await migrate(op, 'src', 'v1', evil.origin, spliced)).to.have.property('denied').that.includes('is not signed');
    const expired = authorize('v1', { destination: evil.origin, destinationKey: evilKey, now: Date.now() - 301_000 });
    expect(await migrate(op, 'src', 'v1', evil.origin, expired)).to.have.property('denied').that.matches(/MigrationAuthorization expired \d{4}-/);
    expect(await migrate(op, 'src', 'v1', evil.origin, 'not-a-statement')).to.have.property('denied').that.includes('is not <statement>.<signature>');
    await stayed(op, 'v1', ek);
  });

  it('a genuine statement for another VM, another source, another destination or another destination key is refused', async () => {
    const op = src.as(OP);
    const ek = await ekOf(op, 'v1');
    expect(await migrate(op, 'src', 'v1', evil.origin, authorize('v2', { destination: evil.origin, destinationKey: evilKey })))
      .to.have.property('denied').that.includes("MigrationAuthorization is for VM 'v2', not 'v1'");
    expect(await migrate(op, 'src', 'v1', evil.origin, authorize('v1', { source: 'bare', destination: evil.origin, destinationKey: evilKey })))
      .to.have.property('denied').that.includes("is for a VM leaving host 'bare', not 'src'");
    // The server meant dst; the caller names its own host.
    expect(await migrate(op, 'src', 'v1', evil.origin, authorize('v1')))
      .to.have.property('denied').that.includes(`MigrationAuthorization sends VM 'v1' to ${dst.origin}, not to ${evil.origin}`);
    // The origin matches, and the host answering there is not the one whose key the server read
    // (as when the attacker answers at that address): the source sees evil's key.
    expect(await migrate(op, 'src', 'v1', evil.origin, authorize('v1', { destination: evil.origin, destinationKey: dstKey })))
      .to.have.property('denied').that.includes(`names migration key SHA-256 ${dstKey} for ${evil.origin}, and the host answering there has migration key SHA-256 ${evilKey}`);
    // A statement binding no key (a destination without vTPMs) does not fit a host that has one.
    expect(await migrate(op, 'src', 'v1', evil.origin, authorize('v1', { destination: evil.origin, destinationKey: null })))
      .to.have.property('denied').that.includes('names no migration key');
    await stayed(op, 'v1', ek);
  });

  it('a write user with a valid statement migrates the VM and its vTPM; the statement is spent, also across a restart of the source', async () => {
    const op = src.as(OP);
    const ek = await ekOf(op, 'v2');
    const statement = authorize('v2');
    expect(await migrate(op, 'src', 'v2', dst.origin, statement)).to.deep.equal({ jobState: 7, error: '' });
    expect(await ekOf(dstConn, 'v2')).to.equal(ek);
    expect(await ekOf(op, 'v2')).to.equal(undefined);
    // Back to src (dst's caller is its admin), then the same statement again.
    expect(await migrate(dstConn, 'dst', 'v2', src.origin.replace('http://', `http://${ROOT.user}:${ROOT.password}@`))).to.deep.equal({ jobState: 7, error: '' });
    expect(await ekOf(op, 'v2')).to.equal(ek);
    expect(await migrate(op, 'src', 'v2', dst.origin, statement)).to.have.property('denied').that.includes('was used already');
    await src.stop();
    await src.start();
    const again = src.as(OP);
    expect(await migrate(again, 'src', 'v2', dst.origin, statement)).to.have.property('denied').that.includes('was used already');
    expect(await ekOf(again, 'v2')).to.equal(ek);
    expect(await ekOf(dstConn, 'v2')).to.equal(undefined);
  });

  it('an admin of the source migrates without a statement, to any destination, as before', async () => {
    const root = src.as(ROOT);
    const ek = await ekOf(root, 'v3');
    expect(await migrate(root, 'src', 'v3', dst.origin)).to.deep.equal({ jobState: 7, error: '' });
    expect(await ekOf(dstConn, 'v3')).to.equal(ek);
    // On the host without --manager-key too.
    const bareRoot = bare.as(ROOT);
    const ek1 = await ekOf(bareRoot, 'b1');
    expect(await migrate(bareRoot, 'bare', 'b1', dst.origin)).to.deep.equal({ jobState: 7, error: '' });
    expect(await ekOf(dstConn, 'b1')).to.equal(ek1);
  });
});
