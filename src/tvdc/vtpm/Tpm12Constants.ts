// TPM 1.2 constants (TPM Main Part 2, structures, and Part 3, ordinals): the subset tvdc speaks.

/** Command and response tags (Part 2, 6). */
export const TPM12_TAG = {
  RQU_COMMAND: 0x00c1,
  RQU_AUTH1_COMMAND: 0x00c2,
  RQU_AUTH2_COMMAND: 0x00c3,
  RSP_COMMAND: 0x00c4,
  RSP_AUTH1_COMMAND: 0x00c5,
  RSP_AUTH2_COMMAND: 0x00c6,
} as const;

/** Command ordinals (Part 2, 17). */
export const TPM12_ORD = {
  OIAP: 0x0000000a,
  OSAP: 0x0000000b,
  TakeOwnership: 0x0000000d,
  Extend: 0x00000014,
  PcrRead: 0x00000015,
  Quote: 0x00000016,
  Sign: 0x0000003c,
  CreateWrapKey: 0x0000001f,
  GetPubKey: 0x00000021,
  LoadKey2: 0x00000041,
  GetRandom: 0x00000046,
  GetCapability: 0x00000065,
  PhysicalEnable: 0x0000006f,
  PhysicalSetDeactivated: 0x00000072,
  CreateEndorsementKeyPair: 0x00000078,
  ReadPubek: 0x0000007c,
  OwnerReadInternalPub: 0x00000081,
  SaveState: 0x00000098,
  NV_DefineSpace: 0x000000cc,
  NV_WriteValue: 0x000000cd,
  NV_ReadValue: 0x000000cf,
  Startup: 0x00000099,
  FlushSpecific: 0x000000ba,
  /** TSC_PhysicalPresence: the platform's physical-presence switch, as a command. */
  TSC_PhysicalPresence: 0x4000000a,
} as const;

/** TPM_STARTUP_TYPE. */
export const TPM12_ST = { CLEAR: 0x0001, STATE: 0x0002, DEACTIVATED: 0x0003 } as const;

/** TPM_PHYSICAL_PRESENCE bits for TSC_PhysicalPresence. */
export const TPM12_PHYSICAL_PRESENCE = { CMD_ENABLE: 0x0020, PRESENT: 0x0008, NOTPRESENT: 0x0010 } as const;

/** TPM_ENTITY_TYPE for OSAP. */
export const TPM12_ET = { KEYHANDLE: 0x0001, OWNER: 0x0002, SRK: 0x0004 } as const;

/** Reserved key handles. */
export const TPM12_KH = { SRK: 0x40000000, OWNER: 0x40000001, EK: 0x40000006 } as const;

/** TPM_RESOURCE_TYPE for FlushSpecific. */
export const TPM12_RT = { KEY: 0x00000001, AUTH: 0x00000002 } as const;

export const TPM12_PID_OWNER = 0x0005;

export const TPM12_ALG_RSA = 0x00000001;

/** TPM_KEY_USAGE. */
export const TPM12_KEY_USAGE = { SIGNING: 0x0010, STORAGE: 0x0011, IDENTITY: 0x0012, BIND: 0x0014, LEGACY: 0x0015 } as const;

/**
 * NV indexes (Part 2, 19.1). EK_CERT is TPM_NV_INDEX_EKCert (0x0000F000) with the D bit
 * (0x10000000, defined by the platform, cannot be deleted), the index the PC Client specification
 * gives the EK certificate; LOCK is TPM_NV_INDEX_LOCK, whose definition sets nvLocked.
 */
export const TPM12_NV_INDEX = { EK_CERT: 0x1000f000, LOCK: 0xffffffff } as const;

/** TPM_NV_ATTRIBUTES permission bits (Part 2, 19.2) tvdc sets. */
export const TPM12_NV_PER = { OWNERWRITE: 0x00000002 } as const;

/** TPM_KEY_FLAGS bits (Part 2, 5.10). */
export const TPM12_KEY_FLAGS = { REDIRECTION: 0x00000001, MIGRATABLE: 0x00000002, IS_VOLATILE: 0x00000004, PCR_IGNORED_ON_READ: 0x00000008, MIGRATE_AUTHORITY: 0x00000010 } as const;

/** TPM_ENC_SCHEME and TPM_SIG_SCHEME. */
export const TPM12_ES = { NONE: 0x0001, RSAESPKCSv15: 0x0002, RSAESOAEP_SHA1_MGF1: 0x0003 } as const;
export const TPM12_SS = { NONE: 0x0001, RSASSAPKCS1v15_SHA1: 0x0002, RSASSAPKCS1v15_DER: 0x0003, RSASSAPKCS1v15_INFO: 0x0004 } as const;

/** A TPM_SIG_SCHEME's name as TPM Main Part 2 spells it, for messages. */
export function tpm12SigSchemeName(scheme: number): string {
  const name = Object.entries(TPM12_SS).find(([, v]) => v === scheme)?.[0];
  return name ? `TPM_SS_${name}` : `TPM_SIG_SCHEME 0x${scheme.toString(16).padStart(4, '0')}`;
}

/** TPM_AUTH_DATA_USAGE. */
export const TPM12_AUTH = { NEVER: 0x00, ALWAYS: 0x01 } as const;

/** PCRs of a TPM 1.2 (PC Client: 24), and the size of a TPM_PCR_SELECTION bitmap for them. */
export const TPM12_NUM_PCR = 24;
export const TPM12_PCR_SELECT_SIZE = 3;

/** TPM_RESULT names (Part 2, 16): base codes and the non-fatal ones. */
const RC_NAMES: Record<number, string> = {
  0x01: 'TPM_AUTHFAIL', 0x02: 'TPM_BADINDEX', 0x03: 'TPM_BAD_PARAMETER', 0x04: 'TPM_AUDITFAILURE',
  0x05: 'TPM_CLEAR_DISABLED', 0x06: 'TPM_DEACTIVATED', 0x07: 'TPM_DISABLED', 0x08: 'TPM_DISABLED_CMD',
  0x09: 'TPM_FAIL', 0x0a: 'TPM_BAD_ORDINAL', 0x0b: 'TPM_INSTALL_DISABLED', 0x0c: 'TPM_INVALID_KEYHANDLE',
  0x0d: 'TPM_KEYNOTFOUND', 0x0e: 'TPM_INAPPROPRIATE_ENC', 0x0f: 'TPM_MIGRATEFAIL', 0x10: 'TPM_INVALID_PCR_INFO',
  0x11: 'TPM_NOSPACE', 0x12: 'TPM_NOSRK', 0x13: 'TPM_NOTSEALED_BLOB', 0x14: 'TPM_OWNER_SET',
  0x15: 'TPM_RESOURCES', 0x16: 'TPM_SHORTRANDOM', 0x17: 'TPM_SIZE', 0x18: 'TPM_WRONGPCRVAL',
  0x19: 'TPM_BAD_PARAM_SIZE', 0x1a: 'TPM_SHA_THREAD', 0x1b: 'TPM_SHA_ERROR', 0x1c: 'TPM_FAILEDSELFTEST',
  0x1d: 'TPM_AUTH2FAIL', 0x1e: 'TPM_BADTAG', 0x1f: 'TPM_IOERROR', 0x20: 'TPM_ENCRYPT_ERROR',
  0x21: 'TPM_DECRYPT_ERROR', 0x22: 'TPM_INVALID_AUTHHANDLE', 0x23: 'TPM_NO_ENDORSEMENT', 0x24: 'TPM_INVALID_KEYUSAGE',
  0x25: 'TPM_WRONG_ENTITYTYPE', 0x26: 'TPM_INVALID_POSTINIT', 0x27: 'TPM_INAPPROPRIATE_SIG', 0x28: 'TPM_BAD_KEY_PROPERTY',
  0x29: 'TPM_BAD_MIGRATION', 0x2a: 'TPM_BAD_SCHEME', 0x2b: 'TPM_BAD_DATASIZE', 0x2c: 'TPM_BAD_MODE',
  0x2d: 'TPM_BAD_PRESENCE', 0x2e: 'TPM_BAD_VERSION', 0x2f: 'TPM_NO_WRAP_TRANSPORT',
  0x30: 'TPM_AUDITFAIL_UNSUCCESSFUL', 0x31: 'TPM_AUDITFAIL_SUCCESSFUL', 0x32: 'TPM_NOTRESETABLE', 0x33: 'TPM_NOTLOCAL',
  0x34: 'TPM_BAD_TYPE', 0x35: 'TPM_INVALID_RESOURCE', 0x36: 'TPM_NOTFIPS', 0x37: 'TPM_INVALID_FAMILY',
  0x38: 'TPM_NO_NV_PERMISSION', 0x39: 'TPM_REQUIRES_SIGN', 0x3a: 'TPM_KEY_NOTSUPPORTED', 0x3b: 'TPM_AUTH_CONFLICT',
  0x3c: 'TPM_AREA_LOCKED', 0x3d: 'TPM_BAD_LOCALITY', 0x3e: 'TPM_READ_ONLY', 0x3f: 'TPM_PER_NOWRITE',
  0x40: 'TPM_FAMILYCOUNT', 0x41: 'TPM_WRITE_LOCKED', 0x42: 'TPM_BAD_ATTRIBUTES', 0x43: 'TPM_INVALID_STRUCTURE',
  0x800: 'TPM_RETRY', 0x801: 'TPM_NEEDS_SELFTEST', 0x802: 'TPM_DOING_SELFTEST', 0x803: 'TPM_DEFEND_LOCK_RUNNING',
};

export const TPM12_RC_RETRY = 0x800;
export const TPM12_RC_DOING_SELFTEST = 0x802;

export function tpm12ResultName(rc: number): string {
  return RC_NAMES[rc] ?? `TPM_RESULT_0x${rc.toString(16)}`;
}
