// What a TPM 1.2 itself says about a key wrapped under its SRK, and about its EK: the only input
// the vTPM CA takes to certify a TPM 1.2 quote key, so the certificate states the TPM's word and
// never a caller's. Made only by read(), which asks the TPM.
import type { KeyObject } from 'node:crypto';
import { TvdcError } from '../TvdcError.js';
import { WELL_KNOWN_SECRET, type Tpm12 } from './Tpm12.js';
import { TPM12_KH, TPM12_RT } from './Tpm12Constants.js';
import { tpm12PublicKey, writeKeyParms, type Tpm12Key, type Tpm12PubKey } from './Tpm12Key.js';
import { TpmWriter } from './TpmBuffer.js';

export class Tpm12KeyReading {
  private constructor(
    /** TPM_PUBKEY of the key as TPM_GetPubKey returned it: its TPM_KEY_PARMS and modulus. */
    readonly key: Tpm12PubKey,
    /** TPM_KEY_USAGE and TPM_KEY_FLAGS of the loaded blob (bound to the key by the TPM, see read()). */
    readonly keyUsage: number,
    readonly keyFlags: number,
    /** The EK as TPM_OwnerReadInternalPub returned it. */
    readonly ek: Tpm12PubKey,
  ) {}

  /**
   * Loads `blob` under the SRK and reads it back. TPM_LoadKey2 decrypts the blob's private part
   * and refuses it unless the SHA-1 of the blob's public part (usage, flags, parms, modulus) is
   * the pubDataDigest sealed inside, so a blob whose usage, flags or scheme were edited outside
   * the TPM never loads; TPM_GetPubKey then gives the parms the TPM holds. The EK is read with
   * the owner auth, which also proves this is the TPM tvdc owns.
   */
  static async read(tpm: Tpm12, blob: Tpm12Key, keyAuth: Buffer, ownerAuth: Buffer): Promise<Tpm12KeyReading> {
    const ek = await tpm.ownerReadInternalPub(TPM12_KH.EK, ownerAuth);
    const session = await tpm.oiap();
    const handle = await tpm.loadKey2(TPM12_KH.SRK, blob, { session, entityAuth: WELL_KNOWN_SECRET, continueSession: true });
    let key: Tpm12PubKey;
    try {
      key = await tpm.getPubKey(handle, { session, entityAuth: keyAuth });
    } finally {
      await tpm.flushSpecific(handle, TPM12_RT.KEY).catch(() => undefined);
      if (session.open) await tpm.flushSpecific(session.handle, TPM12_RT.AUTH).catch(() => undefined);
    }
    const parms = (k: Tpm12PubKey) => writeKeyParms(new TpmWriter(), k.parms).toBuffer();
    // Cannot differ after a successful load; checked so the reading never mixes two keys.
    if (!key.modulus.equals(blob.modulus) || !parms(key).equals(parms(blob))) {
      throw new TvdcError('VTPM_FAILED', 'TPM_GetPubKey answered another key than the blob that was loaded');
    }
    return new Tpm12KeyReading(key, blob.keyUsage, blob.keyFlags, ek);
  }

  get publicKey(): KeyObject {
    return tpm12PublicKey(this.key);
  }

  get ekPublicKey(): KeyObject {
    return tpm12PublicKey(this.ek);
  }
}
