// TPM 1.2 key structures (Part 2, 10): TPM_KEY_PARMS with TPM_RSA_KEY_PARMS, TPM_PUBKEY and
// TPM_KEY / TPM_KEY12, marshalled and parsed, and turned into node:crypto public keys.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';
import { TPM12_ALG_RSA, TPM12_AUTH, TPM12_ES, TPM12_KEY_USAGE, TPM12_SS } from './Tpm12Constants.js';

export interface Tpm12KeyParms {
  algorithmId: number;
  encScheme: number;
  sigScheme: number;
  /** TPM_RSA_KEY_PARMS; exponent empty means the default 65537. */
  rsa: { keyBits: number; numPrimes: number; exponent: Buffer };
}

export interface Tpm12PubKey {
  parms: Tpm12KeyParms;
  /** The RSA modulus, big-endian. */
  modulus: Buffer;
}

export interface Tpm12Key extends Tpm12PubKey {
  /** TPM_KEY12 (tag 0x0028) or TPM_KEY (version 1.1.0.0). */
  key12: boolean;
  keyUsage: number;
  keyFlags: number;
  authDataUsage: number;
  pcrInfo: Buffer;
  encData: Buffer;
}

const TPM_TAG_KEY12 = 0x0028;
const VERSION_1_1 = Buffer.from([1, 1, 0, 0]);

export function writeKeyParms(w: TpmWriter, p: Tpm12KeyParms): TpmWriter {
  const rsa = new TpmWriter().u32(p.rsa.keyBits).u32(p.rsa.numPrimes).u32(p.rsa.exponent.length).bytes(p.rsa.exponent).toBuffer();
  return w.u32(p.algorithmId).u16(p.encScheme).u16(p.sigScheme).u32(rsa.length).bytes(rsa);
}

export function readKeyParms(r: TpmReader): Tpm12KeyParms {
  const algorithmId = r.u32();
  const encScheme = r.u16();
  const sigScheme = r.u16();
  const parms = new TpmReader(r.bytes(r.u32()), 'TPM_RSA_KEY_PARMS');
  if (algorithmId !== TPM12_ALG_RSA) throw new TpmFormatError(`TPM 1.2 key algorithm ${algorithmId} is not RSA`);
  const keyBits = parms.u32();
  const numPrimes = parms.u32();
  const exponent = Buffer.from(parms.bytes(parms.u32()));
  parms.end();
  return { algorithmId, encScheme, sigScheme, rsa: { keyBits, numPrimes, exponent } };
}

export function marshalPubKey(k: Tpm12PubKey): Buffer {
  const w = writeKeyParms(new TpmWriter(), k.parms);
  return w.u32(k.modulus.length).bytes(k.modulus).toBuffer();
}

export function readPubKey(r: TpmReader): Tpm12PubKey {
  const parms = readKeyParms(r);
  const modulus = Buffer.from(r.bytes(r.u32()));
  return { parms, modulus };
}

export function parsePubKey(buf: Buffer): Tpm12PubKey {
  const r = new TpmReader(buf, 'TPM_PUBKEY');
  const k = readPubKey(r);
  r.end();
  return k;
}

export function marshalKey(k: Tpm12Key): Buffer {
  const w = new TpmWriter();
  if (k.key12) w.u16(TPM_TAG_KEY12).u16(0);
  else w.bytes(VERSION_1_1);
  w.u16(k.keyUsage).u32(k.keyFlags).u8(k.authDataUsage);
  writeKeyParms(w, k.parms);
  w.u32(k.pcrInfo.length).bytes(k.pcrInfo);
  w.u32(k.modulus.length).bytes(k.modulus);
  w.u32(k.encData.length).bytes(k.encData);
  return w.toBuffer();
}

export function readKey(r: TpmReader): Tpm12Key {
  const head = r.bytes(4);
  const key12 = head.readUInt16BE(0) === TPM_TAG_KEY12;
  if (!key12 && !head.equals(VERSION_1_1)) throw new TpmFormatError(`TPM_KEY starts with ${head.toString('hex')}: neither TPM_KEY12 nor version 1.1.0.0`);
  const keyUsage = r.u16();
  const keyFlags = r.u32();
  const authDataUsage = r.u8();
  const parms = readKeyParms(r);
  const pcrInfo = Buffer.from(r.bytes(r.u32()));
  const modulus = Buffer.from(r.bytes(r.u32()));
  const encData = Buffer.from(r.bytes(r.u32()));
  return { key12, keyUsage, keyFlags, authDataUsage, parms, pcrInfo, modulus, encData };
}

export function parseKey(buf: Buffer): Tpm12Key {
  const r = new TpmReader(buf, 'TPM_KEY');
  const k = readKey(r);
  r.end();
  return k;
}

function rsaParms(encScheme: number, sigScheme: number): Tpm12KeyParms {
  return { algorithmId: TPM12_ALG_RSA, encScheme, sigScheme, rsa: { keyBits: 2048, numPrimes: 2, exponent: Buffer.alloc(0) } };
}

/** The SRK template TPM_TakeOwnership takes: RSA 2048 storage key, OAEP, authorization always. */
export function srkTemplate(): Tpm12Key {
  return {
    key12: false, keyUsage: TPM12_KEY_USAGE.STORAGE, keyFlags: 0, authDataUsage: TPM12_AUTH.ALWAYS,
    parms: rsaParms(TPM12_ES.RSAESOAEP_SHA1_MGF1, TPM12_SS.NONE), pcrInfo: Buffer.alloc(0), modulus: Buffer.alloc(0), encData: Buffer.alloc(0),
  };
}

/**
 * The quote key tvdc wraps under the SRK: a non-migratable RSA 2048 signing key, usable only with
 * its authorization. Scheme TPM_SS_RSASSAPKCS1v15_INFO: TPM_Quote still signs
 * SHA-1(TPM_QUOTE_INFO), but TPM_Sign signs only TPM_SIGN_INFO ("SIGN"), so whoever holds the
 * usage auth cannot sign a fabricated TPM_QUOTE_INFO as the _SHA1 scheme would let them.
 */
export function signingKeyTemplate(sigScheme: number = TPM12_SS.RSASSAPKCS1v15_INFO): Tpm12Key {
  return {
    key12: false, keyUsage: TPM12_KEY_USAGE.SIGNING, keyFlags: 0, authDataUsage: TPM12_AUTH.ALWAYS,
    parms: rsaParms(TPM12_ES.NONE, sigScheme), pcrInfo: Buffer.alloc(0), modulus: Buffer.alloc(0), encData: Buffer.alloc(0),
  };
}

/** The EK parameters TPM_CreateEndorsementKeyPair takes (Part 2, 10.1: RSA 2048, OAEP). */
export function ekParms(): Tpm12KeyParms {
  return rsaParms(TPM12_ES.RSAESOAEP_SHA1_MGF1, TPM12_SS.NONE);
}

/** A TPM 1.2 RSA public key as a node:crypto key. */
export function tpm12PublicKey(k: Tpm12PubKey): KeyObject {
  if (k.parms.algorithmId !== TPM12_ALG_RSA) throw new TpmFormatError('only RSA TPM 1.2 keys are supported');
  const e = k.parms.rsa.exponent.length ? k.parms.rsa.exponent : Buffer.from([1, 0, 1]);
  if (k.modulus.length === 0) throw new TpmFormatError('TPM 1.2 key has no public modulus');
  return createPublicKey({ key: { kty: 'RSA', n: k.modulus.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
}
