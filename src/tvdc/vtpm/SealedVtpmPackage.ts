// The sealed envelope a vTPM travels in between hosts: confidential to the destination host and
// signed by the source host, bound to one VM, one package id and the source's export counter.
//
//   { "format": "tvdc-vtpm-sealed/1", "header": "<JSON text>", "signature": "<base64>" }
//
// The header is carried as the exact text that was signed (no re-serialisation to agree on). It
// names the algorithms, the VM, the package id, counter and time, the source and recipient key
// fingerprints, the RSA-OAEP-wrapped AES-256 key, and the AES-256-GCM nonce, tag and ciphertext.
// The signature (RSASSA-PSS over a domain-separation prefix and the header text) covers all of it;
// the GCM additional data binds the ciphertext to the identifying fields as well.
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { MigrationKey, type MigrationPublicKey } from './MigrationKey.js';
import { VtpmPackageError } from './VtpmPackageError.js';

export const SEALED_FORMAT = 'tvdc-vtpm-sealed/1';
/** The plaintext, checksum-only package of earlier versions: recognised only to be refused. */
export const PLAINTEXT_FORMAT_V1 = 'tvdc-vtpm-state/1';

const ALG = { signature: 'RSASSA-PSS-SHA256', wrap: 'RSA-OAEP-SHA256', cipher: 'AES-256-GCM' } as const;
const SIGNED_PREFIX = Buffer.from(`${SEALED_FORMAT} signed header\n`);
/** OAEP label: a key wrapped for anything else of this host's key never unwraps as a migration key. */
const OAEP_LABEL = Buffer.from('tvdc-vtpm-migration');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PACKAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * migrate: sealed to a destination host for ImportVTPMState or a migration;
 * return: the source's own take-back copy, opened only when the destination refused the VM.
 */
export type PackagePurpose = 'migrate' | 'return';

/** What the signed header says about a package, besides its ciphertext. */
export interface SealedPackageInfo {
  packageId: string;
  vm: string;
  purpose: PackagePurpose;
  /** The source host's export counter: strictly increasing over all its exports. */
  counter: number;
  exportedAt: string;
  /** Fingerprints (SHA-256 of SPKI DER, hex) of the signing source key and the recipient key. */
  source: string;
  recipient: string;
}

interface Header extends SealedPackageInfo {
  format: typeof SEALED_FORMAT;
  signature: typeof ALG.signature;
  wrap: typeof ALG.wrap;
  cipher: typeof ALG.cipher;
  wrappedKey: string;
  nonce: string;
  tag: string;
  ciphertext: string;
}

export interface SealRequest {
  plaintext: Buffer;
  vm: string;
  purpose: PackagePurpose;
  counter: number;
  packageId?: string;
  source: MigrationKey;
  recipient: MigrationPublicKey;
}

export interface OpenRequest {
  /** This host's key: the package must be sealed to it. */
  recipient: MigrationKey;
  /** The key the caller says the source host signs with. */
  source: MigrationPublicKey;
  /** The VM the package must be for. */
  vm: string;
  purpose: PackagePurpose;
}

function aad(i: SealedPackageInfo): Buffer {
  return Buffer.from(JSON.stringify([SEALED_FORMAT, i.packageId, i.vm, i.purpose, i.counter, i.exportedAt, i.source, i.recipient]));
}

function signedBytes(headerText: string): Buffer {
  return Buffer.concat([SIGNED_PREFIX, Buffer.from(headerText, 'utf8')]);
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: OAEP_LABEL } as const;

function malformed(msg: string): never {
  throw new VtpmPackageError('MALFORMED', msg);
}

export const SealedVtpmPackage = {
  /** Encrypts under a fresh AES-256 key, wraps that key for the recipient, signs the whole. */
  seal(r: SealRequest): Buffer {
    const info: SealedPackageInfo = {
      packageId: r.packageId ?? randomUUID(),
      vm: r.vm,
      purpose: r.purpose,
      counter: r.counter,
      exportedAt: new Date().toISOString(),
      source: r.source.fingerprint,
      recipient: r.recipient.fingerprint,
    };
    const key = randomBytes(32);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(info));
    const ciphertext = Buffer.concat([cipher.update(r.plaintext), cipher.final()]);
    const header: Header = {
      format: SEALED_FORMAT,
      ...info,
      ...ALG,
      wrappedKey: publicEncrypt({ key: r.recipient.key, ...OAEP }, key).toString('base64'),
      nonce: nonce.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    key.fill(0);
    const headerText = JSON.stringify(header);
    const signature = sign('sha256', signedBytes(headerText), { key: r.source.privateKey, ...PSS });
    return Buffer.from(JSON.stringify({ format: SEALED_FORMAT, header: headerText, signature: signature.toString('base64') }));
  },

  /**
   * Checks a package from the outside in, refusing with the first reason that applies: its shape,
   * the source key, the signature, the recipient, the VM and purpose, the key unwrap, the GCM tag.
   * Nothing about the contents is believed before the signature verified.
   */
  open(data: Buffer, r: OpenRequest): { info: SealedPackageInfo; plaintext: Buffer } {
    const { header, headerText, signature } = parse(data);
    if (header.source !== r.source.fingerprint) {
      throw new VtpmPackageError('WRONG_SOURCE_KEY', `the package names source key ${header.source.slice(0, 16)}..., not the source key given (${r.source.fingerprint.slice(0, 16)}...)`);
    }
    let good = false;
    try {
      good = verify('sha256', signedBytes(headerText), { key: r.source.key, ...PSS }, signature);
    } catch {
      good = false;
    }
    if (!good) throw new VtpmPackageError('BAD_SIGNATURE', "the signature does not verify under the source host's migration key: the package was altered");
    if (header.recipient !== r.recipient.fingerprint) {
      throw new VtpmPackageError('NOT_FOR_THIS_HOST', `the package is sealed to migration key ${header.recipient.slice(0, 16)}..., not to this host's (${r.recipient.fingerprint.slice(0, 16)}...)`);
    }
    if (header.vm !== r.vm) throw new VtpmPackageError('WRONG_VM', `the package holds the vTPM of VM '${header.vm}', not of '${r.vm}'`);
    if (header.purpose !== r.purpose) {
      throw new VtpmPackageError('WRONG_PURPOSE', header.purpose === 'return' ? "it is a source host's take-back copy, not a migration package" : 'a migration package is not a take-back copy');
    }
    let key: Buffer;
    try {
      key = privateDecrypt({ key: r.recipient.privateKey, ...OAEP }, Buffer.from(header.wrappedKey, 'base64'));
    } catch {
      throw new VtpmPackageError('UNWRAP_FAILED', "the wrapped AES key does not decrypt under this host's migration key");
    }
    if (key.length !== 32) throw new VtpmPackageError('UNWRAP_FAILED', `the wrapped key is ${key.length} bytes, not an AES-256 key`);
    const info: SealedPackageInfo = {
      packageId: header.packageId, vm: header.vm, purpose: header.purpose, counter: header.counter,
      exportedAt: header.exportedAt, source: header.source, recipient: header.recipient,
    };
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.nonce, 'base64'), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(info));
      decipher.setAuthTag(Buffer.from(header.tag, 'base64'));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(header.ciphertext, 'base64')), decipher.final()]);
      return { info, plaintext };
    } catch {
      throw new VtpmPackageError('DECRYPT_FAILED', 'the AES-GCM tag does not verify: the ciphertext or its key was altered');
    } finally {
      key.fill(0);
    }
  },
};

function parse(data: Buffer): { header: Header; headerText: string; signature: Buffer } {
  let outer: unknown;
  try {
    outer = JSON.parse(data.toString('utf8'));
  } catch {
    malformed('not a sealed vTPM package (not JSON; truncated or damaged?)');
  }
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) malformed('not a sealed vTPM package (not a JSON object)');
  const o = outer as Record<string, unknown>;
  if (o['format'] === PLAINTEXT_FORMAT_V1) {
    throw new VtpmPackageError('OLD_FORMAT', `${PLAINTEXT_FORMAT_V1} is the old unencrypted, unsigned package and is no longer accepted; export it again with ExportVTPMState naming this host's MigrationPublicKey`);
  }
  if (o['format'] !== SEALED_FORMAT) malformed(`format is ${JSON.stringify(o['format'] ?? null)}, not ${SEALED_FORMAT}`);
  if (typeof o['header'] !== 'string' || typeof o['signature'] !== 'string' || !BASE64.test(o['signature'])) malformed('header or signature missing');
  const headerText = o['header'];
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(headerText) as Record<string, unknown>;
  } catch {
    malformed('the header is not JSON');
  }
  if (typeof h !== 'object' || h === null || Array.isArray(h)) malformed('the header is not an object');
  const str = (k: string, re?: RegExp): string => {
    const v = h[k];
    if (typeof v !== 'string' || (re && !re.test(v))) malformed(`header field ${k} is missing or malformed`);
    return v;
  };
  if (str('format') !== SEALED_FORMAT) malformed('the header names another format');
  for (const [k, v] of Object.entries(ALG)) if (str(k) !== v) malformed(`unsupported ${k} algorithm ${JSON.stringify(h[k])}; this host speaks ${v}`);
  const purpose = str('purpose');
  if (purpose !== 'migrate' && purpose !== 'return') malformed('header field purpose is malformed');
  const counter = h['counter'];
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1) malformed('header field counter is missing or malformed');
  const header: Header = {
    format: SEALED_FORMAT,
    ...ALG,
    packageId: str('packageId', PACKAGE_ID),
    vm: str('vm'),
    purpose,
    counter,
    exportedAt: str('exportedAt'),
    source: str('source', FINGERPRINT),
    recipient: str('recipient', FINGERPRINT),
    wrappedKey: str('wrappedKey', BASE64),
    nonce: str('nonce', BASE64),
    tag: str('tag', BASE64),
    ciphertext: str('ciphertext', BASE64),
  };
  if (Buffer.from(header.nonce, 'base64').length !== NONCE_BYTES) malformed(`the nonce is not ${NONCE_BYTES} bytes`);
  if (Buffer.from(header.tag, 'base64').length !== TAG_BYTES) malformed(`the GCM tag is not ${TAG_BYTES} bytes`);
  return { header, headerText, signature: Buffer.from(o['signature'], 'base64') };
}
