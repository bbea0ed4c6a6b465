// TPMS_ATTEST, the structure a TPM 2.0 signs in a quote (Part 2, 10.12.12), and TPMT_SIGNATURE.
import { TpmReader } from '../vtpm/TpmBuffer.js';
import { TPM_ALG } from '../vtpm/TpmConstants.js';
import { readPcrSelection, type PcrBankSelection } from '../vtpm/PcrSelection.js';
import { IntegrityError } from './IntegrityError.js';

/** TPM_GENERATED_VALUE: only the TPM itself puts this magic on what it signs. */
export const TPM_GENERATED_VALUE = 0xff544347;

export interface TpmsAttest {
  magic: number;
  type: number;
  qualifiedSigner: Buffer;
  extraData: Buffer;
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  /** Present when type is TPM_ST_ATTEST_QUOTE. */
  quote?: { pcrSelect: PcrBankSelection[]; pcrDigest: Buffer };
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof IntegrityError) throw e;
    throw new IntegrityError('QUOTE_FORMAT', `${what}: ${(e as Error).message}`);
  }
}

export function parseTpmsAttest(buf: Buffer): TpmsAttest {
  return wrap('TPMS_ATTEST', () => {
    const r = new TpmReader(buf, 'TPMS_ATTEST');
    const magic = r.u32();
    const type = r.u16();
    const qualifiedSigner = r.sized();
    const extraData = r.sized();
    const clock = r.u64();
    const resetCount = r.u32();
    const restartCount = r.u32();
    const safe = r.u8() === 1;
    const firmwareVersion = r.u64();
    const a: TpmsAttest = { magic, type, qualifiedSigner, extraData, clock, resetCount, restartCount, safe, firmwareVersion };
    if (type === 0x8018) {
      const pcrSelect = readPcrSelection(r);
      const pcrDigest = r.sized();
      r.end();
      a.quote = { pcrSelect, pcrDigest };
    }
    return a;
  });
}

export interface TpmtSignature {
  sigAlg: number;
  hashAlg: number;
  /** RSASSA / RSAPSS signature bytes. */
  rsa?: Buffer;
  /** ECDSA r and s. */
  ecdsa?: { r: Buffer; s: Buffer };
}

export function parseTpmtSignature(buf: Buffer): TpmtSignature {
  return wrap('TPMT_SIGNATURE', () => {
    const r = new TpmReader(buf, 'TPMT_SIGNATURE');
    const sigAlg = r.u16();
    if (sigAlg === TPM_ALG.RSASSA || sigAlg === TPM_ALG.RSAPSS) {
      const hashAlg = r.u16();
      const sig = r.sized();
      r.end();
      return { sigAlg, hashAlg, rsa: sig };
    }
    if (sigAlg === TPM_ALG.ECDSA) {
      const hashAlg = r.u16();
      const rr = r.sized();
      const s = r.sized();
      r.end();
      return { sigAlg, hashAlg, ecdsa: { r: rr, s } };
    }
    throw new IntegrityError('QUOTE_FORMAT', `unsupported signature algorithm 0x${sigAlg.toString(16)}`);
  });
}
