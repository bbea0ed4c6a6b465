// A vTPM's EK and attestation key as node:crypto keys, read from the structures its family
// records: TPMT_PUBLIC for a TPM 2.0, TPM_PUBKEY for a TPM 1.2.
import type { KeyObject } from 'node:crypto';
import { parsePubKey, tpm12PublicKey } from './Tpm12Key.js';
import { parsePublic, publicKeyOf } from './TpmPublic.js';
import type { VtpmInfo } from './VtpmManager.js';

type Keyed = Pick<VtpmInfo, 'family' | 'ekPublic' | 'akPublic'>;

function keyOf(family: Keyed['family'], area: Buffer): KeyObject {
  return family === 'tpm12' ? tpm12PublicKey(parsePubKey(area)) : publicKeyOf(parsePublic(area));
}

export function ekPublicKeyOf(v: Keyed): KeyObject {
  return keyOf(v.family, v.ekPublic);
}

/** The key quotes are signed with: the TPM 2.0 AK, or the TPM 1.2 quote key. */
export function akPublicKeyOf(v: Keyed): KeyObject {
  return keyOf(v.family, v.akPublic);
}

export function akPublicPemOf(v: Keyed): string {
  return akPublicKeyOf(v).export({ type: 'spki', format: 'pem' }).toString();
}
