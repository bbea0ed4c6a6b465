import { expect } from 'chai';
import { hash } from 'node:crypto';
import { SwtpmProcess } from '../../../src/tvdc/vtpm/SwtpmProcess.js';
import { Tpm } from '../../../src/tvdc/vtpm/Tpm.js';
import { SocketTransport } from '../../../src/tvdc/vtpm/TpmTransport.js';
import { SwtpmControl } from '../../../src/tvdc/vtpm/SwtpmControl.js';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildCommand } from '../../../src/tvdc/vtpm/TpmCommand.js';
import { TPM_ALG, TPM_CC, TPM_RH } from '../../../src/tvdc/vtpm/TpmConstants.js';
import { akTemplate, ekTemplateRsa, marshalPublic, parsePublic, publicKeyOf, nameOf } from '../../../src/tvdc/vtpm/TpmPublic.js';
import { TpmError, decodeResponseCode } from '../../../src/tvdc/vtpm/TpmResponseCode.js';
import { TpmFormatError, TpmWriter } from '../../../src/tvdc/vtpm/TpmBuffer.js';
import { makeCredential } from '../../../src/tvdc/integrity/Credential.js';
import { verifyTpm2Quote } from '../../../src/tvdc/integrity/Tpm2QuoteVerifier.js';
import { cleanup, tempDir } from './swtpmHelpers.js';

describe('vtpm: TPM 2.0 commands against a real swtpm', function () {
  let dir: string;
  let sw: SwtpmProcess;
  before(async () => {
    dir = tempDir('tpm');
    sw = await SwtpmProcess.start({ stateDir: dir, mode: 'fresh' });
  });
  after(async () => {
    await sw?.shutdown();
    await cleanup(dir);
  });

  it('marshals commands to the exact bytes of the specification', () => {
    expect(buildCommand({ cc: TPM_CC.Startup, params: new TpmWriter().u16(0).toBuffer() }).toString('hex')).to.equal('80010000000c000001440000');
    const ext = buildCommand({ cc: TPM_CC.PCR_Extend, handles: [10], sessions: [{ handle: TPM_RH.PW, attributes: 1 }], params: Buffer.from('00000000', 'hex') });
    expect(ext.toString('hex')).to.equal('80020000001f000001820000000a00000009400000090000010000' + '00000000');
    // The EK template is the TCG default: its name is fixed by the profile for every TPM.
    const ek = marshalPublic(ekTemplateRsa());
    expect(ek.subarray(0, 8).toString('hex')).to.equal('0001000b000300b2');
  });

  it('decodes response codes by name, with the handle or parameter they blame', () => {
    expect(decodeResponseCode(0x922).name).to.equal('TPM_RC_RETRY');
    expect(decodeResponseCode(0x18b)).to.deep.include({ name: 'TPM_RC_HANDLE', subject: { kind: 'handle', number: 1 } });
    expect(decodeResponseCode(0x2c4)).to.deep.include({ name: 'TPM_RC_VALUE', subject: { kind: 'parameter', number: 2 } });
    expect(decodeResponseCode(0x101).name).to.equal('TPM_RC_FAILURE');
  });

  it('gets random bytes and lists SHA-1 and SHA-256 banks', async () => {
    const r = await sw.tpm.getRandom(48);
    expect(r).to.have.length(48);
    const banks = (await sw.tpm.getPcrBanks()).map((b) => b.hashAlg);
    expect(banks).to.include.members([TPM_ALG.SHA1, TPM_ALG.SHA256]);
    const props = await sw.tpm.getProperties(0x105, 1);
    expect(props.has(0x105)).to.equal(true);
  });

  it('extends PCR 16 in both banks exactly as a software replay computes', async () => {
    const d1 = hash('sha1', 'component', 'buffer') as unknown as Buffer;
    const d256 = hash('sha256', 'component', 'buffer') as unknown as Buffer;
    await sw.tpm.pcrExtend(16, [{ hashAlg: TPM_ALG.SHA1, digest: d1 }, { hashAlg: TPM_ALG.SHA256, digest: d256 }]);
    const v = await sw.tpm.pcrRead([{ hashAlg: TPM_ALG.SHA1, pcrs: [16] }, { hashAlg: TPM_ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16] }]);
    expect(v.values.get(TPM_ALG.SHA1)!.get(16)!.toString('hex')).to.equal(hash('sha1', Buffer.concat([Buffer.alloc(20), d1]), 'hex'));
    expect(v.values.get(TPM_ALG.SHA256)!.get(16)!.toString('hex')).to.equal(hash('sha256', Buffer.concat([Buffer.alloc(32), d256]), 'hex'));
    expect(v.values.get(TPM_ALG.SHA256)!.size).to.equal(11); // more than one PCR_Read's worth
  });

  it('sends a command again when the TPM answers TPM_RC_RETRY, and it takes effect once', async () => {
    // The real swtpm behind a transport that plays a busy TPM for the first two attempts.
    let refusals = 2;
    let sent = 0;
    const busy = new Tpm({
      send: async (cmd: Buffer) => {
        sent++;
        if (refusals-- > 0) return Buffer.from('80010000000a00000922', 'hex');
        return sw.tpm.transport.send(cmd);
      },
      close: () => undefined,
    });
    const d = hash('sha256', 'retry', 'buffer') as unknown as Buffer;
    const before = (await sw.tpm.pcrRead([{ hashAlg: TPM_ALG.SHA256, pcrs: [15] }])).values.get(TPM_ALG.SHA256)!.get(15)!;
    await busy.pcrExtend(15, [{ hashAlg: TPM_ALG.SHA256, digest: d }]);
    expect(sent).to.equal(3);
    const after = (await sw.tpm.pcrRead([{ hashAlg: TPM_ALG.SHA256, pcrs: [15] }])).values.get(TPM_ALG.SHA256)!.get(15)!;
    expect(after.toString('hex')).to.equal(hash('sha256', Buffer.concat([before, d]), 'hex'));
    busy.retries = 1;
    refusals = 5;
    const err = await busy.pcrExtend(15, [{ hashAlg: TPM_ALG.SHA256, digest: d }]).catch((e: unknown) => e);
    expect((err as TpmError).rcName).to.equal('TPM_RC_RETRY');
  });

  it('raises TpmError naming the response code for a bad command', async () => {
    const err = await sw.tpm.pcrExtend(30, [{ hashAlg: TPM_ALG.SHA256, digest: Buffer.alloc(32) }]).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TpmError);
    expect((err as TpmError).message).to.match(/TPM2_PCR_Extend failed: TPM_RC_/);
  });

  for (const kind of ['rsa', 'ecc'] as const) {
    it(`creates a restricted ${kind} AK whose quote verifies, and binds it to the EK by credential activation`, async () => {
      const ek = await sw.tpm.createPrimary(TPM_RH.ENDORSEMENT, ekTemplateRsa());
      const ak = await sw.tpm.createPrimary(TPM_RH.ENDORSEMENT, akTemplate(kind));
      try {
        expect(nameOf(ak.publicArea, TPM_ALG.SHA256).equals(ak.name)).to.equal(true);
        const nonce = Buffer.from('0011223344556677', 'hex');
        const sel = [{ hashAlg: TPM_ALG.SHA256, pcrs: [16] }];
        const q = await sw.tpm.quote(ak.handle, nonce, sel);
        const pcrs = await sw.tpm.pcrRead(sel);
        const r = verifyTpm2Quote({ attest: q.attest, signature: q.signature, akPublic: publicKeyOf(parsePublic(ak.publicArea)), nonce, pcrValues: pcrs.values });
        expect(r.findings).to.deep.equal([]);
        // Software MakeCredential to the EK; only this TPM can open it for this AK.
        const secret = Buffer.from('a fresh secret for the AK');
        const ch = makeCredential(publicKeyOf(ek.public), ak.name, secret);
        expect(await sw.tpm.activateCredential(ak.handle, ek.handle, ch.credentialBlob, ch.secret)).to.deep.equal(secret);
        const wrongName = makeCredential(publicKeyOf(ek.public), nameOf(marshalPublic(akTemplate(kind === 'rsa' ? 'ecc' : 'rsa')), TPM_ALG.SHA256), secret);
        const e = await sw.tpm.activateCredential(ak.handle, ek.handle, wrongName.credentialBlob, wrongName.secret).catch((x: unknown) => x);
        expect(e).to.be.instanceOf(TpmError);
      } finally {
        await sw.tpm.flushContext(ek.handle);
        await sw.tpm.flushContext(ak.handle);
      }
    });
  }

  it('quotes with an RSA-PSS AK, and the verifier checks the PSS signature', async () => {
    const ak = await sw.tpm.createPrimary(TPM_RH.ENDORSEMENT, { ...akTemplate('rsa'), scheme: { scheme: TPM_ALG.RSAPSS, hashAlg: TPM_ALG.SHA256 } });
    try {
      const nonce = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
      const sel = [{ hashAlg: TPM_ALG.SHA1, pcrs: [0, 16] }];
      const q = await sw.tpm.quote(ak.handle, nonce, sel);
      expect(q.signature.readUInt16BE(0)).to.equal(TPM_ALG.RSAPSS);
      const pcrs = await sw.tpm.pcrRead(sel);
      const key = publicKeyOf(parsePublic(ak.publicArea));
      expect(verifyTpm2Quote({ attest: q.attest, signature: q.signature, akPublic: key, nonce, pcrValues: pcrs.values }).findings).to.deep.equal([]);
      const bad = Buffer.from(q.attest);
      bad[bad.length - 3]! ^= 4;
      expect(verifyTpm2Quote({ attest: bad, signature: q.signature, akPublic: key, nonce }).findings.map((f) => f.code)).to.include('SIGNATURE_INVALID');
    } finally {
      await sw.tpm.flushContext(ak.handle);
    }
  });

  it('writes and reads back an NV index', async () => {
    const data = Buffer.from('x'.repeat(700));
    await sw.tpm.nvDefineSpace(TPM_RH.OWNER, 0x01500010, data.length, 0x2 | 0x20000 | 0x40000 | 0x2000000);
    await sw.tpm.nvWrite(TPM_RH.OWNER, 0x01500010, data);
    expect((await sw.tpm.nvReadPublic(0x01500010)).size).to.equal(700);
    expect(await sw.tpm.nvRead(TPM_RH.OWNER, 0x01500010, 700)).to.deep.equal(data);
  });

  it('speaks to swtpm over TCP too (TPM commands and the control channel)', async () => {
    const free = async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as AddressInfo).port;
      await new Promise((r) => srv.close(r));
      return port;
    };
    const [port, ctrl] = [await free(), await free()];
    const state = join(dir, 'tcp');
    mkdirSync(state);
    const child = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${state}`, '--server', `type=tcp,port=${port}`, '--ctrl', `type=tcp,port=${ctrl}`, '--flags', 'not-need-init,startup-clear'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const tpm = new Tpm(new SocketTransport({ port }));
      let random: Buffer | undefined;
      for (let i = 0; i < 200 && !random; i++) random = await tpm.getRandom(16).catch(async () => void (await new Promise((r) => setTimeout(r, 10))));
      expect(random).to.have.length(16);
      tpm.transport.close();
      await new SwtpmControl({ port: ctrl }).shutdown();
      await exited;
      expect(child.exitCode).to.equal(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('turns a TPM that answers garbage, or hangs up, into specific errors', async () => {
    const path = join(dir, 'junk.sock');
    const answers = [Buffer.from('80010000000500000000', 'hex'), Buffer.from('80010000000c000000000000ffff', 'hex')];
    const server = createServer((c) => {
      c.once('data', () => {
        const a = answers.shift();
        if (a) c.write(a);
        else c.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      for (const re of [/impossible size 5/, /more bytes than its response size/, /closed the connection/]) {
        const t = new SocketTransport({ path });
        const e = await new Tpm(t).getRandom(8).catch((x: unknown) => x);
        expect((e as Error).message).to.match(re);
        t.close();
      }
      expect(() => parsePublic(Buffer.from('0001000b', 'hex'))).to.throw(TpmFormatError, /truncated/);
      const junkKey = { ...akTemplate('rsa'), rsa: { keyBits: 2048, exponent: 0, modulus: Buffer.alloc(0) } };
      expect(() => publicKeyOf(junkKey)).to.throw(TpmFormatError);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
