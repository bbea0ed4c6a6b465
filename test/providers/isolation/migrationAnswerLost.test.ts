// The answer to AcceptMigration lost after the request was sent, the source staying up: two real
// host agents in this process (real swtpm vTPMs, SQLite stores) and a relay between them that
// resets the source's connection once the destination answered ('forward') or once it kept the
// request from it ('drop'). Either way the source cannot know what the destination did: the VM is
// not taken back, the job says the migration is in doubt and how to settle it, the service lists
// it with its migration id, and the destination's QueryMigration answers for that id. Then the VM
// comes back to the source by a later migration: the arrival clears the stale departure record, so
// its old take-back copy can never restore an older vTPM or a VM destroyed since.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimDateTime } from '../../../src/cim/CimDateTime.js';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimError, CimStatus, WbemConnection, awaitJob } from '../../../client/cim/index.js';
import { removeState, startInProcessHost, type IntegrityHost } from '../integrity/support/IntegrityHost.js';
import { SilentDestination } from './support/SilentDestination.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcliCall as cm } from './support/wbemcli.js';

/** A migration's public id: the SHA-256 of the secret id the source drew. */
const PUBLIC_ID = /^[0-9a-f]{64}$/;

function vtpmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPM', { CreationClassName: 'TVDc_VTPM', DeviceID: 'vtpm0', SystemCreationClassName: 'TVDc_ComputerSystem', SystemName: vm }, 'root/tvdc');
}

describe('isolation providers: a lost AcceptMigration answer leaves the migration in doubt, never the VM on two hosts', function () {
  this.timeout(60_000);
  let a: IntegrityHost;
  let b: IntegrityHost;
  let pa: HostPaths;
  let pb: HostPaths;
  let connA: WbemConnection;
  let connB: WbemConnection;
  const ek: Record<string, string> = {};

  const service = (p: HostPaths) => CimObjectPath.parse(p.service('TVDc_VirtualSystemMigrationService'));
  const inDoubt = async (conn: WbemConnection): Promise<{ vms: unknown; destinations: unknown; ids: unknown }> => {
    let s: CimInstance | undefined;
    for await (const i of conn.enumerateInstances('TVDc_VirtualSystemMigrationService')) s = i;
    return { vms: s!.get('InDoubtVirtualSystems') ?? [], destinations: s!.get('InDoubtDestinationHosts') ?? [], ids: s!.get('InDoubtMigrationIDs') ?? [] };
  };
  const stateOn = async (conn: WbemConnection, p: HostPaths, vm: string): Promise<number | null> => {
    try {
      return Number((await conn.getInstance(CimObjectPath.parse(p.vm(vm)))).get('EnabledState'));
    } catch (e) {
      if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return null;
      throw e;
    }
  };
  const query = async (conn: WbemConnection, p: HostPaths, id: string) => {
    const r = await conn.invokeMethod(service(p), 'QueryMigration', { MigrationID: id });
    const out: Record<string, unknown> = {};
    for (const [k, v] of r.outParams) out[k] = v.value;
    return { rc: Number(r.returnValue), out };
  };
  const resolve = async (vm: string, arrived: boolean) => {
    const r = await connA.invokeMethod(service(pa), 'ResolveMigration', { VirtualSystemName: vm, Arrived: arrived });
    return { rc: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? '') };
  };
  /** Migrates `vm` from `from` to `to` and waits for its job: its end. */
  const migrate = async (from: { conn: WbemConnection; p: HostPaths }, vm: string, to: string) => {
    const r = await cm(from.p, from.p.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="${to}",ComputerSystem=${from.p.vm(vm)}`);
    expect(r.returnValue, JSON.stringify(r.out)).to.equal(4096);
    return awaitJob(from.conn, CimObjectPath.parse(r.out['Job']!), { timeoutMs: 30_000 });
  };
  const departures = (host: IntegrityHost): string[] => {
    const db = new Database(join(host.state, 'host.db'), { readonly: true });
    try {
      return (db.prepare('SELECT vm FROM iso_vm_departures ORDER BY vm').all() as { vm: string }[]).map((r) => r.vm);
    } finally {
      db.close();
    }
  };

  before(async () => {
    [a, b] = await Promise.all([startInProcessHost('a'), startInProcessHost('b')]);
    pa = new HostPaths(a.origin, 'a');
    pb = new HostPaths(b.origin, 'b');
    connA = new WbemConnection(a.origin, { namespace: 'root/tvdc' });
    connB = new WbemConnection(b.origin, { namespace: 'root/tvdc' });
    for (const p of [pa, pb]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['d1', 'd2']) {
      expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(pa, pa.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
      ek[vm] = String((await connA.getInstance(vtpmPath(vm))).get('EKCertificate'));
    }
  });
  after(async () => {
    await connA?.close();
    await connB?.close();
    await a?.stop();
    await b?.stop();
    if (a) await removeState(a.state);
    if (b) await removeState(b.state);
  });

  it('the destination admits the VM and its answer is lost: the VM runs on the destination only, the source lists it in doubt; QueryMigration there says admitted, Arrived=true settles it', async () => {
    const relay = await new SilentDestination(b.origin, 'forward', { reset: true }).start();
    let end;
    try {
      end = await migrate({ conn: connA, p: pa }, 'd1', `127.0.0.1:${relay.port}`);
    } finally {
      await relay.stop();
    }
    expect(relay.swallowed, 'the destination answered').to.be.greaterThan(0);
    expect(end.kind).to.equal('failed');
    const reason = end.kind === 'failed' ? end.reason : '';
    const listed = await inDoubt(connA);
    expect(listed.vms).to.deep.equal(['d1']);
    expect(listed.destinations).to.deep.equal([relay.origin]);
    const [id] = listed.ids as string[];
    expect(id).to.match(PUBLIC_ID);
    expect(reason).to.match(new RegExp(`^the answer of ${relay.origin} to the migration of VM 'd1' was lost after the request was sent \\(.+\\): whether it admitted the VM is unknown, so the migration is in doubt and the VM is not taken back`));
    expect(reason).to.include(`whether it admitted migration ${id} (QueryMigration on TVDc_VirtualSystemMigrationService there)`).and.include('call ResolveMigration');

    // Running on b only, with the vTPM that left a.
    expect(await stateOn(connA, pa, 'd1')).to.equal(null);
    expect(await stateOn(connB, pb, 'd1')).to.equal(2);
    expect(String((await connB.getInstance(vtpmPath('d1'))).get('EKCertificate'))).to.equal(ek['d1']);
    expect(departures(a)).to.deep.equal(['d1']);

    const asked = await query(connB, pb, id!);
    expect(asked.rc).to.equal(0);
    expect(asked.out['Admitted']).to.equal(true);
    expect(asked.out['VirtualSystemName']).to.equal('d1');
    expect(asked.out['SourceHost']).to.equal('a');
    expect(asked.out['AdmittedAt']).to.be.instanceOf(CimDateTime);
    expect((await query(connB, pb, '0'.repeat(64))).out).to.deep.equal({ Admitted: false });
    expect((await query(connB, pb, '00000000-0000-4000-8000-000000000000')).rc, 'a secret id is not a public one').to.equal(4);
    expect((await query(connA, pa, id!)).out, 'the source admitted nothing').to.deep.equal({ Admitted: false });
    expect((await query(connB, pb, 'not-an-id')).rc).to.equal(4);

    const done = await resolve('d1', true);
    expect(done.rc, done.reason).to.equal(0);
    expect(departures(a)).to.deep.equal([]);
    expect(await inDoubt(connA)).to.deep.equal({ vms: [], destinations: [], ids: [] });
    expect(await stateOn(connB, pb, 'd1')).to.equal(2);
  });

  it('the request never reaches the destination, but the source cannot know: in doubt too; QueryMigration says not admitted, Arrived=false restores the VM stopped with its vTPM', async () => {
    const relay = await new SilentDestination(b.origin, 'drop', { reset: true }).start();
    let end;
    try {
      end = await migrate({ conn: connA, p: pa }, 'd2', `127.0.0.1:${relay.port}`);
    } finally {
      await relay.stop();
    }
    expect(relay.dropped).to.equal(1);
    expect(end.kind === 'failed' ? end.reason : end.kind).to.include('the migration is in doubt and the VM is not taken back');
    expect(await stateOn(connA, pa, 'd2')).to.equal(null);
    expect(await stateOn(connB, pb, 'd2')).to.equal(null);
    const [id] = (await inDoubt(connA)).ids as string[];
    expect((await query(connB, pb, id!)).out).to.deep.equal({ Admitted: false });
    // Whoever reads the public id cannot make b claim that migration: the id it lists is not one a
    // caller can send, and a made-up one is recorded under its own public id.
    const forge = (migrationId: string) => connB.invokeMethod(service(pb), 'AcceptMigration', {
      Name: 'd2', SecurityLabel: 'MarketAnalysis', SourceHost: 'a', Extensions: JSON.stringify({ 'tvdc.migrationId': migrationId }),
    });
    expect(Number((await forge(id!)).returnValue)).to.equal(4);
    expect(Number((await forge(randomUUID())).returnValue)).to.equal(0);
    expect((await query(connB, pb, id!)).out).to.deep.equal({ Admitted: false });
    expect((await cm(pb, pb.service('TVDc_VirtualSystemManagementService'), `DestroySystem.AffectedSystem=${pb.vm('d2')}`)).returnValue).to.equal(0);
    const back = await resolve('d2', false);
    expect(back.rc, back.reason).to.equal(0);
    expect(await stateOn(connA, pa, 'd2')).to.equal(3);
    expect(String((await connA.getInstance(vtpmPath('d2'))).get('EKCertificate'))).to.equal(ek['d2']);
  });

  it('a VM that comes back by a later migration clears its stale departure record: no take-back copy is left to restore after it is destroyed', async () => {
    const relay = await new SilentDestination(b.origin, 'forward', { reset: true }).start();
    try {
      // d2 goes to b with the answer lost: a keeps its departure record, d2 runs on b.
      expect((await cm(pa, pa.vm('d2'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
      const end = await migrate({ conn: connA, p: pa }, 'd2', `127.0.0.1:${relay.port}`);
      expect(end.kind).to.equal('failed');
    } finally {
      await relay.stop();
    }
    expect((await inDoubt(connA)).vms).to.deep.equal(['d2']);
    expect(await stateOn(connB, pb, 'd2')).to.equal(2);

    // b sends d2 back to a, directly: the arrival ends the old migration's doubt.
    const home = await migrate({ conn: connB, p: pb }, 'd2', a.origin);
    expect(home.kind).to.equal('completed');
    expect(await stateOn(connA, pa, 'd2')).to.equal(2);
    expect(departures(a)).to.deep.equal([]);
    expect(await inDoubt(connA)).to.deep.equal({ vms: [], destinations: [], ids: [] });

    // Stopped and destroyed on a: nothing brings it back.
    expect((await cm(pa, pa.vm('d2'), 'RequestStateChange.RequestedState=3')).returnValue).to.equal(0);
    expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), `DestroySystem.AffectedSystem=${pa.vm('d2')}`)).returnValue).to.equal(0);
    const again = await resolve('d2', false);
    expect(again.rc).to.equal(5);
    expect(again.reason).to.equal("no migration of VM 'd2' is in doubt on host 'a': it never left, or its migration was settled (see InDoubtVirtualSystems)");
    expect(await stateOn(connA, pa, 'd2')).to.equal(null);
  });
});
