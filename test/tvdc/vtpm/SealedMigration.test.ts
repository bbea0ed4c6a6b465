// vTPM migration packages between two hosts (two IsolationService + HostIntegrity pairs, each with
// its own state dir, SQLite files and real swtpm processes): a running vTPM arrives with its PCRs,
// EK and log; the package hides the TPM's secrets; every way a package can be wrong is refused
// with its own code and leaves the destination without a vTPM; the migration key survives restarts.
import { expect } from 'chai';
import { constants, sign } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IsolationService } from '../../../src/tvdc/hypervisor/IsolationService.js';
import { HostIntegrity, VTPM_EXTENSION } from '../../../src/tvdc/vtpm/HostIntegrity.js';
import { MIGRATION_KEY_FILE, MigrationKey } from '../../../src/tvdc/vtpm/MigrationKey.js';
import { SealedVtpmPackage } from '../../../src/tvdc/vtpm/SealedVtpmPackage.js';
import { VtpmState } from '../../../src/tvdc/vtpm/VtpmState.js';
import { isVtpmPackageError, type VtpmPackageRefusal } from '../../../src/tvdc/vtpm/VtpmPackageError.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import type { MigrationTicket } from '../../../src/tvdc/hypervisor/VirtualMachine.js';
import { POLICY_1_0 } from '../hypervisor/support.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

interface Host {
  name: string;
  dir: string;
  iso: IsolationService;
  hi: HostIntegrity;
  off: () => void;
}

/** The three parts of a sealed package, to alter one and put it back together. */
interface Parts {
  outer: { format: string; header: string; signature: string };
  header: Record<string, unknown>;
}

function split(pkg: Buffer): Parts {
  const outer = JSON.parse(pkg.toString()) as Parts['outer'];
  return { outer, header: JSON.parse(outer.header) as Record<string, unknown> };
}

/** Reassembles a package; with `signer` the changed header is signed again (a source gone bad). */
function join3(p: Parts, signer?: MigrationKey): Buffer {
  const header = JSON.stringify(p.header);
  let signature = p.outer.signature;
  if (signer) {
    const msg = Buffer.concat([Buffer.from('tvdc-vtpm-sealed/1 signed header\n'), Buffer.from(header)]);
    signature = sign('sha256', msg, { key: signer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
  }
  return Buffer.from(JSON.stringify({ ...p.outer, header, signature }));
}

function flipBase64Byte(b64: unknown, at: number): string {
  const bytes = Buffer.from(String(b64), 'base64');
  bytes[at % bytes.length]! ^= 0x01;
  return bytes.toString('base64');
}

/** True when `slice` appears in `hay` raw or base64-encoded at any of the three byte alignments. */
function holds(hay: Buffer, slice: Buffer): boolean {
  if (hay.includes(slice)) return true;
  const text = hay.toString('latin1');
  for (let k = 0; k < 3; k++) {
    const b64 = slice.subarray(k).toString('base64');
    // Only the characters fully determined by the slice's own bytes.
    const whole = b64.slice(0, Math.floor(((slice.length - k) * 4) / 3) - 1).replace(/=+$/, '');
    if (text.includes(whole)) return true;
  }
  return false;
}

async function refusal(p: Promise<unknown>): Promise<VtpmPackageRefusal | string> {
  try {
    await p;
  } catch (e) {
    return isVtpmPackageError(e) ? e.refusal : `not a package refusal: ${(e as Error).message}`;
  }
  return 'accepted';
}

describe('vtpm: sealed migration packages between two hosts (real swtpm, SQLite)', function () {
  this.timeout(90_000);
  let dir: string;
  let a: Host;
  let b: Host;
  /** A third host's key: neither source nor destination. */
  let stranger: MigrationKey;

  const openHost = async (name: string, packageLifetimeMs?: number): Promise<Host> => {
    const hostDir = join(dir, name);
    const iso = IsolationService.open({ db: join(dir, `${name}-iso.db`), hostName: name, initialPolicy: POLICY_1_0 });
    const hi = await HostIntegrity.open({ stateDir: hostDir, hostName: name, vms: iso, ...(packageLifetimeMs === undefined ? {} : { packageLifetimeMs }) });
    return { name, dir: hostDir, iso, hi, off: iso.addLifecycleListener(hi.lifecycleListener()) };
  };
  const closeHost = async (h: Host) => {
    h.off();
    await h.hi.close();
    h.iso.close();
  };
  const pcr10 = async (h: Host, vm: string) => (await h.hi.pcrs({ kind: 'vm', name: vm }, [10])).get(TPM_ALG.SHA256)!.get(10)!.toString('hex');

  before(async () => {
    dir = tempDir('vtpm-seal');
    a = await openHost('hostA');
    b = await openHost('hostB');
    stranger = MigrationKey.openOrCreate(join(dir, 'stranger'));
    // A VM with a measured vTPM on A, suspended (a vTPM is exported only while its VM does not
    // execute); the same VM defined, without a vTPM, on B.
    await a.iso.defineVm('vm1', 'MarketAnalysis');
    await a.iso.startVm('vm1');
    await a.hi.executeFile('vm1', '/bin/sh');
    await a.iso.suspendVm('vm1');
    await b.iso.defineVm('vm1', 'MarketAnalysis');
    await b.hi.deleteVtpm('vm1');
  });
  after(async () => {
    for (const h of [a, b]) if (h) await closeHost(h).catch(() => undefined);
    await cleanup(dir);
  });

  const exportToB = () => a.hi.exportState('vm1', b.hi.migrationPublicKeyPem());
  const importAtB = (pkg: Buffer, sourcePem = a.hi.migrationPublicKeyPem(), vm = 'vm1') => b.hi.importState(vm, pkg, sourcePem);

  it('each host has one migration key: private key file 0600 in a 0700 dir, published as PEM, the same after a restart', async () => {
    const keyFile = join(a.dir, 'vtpm', 'migration', MIGRATION_KEY_FILE);
    const pem = a.hi.migrationPublicKeyPem();
    expect(pem).to.match(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
    expect(statSync(join(a.dir, 'vtpm', 'migration')).mode & 0o777).to.equal(0o700);
    expect(readFileSync(keyFile, 'utf8')).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(b.hi.migrationPublicKeyPem()).to.not.equal(pem);
    // The vTPM is running; a restart resumes it, and the host keeps the key it had.
    await closeHost(a);
    a = await openHost('hostA');
    expect(a.hi.migrationPublicKeyPem()).to.equal(pem);
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
    expect(a.hi.info({ kind: 'vm', name: 'vm1' }).running).to.equal(true);
  });

  it('refuses, each with its own code, every package that is not for this host, this VM, from this source, intact and new', async () => {
    const expectRefused = async (pkg: Buffer | Promise<Buffer>, code: VtpmPackageRefusal, sourcePem?: string, vm?: string) => {
      expect(await refusal(importAtB(await pkg, sourcePem, vm))).to.equal(code);
      expect(b.hi.has('vm1'), `no vTPM after ${code}`).to.equal(false);
    };
    const good = await exportToB();

    // Sealed to another host; checked with another source's key.
    await expectRefused(a.hi.exportState('vm1', stranger.publicKeyPem), 'NOT_FOR_THIS_HOST');
    await expectRefused(good, 'WRONG_SOURCE_KEY', stranger.publicKeyPem);
    // Claiming the stranger as its source does not help: the signature is A's.
    const claimed = split(good);
    claimed.header['source'] = stranger.fingerprint;
    await expectRefused(join3(claimed), 'BAD_SIGNATURE', stranger.publicKeyPem);

    // One byte changed anywhere the signature covers, or in the signature itself.
    const ct = split(good);
    ct.header['ciphertext'] = flipBase64Byte(ct.header['ciphertext'], 100);
    await expectRefused(join3(ct), 'BAD_SIGNATURE');
    const wk = split(good);
    wk.header['wrappedKey'] = flipBase64Byte(wk.header['wrappedKey'], 7);
    await expectRefused(join3(wk), 'BAD_SIGNATURE');
    const sig = split(good);
    sig.outer.signature = flipBase64Byte(sig.outer.signature, 20);
    await expectRefused(join3(sig), 'BAD_SIGNATURE');

    // A source that signs whatever it is given (its key in the wrong hands): GCM and OAEP still catch it.
    const aKey = MigrationKey.openOrCreate(join(a.dir, 'vtpm', 'migration'));
    await expectRefused(join3(ct, aKey), 'DECRYPT_FAILED');
    await expectRefused(join3(wk, aKey), 'UNWRAP_FAILED');
    const tag = split(good);
    tag.header['tag'] = flipBase64Byte(tag.header['tag'], 3);
    await expectRefused(join3(tag, aKey), 'DECRYPT_FAILED');

    // Truncated anywhere, or not a package at all.
    for (const n of [0, 1, 40, Math.floor(good.length / 2), good.length - 1]) await expectRefused(good.subarray(0, n), 'MALFORMED');
    await expectRefused(Buffer.from('{"format":"x"}'), 'MALFORMED');
    await expectRefused(Buffer.from([0xff, 0xfe, 0x00, 0x7b]), 'MALFORMED');

    // The old plaintext, checksum-only format: no fallback.
    const old = JSON.stringify({ format: 'tvdc-vtpm-state/1', sha256: '00'.repeat(32), body: JSON.stringify({ id: 'vm1' }) });
    await expectRefused(Buffer.from(old), 'OLD_FORMAT');

    // For another VM than the import target.
    await b.iso.defineVm('vm2', 'MarketAnalysis');
    await b.hi.deleteVtpm('vm2');
    expect(await refusal(importAtB(good, undefined, 'vm2'))).to.equal('WRONG_VM');
    expect(b.hi.has('vm2')).to.equal(false);
    // A wrong key argument is a plain invalid argument, not a crash.
    const notKey = await importAtB(good, 'not a key').catch((e: unknown) => e);
    expect(isTvdcError(notKey, 'INVALID_ARGUMENT')).to.equal(true);

    // After all of that, the intact package still imports.
    const info = await importAtB(good);
    expect(info.running).to.equal(true);
    await b.hi.deleteVtpm('vm1');
  });

  it('refuses a replayed package id, and an older package from the same source, after the vTPM is gone (durably)', async () => {
    const older = await exportToB();
    const newer = await exportToB();
    await importAtB(newer);
    expect(await refusal(importAtB(newer))).to.equal('REPLAYED');
    await b.hi.deleteVtpm('vm1');
    expect(await refusal(importAtB(newer))).to.equal('REPLAYED');
    expect(await refusal(importAtB(older))).to.equal('STALE');
    // The record is in B's SQLite store: it outlives a restart.
    await closeHost(b);
    b = await openHost('hostB');
    expect(await refusal(importAtB(newer))).to.equal('REPLAYED');
    expect(b.hi.has('vm1')).to.equal(false);
  });

  it('refuses a package exported longer ago than a package lives, and accepts a fresh one', async () => {
    await closeHost(b);
    b = await openHost('hostB', 1_000);
    try {
      const unused = await exportToB();
      await new Promise((r) => setTimeout(r, 1_200));
      const late = await importAtB(unused).catch((e: unknown) => e);
      expect(isVtpmPackageError(late, 'EXPIRED')).to.equal(true);
      expect((late as Error).message).to.match(/exported at .* s ago; packages are accepted for 1 s after export: export the vTPM again/);
      expect(b.hi.has('vm1')).to.equal(false);
      const fresh = await importAtB(await exportToB());
      expect(fresh.id).to.equal('vm1');
      await b.hi.deleteVtpm('vm1');
    } finally {
      await closeHost(b);
      b = await openHost('hostB');
    }
  });

  it('a take-back copy sealed to the source itself outlives the package lifetime while it is its newest export; an older one does not', async () => {
    await closeHost(a);
    a = await openHost('hostA', 1_000);
    try {
      const self = a.hi.vtpms.migrationKey.publicKey;
      const leave = () => a.hi.vtpms.exportState('vm1', [{ recipient: b.hi.vtpms.migrationKey.publicKey, purpose: 'migrate' }, { recipient: self, purpose: 'return' }]);
      const [, older] = await leave();
      const [, newest] = await leave();
      const ek = a.hi.vtpms.get('vm1').ekCertificatePem;
      await new Promise((r) => setTimeout(r, 1_200));
      await a.hi.vtpms.delete('vm1');
      expect(await refusal(a.hi.vtpms.importState(older!, self, 'vm1', 'return'))).to.equal('EXPIRED');
      // A copy sealed to another host is held to the lifetime whatever its purpose.
      expect(await refusal(b.hi.vtpms.importState(newest!, self, 'vm1', 'return'))).to.not.equal('accepted');
      const back = await a.hi.vtpms.importState(newest!, self, 'vm1', 'return');
      expect(back.ekCertificatePem).to.equal(ek);
    } finally {
      await closeHost(a);
      a = await openHost('hostA');
    }
  });

  it('a take-back copy past the lifetime is refused once the vTPM came back by an import after it was taken: it lived on elsewhere, and the copy would roll it back', async () => {
    await closeHost(a);
    a = await openHost('hostA', 2_000);
    try {
      const self = a.hi.vtpms.migrationKey.publicKey;
      const bKey = b.hi.vtpms.migrationKey.publicKey;
      // A -> B, keeping the take-back copy; then B -> A: the vTPM is back on A by an import.
      const [toB, copy] = await a.hi.vtpms.exportState('vm1', [{ recipient: bKey, purpose: 'migrate' }, { recipient: self, purpose: 'return' }]);
      await a.hi.vtpms.delete('vm1');
      await b.hi.vtpms.importState(toB!, self, 'vm1');
      const [toA] = await b.hi.vtpms.exportState('vm1', [{ recipient: self, purpose: 'migrate' }]);
      await b.hi.vtpms.delete('vm1');
      await a.hi.vtpms.importState(toA!, bKey, 'vm1');
      await new Promise((r) => setTimeout(r, 2_200));
      // The copy is still A's newest export of vm1, and older than what A imported since.
      expect(await refusal(a.hi.vtpms.importState(copy!, self, 'vm1', 'return'))).to.equal('EXPIRED');
      // A copy taken after that import is A's latest state again: it outlives the lifetime (and
      // gets as far as finding vm1's vTPM still here).
      const [, later] = await a.hi.vtpms.exportState('vm1', [{ recipient: bKey, purpose: 'migrate' }, { recipient: self, purpose: 'return' }]);
      await new Promise((r) => setTimeout(r, 2_200));
      expect(await refusal(a.hi.vtpms.importState(later!, self, 'vm1', 'return'))).to.match(/^not a package refusal: .*exists/);
    } finally {
      await closeHost(a);
      a = await openHost('hostA');
    }
  });

  it('round trip A -> B with a running vTPM: PCRs, EK, AK and log survive; the package hides the TPM state', async () => {
    // Running again on A, measured once more, so the package carries volatile state and a log.
    expect(a.hi.info({ kind: 'vm', name: 'vm1' }).running).to.equal(false);
    await a.iso.stopVm('vm1');
    await a.iso.startVm('vm1');
    await a.hi.executeFile('vm1', '/bin/sh');
    await a.iso.suspendVm('vm1');
    const before = { pcr: await pcr10(a, 'vm1'), info: a.hi.info({ kind: 'vm', name: 'vm1' }), log: a.hi.log({ kind: 'vm', name: 'vm1' }) };
    const pkg = await exportToB();

    // B can read it (this is the positive control for the search below), nobody can without B's key.
    const bKey = MigrationKey.openOrCreate(join(b.dir, 'vtpm', 'migration'));
    const opened = SealedVtpmPackage.open(pkg, { recipient: bKey, source: a.hi.vtpms.migrationKey.publicKey, vm: 'vm1', purpose: 'migrate' });
    const state = VtpmState.decode(opened.plaintext);
    expect(state.permanent.length).to.be.greaterThan(1000);
    expect(state.volatile).to.not.equal(undefined);
    const slice = state.permanent.subarray(Math.floor(state.permanent.length / 2), Math.floor(state.permanent.length / 2) + 48);
    expect(holds(VtpmState.encode(state), slice)).to.equal(true);
    expect(holds(pkg, slice)).to.equal(false);
    expect(holds(pkg, state.volatile!.subarray(100, 148))).to.equal(false);
    expect(pkg.toString()).to.not.include(before.info.ekCertificatePem.split('\n')[5]!);

    const moved = await importAtB(pkg);
    await a.hi.deleteVtpm('vm1');
    expect(moved.running).to.equal(true);
    expect(await pcr10(b, 'vm1')).to.equal(before.pcr);
    expect(moved.ekCertificatePem).to.equal(before.info.ekCertificatePem);
    expect(moved.ekPublic.equals(before.info.ekPublic)).to.equal(true);
    expect(moved.akPublic.equals(before.info.akPublic)).to.equal(true);
    expect(b.hi.log({ kind: 'vm', name: 'vm1' }).map((e) => e.path)).to.deep.equal(before.log.map((e) => e.path));
    expect(findSwtpmProcesses(join(a.dir, 'vtpm'))).to.have.length(0);
  });

  it('VM migration through the isolation services carries the vTPM sealed between the prepared keys, and a refused VM comes back whole', async () => {
    // Clean slate: vm1 lives on B now (with its vTPM); move it back to A with the hypervisors.
    await a.iso.destroyVm('vm1');
    await b.iso.destroyVm('vm2');
    await b.iso.startVm('vm1');
    await b.hi.executeFile('vm1', '/bin/sh');
    const pcrBefore = await pcr10(b, 'vm1');
    const ekBefore = b.hi.info({ kind: 'vm', name: 'vm1' }).ekCertificatePem;

    // Not prepared: the VM does not leave.
    const unprepared = await b.iso.migrateTo('vm1', a.iso).catch((e: unknown) => e);
    expect(isTvdcError(unprepared, 'INVALID_STATE')).to.equal(true);
    expect((unprepared as Error).message).to.include('PrepareVTPMMigrationOut');
    expect(b.iso.getVm('vm1')!.state).to.equal('running');
    expect(await pcr10(b, 'vm1')).to.equal(pcrBefore);

    // Prepared at the source only: the destination refuses the vTPM, the VM is taken back from the
    // source's own sealed copy with its PCRs.
    b.hi.prepareMigrationOut('vm1', a.hi.migrationPublicKeyPem());
    const refused = await b.iso.migrateTo('vm1', a.iso).catch((e: unknown) => e);
    expect((refused as Error).message).to.include('PrepareVTPMMigrationIn');
    expect(b.iso.getVm('vm1')!.state).to.equal('running');
    expect(a.iso.getVm('vm1')).to.equal(undefined);
    expect(await pcr10(b, 'vm1')).to.equal(pcrBefore);

    // Both sides prepared: it moves, PCRs and EK with it.
    a.hi.prepareMigrationIn('vm1', b.hi.migrationPublicKeyPem());
    let ticket: MigrationTicket | undefined;
    const spy = a.iso.addLifecycleListener({ onMigrateIn: (_vm, t) => { ticket = t; } });
    await b.iso.migrateTo('vm1', a.iso);
    spy();
    expect(b.hi.has('vm1')).to.equal(false);
    expect(await pcr10(a, 'vm1')).to.equal(pcrBefore);
    expect(a.hi.info({ kind: 'vm', name: 'vm1' }).ekCertificatePem).to.equal(ekBefore);
    // What travelled: the package sealed to A, and nothing else. B's take-back copy stayed on B:
    // a copy that travelled could later be handed back to B as a VM "returning" and clone the vTPM.
    const carried = Buffer.from(String(ticket!.extensions[VTPM_EXTENSION]), 'base64');
    expect(split(carried).header['recipient']).to.equal(a.hi.vtpms.migrationKey.fingerprint);
    expect(Object.keys(ticket!.extensions)).to.deep.equal([VTPM_EXTENSION]);
    // A ticket naming B as its source but not made by B's move finds no take-back copy on B: the
    // VM arrives as from a host without vTPMs and gets a fresh one, not the state it left with.
    const forged: MigrationTicket = { ...ticket!, fromHost: 'hostB', extensions: {} };
    await b.iso.migrateIn(forged);
    expect(b.hi.info({ kind: 'vm', name: 'vm1' }).ekCertificatePem).to.not.equal(ekBefore);
    expect(await pcr10(b, 'vm1')).to.not.equal(pcrBefore);
    // A take-back copy (purpose "return") is no migration package even where it can be opened.
    const [returnCopy] = await a.hi.vtpms.exportState('vm1', [{ recipient: b.hi.vtpms.migrationKey.publicKey, purpose: 'return' }]);
    await a.iso.destroyVm('vm1');
    await a.iso.defineVm('vm1', 'MarketAnalysis');
    await a.hi.deleteVtpm('vm1');
    expect(await refusal(a.hi.importState('vm1', carried, b.hi.migrationPublicKeyPem()))).to.equal('REPLAYED');
    await b.iso.destroyVm('vm1');
    await b.iso.defineVm('vm1', 'MarketAnalysis');
    await b.hi.deleteVtpm('vm1');
    expect(await refusal(b.hi.importState('vm1', returnCopy!, a.hi.migrationPublicKeyPem()))).to.equal('WRONG_PURPOSE');
  });

  it('keys taken for one migration serve it and are gone after it; a prepared key is pinned and a different offered key is refused with both fingerprints', async () => {
    await a.iso.defineVm('once', 'MarketAnalysis');
    await a.iso.startVm('once');
    const pcrBefore = await pcr10(a, 'once');
    const strangerPem = stranger.publicKeyPem;

    // Taken, then dropped unused: the VM does not leave on a key that is gone.
    const drop = a.hi.useDestinationKeyOnce('once', strangerPem);
    // One migration of a VM at a time: a second key would be swapped in under the first.
    expect(isTvdcError(await Promise.resolve().then(() => a.hi.useDestinationKeyOnce('once', b.hi.migrationPublicKeyPem())).catch((e: unknown) => e), 'INVALID_STATE')).to.equal(true);
    drop();
    const unkeyed = await a.iso.migrateTo('once', b.iso).catch((e: unknown) => e);
    expect(isTvdcError(unkeyed, 'INVALID_STATE')).to.equal(true);
    expect(a.iso.getVm('once')!.state).to.equal('running');

    // Both ends take the peer's key for this move: the vTPM goes across, and after it the keys are
    // gone (B has no source key left for 'once', A none for the destination).
    const dropOut = a.hi.useDestinationKeyOnce('once', b.hi.migrationPublicKeyPem());
    const dropIn = b.hi.useSourceKeyOnce('once', a.hi.migrationPublicKeyPem());
    try {
      await a.iso.migrateTo('once', b.iso);
    } finally {
      dropOut();
      dropIn();
    }
    expect(await pcr10(b, 'once')).to.equal(pcrBefore);
    expect(a.hi.has('once')).to.equal(false);
    const noKey = await b.iso.migrateTo('once', a.iso).catch((e: unknown) => e);
    expect((noKey as Error).message).to.include('no destination migration key');
    expect(b.iso.getVm('once')!.state).to.equal('running');

    // A prepared key is pinned: the same key offered changes nothing, another is refused.
    b.hi.prepareMigrationOut('once', a.hi.migrationPublicKeyPem());
    b.hi.useDestinationKeyOnce('once', a.hi.migrationPublicKeyPem())();
    const mismatch = await Promise.resolve().then(() => b.hi.useDestinationKeyOnce('once', strangerPem)).catch((e: unknown) => e);
    expect(isTvdcError(mismatch, 'ACCESS_DENIED')).to.equal(true);
    expect((mismatch as Error).message).to.include(a.hi.vtpms.migrationKey.fingerprint).and.include(stranger.fingerprint);
    a.hi.prepareMigrationIn('once', b.hi.migrationPublicKeyPem());
    const inMismatch = await Promise.resolve().then(() => a.hi.useSourceKeyOnce('once', strangerPem)).catch((e: unknown) => e);
    expect(isTvdcError(inMismatch, 'ACCESS_DENIED')).to.equal(true);
    expect((inMismatch as Error).message).to.include(b.hi.vtpms.migrationKey.fingerprint).and.include(stranger.fingerprint);
    // The refused offers took nothing: the pinned keys still move the VM back.
    await b.iso.migrateTo('once', a.iso);
    expect(await pcr10(a, 'once')).to.equal(pcrBefore);
  });

  it('a key file made readable by others is closed again to 0600 when the host opens it', () => {
    const d = join(dir, 'loose');
    const k = MigrationKey.openOrCreate(d);
    const file = join(d, MIGRATION_KEY_FILE);
    chmodSync(file, 0o644);
    expect(MigrationKey.openOrCreate(d).fingerprint).to.equal(k.fingerprint);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });
});
