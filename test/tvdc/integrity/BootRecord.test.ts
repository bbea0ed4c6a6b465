// A VM's measurement list read from entry 0 must open with IMA's boot_aggregate: a list without
// it (a vTPM reset under a running guest leaves an empty one, PCR 10 at zero) has lost the record
// of its boot, and the verifier says so (BOOT_AGGREGATE_MISMATCH) instead of trusting it. A
// host's stand-in TPM (bootAggregateReferences: false) keeps its rule; its list opens with a
// boot_aggregate too. Real swtpm vTPMs.
import { expect } from 'chai';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { BOOT_LIST, VmImages, INIT_PATH } from '../../../src/tvdc/vtpm/VmImage.js';
import { BOOT_AGGREGATE } from '../../../src/tvdc/integrity/BootAggregate.js';
import { readRuntimePolicy, runtimePolicyOf } from '../../../src/tvdc/integrity/RuntimePolicy.js';
import { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { openVtpmRig, type VtpmRig } from '../vtpm/swtpmHelpers.js';

describe('integrity: a VM\'s measurement list starts with its boot_aggregate (real swtpm)', function () {
  this.timeout(60_000);
  let rig: VtpmRig;
  let manager: VtpmManager;
  let measurer: Measurer;
  let attestor: Attestor;
  let images: VmImages;
  let refs: ReferenceSet;

  before(async () => {
    rig = await openVtpmRig('boot-record');
    ({ manager, measurer, attestor, images } = rig);
    // The clean image's files and boot aggregates: everything these VMs run is known good.
    refs = new ReferenceSet();
    for (const e of readRuntimePolicy(runtimePolicyOf([images.ensure('ref')])).entries) refs.add(e.path, { digest: e.digest, annotation: 'trusted' });
  });
  after(async () => {
    await rig?.close();
  });

  /** A started vTPM for `vm`; `boot`: the host boots the image into it, as at a VM's start. */
  async function start(vm: string, boot: boolean): Promise<string> {
    const root = images.ensure(vm);
    await manager.create(vm);
    await manager.start(vm);
    if (boot) await measurer.boot(vm, root, BOOT_LIST);
    return root;
  }

  /** An enrolled verifier for `vm` and a function quoting it (PCRs 0-10) and judging the quote. */
  async function enrolled(vm: string, opts: { bootAggregateReferences?: boolean } = {}) {
    const v = new Verifier({ anchors: [{ pem: manager.vtpmCa.certificatePem, kind: 'virtual' }], references: refs, ...opts });
    const ch = v.beginEnrolment(`vm:${vm}`, manager.get(vm).ekCertificatePem, attestor.akPublicArea(vm), { vm });
    v.finishEnrolment(`vm:${vm}`, await attestor.activateCredential(vm, ch.credentialBlob, ch.secret));
    return async (fromIndex = 0) => {
      const nonce = v.newNonce(`vm:${vm}`);
      return v.verify(`vm:${vm}`, await attestor.getQuote(vm, { nonce, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], fromIndex }), nonce);
    };
  }

  it('an empty list (PCR 10 at zero, as a vTPM reset under a running guest leaves it) is untrusted: BOOT_AGGREGATE_MISMATCH, every time it is asked from 0', async () => {
    await start('blank', false);
    expect(manager.log.count('blank')).to.equal(0);
    const attest = await enrolled('blank');
    for (let round = 0; round < 2; round++) {
      const v = await attest();
      expect(v.status).to.equal('untrusted');
      expect(v.findings).to.deep.equal([{ code: 'BOOT_AGGREGATE_MISMATCH', message: "the measurement list is empty: a VM's list starts with boot_aggregate, so this one has lost its boot record" }]);
      // Nothing verified is kept: the next quote must bring the list from 0 again.
      expect(v.nextIndex).to.equal(0);
    }
  });

  it('a list whose entry 0 is a known-good file, not boot_aggregate, is untrusted and names that entry', async () => {
    const root = await start('noboot', false);
    await measurer.execute('noboot', root, INIT_PATH);
    const v = await (await enrolled('noboot'))();
    expect(v.status).to.equal('untrusted');
    expect(v.findings.map((f) => [f.code, f.index, f.path])).to.deep.equal([['BOOT_AGGREGATE_MISMATCH', 0, INIT_PATH]]);
    expect(v.findings[0]!.message).to.equal(`entry 0 is ${INIT_PATH}, not boot_aggregate: a VM's measurement list starts with boot_aggregate, so this one has lost its boot record or was not measured from boot`);
  });

  it('a booted VM is trusted from 0, and a later batch (not from 0) needs no boot_aggregate of its own', async () => {
    const root = await start('booted', true);
    await measurer.execute('booted', root, INIT_PATH);
    const attest = await enrolled('booted');
    const first = await attest();
    expect(first.findings).to.deep.equal([]);
    expect(first.status).to.equal('trusted');
    expect(first.nextIndex).to.equal(2);
    await measurer.execute('booted', root, INIT_PATH);
    const next = await attest(2);
    expect(next.findings).to.deep.equal([]);
    expect(next.nextIndex).to.equal(3);
  });

  it('a host\'s stand-in TPM keeps its rule: its list, booted with no components, opens with boot_aggregate; judged host-style an empty list is not held against it', async () => {
    // As the agent boots its own TPM: no boot components, then the boot_aggregate (over PCRs 0-9 at zero).
    await start('hostlike', false);
    await measurer.boot('hostlike', images.ensure('hostlike'), []);
    expect(manager.log.entries('hostlike', 0).map((e) => e.path)).to.deep.equal([BOOT_AGGREGATE]);
    expect((await (await enrolled('hostlike', { bootAggregateReferences: false }))()).findings).to.deep.equal([]);
    await start('hostblank', false);
    expect((await (await enrolled('hostblank', { bootAggregateReferences: false }))()).status).to.equal('trusted');
  });
});
