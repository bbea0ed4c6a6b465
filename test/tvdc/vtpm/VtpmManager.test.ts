import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { VtpmManager } from '../../../src/tvdc/vtpm/VtpmManager.js';
import { Measurer } from '../../../src/tvdc/vtpm/Measurer.js';
import { Attestor } from '../../../src/tvdc/vtpm/Attestor.js';
import { VtpmState } from '../../../src/tvdc/vtpm/VtpmState.js';
import { SealedVtpmPackage } from '../../../src/tvdc/vtpm/SealedVtpmPackage.js';
import { isVtpmPackageError } from '../../../src/tvdc/vtpm/VtpmPackageError.js';
import { findSwtpmProcesses } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { TPM_ALG } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { TCG_KP_EK_CERTIFICATE } from '../../../src/tvdc/vtpm/VtpmCa.js';
import { Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import { isTvdcError } from '../../../src/tvdc/TvdcError.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

/** A process counts as alive unless it is gone or a zombie (dead, only waiting to be reaped). */
const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 20));
  return pids.filter(alive);
}

async function pcr10(m: VtpmManager, id: string): Promise<string> {
  const r = await m.client(id).pcrRead([{ hashAlg: TPM_ALG.SHA256, pcrs: [10] }, { hashAlg: TPM_ALG.SHA1, pcrs: [10] }]);
  return r.values.get(TPM_ALG.SHA256)!.get(10)!.toString('hex') + '/' + r.values.get(TPM_ALG.SHA1)!.get(10)!.toString('hex');
}

describe('vtpm: manager lifecycle, migration and crash recovery', function () {
  this.timeout(60_000);
  let dir: string;
  let agentProcess: ReturnType<typeof spawn> | undefined;
  const open: VtpmManager[] = [];
  const openManager = async (name: string, host = name) => {
    const r = await VtpmManager.open({ stateDir: join(dir, name), hostName: host });
    open.push(r.manager);
    return r;
  };
  before(() => {
    dir = tempDir('vtpm-mgr');
    mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'root', 'bin', 'app'), 'application');
  });
  after(async () => {
    agentProcess?.kill('SIGKILL');
    for (const m of open) await m.close().catch(() => undefined);
    await cleanup(dir);
  });

  it('creates a vTPM with an EK certificate from the host vTPM CA, starts, stops and deletes it', async () => {
    const { manager } = await openManager('h1', 'host-one');
    const info = await manager.create('vm-1', { akKind: 'ecc' });
    expect(info.running).to.equal(false);
    const cert = new X509Certificate(info.ekCertificatePem);
    expect(cert.verify(manager.vtpmCa.certificate.publicKey)).to.equal(true);
    expect(cert.subject).to.include('OU=virtual TPM');
    expect(cert.subject).to.include('host-one/vm-1');
    expect(cert.toLegacyObject().ext_key_usage).to.deep.equal([TCG_KP_EK_CERTIFICATE]);
    expect(manager.list().map((v) => v.id)).to.deep.equal(['vm-1']);

    const started = await manager.start('vm-1');
    expect(started.running).to.equal(true);
    expect(alive(started.pid!)).to.equal(true);
    const err = await manager.start('vm-1').catch((e: unknown) => e);
    expect(isTvdcError(err, 'INVALID_STATE')).to.equal(true);
    await manager.stop('vm-1');
    expect(alive(started.pid!)).to.equal(false);
    expect(manager.get('vm-1').running).to.equal(false);
    await manager.delete('vm-1');
    expect(manager.list()).to.deep.equal([]);
    expect(existsSync(info.stateDir)).to.equal(false);
    expect(isTvdcError(await manager.start('vm-1').catch((e: unknown) => e), 'NOT_FOUND')).to.equal(true);
    expect(isTvdcError(await manager.create('../etc').catch((e: unknown) => e), 'INVALID_ARGUMENT')).to.equal(true);
  });

  it('resets PCRs and the log on a new boot, keeps them across an agent restart', async () => {
    const { manager } = await openManager('h2');
    const measurer = new Measurer(manager);
    await manager.create('vm');
    await manager.start('vm');
    await measurer.execute('vm', join(dir, 'root'), '/bin/app');
    const before = await pcr10(manager, 'vm');
    expect(before.split('/')[0]).to.not.equal('0'.repeat(64));
    await manager.close();
    const { manager: again, recovery } = await openManager('h2');
    expect(recovery.restarted).to.deep.equal([{ id: 'vm', resumed: true }]);
    expect(await pcr10(again, 'vm')).to.equal(before);
    expect(again.log.count('vm')).to.equal(1);
    await again.stop('vm');
    await again.start('vm');
    expect((await pcr10(again, 'vm')).split('/')[0]).to.equal('0'.repeat(64));
    expect(again.log.count('vm')).to.equal(0);
  });

  it('after a crash between logging and storing the PCRs, leaves the vTPM off rather than cut its log', async () => {
    const { manager } = await openManager('h3');
    const measurer = new Measurer(manager);
    const seen: string[] = [];
    measurer.onMeasurement((id, e) => seen.push(`${id}:${e.index}:${e.path}`));
    await manager.create('vm');
    await manager.start('vm');
    await measurer.execute('vm', join(dir, 'root'), '/bin/app');
    expect(seen).to.deep.equal(['vm:0:/bin/app']);
    // The log got an entry whose extend never reached the stored PCRs (or the PCRs were put back
    // to an older copy): the list no longer replays to them, whichever it was.
    manager.log.append('vm', [{ ...manager.log.entries('vm')[0]!, path: '/bin/lost' }]);
    await manager.close();
    const { manager: again, recovery } = await openManager('h3');
    expect(recovery.restarted).to.deep.equal([]);
    expect(recovery.notResumed).to.deep.equal([{ id: 'vm', reason: 'its measurement list of 2 entries does not replay to the resumed PCR 10, sha256 bank' }]);
    expect(again.get('vm').running).to.equal(false);
    expect(findSwtpmProcesses(join(dir, 'h3', 'vtpm', 'instances', 'vm'))).to.deep.equal([]);
    // Nothing is wiped: the list stays for whoever looks into it; the next power-on starts afresh.
    expect(again.log.entries('vm').map((e) => e.path)).to.deep.equal(['/bin/app', '/bin/lost']);
    const host = await again.ensureHostTpm();
    expect(host).to.include({ id: 'host', kind: 'host', running: true });
    expect(new X509Certificate(host.ekCertificatePem).verify(again.platformCa.certificate.publicKey)).to.equal(true);
    expect((await again.ensureHostTpm()).pid).to.equal(host.pid);
  });

  it('migrates a running vTPM between two managers: PCRs, log and attestation survive', async () => {
    const { manager: src } = await openManager('src', 'host-src');
    const { manager: dst } = await openManager('dst', 'host-dst');
    const measurer = new Measurer(src);
    await src.create('mig');
    await src.start('mig');
    await measurer.boot('mig', join(dir, 'root'), [{ pcr: 4, path: '/bin/app' }]);
    await measurer.execute('mig', join(dir, 'root'), '/bin/app');
    const verifier = new Verifier({ anchors: [{ pem: src.vtpmCa.certificatePem, kind: 'virtual' }] });
    const a1 = new Attestor(src);
    const ch = verifier.beginEnrolment('mig', src.get('mig').ekCertificatePem, a1.akPublicArea('mig'));
    verifier.finishEnrolment('mig', await a1.activateCredential('mig', ch.credentialBlob, ch.secret));
    const before = await pcr10(src, 'mig');

    const toDst = [{ recipient: dst.migrationKey.publicKey, purpose: 'migrate' as const }];
    const [pkg] = await src.exportState('mig', toDst);
    expect(src.get('mig').running).to.equal(false);

    const imported = await dst.importState(pkg!, src.migrationKey.publicKey, 'mig');
    expect(imported.running).to.equal(true);
    expect(await pcr10(dst, 'mig')).to.equal(before);
    await src.delete('mig');

    const a2 = new Attestor(dst);
    const nonce = verifier.newNonce('mig');
    const v = verifier.verify('mig', await a2.getQuote('mig', { nonce }), nonce);
    expect(v.findings).to.deep.equal([]);
    expect(v.status).to.equal('trusted');
    // It keeps measuring on the new host, and incremental verification continues.
    await new Measurer(dst).execute('mig', join(dir, 'root'), '/bin/app');
    const n2 = verifier.newNonce('mig');
    const v2 = verifier.verify('mig', await a2.getQuote('mig', { nonce: n2, fromIndex: v.nextIndex }), n2);
    expect(v2.findings).to.deep.equal([]);
    expect(v2.nextIndex).to.equal(3);
    // Importing the same package twice is refused as a replay, before anything else.
    expect(isVtpmPackageError(await dst.importState(pkg!, src.migrationKey.publicKey, 'mig').catch((e: unknown) => e), 'REPLAYED')).to.equal(true);
    // A stopped vTPM moves too (permanent state only) and keeps its identity.
    await src.create('cold');
    const [coldPkg] = await src.exportState('cold', toDst);
    const cold = await dst.importState(coldPkg!, src.migrationKey.publicKey, 'cold');
    expect(cold.running).to.equal(false);
    expect(cold.ekCertificatePem).to.equal(src.get('cold').ekCertificatePem);
    await dst.start('cold');
    expect(await dst.readEkCertificateFromNv('cold')).to.equal(cold.ekCertificatePem.replace(/\r/g, ''));
    expect(await dst.akHandle('cold')).to.be.a('number');
    // Even a package the source really signed is refused when its state does not hold the EK it
    // names (a source host bug, or a source key in the wrong hands claiming another TPM's identity).
    await src.create('evil');
    const [evilPkg] = await src.exportState('evil', [{ recipient: src.migrationKey.publicKey, purpose: 'migrate' }]);
    const inner = SealedVtpmPackage.open(evilPkg!, { recipient: src.migrationKey, source: src.migrationKey.publicKey, vm: 'evil', purpose: 'migrate' });
    const state = VtpmState.decode(inner.plaintext);
    state.ekPublic = dst.get('mig').ekPublic;
    const forged = SealedVtpmPackage.seal({ plaintext: VtpmState.encode(state), vm: 'evil', purpose: 'migrate', counter: inner.info.counter + 1, source: src.migrationKey, recipient: dst.migrationKey.publicKey });
    const err = await dst.importState(forged, src.migrationKey.publicKey, 'evil').catch((e: unknown) => e);
    expect(isTvdcError(err, 'INVALID_ARGUMENT')).to.equal(true);
    expect((err as Error).message).to.match(/does not hold the EK/);
    expect(dst.list().map((v) => v.id)).to.not.include('evil');
  });

  it('leaves no swtpm running after SIGKILL of its owner, and recover() brings every vTPM back', async () => {
    const stateDir = join(dir, 'crash');
    const agent = fileURLToPath(new URL('./support/agent.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', agent, stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    agentProcess = child;
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      child.once('exit', (c) => reject(new Error(`agent exited with ${c}`)));
    });
    const { pids, pcr10: before } = JSON.parse(line) as { pids: number[]; pcr10: string };
    expect(pids).to.have.length(2);
    expect(pids.every(alive)).to.equal(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // --terminate: each swtpm ends by itself once its owner's connection is gone.
    expect(await waitGone(pids, 5000)).to.deep.equal([]);

    const { manager, recovery } = await openManager('crash');
    for (const pid of pids) expect(alive(pid), `old swtpm ${pid}`).to.equal(false);
    expect(recovery.failed).to.deep.equal([]);
    expect(recovery.restarted.map((r) => r.id).sort()).to.deep.equal(['a', 'b']);
    const running = findSwtpmProcesses(join(stateDir, 'vtpm')).map((p) => p.pid).sort();
    expect(running).to.deep.equal(manager.list().map((v) => v.pid!).sort());
    expect(running.some((p) => pids.includes(p))).to.equal(false);
    // The measured vTPM resumed its PCRs, and its log still matches them.
    const now = await manager.client('a').pcrRead([{ hashAlg: TPM_ALG.SHA256, pcrs: [10] }]);
    expect(now.values.get(TPM_ALG.SHA256)!.get(10)!.toString('hex')).to.equal(before);
    expect(manager.log.count('a')).to.equal(2);
  });
});
