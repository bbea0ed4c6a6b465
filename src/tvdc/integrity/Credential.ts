// TPM2_MakeCredential done by the verifier in software (TPM 2.0 Part 1, 24: credential
// protection): seals a secret to an EK so that only the TPM holding that EK, and the key named
// by `objectName` inside it, can recover it with TPM2_ActivateCredential.
import { constants, createCipheriv, createHmac, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { IntegrityError } from './IntegrityError.js';

/** SP 800-108 counter-mode KDF with HMAC, as TPM 2.0 defines KDFa. */
export function kdfa(hashAlg: 'sha256' | 'sha1', key: Buffer, label: string, contextU: Buffer, contextV: Buffer, bits: number): Buffer {
  const out: Buffer[] = [];
  const labelBytes = Buffer.concat([Buffer.from(label, 'latin1'), Buffer.from([0])]);
  const bitsBuf = Buffer.alloc(4);
  bitsBuf.writeUInt32BE(bits);
  let got = 0;
  for (let i = 1; got < bits / 8; i++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(i);
    const h = createHmac(hashAlg, key).update(counter).update(labelBytes).update(contextU).update(contextV).update(bitsBuf).digest();
    out.push(h);
    got += h.length;
  }
  return Buffer.concat(out).subarray(0, bits / 8);
}

export interface CredentialChallenge {
  /** The TPM2B_ID_OBJECT content: integrity HMAC (as TPM2B) then the encrypted credential. */
  credentialBlob: Buffer;
  /** The TPM2B_ENCRYPTED_SECRET content: the seed, RSA-OAEP encrypted to the EK. */
  secret: Buffer;
}

/**
 * Seals `credential` for the object `objectName` (the AK's TPM name) to an RSA 2048 EK with
 * the default EK template's parameters (SHA-256 name algorithm, AES-128 CFB).
 */
export function makeCredential(ekPublic: KeyObject, objectName: Buffer, credential: Buffer): CredentialChallenge {
  if (ekPublic.asymmetricKeyType !== 'rsa') throw new IntegrityError('QUOTE_FORMAT', 'MakeCredential needs an RSA EK');
  if (credential.length > 32) throw new IntegrityError('QUOTE_FORMAT', 'credential is at most 32 bytes');
  const seed = randomBytes(32);
  const secret = publicEncrypt({ key: ekPublic, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('IDENTITY\0', 'latin1') }, seed);
  const symKey = kdfa('sha256', seed, 'STORAGE', objectName, Buffer.alloc(0), 128);
  const plain = Buffer.alloc(2 + credential.length);
  plain.writeUInt16BE(credential.length);
  credential.copy(plain, 2);
  const cipher = createCipheriv('aes-128-cfb', symKey, Buffer.alloc(16));
  const encIdentity = Buffer.concat([cipher.update(plain), cipher.final()]);
  const hmacKey = kdfa('sha256', seed, 'INTEGRITY', Buffer.alloc(0), Buffer.alloc(0), 256);
  const outerHmac = createHmac('sha256', hmacKey).update(encIdentity).update(objectName).digest();
  const size = Buffer.alloc(2);
  size.writeUInt16BE(outerHmac.length);
  return { credentialBlob: Buffer.concat([size, outerHmac, encIdentity]), secret };
}
