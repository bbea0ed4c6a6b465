import { expect } from 'chai';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SwtpmProcess } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { Tpm12, Tpm12Error, WELL_KNOWN_SECRET, parsePcrComposite } from '../../../src/tvdc/vtpm/Tpm12.js';
import { buildTpm12Command, parseTpm12Response } from '../../../src/tvdc/vtpm/Tpm12Command.js';
import { TPM12_KH, TPM12_ORD, TPM12_SS } from '../../../src/tvdc/vtpm/Tpm12Constants.js';
import { marshalKey, parseKey, signingKeyTemplate, tpm12PublicKey, type Tpm12PubKey } from '../../../src/tvdc/vtpm/Tpm12Key.js';
import { Tpm12Session } from '../../../src/tvdc/vtpm/Tpm12Session.js';
import type { TpmTransport } from '../../../src/tvdc/vtpm/TpmTransport.js';
import { verifyTpm12Quote } from '../../../src/tvdc/integrity/Tpm12Quote.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

describe('vtpm: TPM 1.2 commands against a real swtpm', function () {
  let dir: string;
  let sw: SwtpmProcess;
  let tpm: Tpm12;
  let ek: Tpm12PubKey;
  const ownerAuth = randomBytes(20);
  const keyAuth = randomBytes(20);

  before(async () => {
    dir = tempDir('tpm12');
    sw = await SwtpmProcess.start({ stateDir: dir, mode: 'fresh', family: 'tpm12' });
    tpm = sw.tpm12;
  });
  after(async () => {
    await sw?.shutdown();
    await cleanup(dir);
  });

  it('marshals commands to the exact bytes of the specification', () => {
    // TPM_Startup(ST_CLEAR): tag RQU_COMMAND, size 12, ordinal 0x99, startupType 1.
    expect(buildTpm12Command(TPM12_ORD.Startup, [], Buffer.from([0, 1])).toString('hex')).to.equal('00c10000000c000000990001');
    // TPM_Quote with one session (10 + 4 + 25 + 45 = 0x54 bytes): handle, externalData, selection, then authHandle/nonceOdd/continue/auth.
    const area = { handle: 0x02000000, nonceOdd: Buffer.alloc(20, 0xaa), continueSession: true, auth: Buffer.alloc(20, 0xbb) };
    const q = buildTpm12Command(TPM12_ORD.Quote, [0x01000000], Buffer.alloc(25), [area]);
    expect(q.subarray(0, 14).toString('hex')).to.equal('00c2000000540000001601000000');
    expect(q.subarray(39).toString('hex')).to.equal('02000000' + 'aa'.repeat(20) + '01' + 'bb'.repeat(20));
    // A response with one auth area: the params exclude the output handle and the 41 auth bytes.
    const res = Buffer.concat([Buffer.from('00c5000000390000000001020304', 'hex'), Buffer.from([9, 9]), Buffer.alloc(20, 1), Buffer.from([0]), Buffer.alloc(20, 2)]);
    const parsed = parseTpm12Response(res, 1);
    expect(parsed.handles).to.deep.equal([0x01020304]);
    expect(parsed.params.toString('hex')).to.equal('0909');
    expect(parsed.auths[0]!.continueSession).to.equal(false);
  });

  it('computes the authorization HMAC over SHA-1(ordinal || params), nonceEven, nonceOdd, continue', () => {
    const nonceEven = Buffer.alloc(20, 0x11);
    const nonceOdd = Buffer.alloc(20, 0x22);
    const key = Buffer.alloc(20, 0x33);
    const s = new Tpm12Session('oiap', 0x02000001, nonceEven);
    const { area } = s.authorize(TPM12_ORD.Quote, Buffer.from('abcd', 'hex'), true, key, nonceOdd);
    const digest = createHash('sha1').update(Buffer.from('00000016abcd', 'hex')).digest();
    expect(area.auth.toString('hex')).to.equal(createHmac('sha1', key).update(digest).update(nonceEven).update(nonceOdd).update(Buffer.from([1])).digest('hex'));
    // OSAP: the shared secret is HMAC(entity auth, nonceEvenOSAP || nonceOddOSAP); ADIP XORs with SHA-1(secret || nonce).
    const secret = Tpm12Session.osapSecret(key, nonceEven, nonceOdd);
    const o = new Tpm12Session('osap', 1, Buffer.alloc(20, 0x44), secret);
    const enc = o.encryptAuth(Buffer.alloc(20));
    expect(enc.toString('hex')).to.equal(createHash('sha1').update(secret).update(Buffer.alloc(20, 0x44)).digest('hex'));
  });

  it('enables the TPM, creates the EK and takes ownership with auths encrypted to the EK', async () => {
    await expectRc(tpm.readPubek(), 'TPM_NO_ENDORSEMENT');
    await tpm.enableAndActivate();
    await sw.control.init();
    await tpm.startup('clear');
    ek = await tpm.createEndorsementKeyPair();
    expect(ek.modulus.length).to.equal(256);
    expect((await tpm.readPubek()).modulus.equals(ek.modulus)).to.equal(true);
    const srk = await tpm.takeOwnership(ek, ownerAuth, WELL_KNOWN_SECRET);
    expect(srk.modulus.length).to.equal(256);
    // Once owned, only the owner reads the EK: proof that the owner auth arrived as we sent it.
    expect((await tpm.ownerReadInternalPub(TPM12_KH.EK, ownerAuth)).modulus.equals(ek.modulus)).to.equal(true);
    await expectRc(tpm.ownerReadInternalPub(TPM12_KH.EK, randomBytes(20)), 'TPM_AUTHFAIL');
  });

  it('extends and reads PCRs as SHA-1(old || digest)', async () => {
    const before = await tpm.pcrRead(10);
    const d = createHash('sha1').update('measured').digest();
    const after = await tpm.extend(10, d);
    expect(after.toString('hex')).to.equal(createHash('sha1').update(before).update(d).digest('hex'));
    expect((await tpm.pcrRead(10)).equals(after)).to.equal(true);
    expect(String(await tpm.extend(10, Buffer.alloc(32)).catch((e) => e))).to.match(/20-byte SHA-1 digest/);
  });

  it('wraps a signing key under the SRK (OSAP), loads it and quotes with rolling OIAP nonces', async () => {
    const wrapped = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(), keyAuth);
    expect(wrapped.parms.sigScheme).to.equal(TPM12_SS.RSASSAPKCS1v15_INFO);
    expect(parseKey(marshalKey(wrapped))).to.deep.equal(wrapped);
    const session = await tpm.oiap();
    const first = session.nonceEven;
    const handle = await tpm.loadKey2(TPM12_KH.SRK, wrapped, { session, entityAuth: WELL_KNOWN_SECRET, continueSession: true });
    expect(session.open).to.equal(true);
    expect(session.nonceEven.equals(first)).to.equal(false);
    const nonce = randomBytes(20);
    const q = await tpm.quote(handle, nonce, [0, 10], { session, entityAuth: keyAuth });
    expect(session.open).to.equal(false);
    expect([...q.pcrs.keys()]).to.deep.equal([0, 10]);
    expect(q.pcrs.get(10)!.equals(await tpm.pcrRead(10))).to.equal(true);
    const aik = tpm12PublicKey(wrapped);
    expect(verifyTpm12Quote({ quoteInfo: q.quoteInfo, signature: q.signature, aikPublic: aik, nonce, pcrValues: q.pcrs })).to.deep.equal({ ok: true, findings: [] });
    const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);
    expect(codes(verifyTpm12Quote({ quoteInfo: q.quoteInfo, signature: q.signature, aikPublic: aik, nonce: randomBytes(20), pcrValues: q.pcrs }))).to.deep.equal(['NONCE_MISMATCH']);
    const changed = new Map(q.pcrs).set(10, Buffer.alloc(20, 7));
    expect(codes(verifyTpm12Quote({ quoteInfo: q.quoteInfo, signature: q.signature, aikPublic: aik, nonce, pcrValues: changed }))).to.deep.equal(['PCR_DIGEST_MISMATCH']);
    // The usage auth arrived encrypted under OSAP: a wrong one is refused by the TPM itself.
    const s2 = await tpm.oiap();
    await expectRc(tpm.quote(handle, nonce, [10], { session: s2, entityAuth: randomBytes(20) }), 'TPM_AUTHFAIL');
    expect(parsePcrComposite(q.pcrComposite).size).to.equal(2);
  });

  it('refuses a response whose HMAC the TPM did not make', async () => {
    // A relay between us and the real swtpm that flips one bit of an authorized answer.
    const relay: TpmTransport = {
      send: async (cmd) => {
        const res = Buffer.from(await sw.tpm12.transport.send(cmd));
        if (cmd.readUInt32BE(6) === TPM12_ORD.OwnerReadInternalPub && res.readUInt32BE(6) === 0) res[40]! ^= 1;
        return res;
      },
      close: () => undefined,
    };
    const tampered = new Tpm12(relay);
    let err: unknown;
    await tampered.ownerReadInternalPub(TPM12_KH.EK, ownerAuth).catch((e) => (err = e));
    expect(String(err)).to.match(/wrong HMAC/);
  });

  it('names TPM 1.2 results', async () => {
    const bad = await tpm.execute(0x0fff).catch((e) => e);
    expect(bad).to.be.instanceOf(Tpm12Error);
    expect((bad as Tpm12Error).rcName).to.equal('TPM_BAD_ORDINAL');
  });
});

async function expectRc(p: Promise<unknown>, name: string): Promise<void> {
  const e = await p.then(() => undefined, (x) => x);
  expect(e, `expected ${name}`).to.be.instanceOf(Tpm12Error);
  expect((e as Tpm12Error).rcName).to.equal(name);
}
