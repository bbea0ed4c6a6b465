// A TPM 1.2 vTPM over CIM: CreateVTPM with TPMSpecMajorVersion 1 makes one (any other value than 1
// or 2 is Invalid Parameter), TVDc_VTPM reports it as CIM_TPM models TPM 1.2 (TPMSpecMajorVersion 1,
// TPMSpecMinorVersion 2, TPMState S1, the SHA-1 bank only), and GetAttestationKey / GetQuote hand
// out what the Verifier needs to enrol its quote key and check its quotes.
import { expect } from 'chai';
import type { WbemConnection } from '../../../client/cim/index.js';
import type { MethodResult } from '../../../client/cim/MethodResult.js';
import type { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import type { QuoteBundle } from '../../../src/tvdc/integrity/QuoteBundle.js';
import { HostPaths, POLICY_1_0, defineParam, methodOutput, policyParam, wbemcli } from '../isolation/support/wbemcli.js';
import { attestationService, connect, vmPath } from './support/attest.js';
import { vtpmServicePath } from './support/migration.js';
import { removeState, startInProcessHost, type IntegrityHost } from './support/IntegrityHost.js';

function vtpmPath(vm: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_VTPM', { CreationClassName: 'TVDc_VTPM', DeviceID: 'vtpm0', SystemCreationClassName: 'TVDc_ComputerSystem', SystemName: vm }, 'root/tvdc');
}

describe('integrity providers: TPM 1.2 vTPMs over CIM (real swtpm)', function () {
  this.timeout(60_000);
  let h: IntegrityHost;
  let p: HostPaths;
  let conn: WbemConnection;
  const out = (r: MethodResult, name: string) => r.outParams.get(name)?.value;

  before(async () => {
    h = await startInProcessHost('t12');
    p = new HostPaths(h.origin, 't12');
    conn = connect(h.origin);
    const cm = async (target: string, call: string) => methodOutput((await wbemcli(['cm', p.url(target), call])).stdout);
    expect((await cm(p.service('TVDc_SecurityService'), policyParam(POLICY_1_0))).returnValue).to.equal(0);
    for (const vm of ['old', 'new']) expect((await cm(p.service('TVDc_VirtualSystemManagementService'), defineParam(vm, 'MarketAnalysis'))).returnValue).to.equal(0);
  });
  after(async () => {
    await conn?.close();
    await h?.stop();
    await removeState(h.state);
  });

  it('CreateVTPM with TPMSpecMajorVersion 1 makes a TPM 1.2 vTPM; 3 is Invalid Parameter; without it a TPM 2.0', async () => {
    // Defining a VM gives it a TPM 2.0 vTPM; the administrator replaces it before the VM first runs.
    expect(Number((await conn.invokeMethod(vtpmServicePath('t12'), 'DeleteVTPM', { VTPM: vtpmPath('old') })).returnValue)).to.equal(0);
    const bad = await conn.invokeMethod(vtpmServicePath('t12'), 'CreateVTPM', { System: vmPath('old'), TPMSpecMajorVersion: { type: 'uint32', value: 3 } });
    expect(Number(bad.returnValue)).to.equal(4);
    expect(String(out(bad, 'Reason'))).to.include('TPMSpecMajorVersion must be 2 (TPM 2.0) or 1 (TPM 1.2), not 3');
    const made = await conn.invokeMethod(vtpmServicePath('t12'), 'CreateVTPM', { System: vmPath('old'), TPMSpecMajorVersion: { type: 'uint32', value: 1 } });
    expect(Number(made.returnValue)).to.equal(0);
    const tpm12: CimInstance = await conn.getInstance(vtpmPath('old'));
    expect(Number(tpm12.get('TPMSpecMajorVersion'))).to.equal(1);
    expect(Number(tpm12.get('TPMSpecMinorVersion'))).to.equal(2);
    expect(Number(tpm12.get('TPMState'))).to.equal(1);
    expect(tpm12.get('PCRBanks')).to.deep.equal(['sha1']);
    expect(String(tpm12.get('Description'))).to.include('TPM 1.2');
    const tpm2: CimInstance = await conn.getInstance(vtpmPath('new'));
    expect([Number(tpm2.get('TPMSpecMajorVersion')), Number(tpm2.get('TPMState'))]).to.deep.equal([2, 10]);
    expect(tpm2.get('PCRBanks')).to.deep.equal(['sha1', 'sha256']);
  });

  it('a running TPM 1.2 VM is enrolled by its quote key certificate and attests as trusted; ActivateCredential is refused', async () => {
    const r = await wbemcli(['cm', p.url(p.vm('old')), 'RequestStateChange.RequestedState=2']);
    expect(methodOutput(r.stdout).returnValue).to.equal(0);
    const pcrs = (await conn.associators(vtpmPath('old'), { assocClass: 'CIM_ConcreteComponent', resultClass: 'TVDc_PCR' }).toArray()) as CimInstance[];
    expect(pcrs.length).to.equal(24);
    expect(pcrs.every((i) => Number(i.get('HashAlgorithm')) === 4)).to.equal(true);

    const key = await conn.invokeMethod(attestationService('t12'), 'GetAttestationKey', { Target: vmPath('old') });
    expect(out(key, 'QuoteFamily')).to.equal('tpm12');
    const verifier = new Verifier({ anchors: [{ pem: h.vtpmCaPem(), kind: 'virtual' }] });
    verifier.enrolTpm12('old', String(out(key, 'EKCertificate')), String(out(key, 'AKCertificate')));
    const act = await conn.invokeMethod(attestationService('t12'), 'ActivateCredential', { Target: vmPath('old'), CredentialBlob: 'AAAA', Secret: 'AAAA' }).catch((e: Error) => e);
    expect(String(act)).to.match(/TPM 1\.2.*not by credential activation/);

    const nonce = verifier.newNonce('old');
    const q = await conn.invokeMethod(attestationService('t12'), 'GetQuote', { Target: vmPath('old'), Nonce: nonce });
    expect(Number(q.returnValue)).to.equal(0);
    const bundle: QuoteBundle = {
      family: out(q, 'QuoteFamily') as 'tpm12',
      quote: String(out(q, 'Quote')),
      signature: String(out(q, 'Signature')),
      akPublic: String(out(q, 'AKPublic')),
      akCertificate: String(out(q, 'AKCertificate')),
      ekCertificate: String(out(q, 'EKCertificate')),
      pcrValues: out(q, 'PCRValues') as string[],
      logEntries: out(q, 'LogEntries') as string[],
      logIndex: Number(out(q, 'LogIndex')),
    };
    expect(bundle.family).to.equal('tpm12');
    const v = verifier.verify('old', bundle, nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    expect(v.nextIndex).to.equal(bundle.logEntries.length);
    // The TPM 2.0 VM's GetQuote names its family too.
    expect((await wbemcli(['cm', p.url(p.vm('new')), 'RequestStateChange.RequestedState=2'])).stderr).to.equal('');
    const q2 = await conn.invokeMethod(attestationService('t12'), 'GetQuote', { Target: vmPath('new'), Nonce: 'ab'.repeat(20) });
    expect(out(q2, 'QuoteFamily')).to.equal('tpm2');
    expect(out(q2, 'AKCertificate')).to.equal(undefined);
  });
});
