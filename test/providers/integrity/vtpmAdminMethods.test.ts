// Over CIM, against a host agent with a users file (real swtpm): the vTPM management methods and
// ImportHostMeasurementLog need admin, so the management server's write login cannot move, clone,
// power or remove a vTPM, nor write the host's measurement list; an admin is still held to the VM's
// state; and a VM whose swtpm is killed is stopped, announced by a TVDc_IntegrityIndication.
import { expect } from 'chai';
import { join } from 'node:path';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { WbemConnection } from '../../../client/cim/index.js';
import { IndicationListener, subscribe } from '../../../client/listener/index.js';
import { HostAgent } from '../../../client/host/HostAgent.js';
import { UserDirectory } from '../../../src/wbem/UserDirectory.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../isolation/support/wbemcli.js';
import { newStateDir, removeState } from './support/IntegrityHost.js';

const SERVICE = 'TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="adm"';
const VTPM = 'TVDc_VTPM.CreationClassName="TVDc_VTPM",DeviceID="vtpm0",SystemCreationClassName="TVDc_ComputerSystem",SystemName="vm1"';
const ADMIN_ONLY = ['CreateVTPM', 'DeleteVTPM', 'StartVTPM', 'StopVTPM', 'ExportVTPMState', 'ImportVTPMState', 'PrepareVTPMMigrationOut', 'PrepareVTPMMigrationIn', 'ImportHostMeasurementLog'];

describe('integrity providers: vTPM management needs admin, and a killed vTPM stops its VM (real swtpm)', function () {
  this.timeout(60_000);
  const state = newStateDir('adm');
  let agent: HostAgent;
  let origin: string;
  let op: HostPaths;
  let root: HostPaths;
  let listener: IndicationListener | undefined;

  const cm = async (p: HostPaths, target: string, call: string) => {
    const r = await wbemcli(['cm', p.url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const enabledState = async (): Promise<string | undefined> =>
    /EnabledState=(\d+)/.exec((await wbemcli(['gi', root.url(root.vm('vm1'))])).stdout)?.[1];

  before(async () => {
    const file = join(state, 'users.json');
    await UserDirectory.addUserToFile(file, 'op', 'write', 'op-pass');
    await UserDirectory.addUserToFile(file, 'root', 'admin', 'root-pass');
    const started = await HostAgent.start({ name: 'adm', stateDir: state, vtpm: 'swtpm', users: UserDirectory.load(file), log: () => {} }, { port: 0, host: '127.0.0.1' });
    agent = started.agent;
    origin = started.urls.http!;
    const at = (user: string, pw: string) => new HostPaths(origin.replace('http://', `http://${user}:${pw}@`), 'adm');
    op = at('op', 'op-pass');
    root = at('root', 'root-pass');
    expect((await cm(op, op.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    expect((await cm(op, op.service('TVDc_VirtualSystemManagementService'), defineParam('vm1', 'MarketAnalysis'))).returnValue).to.equal(0);
    expect((await cm(op, op.vm('vm1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
  });
  after(async () => {
    await listener?.close();
    await agent?.stop();
    await removeState(state);
  });

  it('refuses a write user every vTPM management method and ImportHostMeasurementLog, naming the method and the role', async () => {
    for (const m of ADMIN_ONLY) {
      const r = await wbemcli(['cm', op.url(SERVICE), m]);
      expect(r.stderr, m).to.contain(`CIM_ERR_ACCESS_DENIED: op (write) may not invoke TVDc_VTPMManagementService.${m}, which needs admin`);
    }
    // What the management server does call stays open to it.
    expect((await cm(op, SERVICE, `ExecuteFile.Path="/bin/sh",System=${op.vm('vm1')}`)).returnValue).to.equal(0);
  });

  it('an admin is refused StopVTPM, DeleteVTPM and ExportVTPMState of the running VM (5, with the reason), and a PCR 0 line in the host list (4)', async () => {
    const conn = new WbemConnection(origin, { namespace: 'root/tvdc', user: 'root', password: 'root-pass' });
    try {
      const service = CimObjectPath.parse(SERVICE);
      service.namespace = 'root/tvdc';
      const key = String((await conn.getInstance(service)).get('MigrationPublicKey'));
      expect(key).to.match(/^-----BEGIN PUBLIC KEY-----/);
      const exp = await conn.invokeMethod(service, 'ExportVTPMState', { VTPM: CimObjectPath.parse(VTPM), DestinationMigrationKey: key });
      expect(Number(exp.returnValue)).to.equal(5);
      expect(String(exp.outParams.get('Reason')?.value)).to.equal("cannot export the vTPM of VM 'vm1' while the VM is running: stop or suspend the VM first");
      expect(exp.outParams.get('State')?.value ?? null).to.equal(null);
    } finally {
      await conn.close();
    }
    for (const [m, verb] of [['StopVTPM', 'stop'], ['DeleteVTPM', 'delete']] as const) {
      const r = await cm(root, SERVICE, `${m}.VTPM=${VTPM}`);
      expect(r.returnValue, m).to.equal(5);
      expect(r.out['Reason']).to.equal(`cannot ${verb} the vTPM of VM 'vm1' while the VM is running: stop or suspend the VM first`);
    }
    const started = await cm(root, SERVICE, `StartVTPM.VTPM=${VTPM}`);
    expect(started.returnValue).to.equal(5);
    expect(await enabledState()).to.equal('2');
    const line = `0 ${'22'.repeat(20)} ima-ng sha256:${'ab'.repeat(32)} /boot/evil`;
    const imp = await cm(root, SERVICE, `ImportHostMeasurementLog.Log="${line}"`);
    expect(imp.returnValue).to.equal(4);
    expect(imp.out['Reason']).to.equal("measurement list line 1: PCR 0; the host's list takes IMA entries for PCR 10 only");
  });

  it('a VM whose swtpm is killed is stopped, and a subscribed listener receives a critical TVDc_IntegrityIndication saying so', async () => {
    listener = new IndicationListener({ host: '127.0.0.1' });
    const url = await listener.start();
    const lost = new Promise<CimInstance>((resolve) => listener!.onIndication((i) => { if (i.get('MessageID') === 'TVDC-INTEGRITY-TPM-LOST') resolve(i); }));
    const interop = new WbemConnection(origin, { namespace: 'root/tvdc', user: 'root', password: 'root-pass' });
    try {
      await subscribe(interop, { name: 'tpm-loss-test', destination: url, query: 'SELECT * FROM TVDc_IntegrityIndication' });
    } finally {
      await interop.close();
    }
    const swtpm = findSwtpmProcesses(join(state, 'vtpm', 'instances')).filter((p) => p.stateDir.endsWith('/vm1'));
    expect(swtpm).to.have.length(1);
    process.kill(swtpm[0]!.pid, 'SIGKILL');
    const ind = await Promise.race([lost, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no TVDC-INTEGRITY-TPM-LOST indication')), 10_000))]);
    expect(ind.className).to.equal('TVDc_IntegrityIndication');
    expect(Number(ind.get('PerceivedSeverity'))).to.equal(6);
    expect(Number(ind.get('ProbableCause'))).to.equal(48);
    expect(String(ind.get('AlertingManagedElement'))).to.contain('TVDc_ComputerSystem').and.contain('vm1');
    expect(String(ind.get('Message'))).to.equal("the vTPM of VM 'vm1' was killed by a signal while the VM was running: the VM was stopped, as a VM does not run without its TPM; start it again to boot it with its vTPM");
    expect(String(ind.get('IndicationIdentifier'))).to.match(/^TVDc:adm:tpm-lost:vm:vm1:\d+$/);
    expect(await enabledState()).to.equal('3');
    // Started again by the management server's login, it runs with a freshly booted vTPM.
    expect((await cm(op, op.vm('vm1'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    expect(await enabledState()).to.equal('2');
  });
});
