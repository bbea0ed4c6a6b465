// TPM 2.0 constants tvdc speaks (TPM 2.0 Library, Part 2: Structures): command codes, tags,
// permanent handles, algorithm ids and object attributes.

export const TPM_ST = {
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  ATTEST_CREATION: 0x801a,
} as const;

export const TPM_CC = {
  EvictControl: 0x120,
  NV_UndefineSpace: 0x122,
  NV_DefineSpace: 0x12a,
  CreatePrimary: 0x131,
  NV_Write: 0x137,
  Startup: 0x144,
  Shutdown: 0x145,
  ActivateCredential: 0x147,
  NV_Read: 0x14e,
  PolicySecret: 0x151,
  Quote: 0x158,
  FlushContext: 0x165,
  MakeCredential: 0x168,
  NV_ReadPublic: 0x169,
  ReadPublic: 0x173,
  StartAuthSession: 0x176,
  GetCapability: 0x17a,
  GetRandom: 0x17b,
  PCR_Read: 0x17e,
  PCR_Extend: 0x182,
} as const;

export const TPM_RH = {
  OWNER: 0x40000001,
  NULL: 0x40000007,
  PW: 0x40000009, // TPM_RS_PW: the password session
  LOCKOUT: 0x4000000a,
  ENDORSEMENT: 0x4000000b,
  PLATFORM: 0x4000000c,
} as const;

export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CFB: 0x0043,
} as const;

export const TPM_ECC_CURVE = { NIST_P256: 0x0003, NIST_P384: 0x0004 } as const;

export const TPM_SU = { CLEAR: 0x0000, STATE: 0x0001 } as const;

export const TPM_SE = { HMAC: 0x00, POLICY: 0x01, TRIAL: 0x03 } as const;

export const TPM_CAP = { ALGS: 0, HANDLES: 1, COMMANDS: 2, PCRS: 5, TPM_PROPERTIES: 6 } as const;

export const TPM_PT = { MANUFACTURER: 0x105, VENDOR_STRING_1: 0x106, NV_BUFFER_MAX: 0x12c } as const;

/** TPMA_OBJECT bits. */
export const TPMA_OBJECT = {
  fixedTPM: 0x2,
  stClear: 0x4,
  fixedParent: 0x10,
  sensitiveDataOrigin: 0x20,
  userWithAuth: 0x40,
  adminWithPolicy: 0x80,
  noDA: 0x400,
  encryptedDuplication: 0x800,
  restricted: 0x10000,
  decrypt: 0x20000,
  sign: 0x40000,
} as const;

/** TPMA_NV bits used for the EK certificate index. */
export const TPMA_NV = {
  OWNERWRITE: 0x2,
  AUTHWRITE: 0x4,
  PPREAD: 0x10000,
  OWNERREAD: 0x20000,
  AUTHREAD: 0x40000,
  NO_DA: 0x2000000,
  WRITTEN: 0x20000000,
} as const;

/** The NV index where TCG's EK Credential Profile keeps the RSA 2048 EK certificate. */
export const EK_CERT_NV_INDEX_RSA = 0x01c00002;

/** Digest sizes by hash algorithm id. */
export const HASH_SIZE: Readonly<Record<number, number>> = {
  [TPM_ALG.SHA1]: 20,
  [TPM_ALG.SHA256]: 32,
  [TPM_ALG.SHA384]: 48,
  [TPM_ALG.SHA512]: 64,
};

/** node:crypto names of the TPM hash algorithms. */
export const HASH_NAME: Readonly<Record<number, 'sha1' | 'sha256' | 'sha384' | 'sha512'>> = {
  [TPM_ALG.SHA1]: 'sha1',
  [TPM_ALG.SHA256]: 'sha256',
  [TPM_ALG.SHA384]: 'sha384',
  [TPM_ALG.SHA512]: 'sha512',
};

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export function hashAlgId(name: string): number | undefined {
  for (const [id, n] of Object.entries(HASH_NAME)) if (n === name) return Number(id);
  return undefined;
}
