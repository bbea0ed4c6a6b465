// Verifies TPM signatures (RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA) over signed data with node:crypto.
import { constants, verify, type KeyObject } from 'node:crypto';
import { HASH_NAME, TPM_ALG } from '../vtpm/TpmConstants.js';
import type { TpmtSignature } from './TpmsAttest.js';

/** True when `sig` is a valid signature by `key` over `data`; false for any mismatch or misuse. */
export function verifyTpmSignature(data: Buffer, sig: TpmtSignature, key: KeyObject): boolean {
  const hash = HASH_NAME[sig.hashAlg];
  if (!hash) return false;
  try {
    if (sig.sigAlg === TPM_ALG.RSASSA && sig.rsa && key.asymmetricKeyType === 'rsa') {
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig.rsa);
    }
    if (sig.sigAlg === TPM_ALG.RSAPSS && sig.rsa && key.asymmetricKeyType === 'rsa') {
      // TPMs differ in PSS salt length (digest size or maximum); AUTO accepts any the padding encodes.
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig.rsa);
    }
    if (sig.sigAlg === TPM_ALG.ECDSA && sig.ecdsa && key.asymmetricKeyType === 'ec') {
      const size = ecSize(key);
      if (sig.ecdsa.r.length > size || sig.ecdsa.s.length > size) return false;
      const raw = Buffer.alloc(size * 2);
      sig.ecdsa.r.copy(raw, size - sig.ecdsa.r.length);
      sig.ecdsa.s.copy(raw, 2 * size - sig.ecdsa.s.length);
      return verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, raw);
    }
  } catch {
    return false;
  }
  return false;
}

function ecSize(key: KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1' || curve === 'P-256') return 32;
  if (curve === 'secp384r1' || curve === 'P-384') return 48;
  return 66;
}
