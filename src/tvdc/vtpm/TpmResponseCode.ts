// Decodes TPM 2.0 response codes (Part 2, TPM_RC) into their names, with the handle,
// session or parameter number a format-one code points at, and the TpmError that carries them.
import { TvdcError } from '../TvdcError.js';

const VER1: Record<number, string> = {
  0x100: 'TPM_RC_INITIALIZE', 0x101: 'TPM_RC_FAILURE', 0x103: 'TPM_RC_SEQUENCE', 0x10b: 'TPM_RC_PRIVATE',
  0x119: 'TPM_RC_HMAC', 0x120: 'TPM_RC_DISABLED', 0x121: 'TPM_RC_EXCLUSIVE', 0x124: 'TPM_RC_AUTH_TYPE',
  0x125: 'TPM_RC_AUTH_MISSING', 0x126: 'TPM_RC_POLICY', 0x127: 'TPM_RC_PCR', 0x128: 'TPM_RC_PCR_CHANGED',
  0x12d: 'TPM_RC_UPGRADE', 0x12e: 'TPM_RC_TOO_MANY_CONTEXTS', 0x12f: 'TPM_RC_AUTH_UNAVAILABLE',
  0x130: 'TPM_RC_REBOOT', 0x131: 'TPM_RC_UNBALANCED', 0x142: 'TPM_RC_COMMAND_SIZE', 0x143: 'TPM_RC_COMMAND_CODE',
  0x144: 'TPM_RC_AUTHSIZE', 0x145: 'TPM_RC_AUTH_CONTEXT', 0x146: 'TPM_RC_NV_RANGE', 0x147: 'TPM_RC_NV_SIZE',
  0x148: 'TPM_RC_NV_LOCKED', 0x149: 'TPM_RC_NV_AUTHORIZATION', 0x14a: 'TPM_RC_NV_UNINITIALIZED',
  0x14b: 'TPM_RC_NV_SPACE', 0x14c: 'TPM_RC_NV_DEFINED', 0x150: 'TPM_RC_BAD_CONTEXT', 0x151: 'TPM_RC_CPHASH',
  0x152: 'TPM_RC_PARENT', 0x153: 'TPM_RC_NEEDS_TEST', 0x154: 'TPM_RC_NO_RESULT', 0x155: 'TPM_RC_SENSITIVE',
};

const FMT1: Record<number, string> = {
  0x081: 'TPM_RC_ASYMMETRIC', 0x082: 'TPM_RC_ATTRIBUTES', 0x083: 'TPM_RC_HASH', 0x084: 'TPM_RC_VALUE',
  0x085: 'TPM_RC_HIERARCHY', 0x087: 'TPM_RC_KEY_SIZE', 0x088: 'TPM_RC_MGF', 0x089: 'TPM_RC_MODE',
  0x08a: 'TPM_RC_TYPE', 0x08b: 'TPM_RC_HANDLE', 0x08c: 'TPM_RC_KDF', 0x08d: 'TPM_RC_RANGE',
  0x08e: 'TPM_RC_AUTH_FAIL', 0x08f: 'TPM_RC_NONCE', 0x090: 'TPM_RC_PP', 0x092: 'TPM_RC_SCHEME',
  0x095: 'TPM_RC_SIZE', 0x096: 'TPM_RC_SYMMETRIC', 0x097: 'TPM_RC_TAG', 0x098: 'TPM_RC_SELECTOR',
  0x09a: 'TPM_RC_INSUFFICIENT', 0x09b: 'TPM_RC_SIGNATURE', 0x09c: 'TPM_RC_KEY', 0x09d: 'TPM_RC_POLICY_FAIL',
  0x09f: 'TPM_RC_INTEGRITY', 0x0a0: 'TPM_RC_TICKET', 0x0a1: 'TPM_RC_RESERVED_BITS', 0x0a2: 'TPM_RC_BAD_AUTH',
  0x0a3: 'TPM_RC_EXPIRED', 0x0a4: 'TPM_RC_POLICY_CC', 0x0a5: 'TPM_RC_BINDING', 0x0a6: 'TPM_RC_CURVE',
  0x0a7: 'TPM_RC_ECC_POINT',
};

const WARN: Record<number, string> = {
  0x901: 'TPM_RC_CONTEXT_GAP', 0x902: 'TPM_RC_OBJECT_MEMORY', 0x903: 'TPM_RC_SESSION_MEMORY',
  0x904: 'TPM_RC_MEMORY', 0x905: 'TPM_RC_SESSION_HANDLES', 0x906: 'TPM_RC_OBJECT_HANDLES',
  0x907: 'TPM_RC_LOCALITY', 0x908: 'TPM_RC_YIELDED', 0x909: 'TPM_RC_CANCELED', 0x90a: 'TPM_RC_TESTING',
  0x920: 'TPM_RC_NV_RATE', 0x921: 'TPM_RC_LOCKOUT', 0x922: 'TPM_RC_RETRY', 0x923: 'TPM_RC_NV_UNAVAILABLE',
};

export const TPM_RC_SUCCESS = 0;
export const TPM_RC_RETRY = 0x922;
export const TPM_RC_YIELDED = 0x908;
export const TPM_RC_TESTING = 0x90a;

export interface DecodedRc {
  rc: number;
  /** The base code with handle/session/parameter numbers stripped (e.g. 0x08b). */
  base: number;
  name: string;
  /** For format-one codes: which handle, session or parameter (1-based) the TPM blames. */
  subject?: { kind: 'handle' | 'session' | 'parameter'; number: number };
}

export function decodeResponseCode(rc: number): DecodedRc {
  if (rc === 0) return { rc, base: 0, name: 'TPM_RC_SUCCESS' };
  if (rc & 0x80) {
    const base = (rc & 0x3f) | 0x80;
    const name = FMT1[base] ?? `TPM_RC_FMT1_0x${base.toString(16)}`;
    let subject: DecodedRc['subject'];
    if (rc & 0x40) subject = { kind: 'parameter', number: (rc >> 8) & 0xf };
    else if (rc & 0x800) subject = { kind: 'session', number: (rc >> 8) & 0x7 };
    else if ((rc >> 8) & 0x7) subject = { kind: 'handle', number: (rc >> 8) & 0x7 };
    return subject ? { rc, base, name, subject } : { rc, base, name };
  }
  if (rc & 0x100) {
    const base = rc & 0xfff;
    if (rc & 0x800) return { rc, base, name: WARN[base] ?? `TPM_RC_WARN_0x${base.toString(16)}` };
    return { rc, base, name: VER1[base] ?? `TPM_RC_VER1_0x${base.toString(16)}` };
  }
  // Format zero without the VER1 bit is a TPM 1.2 code.
  return { rc, base: rc, name: `TPM_1.2_RC_0x${rc.toString(16)}` };
}

export function describeResponseCode(rc: number): string {
  const d = decodeResponseCode(rc);
  const s = d.subject ? ` (${d.subject.kind} ${d.subject.number})` : '';
  return `${d.name}${s} [0x${rc.toString(16).padStart(3, '0')}]`;
}

/** A TPM command came back with a non-success response code. */
export class TpmError extends TvdcError {
  readonly rc: number;
  readonly rcName: string;
  constructor(
    readonly command: string,
    rc: number,
  ) {
    super('VTPM_FAILED', `${command} failed: ${describeResponseCode(rc)}`);
    this.rc = rc;
    this.rcName = decodeResponseCode(rc).name;
  }
}
