// A TPM 2.0 client: one method per command tvdc uses, marshalling parameters and unmarshalling
// results over any TpmTransport. Failures raise TpmError with the decoded response code.
import { randomBytes } from 'node:crypto';
import { TpmReader, TpmWriter, TpmFormatError } from './TpmBuffer.js';
import { buildCommand, parseResponse, passwordAuth, type AuthSession, type CommandSpec } from './TpmCommand.js';
import { TPM_ALG, TPM_CAP, TPM_CC, TPM_RH, TPM_SE, TPM_SU, HASH_SIZE } from './TpmConstants.js';
import { marshalPublic, readPublic, type TpmPublic } from './TpmPublic.js';
import { readPcrSelection, writePcrSelection, type PcrBankSelection } from './PcrSelection.js';
import { TpmError, TPM_RC_RETRY, TPM_RC_TESTING, TPM_RC_YIELDED } from './TpmResponseCode.js';
import type { TpmTransport } from './TpmTransport.js';

const CC_NAME: Record<number, string> = Object.fromEntries(Object.entries(TPM_CC).map(([k, v]) => [v, `TPM2_${k}`]));

export interface CreatedPrimary {
  handle: number;
  public: TpmPublic;
  /** The marshalled TPMT_PUBLIC, as the TPM returned it. */
  publicArea: Buffer;
  name: Buffer;
}

export interface QuoteResult {
  /** TPMS_ATTEST bytes (the content of TPM2B_ATTEST). */
  attest: Buffer;
  /** TPMT_SIGNATURE bytes. */
  signature: Buffer;
}

export interface PcrReadResult {
  updateCounter: number;
  /** bank hash alg -> pcr index -> value */
  values: Map<number, Map<number, Buffer>>;
}

export class Tpm {
  /** How often a command answered TPM_RC_RETRY / YIELDED / TESTING is sent again. */
  retries = 20;

  constructor(readonly transport: TpmTransport) {}

  /** Sends one command, retrying the warnings the specification says to retry, and checks rc. */
  async execute(spec: CommandSpec, handleCount = 0) {
    const cmd = buildCommand(spec);
    for (let attempt = 0; ; attempt++) {
      const res = parseResponse(await this.transport.send(cmd), handleCount);
      const retryable = res.rc === TPM_RC_RETRY || res.rc === TPM_RC_YIELDED || res.rc === TPM_RC_TESTING;
      if (retryable && attempt < this.retries) {
        await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 200)));
        continue;
      }
      if (res.rc !== 0) throw new TpmError(CC_NAME[spec.cc] ?? `command 0x${spec.cc.toString(16)}`, res.rc);
      return res;
    }
  }

  async startup(type: 'clear' | 'state' = 'clear'): Promise<void> {
    await this.execute({ cc: TPM_CC.Startup, params: new TpmWriter().u16(type === 'clear' ? TPM_SU.CLEAR : TPM_SU.STATE).toBuffer() });
  }

  async shutdown(type: 'clear' | 'state' = 'clear'): Promise<void> {
    await this.execute({ cc: TPM_CC.Shutdown, params: new TpmWriter().u16(type === 'clear' ? TPM_SU.CLEAR : TPM_SU.STATE).toBuffer() });
  }

  async getRandom(n: number): Promise<Buffer> {
    const out: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const res = await this.execute({ cc: TPM_CC.GetRandom, params: new TpmWriter().u16(Math.min(n - got, 32)).toBuffer() });
      const b = res.params.sized();
      if (b.length === 0) throw new TpmFormatError('TPM2_GetRandom returned no bytes');
      out.push(b);
      got += b.length;
    }
    return Buffer.concat(out).subarray(0, n);
  }

  /** TPM properties (TPM_CAP_TPM_PROPERTIES) from `first`, as property -> value. */
  async getProperties(first: number, count = 1): Promise<Map<number, number>> {
    const res = await this.execute({ cc: TPM_CC.GetCapability, params: new TpmWriter().u32(TPM_CAP.TPM_PROPERTIES).u32(first).u32(count).toBuffer() });
    const r = res.params;
    r.u8(); // moreData
    if (r.u32() !== TPM_CAP.TPM_PROPERTIES) throw new TpmFormatError('GetCapability answered another capability');
    const n = r.u32();
    const out = new Map<number, number>();
    for (let i = 0; i < n; i++) out.set(r.u32(), r.u32());
    return out;
  }

  /** The PCR banks the TPM has allocated (TPM_CAP_PCRS). */
  async getPcrBanks(): Promise<PcrBankSelection[]> {
    const res = await this.execute({ cc: TPM_CC.GetCapability, params: new TpmWriter().u32(TPM_CAP.PCRS).u32(0).u32(1).toBuffer() });
    const r = res.params;
    r.u8();
    if (r.u32() !== TPM_CAP.PCRS) throw new TpmFormatError('GetCapability answered another capability');
    return readPcrSelection(r);
  }

  /** Extends one PCR in several banks at once (TPML_DIGEST_VALUES). */
  async pcrExtend(pcr: number, digests: { hashAlg: number; digest: Buffer }[]): Promise<void> {
    const w = new TpmWriter().u32(digests.length);
    for (const d of digests) {
      if (d.digest.length !== HASH_SIZE[d.hashAlg]) throw new TpmFormatError(`digest of ${d.digest.length} bytes for hash 0x${d.hashAlg.toString(16)}`);
      w.u16(d.hashAlg).bytes(d.digest);
    }
    await this.execute({ cc: TPM_CC.PCR_Extend, handles: [pcr], sessions: [passwordAuth()], params: w.toBuffer() });
  }

  /** Reads every selected PCR; the TPM returns at most eight per call, so this loops. */
  async pcrRead(selection: readonly PcrBankSelection[]): Promise<PcrReadResult> {
    const values = new Map<number, Map<number, Buffer>>();
    let pending = selection.map((s) => ({ hashAlg: s.hashAlg, pcrs: [...s.pcrs].sort((a, b) => a - b) })).filter((s) => s.pcrs.length);
    let updateCounter = 0;
    while (pending.length) {
      const res = await this.execute({ cc: TPM_CC.PCR_Read, params: writePcrSelection(new TpmWriter(), pending).toBuffer() });
      const r = res.params;
      updateCounter = r.u32();
      const got = readPcrSelection(r);
      const n = r.u32();
      const digests: Buffer[] = [];
      for (let i = 0; i < n; i++) digests.push(r.sized());
      let k = 0;
      let progressed = false;
      for (const g of got) {
        const bank = values.get(g.hashAlg) ?? new Map<number, Buffer>();
        values.set(g.hashAlg, bank);
        for (const p of g.pcrs) {
          const d = digests[k++];
          if (!d) throw new TpmFormatError('PCR_Read returned fewer digests than its selection');
          bank.set(p, Buffer.from(d));
          progressed = true;
        }
      }
      if (!progressed) {
        const missing = pending.map((s) => `0x${s.hashAlg.toString(16)}:${s.pcrs.join(',')}`).join(' ');
        throw new TpmFormatError(`PCR bank not allocated in this TPM: ${missing}`);
      }
      pending = pending
        .map((s) => ({ hashAlg: s.hashAlg, pcrs: s.pcrs.filter((p) => !values.get(s.hashAlg)?.has(p)) }))
        .filter((s) => s.pcrs.length);
    }
    return { updateCounter, values };
  }

  async createPrimary(hierarchy: number, template: TpmPublic): Promise<CreatedPrimary> {
    const w = new TpmWriter();
    w.u16(4).u16(0).u16(0); // TPM2B_SENSITIVE_CREATE: empty userAuth and data
    w.sized(marshalPublic(template));
    w.u16(0); // outsideInfo
    w.u32(0); // creationPCR: none
    const res = await this.execute({ cc: TPM_CC.CreatePrimary, handles: [hierarchy], sessions: [passwordAuth()], params: w.toBuffer() }, 1);
    const r = res.params;
    const publicArea = Buffer.from(r.sized());
    r.sized(); // creationData
    r.sized(); // creationHash
    r.u16();
    r.u32();
    r.sized(); // creationTicket
    const name = Buffer.from(r.sized());
    return { handle: res.handles[0]!, public: readPublic(new TpmReader(publicArea, 'TPMT_PUBLIC')), publicArea, name };
  }

  async readPublic(handle: number): Promise<{ public: TpmPublic; publicArea: Buffer; name: Buffer }> {
    const res = await this.execute({ cc: TPM_CC.ReadPublic, handles: [handle] });
    const publicArea = Buffer.from(res.params.sized());
    const name = Buffer.from(res.params.sized());
    return { public: readPublic(new TpmReader(publicArea, 'TPMT_PUBLIC')), publicArea, name };
  }

  /** Quotes the selected PCRs with `signHandle`, using the key's own scheme. */
  async quote(signHandle: number, qualifyingData: Buffer, selection: readonly PcrBankSelection[]): Promise<QuoteResult> {
    const w = new TpmWriter().sized(qualifyingData).u16(TPM_ALG.NULL);
    writePcrSelection(w, selection);
    const res = await this.execute({ cc: TPM_CC.Quote, handles: [signHandle], sessions: [passwordAuth()], params: w.toBuffer() });
    const r = res.params;
    const attest = Buffer.from(r.sized());
    const start = r.offset;
    const sigAlg = r.u16();
    if (sigAlg === TPM_ALG.ECDSA) {
      r.u16();
      r.sized();
      r.sized();
    } else if (sigAlg !== TPM_ALG.NULL) {
      r.u16();
      r.sized();
    }
    return { attest, signature: Buffer.from(r.buf.subarray(start, r.offset)) };
  }

  /** TPM2_MakeCredential with a loaded public key (the verifier normally does this in software). */
  async makeCredential(handle: number, credential: Buffer, objectName: Buffer): Promise<{ credentialBlob: Buffer; secret: Buffer }> {
    const res = await this.execute({ cc: TPM_CC.MakeCredential, handles: [handle], params: new TpmWriter().sized(credential).sized(objectName).toBuffer() });
    return { credentialBlob: Buffer.from(res.params.sized()), secret: Buffer.from(res.params.sized()) };
  }

  async startAuthSession(type: 'policy' | 'hmac' | 'trial', authHash = TPM_ALG.SHA256): Promise<{ handle: number; nonceTpm: Buffer }> {
    const se = type === 'policy' ? TPM_SE.POLICY : type === 'trial' ? TPM_SE.TRIAL : TPM_SE.HMAC;
    const w = new TpmWriter().sized(randomBytes(16)).u16(0).u8(se).u16(TPM_ALG.NULL).u16(authHash);
    const res = await this.execute({ cc: TPM_CC.StartAuthSession, handles: [TPM_RH.NULL, TPM_RH.NULL], params: w.toBuffer() }, 1);
    return { handle: res.handles[0]!, nonceTpm: Buffer.from(res.params.sized()) };
  }

  /** PolicySecret bound to `authHandle` (authorized here with its empty password). */
  async policySecret(authHandle: number, policySession: number): Promise<void> {
    const w = new TpmWriter().u16(0).u16(0).u16(0).u32(0);
    await this.execute({ cc: TPM_CC.PolicySecret, handles: [authHandle, policySession], sessions: [passwordAuth()], params: w.toBuffer() });
  }

  /**
   * Recovers the credential a verifier sealed to `ekHandle` for the key `activateHandle`.
   * The EK's policy demands PolicySecret(TPM_RH_ENDORSEMENT), hence the policy session.
   */
  async activateCredential(activateHandle: number, ekHandle: number, credentialBlob: Buffer, secret: Buffer): Promise<Buffer> {
    const session = await this.startAuthSession('policy');
    try {
      await this.policySecret(TPM_RH.ENDORSEMENT, session.handle);
      const policyAuth: AuthSession = { handle: session.handle, attributes: 0x00 };
      const res = await this.execute({
        cc: TPM_CC.ActivateCredential,
        handles: [activateHandle, ekHandle],
        sessions: [passwordAuth(), policyAuth],
        params: new TpmWriter().sized(credentialBlob).sized(secret).toBuffer(),
      });
      return Buffer.from(res.params.sized());
    } catch (e) {
      // The session closes itself after a successful command (continueSession clear), not after a failure.
      await this.flushContext(session.handle).catch(() => undefined);
      throw e;
    }
  }

  async nvDefineSpace(authHandle: number, nvIndex: number, size: number, attributes: number, nameAlg = TPM_ALG.SHA256): Promise<void> {
    const pub = new TpmWriter().u32(nvIndex).u16(nameAlg).u32(attributes).u16(0).u16(size).toBuffer();
    const w = new TpmWriter().u16(0).sized(pub);
    await this.execute({ cc: TPM_CC.NV_DefineSpace, handles: [authHandle], sessions: [passwordAuth()], params: w.toBuffer() });
  }

  async nvUndefineSpace(authHandle: number, nvIndex: number): Promise<void> {
    await this.execute({ cc: TPM_CC.NV_UndefineSpace, handles: [authHandle, nvIndex], sessions: [passwordAuth()] });
  }

  /** NV index public area: its data size and attributes. */
  async nvReadPublic(nvIndex: number): Promise<{ nvIndex: number; nameAlg: number; attributes: number; size: number }> {
    const res = await this.execute({ cc: TPM_CC.NV_ReadPublic, handles: [nvIndex] });
    const r = new TpmReader(res.params.sized(), 'TPMS_NV_PUBLIC');
    const idx = r.u32();
    const nameAlg = r.u16();
    const attributes = r.u32();
    r.sized();
    const size = r.u16();
    return { nvIndex: idx, nameAlg, attributes, size };
  }

  async nvWrite(authHandle: number, nvIndex: number, data: Buffer, chunk = 512): Promise<void> {
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      await this.execute({ cc: TPM_CC.NV_Write, handles: [authHandle, nvIndex], sessions: [passwordAuth()], params: new TpmWriter().sized(part).u16(off).toBuffer() });
    }
  }

  async nvRead(authHandle: number, nvIndex: number, size: number, chunk = 512): Promise<Buffer> {
    const out: Buffer[] = [];
    for (let off = 0; off < size; off += chunk) {
      const n = Math.min(chunk, size - off);
      const res = await this.execute({ cc: TPM_CC.NV_Read, handles: [authHandle, nvIndex], sessions: [passwordAuth()], params: new TpmWriter().u16(n).u16(off).toBuffer() });
      out.push(Buffer.from(res.params.sized()));
    }
    return Buffer.concat(out);
  }

  async flushContext(handle: number): Promise<void> {
    await this.execute({ cc: TPM_CC.FlushContext, params: new TpmWriter().u32(handle).toBuffer() });
  }
}
