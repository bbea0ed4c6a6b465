// A source host killed -9 while the destination has not answered AcceptMigration loses no VM: a
// real tvdc-host (its own process, --state, real swtpm vTPMs) migrates through a relay that holds
// AcceptMigration, is killed, and starts again on the same state. The job says the migration is in
// doubt, the service lists it, and ResolveMigration settles it: Arrived=false restores the VM here,
// stopped, with the same vTPM (EK certificate); Arrived=true, after the destination did admit it,
// forgets the copy and leaves nothing behind.
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimError, CimStatus, WbemConnection } from '../../../client/cim/index.js';
import { Relay } from '../../support/Relay.js';
import { spawnTvdcHost, type TvdcHostProcess } from '../../support/TvdcHostProcess.js';
import { newStateDir, removeState, startInProcessHost, type IntegrityHost } from '../integrity/support/IntegrityHost.js';
import { SilentDestination } from './support/SilentDestination.js';
import { HostPaths, POLICY_1_0, defineParam, policyParam, wbemcliCall as cm } from './support/wbemcli.js';

function vtpmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPM', { CreationClassName: 'TVDc_VTPM', DeviceID: 'vtpm0', SystemCreationClassName: 'TVDc_ComputerSystem', SystemName: vm }, 'root/tvdc');
}

describe('isolation providers: a source host killed mid-migration loses no VM (migration in doubt, ResolveMigration)', function () {
  this.timeout(120_000);
  const state = newStateDir('a');
  let a: TvdcHostProcess | undefined;
  let b: IntegrityHost;
  let pa: HostPaths;
  let conn: WbemConnection;
  let connB: WbemConnection;
  const ek: Record<string, string> = {};

  const startA = async (): Promise<void> => {
    a = await spawnTvdcHost(['--name', 'a', '--port', '0', '--state', state, '--vtpm', 'swtpm']);
    pa = new HostPaths(a.origin, 'a');
    await conn?.close();
    conn = new WbemConnection(a.origin, { namespace: 'root/tvdc' });
  };
  const servicePath = () => CimObjectPath.parse(pa.service('TVDc_VirtualSystemMigrationService'));
  const resolve = async (params: Record<string, unknown>) => {
    const r = await conn.invokeMethod(servicePath(), 'ResolveMigration', params as never);
    return { rc: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? ''), out: r.outParams };
  };
  const inDoubt = async (): Promise<{ vms: unknown; destinations: unknown }> => {
    let service: CimInstance | undefined;
    for await (const i of conn.enumerateInstances('TVDc_VirtualSystemMigrationService')) service = i;
    return { vms: service!.get('InDoubtVirtualSystems') ?? [], destinations: service!.get('InDoubtDestinationHosts') ?? [] };
  };
  const migrationIds = async (): Promise<string[]> => {
    let service: CimInstance | undefined;
    for await (const i of conn.enumerateInstances('TVDc_VirtualSystemMigrationService')) service = i;
    return (service!.get('InDoubtMigrationIDs') ?? []) as string[];
  };
  const departures = (): string[] => {
    const db = new Database(join(state, 'host.db'), { readonly: true });
    try {
      return (db.prepare('SELECT vm FROM iso_vm_departures ORDER BY vm').all() as { vm: string }[]).map((r) => r.vm);
    } finally {
      db.close();
    }
  };
  const vmsOn = async (c: WbemConnection): Promise<string[]> => {
    const names: string[] = [];
    for await (const p of c.enumerateInstanceNames('TVDc_ComputerSystem')) names.push(String(p.key('Name')));
    return names.sort();
  };
  const notFound = async (c: WbemConnection, path: CimObjectPath): Promise<boolean> => {
    const e = await c.getInstance(path).then(() => null, (x: unknown) => x);
    return e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND;
  };
  /** Starts the migration of `vm` to the host at `port`; once `waiting()` says so, kills the source. */
  const migrateAndKill = async (vm: string, port: number, waiting: () => boolean | Promise<boolean>): Promise<CimObjectPath> => {
    const r = await cm(pa, pa.service('TVDc_VirtualSystemMigrationService'), `MigrateVirtualSystemToHost.DestinationHost="127.0.0.1:${port}",ComputerSystem=${pa.vm(vm)}`);
    expect(r.returnValue, JSON.stringify(r.out)).to.equal(4096);
    let ready = false;
    for (let i = 0; i < 500 && !(ready = await waiting()); i++) await new Promise((res) => setTimeout(res, 20));
    expect(ready, 'the source waits for the destination').to.equal(true);
    await a!.kill9();
    return CimObjectPath.parse(r.out['Job']!);
  };

  before(async () => {
    [b] = await Promise.all([startInProcessHost('b'), startA()]);
    connB = new WbemConnection(b.origin, { namespace: 'root/tvdc' });
    const pb = new HostPaths(b.origin, 'b');
    for (const p of [pa, pb]) expect((await cm(p, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['d1', 'd2']) {
      expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(pa, pa.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
      ek[vm] = String((await conn.getInstance(vtpmPath(vm))).get('EKCertificate'));
      expect(ek[vm]).to.include('-----BEGIN CERTIFICATE-----');
    }
  });
  after(async () => {
    await conn?.close();
    await connB?.close();
    await a?.stop();
    await b?.stop();
    await removeState(state);
    await removeState(b.state);
  });

  it('the destination never answers, the source is killed -9: after the restart the job and the service name the migration in doubt; Arrived=false restores the VM stopped with the same vTPM, once', async () => {
    const relay = await new Relay(b.origin, { holdAcceptMigration: true }).start();
    let job: CimObjectPath;
    try {
      job = await migrateAndKill('d1', relay.port, () => relay.holding);
    } finally {
      // Never released: the destination never admits d1.
      await relay.stop();
    }
    expect(departures(), 'the departure is in the store').to.deep.equal(['d1']);
    await startA();
    const settled = await conn.getInstance(job);
    expect(Number(settled.get('JobState'))).to.equal(10);
    const [id] = await migrationIds();
    expect(id).to.match(/^[0-9a-f]{64}$/);
    expect(String(settled.get('ErrorDescription'))).to.equal(
      `the host agent on 'a' restarted while the migration of VM 'd1' to http://127.0.0.1:${relay.port} ran; ` +
      `the VM is not on 'a': it had left for http://127.0.0.1:${relay.port}, and the migration is in doubt; its take-back copy is kept on 'a'. ` +
      `Ask http://127.0.0.1:${relay.port} whether it admitted migration ${id} of VM 'd1' (QueryMigration on TVDc_VirtualSystemMigrationService there), ` +
      `then call ResolveMigration on TVDc_VirtualSystemMigrationService: ` +
      `Arrived=true if it did (the copy is forgotten), Arrived=false if it did not (the VM is restored on 'a', stopped, from the copy, its vTPM included)`);
    expect(await inDoubt()).to.deep.equal({ vms: ['d1'], destinations: [`http://127.0.0.1:${relay.port}`] });
    // The destination never admitted it, and says so for that id.
    const asked = await connB.invokeMethod(CimObjectPath.parse(new HostPaths(b.origin, 'b').service('TVDc_VirtualSystemMigrationService')), 'QueryMigration', { MigrationID: id! });
    expect(asked.outParams.get('Admitted')?.value).to.equal(false);
    expect(await vmsOn(conn)).to.deep.equal(['d2']);
    expect(await vmsOn(connB)).to.deep.equal([]);

    // Refusals, each with its reason; none of them touches the record.
    const noArrived = await resolve({ VirtualSystemName: 'd1' });
    expect(noArrived.rc).to.equal(4);
    expect(noArrived.reason).to.include('Arrived is required');
    const both = await resolve({ VirtualSystemName: 'd1', Job: job, Arrived: false });
    expect(both.rc).to.equal(4);
    expect(both.reason).to.include('one of the two');
    const other = await resolve({ VirtualSystemName: 'd2', Arrived: false });
    expect(other.rc).to.equal(5);
    expect(other.reason).to.equal("no migration of VM 'd2' is in doubt on host 'a': it never left, or its migration was settled (see InDoubtVirtualSystems)");
    const noJob = await resolve({ Job: CimObjectPath.instance('TVDc_MigrationJob', { InstanceID: 'TVDc:MigrationJob:nope' }, 'root/tvdc'), Arrived: false });
    expect(noJob.rc).to.equal(4);
    expect(noJob.reason).to.include("no migration job 'TVDc:MigrationJob:nope' on host 'a'");
    expect(departures()).to.deep.equal(['d1']);

    const db = new Database(join(state, 'host.db'), { readonly: true });
    const saved = db.prepare("SELECT * FROM iso_vm_departures WHERE vm = 'd1'").get() as Record<string, string>;
    db.close();
    expect(JSON.parse(saved['ticket']!).returnExtensions['tvdc.vtpm'], 'the take-back copy is in the record').to.be.a('string').and.not.equal('');

    const back = await resolve({ Job: job, Arrived: false });
    expect(back.rc, back.reason).to.equal(0);
    expect(String((back.out.get('ComputerSystem')?.value as CimObjectPath).key('Name'))).to.equal('d1');
    expect(await vmsOn(conn)).to.deep.equal(['d1', 'd2']);
    expect(Number((await conn.getInstance(CimObjectPath.parse(pa.vm('d1')))).get('EnabledState')), 'stopped').to.equal(3);
    const vtpm = await conn.getInstance(vtpmPath('d1'));
    expect(String(vtpm.get('EKCertificate')), 'the same vTPM').to.equal(ek['d1']);
    expect(departures()).to.deep.equal([]);
    expect(await inDoubt()).to.deep.equal({ vms: [], destinations: [] });
    expect(a!.stderr()).to.include("resolved the migration of VM 'd1' to http://127.0.0.1:");
    const again = await resolve({ VirtualSystemName: 'd1', Arrived: false });
    expect(again.rc).to.equal(5);

    // It starts with its own vTPM.
    expect((await cm(pa, pa.vm('d1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect(String((await conn.getInstance(vtpmPath('d1'))).get('EKCertificate'))).to.equal(ek['d1']);

    // The same copy a second time (the record put back after the VM is gone again): the vTPM's
    // package record refuses it, the VM is not restored, and the copy stays.
    expect((await cm(pa, pa.service('TVDc_VirtualSystemManagementService'), `DestroySystem.AffectedSystem=${pa.vm('d1')}`)).returnValue).to.equal(0);
    const rw = new Database(join(state, 'host.db'));
    rw.prepare('INSERT INTO iso_vm_departures (vm, destination, left_at, ticket) VALUES (@vm, @destination, @left_at, @ticket)').run(saved);
    rw.close();
    const replay = await resolve({ VirtualSystemName: 'd1', Arrived: false });
    expect(replay.rc).to.equal(2);
    expect(replay.reason).to.include("VM 'd1' could not be restored on 'a'").and.include('(REPLAYED)').and.include('its take-back copy is kept');
    expect(await vmsOn(conn)).to.deep.equal(['d2']);
    expect(departures()).to.deep.equal(['d1']);
    const forget = await resolve({ VirtualSystemName: 'd1', Arrived: true });
    expect(forget.rc, forget.reason).to.equal(0);
    expect(departures()).to.deep.equal([]);
  });

  it('the destination admitted the VM after the source was killed: Arrived=true forgets the copy, nothing is left behind, the VM runs at the destination with its vTPM', async () => {
    const silent = await new SilentDestination(b.origin).start();
    try {
      // Killed once the destination has admitted the VM and answered: the answer never reached it.
      await migrateAndKill('d2', silent.port, () => silent.swallowed > 0);
    } finally {
      await silent.stop();
    }
    expect(await vmsOn(connB)).to.deep.equal(['d2']);
    expect(String((await connB.getInstance(vtpmPath('d2'))).get('EKCertificate'))).to.equal(ek['d2']);
    await startA();
    expect((await inDoubt()).vms).to.deep.equal(['d2']);
    const done = await resolve({ VirtualSystemName: 'd2', Arrived: true });
    expect(done.rc, done.reason).to.equal(0);
    expect(departures()).to.deep.equal([]);
    expect(await inDoubt()).to.deep.equal({ vms: [], destinations: [] });
    expect(await vmsOn(conn)).to.deep.equal([]);
    expect(await notFound(conn, vtpmPath('d2')), 'no vTPM of d2 left on a').to.equal(true);
    expect(a!.stderr()).to.include("resolved the migration of VM 'd2' to http://127.0.0.1:").and.include('as arrived');
  });
});
