// A vTPM's EK is bound to its VM (real swtpm vTPMs, TPM 2.0 and TPM 1.2): enrolment refuses an EK
// certificate that names another VM (EK_WRONG_VM), and an EK another target already has enrolled
// (EK_CLONED), each naming both; the host part of the certificate's name does not bind, since a
// VM keeps its vTPM when it migrates.
import { expect } from 'chai';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { SealedVtpmPackage } from '../../../src/tvdc/vtpm/SealedVtpmPackage.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { SqliteVerifierStore } from '../../../src/tvdc/integrity/VerifierStore.js';
import { EkBindingError, ekVmProblem, vmOfEkCertificate } from '../../../src/tvdc/integrity/EkBinding.js';
import { openStore, type Db } from '../../../src/store/Store.js';
import { cleanup, tempDir } from '../vtpm/swtpmHelpers.js';

/** The error `fn` throws (undefined when it throws none). */
function thrown(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

describe('integrity: EK certificates bound to their VM (real swtpm)', function () {
  this.timeout(60_000);
  let dir: string;
  let manager: VtpmManager;
  let attestor: Attestor;
  let db: Db;

  before(async () => {
    dir = tempDir('ek-binding');
    ({ manager } = await VtpmManager.open({ stateDir: join(dir, 'host'), hostName: 'host-a' }));
    attestor = new Attestor(manager);
    for (const vm of ['vm1', 'vm2']) {
      await manager.create(vm);
      await manager.start(vm);
    }
    await manager.create('vm12', { family: 'tpm12' });
    await manager.start('vm12');
    db = openStore(join(dir, 'server', 'verifier.db'));
  });
  after(async () => {
    db?.close();
    await manager?.close();
    await cleanup(dir);
  });

  const verifier = () => new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], store: new SqliteVerifierStore(db) });

  /** TPM 2.0 enrolment of `target` with the vTPM of `vtpm`, the challenger expecting VM `vm`. */
  async function enrol(v: Verifier, target: string, vtpm: string, vm?: string) {
    const ch = v.beginEnrolment(target, manager.get(vtpm).ekCertificatePem, attestor.akPublicArea(vtpm), vm === undefined ? {} : { vm });
    return v.finishEnrolment(target, await attestor.activateCredential(vtpm, ch.credentialBlob, ch.secret));
  }

  it('reads the VM from the vTPM CA\'s subject; the host part (which a migrated vTPM keeps) does not bind', () => {
    const cert = new X509Certificate(manager.get('vm1').ekCertificatePem);
    expect(cert.subject).to.include('CN=tvdc vTPM EK host-a/vm1');
    expect(vmOfEkCertificate(cert)).to.equal('vm1');
    // A vTPM made on a host whose name has slashes, now running elsewhere: still vm1's.
    const moved = manager.vtpmCa.issueEkCertificate(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, 'dc/rack-2/host-b/vm1');
    expect(ekVmProblem(moved, 'vm1')).to.equal(undefined);
    expect(ekVmProblem(moved, 'vm2')).to.match(/names VM vm1 .*not vm2/);
    // The platform CA's EK certificate (a host's own TPM) names no VM.
    const platform = manager.platformCa.issueEkCertificate(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, 'host-a/host');
    expect(ekVmProblem(platform, 'vm1')).to.match(/names no VM, yet VM vm1 is being enrolled/);
  });

  it('TPM 2.0: vm1\'s vTPM answering for vm2 is refused before any credential is sealed (EK_WRONG_VM, naming both); vm2\'s own enrols', async () => {
    const v = verifier();
    const e = thrown(() => v.beginEnrolment('vm:vm2', manager.get('vm1').ekCertificatePem, attestor.akPublicArea('vm1'), { vm: 'vm2' }));
    expect(e).to.be.instanceOf(EkBindingError);
    expect((e as EkBindingError).finding).to.equal('EK_WRONG_VM');
    expect(e!.message).to.match(/enrolment of vm:vm2 refused: the EK certificate names VM vm1 \(CN=tvdc vTPM EK host-a\/vm1\), not vm2/);
    expect(v.enrolment('vm:vm2')).to.equal(undefined);
    expect((await enrol(v, 'vm:vm2', 'vm2', 'vm2')).target).to.equal('vm:vm2');
    expect((await enrol(v, 'vm:vm1', 'vm1', 'vm1')).target).to.equal('vm:vm1');
  });

  it('TPM 1.2: a quote key certificate of vm12\'s vTPM enrolled as another VM is refused (EK_WRONG_VM)', () => {
    const v = verifier();
    const info = manager.get('vm12');
    const e = thrown(() => v.enrolTpm12('vm:other', info.ekCertificatePem, info.akCertificatePem!, { vm: 'other' }));
    expect((e as EkBindingError).finding).to.equal('EK_WRONG_VM');
    expect(e!.message).to.match(/names VM vm12 .*not other/);
    expect(v.enrolTpm12('vm:vm12', info.ekCertificatePem, info.akCertificatePem!, { vm: 'vm12' }).family).to.equal('tpm12');
  });

  it('an EK enrolled for one target is refused for another (EK_CLONED, naming both), once the TPM proved it holds EK and AK', async () => {
    const v = verifier();
    // vm:vm1 is enrolled (previous test, same SQLite store). The same vTPM under another name, with
    // no VM to check the certificate against (as enrolments were made before names were checked):
    const ch = v.beginEnrolment('vm:copy', manager.get('vm1').ekCertificatePem, attestor.akPublicArea('vm1'));
    const activated = await attestor.activateCredential('vm1', ch.credentialBlob, ch.secret);
    const e = thrown(() => v.finishEnrolment('vm:copy', activated));
    expect((e as EkBindingError).finding).to.equal('EK_CLONED');
    expect(e!.message).to.equal('enrolment of vm:copy refused: its EK is already enrolled for vm:vm1; one TPM identity answering for both vm:copy and vm:vm1 is a cloned or copied vTPM (if vm:vm1 is gone for good, a dcadmin forgets its enrolment first)');
    expect(v.enrolment('vm:copy')).to.equal(undefined);
    // TPM 1.2 alike, after every key check passed.
    const info = manager.get('vm12');
    const e12 = thrown(() => v.enrolTpm12('vm:copy12', info.ekCertificatePem, info.akCertificatePem!));
    expect((e12 as EkBindingError).finding).to.equal('EK_CLONED');
    expect(e12!.message).to.include('already enrolled for vm:vm12');
    // Enrolling a target again with its own EK is no clone; forgetting the holder frees the EK.
    expect((await enrol(v, 'vm:vm1', 'vm1', 'vm1')).target).to.equal('vm:vm1');
    v.forget('vm:vm1');
    expect((await enrol(v, 'vm:copy', 'vm1')).target).to.equal('vm:copy');
    v.forget('vm:copy');
  });

  it('an older enrolment holding another VM\'s EK blocks the rightful VM as a clone, by name', async () => {
    const v = verifier();
    // Enrolled before certificates were matched to VMs: vm:vm2 with vm1's vTPM.
    v.forget('vm:vm2');
    expect((await enrol(v, 'vm:vm2', 'vm1')).target).to.equal('vm:vm2');
    const ch = v.beginEnrolment('vm:vm1', manager.get('vm1').ekCertificatePem, attestor.akPublicArea('vm1'), { vm: 'vm1' });
    const e = thrown(() => v.finishEnrolment('vm:vm1', Buffer.alloc(0)));
    // A wrong credential is refused as such first ...
    expect(e!.message).to.match(/did not recover the credential/);
    const ch2 = v.beginEnrolment('vm:vm1', manager.get('vm1').ekCertificatePem, attestor.akPublicArea('vm1'), { vm: 'vm1' });
    expect(ch2.secret.equals(ch.secret)).to.equal(false);
    const activated = await attestor.activateCredential('vm1', ch2.credentialBlob, ch2.secret);
    // ... the right one finds the EK held by vm:vm2.
    expect(thrown(() => v.finishEnrolment('vm:vm1', activated))!.message).to.match(/^enrolment of vm:vm1 refused: its EK is already enrolled for vm:vm2/);
    v.forget('vm:vm2');
  });
  it('vm1\'s vTPM copied to another host and imported there as vm2 (a clone) is refused for vm2 (EK_WRONG_VM) and, under any other name, as vm1\'s clone (EK_CLONED)', async () => {
    const v = verifier();
    expect((await enrol(v, 'vm:vm1', 'vm1', 'vm1')).target).to.equal('vm:vm1');
    // Made with the hosts' own keys, as whoever holds a sealed copy and a source key could.
    const { manager: b } = await VtpmManager.open({ stateDir: join(dir, 'host-b'), hostName: 'host-b' });
    try {
      const [sealed] = await manager.exportState('vm1', [{ recipient: b.migrationKey.publicKey, purpose: 'migrate' }]);
      const opened = SealedVtpmPackage.open(sealed!, { recipient: b.migrationKey, source: manager.migrationKey.publicKey, vm: 'vm1', purpose: 'migrate' });
      const state = JSON.parse(opened.plaintext.toString('utf8')) as { body: { id: string } };
      state.body.id = 'vm2';
      const copy = SealedVtpmPackage.seal({ plaintext: Buffer.from(JSON.stringify(state)), vm: 'vm2', purpose: 'migrate', counter: opened.info.counter + 1, source: manager.migrationKey, recipient: b.migrationKey.publicKey });
      const imported = await b.importState(copy, manager.migrationKey.publicKey, 'vm2');
      expect(new X509Certificate(imported.ekCertificatePem).subject).to.include('CN=tvdc vTPM EK host-a/vm1');
      if (b.get('vm2').running !== true) await b.start('vm2');
      const attestorB = new Attestor(b);
      const e = thrown(() => v.beginEnrolment('vm:vm2', imported.ekCertificatePem, attestorB.akPublicArea('vm2'), { vm: 'vm2' }));
      expect((e as EkBindingError).finding).to.equal('EK_WRONG_VM');
      expect(e!.message).to.include('names VM vm1 (CN=tvdc vTPM EK host-a/vm1), not vm2');
      // Asked without a VM to check against, the copy proves it holds vm1's EK, and is a clone.
      const ch = v.beginEnrolment('vm:vm2', imported.ekCertificatePem, attestorB.akPublicArea('vm2'));
      const activated = await attestorB.activateCredential('vm2', ch.credentialBlob, ch.secret);
      const c = thrown(() => v.finishEnrolment('vm:vm2', activated));
      expect((c as EkBindingError).finding).to.equal('EK_CLONED');
      expect(c!.message).to.include('its EK is already enrolled for vm:vm1; one TPM identity answering for both vm:vm2 and vm:vm1');
    } finally {
      await b.close();
    }
  });
});
