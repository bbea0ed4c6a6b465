// TPM 1.2 authorization sessions (Part 1, 13): OIAP and OSAP. Each command is authorized by an
// HMAC-SHA1 over the parameter digest and the rolling nonces; each response is checked the
// same way, so a reply the TPM did not make (or made for another command) is refused.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TvdcError } from '../TvdcError.js';
import { TpmWriter } from './TpmBuffer.js';
import type { Tpm12AuthArea, Tpm12ResponseAuth } from './Tpm12Command.js';

export type Tpm12SessionKind = 'oiap' | 'osap';

/** SHA-1 over the ordinal and the parameters an HMAC covers (the "1S" rows of Part 3). */
function inParamDigest(ordinal: number, params: Buffer): Buffer {
  return createHash('sha1').update(new TpmWriter().u32(ordinal).bytes(params).toBuffer()).digest();
}

/** SHA-1 over the result, the ordinal and the output parameters (the "1S"/"2S" rows). */
function outParamDigest(rc: number, ordinal: number, params: Buffer): Buffer {
  return createHash('sha1').update(new TpmWriter().u32(rc).u32(ordinal).bytes(params).toBuffer()).digest();
}

export class Tpm12Session {
  /** False once the TPM has closed the session (continueAuthSession cleared, or an error). */
  open = true;

  /**
   * @param nonceEven the TPM's latest nonce, rolled by every response
   * @param sharedSecret for OSAP: HMAC-SHA1(entity auth, nonceEvenOSAP || nonceOddOSAP); the
   *   key of every HMAC in this session. OIAP sessions take the entity's auth per command.
   */
  constructor(
    readonly kind: Tpm12SessionKind,
    readonly handle: number,
    public nonceEven: Buffer,
    readonly sharedSecret?: Buffer,
  ) {}

  static osapSecret(entityAuth: Buffer, nonceEvenOsap: Buffer, nonceOddOsap: Buffer): Buffer {
    return createHmac('sha1', entityAuth).update(nonceEvenOsap).update(nonceOddOsap).digest();
  }

  private key(entityAuth?: Buffer): Buffer {
    const k = this.kind === 'osap' ? this.sharedSecret : entityAuth;
    if (!k || k.length !== 20) throw new TvdcError('INVALID_ARGUMENT', `a TPM 1.2 ${this.kind.toUpperCase()} session needs a 20-byte ${this.kind === 'osap' ? 'shared secret' : 'entity authorization'}`);
    return k;
  }

  /**
   * The authorization area for one command. `entityAuth` is the authorization of the entity
   * the command uses (OIAP); an OSAP session uses its shared secret instead. `nonceOdd` is
   * chosen by the caller when a parameter depends on it (a second encrypted authorization).
   */
  authorize(ordinal: number, params: Buffer, continueSession: boolean, entityAuth?: Buffer, nonceOdd: Buffer = randomBytes(20)): { area: Tpm12AuthArea; key: Buffer } {
    if (!this.open) throw new TvdcError('INVALID_STATE', `TPM 1.2 session 0x${this.handle.toString(16)} is closed`);
    const key = this.key(entityAuth);
    const auth = createHmac('sha1', key)
      .update(inParamDigest(ordinal, params))
      .update(this.nonceEven)
      .update(nonceOdd)
      .update(Buffer.from([continueSession ? 1 : 0]))
      .digest();
    return { area: { handle: this.handle, nonceOdd, continueSession, auth }, key };
  }

  /** Checks a response's resAuth and rolls nonceEven; the session stays open only if the TPM says so. */
  verifyResponse(rc: number, ordinal: number, params: Buffer, sent: Tpm12AuthArea, key: Buffer, got: Tpm12ResponseAuth): void {
    const expected = createHmac('sha1', key)
      .update(outParamDigest(rc, ordinal, params))
      .update(got.nonceEven)
      .update(sent.nonceOdd)
      .update(Buffer.from([got.continueSession ? 1 : 0]))
      .digest();
    this.nonceEven = got.nonceEven;
    this.open = got.continueSession;
    if (!timingSafeEqual(expected, got.resAuth)) {
      this.open = false;
      throw new TvdcError('VTPM_FAILED', `TPM 1.2 response to ordinal 0x${ordinal.toString(16)} carries a wrong HMAC: it was not made by the TPM for this command`);
    }
  }

  /**
   * ADIP (Part 1, 13.8): a new authorization value sent encrypted under an OSAP session, XORed
   * with SHA-1(sharedSecret || nonce). The first value uses the session's nonceEven; a second one
   * in the same command uses the command's nonceOdd.
   */
  encryptAuth(value: Buffer, nonce: Buffer = this.nonceEven): Buffer {
    if (this.kind !== 'osap' || !this.sharedSecret) throw new TvdcError('INVALID_STATE', 'authorization values are encrypted only under an OSAP session');
    if (value.length !== 20) throw new TvdcError('INVALID_ARGUMENT', 'TPM 1.2 authorization values are 20 bytes');
    const pad = createHash('sha1').update(this.sharedSecret).update(nonce).digest();
    const out = Buffer.alloc(20);
    for (let i = 0; i < 20; i++) out[i] = value[i]! ^ pad[i]!;
    return out;
  }
}
