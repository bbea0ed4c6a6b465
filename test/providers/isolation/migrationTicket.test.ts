// The one-time migration ticket (IssueMigrationTicket): a destination host that demands logins
// issues it to a user who may invoke methods, and its holder (`tvdc-migration:<ticket>`) may find
// the migration service, read the vTPM service and call AcceptMigration once, for the ticket's VM,
// and nothing else. Real host agents with users files on loopback, driven with the project's CIM
// client, raw HTTP and Debian's wbemcli.
import { expect } from 'chai';
import { TEST_MANAGER_KEY, migrationAuthorization } from '../../support/managerKey.js';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimError, CimStatus, ClientError, WbemConnection, waitForJob } from '../../../client/cim/index.js';
import { CimDateTime } from '../../../src/cim/CimDateTime.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, wbemcli } from './support/wbemcli.js';
import { startInProcessHost } from './support/InProcessHost.js';
import { readFileSync } from 'node:fs';

const MGMT = { user: 'mgmt', password: 'mgmt-secret-pw' };
const VIEWER = { user: 'viewer', password: 'viewer-secret-pw' };
const OPS = { user: 'ops', password: 'ops-secret-pw' };

interface Host {
  name: string;
  origin: string;
  port: number;
  paths: HostPaths;
  /** As the write user mgmt. */
  conn: WbemConnection;
  stop(): Promise<void>;
}

/** A host agent whose users file holds mgmt and ops (write) and viewer (read); `now` is its tickets' clock. */
async function startHost(name: string, now?: () => number): Promise<Host> {
  const dir = mkdtempSync(join(tmpdir(), `tvdc-ticket-${name}-`));
  const file = join(dir, 'users.json');
  await UserDirectory.addUserToFile(file, MGMT.user, 'write', MGMT.password);
  await UserDirectory.addUserToFile(file, VIEWER.user, 'read', VIEWER.password);
  await UserDirectory.addUserToFile(file, OPS.user, 'write', OPS.password);
  const users = new UserDirectory(UserDirectory.load(file).entries(), now ? { oneTime: { now } } : {});
  const { agent, urls } = await HostAgent.start({ name, stateDir: dir, vtpm: 'off', users, log: () => {}, managerKey: TEST_MANAGER_KEY }, { port: 0, host: '127.0.0.1' });
  const origin = urls.http!;
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc', ...MGMT });
  return {
    name, origin, port: Number(new URL(origin).port), paths: new HostPaths(origin, name), conn,
    stop: async () => {
      await conn.close();
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const service = (host: string) => CimObjectPath.instance('TVDc_VirtualSystemMigrationService', {
  CreationClassName: 'TVDc_VirtualSystemMigrationService', Name: 'VirtualSystemMigrationService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
}, 'root/tvdc');
const securityService = (host: string) => CimObjectPath.instance('TVDc_SecurityService', {
  CreationClassName: 'TVDc_SecurityService', Name: 'SecurityService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
}, 'root/tvdc');
const vm = (name: string) => CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: name }, 'root/tvdc');

/** The CIM status a call failed with (it must fail with one). */
async function cimStatus(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CimError) return e.status;
    throw e;
  }
  throw new Error('the call succeeded');
}

/** The client error code a call failed with at the HTTP level (401: AUTH_REQUIRED). */
async function clientCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClientError) return e.code;
    throw e;
  }
  throw new Error('the call succeeded');
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('isolation providers: the one-time migration ticket', function () {
  this.timeout(60_000);
  let h1: Host;
  let h2: Host;
  /** How far h2's ticket clock is ahead of the real one (ms). */
  let skew = 0;
  const open: WbemConnection[] = [];

  /** A connection to h2 as the ticket's holder. */
  const holder = (ticket: { user: string; ticket: string }): WbemConnection => {
    const c = new WbemConnection(h2.origin, { namespace: 'root/tvdc', user: ticket.user, password: ticket.ticket, retries: 0 });
    open.push(c);
    return c;
  };
  /** A ticket bound, unless `label` says otherwise, to 'ma' as h1 has it: MarketAnalysis, no disks or segments. */
  const issue = async (name: string, validSeconds?: number, as = h2.conn, label = 'MarketAnalysis') => {
    const r = await as.invokeMethod(service('h2'), 'IssueMigrationTicket', {
      Name: name, SecurityLabel: label, Disks: { type: 'string', isArray: true, value: [] }, Segments: { type: 'string', isArray: true, value: [] },
      ...(validSeconds === undefined ? {} : { ValidSeconds: { type: 'uint32', value: validSeconds } }),
    });
    const value = (n: string) => r.outParams.get(n)?.value;
    return { code: Number(r.returnValue), ticket: String(value('Ticket') ?? ''), user: String(value('User') ?? ''), expires: value('Expires'), reason: String(value('Reason') ?? '') };
  };
  const accept = (c: WbemConnection, name: string) => c.invokeMethod(service('h2'), 'AcceptMigration', { Name: name, SecurityLabel: 'MarketAnalysis', SourceHost: 'h1' });

  before(async () => {
    [h1, h2] = await Promise.all([startHost('h1'), startHost('h2', () => Date.now() + skew)]);
    for (const h of [h1, h2]) {
      const r = await h.conn.invokeMethod(securityService(h.name), 'SetPolicy', { PolicyXML: readFileSync(POLICY_1_0, 'utf8') });
      expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);
    }
    const define = (await wbemcli(['cm', `http://${MGMT.user}:${MGMT.password}@127.0.0.1:${h1.port}/root/tvdc:${h1.paths.service('TVDc_VirtualSystemManagementService')}`, defineParam('ma', 'MarketAnalysis')])).stdout;
    expect(methodOutput(define).returnValue, define).to.equal(0);
    expect(Number((await h1.conn.invokeMethod(vm('ma'), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } })).returnValue)).to.equal(0);
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await h1?.stop();
    await h2?.stop();
  });

  it('wbemcli cm IssueMigrationTicket prints a 256-bit base64url ticket, the user tvdc-migration and when it expires', async () => {
    const url = `http://${MGMT.user}:${MGMT.password}@127.0.0.1:${h2.port}/root/tvdc:${h2.paths.service('TVDc_VirtualSystemMigrationService')}`;
    const r = await wbemcli(['cm', url, 'IssueMigrationTicket.Name="ma",SecurityLabel="MarketAnalysis",Disks={},Segments={},ValidSeconds=60']);
    expect(r.stderr, r.stderr).to.equal('');
    const out = methodOutput(r.stdout);
    expect(out.returnValue, r.stdout).to.equal(0);
    expect(out.out['Ticket']).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(out.out['Ticket']!, 'base64url')).to.have.length(32);
    expect(out.out['User']).to.equal('tvdc-migration');
    const expires = CimDateTime.parse(out.out['Expires']!).toDate().getTime();
    expect(expires - Date.now()).to.be.within(55_000, 61_000);
    // Two tickets are never the same.
    expect((await issue('ma')).ticket).to.not.equal(out.out['Ticket']);
  });

  it('a read-only user cannot issue tickets (CIM_ERR_ACCESS_DENIED); nor can anyone without a login (401)', async () => {
    const viewer = new WbemConnection(h2.origin, { namespace: 'root/tvdc', ...VIEWER });
    const anonymous = new WbemConnection(h2.origin, { namespace: 'root/tvdc', retries: 0 });
    open.push(viewer, anonymous);
    expect(await cimStatus(issue('ma', undefined, viewer))).to.equal(CimStatus.CIM_ERR_ACCESS_DENIED);
    expect(await clientCode(issue('ma', undefined, anonymous))).to.equal('AUTH_REQUIRED');
  });

  it('one user holds at most 32 outstanding tickets (2 with a Reason beyond), so he cannot take every slot from the others', async () => {
    const ops = new WbemConnection(h2.origin, { namespace: 'root/tvdc', ...OPS });
    open.push(ops);
    const codes: number[] = [];
    for (let i = 0; i < 32; i++) codes.push((await issue('ma', 60, ops)).code);
    expect(codes).to.deep.equal(Array(32).fill(0));
    const refused = await issue('ma', 60, ops);
    expect(refused.code).to.equal(2);
    expect(refused.ticket).to.equal('');
    expect(refused.reason).to.match(/^32 one-time credentials issued to ops are outstanding, the most one user may hold; the next expires in \d+ s$/);
    // Another user is not held up by them.
    expect((await issue('ma', 60)).code).to.equal(0);
  });

  it('refuses bad parameters with 4 and a Reason: no VM name, ValidSeconds 0 or above 900', async () => {
    expect(await issue('')).to.include({ code: 4, reason: 'Name (the VM the ticket is for) is required' });
    expect(await issue('ma', 0)).to.include({ code: 4, reason: 'ValidSeconds must be 1 to 900, not 0' });
    expect(await issue('ma', 901)).to.include({ code: 4, reason: 'ValidSeconds must be 1 to 900, not 901' });
    expect((await issue('ma', 900)).code).to.equal(0);
  });

  it('refuses a caller that binds nothing but Name (a management server older than the host) with 4 and a Reason naming what is missing', async () => {
    const without = async (params: Record<string, unknown>) => {
      const r = await h2.conn.invokeMethod(service('h2'), 'IssueMigrationTicket', { Name: 'ma', ...params } as never);
      return { code: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? ''), ticket: r.outParams.get('Ticket')?.value };
    };
    const none = { type: 'string', isArray: true, value: [] };
    const old = await without({});
    expect(old.code).to.equal(4);
    expect(old.ticket).to.equal(undefined);
    expect(old.reason).to.match(/^SecurityLabel \(the VM's label on the source; empty when unlabeled\) is required: .*older than this host/);
    expect((await without({ SecurityLabel: 'MarketAnalysis', Segments: none })).reason).to.match(/^Disks \(the disks the VM has on the source, possibly none\) is required/);
    expect((await without({ SecurityLabel: 'MarketAnalysis', Disks: none })).reason).to.match(/^Segments \(the network segments the VM has on the source, possibly none\) is required/);
    expect(await without({ SecurityLabel: 'ACM:other:MarketAnalysis', Disks: none, Segments: none })).to.include({ code: 4, reason: "SecurityLabel: label 'ACM:other:MarketAnalysis' belongs to policy 'other'; the active policy is 'tvdc-paper'" });
    expect(await without({ SecurityLabel: '', Disks: { type: 'string', isArray: true, value: ['d1', 'd1'] }, Segments: none })).to.include({ code: 4, reason: "Disks names 'd1' twice" });
  });

  it('its holder may read the migration and vTPM services, as often as it likes; anything else is CIM_ERR_ACCESS_DENIED and spends nothing', async () => {
    const t = await issue('ma');
    expect(t.code).to.equal(0);
    const c = holder(t);
    for (let i = 0; i < 2; i++) {
      const names = await drain(c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService'));
      expect(names.map((p) => p.keys?.get('SystemName')?.value)).to.deep.equal(['h2']);
      expect(await drain(c.enumerateInstances('TVDc_VirtualSystemMigrationService'))).to.have.length(1);
      await drain(c.enumerateInstances('TVDc_VTPMManagementService', { propertyList: ['MigrationPublicKey'] }));
    }
    const denied = CimStatus.CIM_ERR_ACCESS_DENIED;
    expect(await cimStatus(drain(c.enumerateInstances('TVDc_ComputerSystem')))).to.equal(denied);
    expect(await cimStatus(drain(c.enumerateInstanceNames('CIM_Service')))).to.equal(denied);
    expect(await cimStatus(c.getInstance(vm('ma')))).to.equal(denied);
    expect(await cimStatus(c.deleteInstance(vm('ma')))).to.equal(denied);
    expect(await cimStatus(c.getClass('TVDc_VirtualSystemMigrationService'))).to.equal(denied);
    expect(await cimStatus(drain(c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService', { namespace: 'root/interop' })))).to.equal(denied);
    // Another method, on the granted class and elsewhere: a ticket issues no tickets, migrates nothing.
    expect(await cimStatus(c.invokeMethod(service('h2'), 'IssueMigrationTicket', { Name: 'ma' }))).to.equal(denied);
    expect(await cimStatus(c.invokeMethod(service('h2'), 'MigrateVirtualSystemToHost', { ComputerSystem: vm('ma'), DestinationHost: h1.origin }))).to.equal(denied);
    expect(await cimStatus(c.invokeMethod(securityService('h2'), 'SetPolicy', { PolicyXML: '<x/>' }))).to.equal(denied);
    // Still good after all that.
    expect(await drain(c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService'))).to.have.length(1);
  });

  it('AcceptMigration of another VM is CIM_ERR_ACCESS_DENIED and spends the ticket: its next use is a failed login (401)', async () => {
    const t = await issue('ma');
    const c = holder(t);
    try {
      await accept(c, 'other');
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(CimError);
      expect((e as CimError).status).to.equal(CimStatus.CIM_ERR_ACCESS_DENIED);
      expect((e as CimError).description).to.include("ticket for the migration of VM 'ma', not of 'other'");
    }
    expect(await clientCode(drain(c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService')))).to.equal('AUTH_REQUIRED');
    expect(await clientCode(accept(c, 'ma'))).to.equal('AUTH_REQUIRED');
  });

  it('a refused AcceptMigration spends it too', async () => {
    const t = await issue('ghost', undefined, h2.conn, 'NoSuchLabel');
    const c = holder(t);
    // No policy label for an unknown SecurityLabel: refused with a return code, not admitted.
    const r = await c.invokeMethod(service('h2'), 'AcceptMigration', { Name: 'ghost', SecurityLabel: 'NoSuchLabel' });
    expect(Number(r.returnValue)).to.not.equal(0);
    expect(await drain(h2.conn.enumerateInstanceNames('TVDc_ComputerSystem'))).to.have.length(0);
    expect(await clientCode(accept(c, 'ghost'))).to.equal('AUTH_REQUIRED');
  });

  it('the source migrates the VM with nothing but the ticket: one AcceptMigration, then the ticket is spent', async () => {
    const t = await issue('ma');
    const dest = new URL(h2.origin);
    dest.username = t.user;
    dest.password = t.ticket;
    // mgmt has the role write: it migrates with the management server's statement for this move.
    const r = await h1.conn.invokeMethod(service('h1'), 'MigrateVirtualSystemToHost', {
      ComputerSystem: vm('ma'), DestinationHost: dest.toString(), MigrationAuthorization: await migrationAuthorization('ma', 'h1', h2.origin, h2.conn),
    });
    expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(4096);
    const job = await waitForJob(h1.conn, r.outParams.get('Job')!.value as CimObjectPath, { timeoutMs: 30_000 });
    expect(Number(job.get('JobState')), String(job.get('ErrorDescription'))).to.equal(7);
    expect(String(job.get('ErrorDescription') ?? '')).to.not.include(t.ticket);
    expect(Number((await h2.conn.getInstance(vm('ma'))).get('EnabledState'))).to.equal(2);
    expect(await drain(h1.conn.enumerateInstanceNames('TVDc_ComputerSystem'))).to.have.length(0);
    // A second use: the ticket is gone.
    expect(await clientCode(accept(holder(t), 'ma'))).to.equal('AUTH_REQUIRED');
  });

  it('an expired ticket is a failed login (401), also for the reads', async () => {
    const t = await issue('ma', 5);
    const c = holder(t);
    expect(await drain(c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService'))).to.have.length(1);
    skew = 5_001;
    try {
      expect(await clientCode(drain(c.enumerateInstanceNames('TVDc_VirtualSystemMigrationService')))).to.equal('AUTH_REQUIRED');
      expect(await clientCode(accept(c, 'ma'))).to.equal('AUTH_REQUIRED');
    } finally {
      skew = 0;
    }
  });

  it('wrong tickets count against the caller\'s address like wrong passwords: after the 10th within a minute the address gets 429', async () => {
    // From an address of its own, so that no other test's requests are refused.
    const post = (password: string) => new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: h2.port, localAddress: '127.0.0.7', method: 'POST', path: '/cimom',
        headers: { Authorization: `Basic ${Buffer.from(`tvdc-migration:${password}`).toString('base64')}`, 'Content-Type': 'application/xml', CIMOperation: 'MethodCall', CIMMethod: 'EnumerateInstanceNames', CIMObject: 'root/tvdc' },
      }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end('<?xml version="1.0"?>');
    });
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push(await post(Buffer.alloc(32, i).toString('base64url')));
    // A real ticket from that address is refused too now, before it is looked at.
    codes.push(await post((await issue('ma')).ticket));
    expect(codes).to.deep.equal([...new Array(10).fill(401), 429, 429]);
  });

  it('a host without a users file (loopback, everyone the anonymous admin) still answers a ticket, so callers need no special case; nothing checks it', async () => {
    const h = await startInProcessHost('open');
    const c = new WbemConnection(h.origin, { namespace: 'root/tvdc' });
    try {
      const r = await c.invokeMethod(service('open'), 'IssueMigrationTicket', { Name: 'ma', SecurityLabel: '', Disks: { type: 'string', isArray: true, value: [] }, Segments: { type: 'string', isArray: true, value: [] } });
      expect(Number(r.returnValue)).to.equal(0);
      const ticket = String(r.outParams.get('Ticket')?.value);
      expect(ticket).to.match(/^[A-Za-z0-9_-]{43}$/);
      const holder = new WbemConnection(h.origin, { namespace: 'root/tvdc', user: 'tvdc-migration', password: ticket });
      open.push(holder);
      // The ticket's holder is the anonymous admin like everyone here: it may read anything.
      expect(await drain(holder.enumerateInstanceNames('TVDc_ComputerSystem'))).to.deep.equal([]);
    } finally {
      await c.close();
      await h.stop();
    }
  });
});
