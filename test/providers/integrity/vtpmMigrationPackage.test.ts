// ExportVTPMState / ImportVTPMState between two host agents over real HTTP (real swtpm, SQLite):
// each host publishes its MigrationPublicKey, the package moves a running vTPM with its PCRs and
// EK, and every refusal arrives as return code 4 with a Reason that names its stable code.
import { expect } from 'chai';
import type { WbemConnection } from '../../../client/cim/index.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../isolation/support/wbemcli.js';
import { connect, getQuote, vmPath } from './support/attest.js';
import { migrationKey, vtpmServicePath } from './support/migration.js';
import { newStateDir, removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

function vtpmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPM', { CreationClassName: 'TVDc_VTPM', DeviceID: 'vtpm0', SystemCreationClassName: 'TVDc_ComputerSystem', SystemName: vm }, 'root/tvdc');
}

describe('integrity providers: sealed vTPM packages between two host agents over CIM (real swtpm)', function () {
  this.timeout(90_000);
  const states = [newStateDir('px'), newStateDir('py')];
  let x: IntegrityHost;
  let y: IntegrityHost;
  let cx: WbemConnection;
  let cy: WbemConnection;
  let keyX: string;
  let keyY: string;

  const cm = async (h: IntegrityHost, target: string, call: string) => {
    const r = await wbemcli(['cm', new HostPaths(h.origin, h.name).url(target), call]);
    expect(r.stderr, r.stderr).to.equal('');
    return methodOutput(r.stdout);
  };
  const exportFromX = async (destinationKey: string): Promise<string> => {
    const r = await cx.invokeMethod(vtpmServicePath('px'), 'ExportVTPMState', { VTPM: vtpmPath('mv'), DestinationMigrationKey: destinationKey });
    expect(Number(r.returnValue), String(r.outParams.get('Reason')?.value)).to.equal(0);
    return String(r.outParams.get('State')?.value);
  };
  const importAtY = async (state: string, sourceKey = keyX, vm = 'mv'): Promise<{ rc: number; reason: string }> => {
    const r = await cy.invokeMethod(vtpmServicePath('py'), 'ImportVTPMState', { System: vmPath(vm), State: state, SourceMigrationKey: sourceKey });
    return { rc: Number(r.returnValue), reason: String(r.outParams.get('Reason')?.value ?? '') };
  };
  const pcr10 = async (conn: WbemConnection, host: string) =>
    (await getQuote(conn, host, vmPath('mv'), '55'.repeat(12))).bundle.pcrValues.find((v) => v.startsWith('sha256:10:'));

  before(async () => {
    [x, y] = await Promise.all([startInProcessHost('px', states[0]), startInProcessHost('py', states[1])]);
    cx = connect(x.origin);
    cy = connect(y.origin);
    for (const h of [x, y]) {
      const p = new HostPaths(h.origin, h.name);
      expect((await cm(h, p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
      expect((await cm(h, p.service('TVDc_VirtualSystemManagementService'), defineParam('mv', 'MarketAnalysis'))).returnValue).to.equal(0);
      expect((await cm(h, p.service('TVDc_VirtualSystemManagementService'), defineParam('other', 'MarketAnalysis'))).returnValue).to.equal(0);
    }
    // mv runs on px with a measured vTPM; on py it is defined, its own fresh vTPM deleted.
    expect((await cm(x, new HostPaths(x.origin, 'px').vm('mv'), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
    // Suspended: a vTPM is exported only while its VM does not execute.
    expect((await cm(x, new HostPaths(x.origin, 'px').vm('mv'), 'RequestStateChange.RequestedState=6')).returnValue).to.equal(0);
    for (const vm of ['mv', 'other']) {
      const d = await cy.invokeMethod(vtpmServicePath('py'), 'DeleteVTPM', { VTPM: vtpmPath(vm) });
      expect(Number(d.returnValue)).to.equal(0);
    }
  });
  after(async () => {
    await cx?.close();
    await cy?.close();
    for (const h of [x, y]) await h?.stop();
    for (const s of states) await removeState(s);
  });

  it('each host publishes its own MigrationPublicKey (PEM) on TVDc_VTPMManagementService, the same after a restart', async () => {
    keyX = await migrationKey(cx, 'px');
    keyY = await migrationKey(cy, 'py');
    expect(keyX).to.match(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    expect(keyY).to.not.equal(keyX);
    const gi = await wbemcli(['gi', new HostPaths(y.origin, 'py').url('TVDc_VTPMManagementService.CreationClassName="TVDc_VTPMManagementService",Name="VTPMManagementService",SystemCreationClassName="TVDc_HostSystem",SystemName="py"')]);
    expect(gi.stdout).to.include('MigrationPublicKey="-----BEGIN PUBLIC KEY-----');
    await cy.close();
    await y.stop();
    y = await startInProcessHost('py', states[1]);
    cy = connect(y.origin);
    expect(await migrationKey(cy, 'py')).to.equal(keyY);
  });

  it('refuses a package with return code 4 and a Reason naming why: wrong source, other recipient, altered, truncated, other VM, old format', async () => {
    const state = await exportFromX(keyY);
    const expectRefused = async (r: Promise<{ rc: number; reason: string }>, code: string) => {
      const { rc, reason } = await r;
      expect(rc, reason).to.equal(4);
      expect(reason).to.match(new RegExp(`^vTPM package refused \\(${code}\\): `));
    };
    await expectRefused(importAtY(state, keyY), 'WRONG_SOURCE_KEY');
    await expectRefused(importAtY(await exportFromX(keyX)), 'NOT_FOR_THIS_HOST');
    const raw = JSON.parse(Buffer.from(state, 'base64').toString()) as { header: string };
    const header = JSON.parse(raw.header) as { ciphertext: string };
    const ct = Buffer.from(header.ciphertext, 'base64');
    ct[ct.length >> 1]! ^= 0x80;
    const altered = Buffer.from(JSON.stringify({ ...raw, header: JSON.stringify({ ...header, ciphertext: ct.toString('base64') }) })).toString('base64');
    await expectRefused(importAtY(altered), 'BAD_SIGNATURE');
    const bytes = Buffer.from(state, 'base64');
    await expectRefused(importAtY(bytes.subarray(0, bytes.length - 3).toString('base64')), 'MALFORMED');
    await expectRefused(importAtY(state, keyX, 'other'), 'WRONG_VM');
    const old = Buffer.from(JSON.stringify({ format: 'tvdc-vtpm-state/1', sha256: 'ab'.repeat(32), body: '{}' })).toString('base64');
    await expectRefused(importAtY(old), 'OLD_FORMAT');
    const ein = await wbemcli(['ein', new HostPaths(y.origin, 'py').url('TVDc_VTPM')]);
    expect(ein.stdout).to.not.include('SystemName="mv"').and.not.include('SystemName="other"');
  });

  it('moves the running vTPM from px to py: same PCR 10 and EK certificate; the same package again is a replay', async () => {
    // The exports above stopped its vTPM, so it cannot resume: stopped, started (a fresh vTPM boot), suspended for the export.
    for (const rs of [3, 2, 6]) expect((await cm(x, new HostPaths(x.origin, 'px').vm('mv'), `RequestStateChange.RequestedState=${rs}`)).returnValue).to.equal(0);
    const before = await pcr10(cx, 'px');
    const ek = String((await cx.getInstance(vtpmPath('mv'))).get('EKCertificate'));
    const state = await exportFromX(keyY);
    const r = await importAtY(state);
    expect(r.rc, r.reason).to.equal(0);
    expect(await pcr10(cy, 'py')).to.equal(before);
    expect(String((await cy.getInstance(vtpmPath('mv'))).get('EKCertificate'))).to.equal(ek);
    expect(Number((await cy.invokeMethod(vtpmServicePath('py'), 'DeleteVTPM', { VTPM: vtpmPath('mv') })).returnValue)).to.equal(0);
    const again = await importAtY(state);
    expect(again.rc).to.equal(4);
    expect(again.reason).to.match(/^vTPM package refused \(REPLAYED\)/);
  });
});
