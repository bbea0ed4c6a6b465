// TPMT_PUBLIC: the public area of a TPM key. Marshals the EK and AK templates tvdc creates,
// parses public areas back, turns them into node:crypto keys and computes their TPM names.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';
import { HASH_NAME, TPMA_OBJECT, TPM_ALG, TPM_ECC_CURVE } from './TpmConstants.js';

export interface TpmPublic {
  type: number;
  nameAlg: number;
  attributes: number;
  authPolicy: Buffer;
  /** TPMT_SYM_DEF_OBJECT; alg NULL for signing keys. */
  symmetric: { alg: number; keyBits?: number; mode?: number };
  /** Signing or encryption scheme and its hash (scheme NULL means any). */
  scheme: { scheme: number; hashAlg?: number };
  rsa?: { keyBits: number; exponent: number; modulus: Buffer };
  ecc?: { curve: number; kdf: { scheme: number; hashAlg?: number }; x: Buffer; y: Buffer };
}

const EK_AUTH_POLICY = Buffer.from('837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa', 'hex');

/** The TCG EK Credential Profile's default RSA 2048 EK template (L-1). */
export function ekTemplateRsa(): TpmPublic {
  return {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    attributes:
      TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin |
      TPMA_OBJECT.adminWithPolicy | TPMA_OBJECT.restricted | TPMA_OBJECT.decrypt,
    authPolicy: EK_AUTH_POLICY,
    symmetric: { alg: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
    scheme: { scheme: TPM_ALG.NULL },
    rsa: { keyBits: 2048, exponent: 0, modulus: Buffer.alloc(256) },
  };
}

const AK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.userWithAuth | TPMA_OBJECT.noDA | TPMA_OBJECT.restricted | TPMA_OBJECT.sign;

/** A restricted signing key for quotes. `rsa`: RSA 2048 RSASSA-SHA256; `ecc`: P-256 ECDSA-SHA256. */
export function akTemplate(kind: 'rsa' | 'ecc' = 'rsa'): TpmPublic {
  if (kind === 'ecc') {
    return {
      type: TPM_ALG.ECC,
      nameAlg: TPM_ALG.SHA256,
      attributes: AK_ATTRIBUTES,
      authPolicy: Buffer.alloc(0),
      symmetric: { alg: TPM_ALG.NULL },
      scheme: { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 },
      ecc: { curve: TPM_ECC_CURVE.NIST_P256, kdf: { scheme: TPM_ALG.NULL }, x: Buffer.alloc(0), y: Buffer.alloc(0) },
    };
  }
  return {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    attributes: AK_ATTRIBUTES,
    authPolicy: Buffer.alloc(0),
    symmetric: { alg: TPM_ALG.NULL },
    scheme: { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 },
    rsa: { keyBits: 2048, exponent: 0, modulus: Buffer.alloc(0) },
  };
}

function writeScheme(w: TpmWriter, s: { scheme: number; hashAlg?: number }): void {
  w.u16(s.scheme);
  if (s.scheme !== TPM_ALG.NULL) w.u16(s.hashAlg ?? TPM_ALG.SHA256);
}

export function marshalPublic(p: TpmPublic): Buffer {
  const w = new TpmWriter().u16(p.type).u16(p.nameAlg).u32(p.attributes).sized(p.authPolicy);
  w.u16(p.symmetric.alg);
  if (p.symmetric.alg !== TPM_ALG.NULL) w.u16(p.symmetric.keyBits ?? 128).u16(p.symmetric.mode ?? TPM_ALG.CFB);
  writeScheme(w, p.scheme);
  if (p.type === TPM_ALG.RSA && p.rsa) {
    w.u16(p.rsa.keyBits).u32(p.rsa.exponent).sized(p.rsa.modulus);
  } else if (p.type === TPM_ALG.ECC && p.ecc) {
    w.u16(p.ecc.curve);
    writeScheme(w, p.ecc.kdf);
    w.sized(p.ecc.x).sized(p.ecc.y);
  } else {
    throw new TpmFormatError(`cannot marshal a public area of type 0x${p.type.toString(16)}`);
  }
  return w.toBuffer();
}

function readScheme(r: TpmReader): { scheme: number; hashAlg?: number } {
  const scheme = r.u16();
  return scheme === TPM_ALG.NULL ? { scheme } : { scheme, hashAlg: r.u16() };
}

/** Parses a TPMT_PUBLIC (no size prefix); RSA and ECC keys only. */
export function parsePublic(buf: Buffer): TpmPublic {
  const r = new TpmReader(buf, 'TPMT_PUBLIC');
  const p = readPublic(r);
  r.end();
  return p;
}

export function readPublic(r: TpmReader): TpmPublic {
  const type = r.u16();
  const nameAlg = r.u16();
  const attributes = r.u32();
  const authPolicy = r.sized();
  const symAlg = r.u16();
  const symmetric = symAlg === TPM_ALG.NULL ? { alg: symAlg } : { alg: symAlg, keyBits: r.u16(), mode: r.u16() };
  const scheme = readScheme(r);
  if (type === TPM_ALG.RSA) {
    const keyBits = r.u16();
    const exponent = r.u32();
    const modulus = r.sized();
    return { type, nameAlg, attributes, authPolicy, symmetric, scheme, rsa: { keyBits, exponent, modulus } };
  }
  if (type === TPM_ALG.ECC) {
    const curve = r.u16();
    const kdf = readScheme(r);
    const x = r.sized();
    const y = r.sized();
    return { type, nameAlg, attributes, authPolicy, symmetric, scheme, ecc: { curve, kdf, x, y } };
  }
  throw new TpmFormatError(`unsupported public key type 0x${type.toString(16)}`);
}

/** Parses a TPM2B_PUBLIC (16-bit size, then TPMT_PUBLIC). */
export function parsePublic2B(buf: Buffer): { public: TpmPublic; area: Buffer } {
  const r = new TpmReader(buf, 'TPM2B_PUBLIC');
  const area = r.sized();
  r.end();
  return { public: parsePublic(area), area };
}

const CURVES: Record<number, string> = { [TPM_ECC_CURVE.NIST_P256]: 'P-256', [TPM_ECC_CURVE.NIST_P384]: 'P-384' };

/** The node:crypto public key of an RSA or ECC public area. */
export function publicKeyOf(p: TpmPublic): KeyObject {
  try {
    if (p.rsa) {
      // An empty or short modulus would still make a "key" node:crypto accepts.
      if (p.rsa.keyBits < 1024 || p.rsa.modulus.length * 8 !== p.rsa.keyBits) {
        throw new TpmFormatError(`RSA public area has a ${p.rsa.modulus.length * 8}-bit modulus for keyBits ${p.rsa.keyBits}`);
      }
      const e = p.rsa.exponent === 0 ? 65537 : p.rsa.exponent;
      const eb = Buffer.alloc(4);
      eb.writeUInt32BE(e);
      let i = 0;
      while (i < 3 && eb[i] === 0) i++;
      return createPublicKey({ key: { kty: 'RSA', n: p.rsa.modulus.toString('base64url'), e: eb.subarray(i).toString('base64url') }, format: 'jwk' });
    }
    if (p.ecc) {
      const crv = CURVES[p.ecc.curve];
      if (!crv) throw new TpmFormatError(`unsupported ECC curve 0x${p.ecc.curve.toString(16)}`);
      const size = crv === 'P-256' ? 32 : 48;
      // Coordinates may come without leading zero bytes; JWK wants them at full size.
      const pad = (c: Buffer) => {
        if (c.length === 0 || c.length > size) throw new TpmFormatError(`ECC point coordinate of ${c.length} bytes on ${crv}`);
        return Buffer.concat([Buffer.alloc(size - c.length), c]).toString('base64url');
      };
      return createPublicKey({ key: { kty: 'EC', crv, x: pad(p.ecc.x), y: pad(p.ecc.y) }, format: 'jwk' });
    }
  } catch (e) {
    if (e instanceof TpmFormatError) throw e;
    throw new TpmFormatError(`public area is not a valid key: ${(e as Error).message}`);
  }
  throw new TpmFormatError('public area carries no RSA or ECC key');
}

/** The TPM name of an object: nameAlg followed by the nameAlg digest of its TPMT_PUBLIC. */
export function nameOf(area: Buffer, nameAlg: number): Buffer {
  const hash = HASH_NAME[nameAlg];
  if (!hash) throw new TpmFormatError(`unsupported name algorithm 0x${nameAlg.toString(16)}`);
  const alg = Buffer.alloc(2);
  alg.writeUInt16BE(nameAlg);
  return Buffer.concat([alg, createHash(hash).update(area).digest()]);
}

export function publicKeyPem(p: TpmPublic): string {
  return publicKeyOf(p).export({ type: 'spki', format: 'pem' }).toString();
}
