// A vTPM's PCRs whatever its family: a TPM 2.0 vTPM has a SHA-1 and a SHA-256 bank, a TPM 1.2
// vTPM the SHA-1 bank only. Measurements and PCR reads go through here, never to one client.
import type { PcrValues } from '../integrity/PcrValues.js';
import type { PcrBankName } from '../integrity/ImaReplay.js';
import type { Tpm } from './Tpm.js';
import type { Tpm12 } from './Tpm12.js';
import { TPM_ALG } from './TpmConstants.js';
import { PCR_BANKS } from './TpmFamily.js';

export interface BankDigests {
  sha1: Buffer;
  sha256: Buffer;
}

export interface VtpmPcrs {
  /** The banks this TPM has, the one IMA's log is replayed against first. */
  readonly banks: readonly PcrBankName[];
  /** Extends `pcr` in every bank the TPM has, each with its own digest. */
  extend(pcr: number, digests: BankDigests): Promise<void>;
  /** Reads `pcrs` in every bank the TPM has (or only those of `banks` it has). */
  read(pcrs: readonly number[], banks?: readonly PcrBankName[]): Promise<PcrValues>;
}

const BANK_ID: Record<PcrBankName, number> = { sha1: TPM_ALG.SHA1, sha256: TPM_ALG.SHA256 };

/**
 * IMA's bank on this TPM (its first: SHA-256, a TPM 1.2's only one SHA-1) and `pcrs` read in
 * it: what the boot_aggregate and PCR 10's replay are computed in.
 */
export async function readImaBank(p: VtpmPcrs, pcrs: readonly number[]): Promise<{ bank: PcrBankName; values: Map<number, Buffer> }> {
  const bank = p.banks[0]!;
  return { bank, values: (await p.read(pcrs, [bank])).get(BANK_ID[bank])! };
}

export class Tpm2Pcrs implements VtpmPcrs {
  readonly banks = PCR_BANKS.tpm2;
  constructor(private readonly tpm: Tpm) {}

  async extend(pcr: number, d: BankDigests): Promise<void> {
    await this.tpm.pcrExtend(pcr, [
      { hashAlg: TPM_ALG.SHA1, digest: d.sha1 },
      { hashAlg: TPM_ALG.SHA256, digest: d.sha256 },
    ]);
  }

  async read(pcrs: readonly number[], banks: readonly PcrBankName[] = ['sha1', 'sha256']): Promise<PcrValues> {
    return (await this.tpm.pcrRead(banks.map((b) => ({ hashAlg: BANK_ID[b], pcrs: [...pcrs] })))).values;
  }
}

export class Tpm12Pcrs implements VtpmPcrs {
  readonly banks = PCR_BANKS.tpm12;
  constructor(private readonly tpm: Tpm12) {}

  async extend(pcr: number, d: BankDigests): Promise<void> {
    await this.tpm.extend(pcr, d.sha1);
  }

  async read(pcrs: readonly number[], banks: readonly PcrBankName[] = ['sha1']): Promise<PcrValues> {
    const out: PcrValues = new Map();
    if (!banks.includes('sha1')) return out;
    const bank = new Map<number, Buffer>();
    for (const p of pcrs) bank.set(p, await this.tpm.pcrRead(p));
    out.set(TPM_ALG.SHA1, bank);
    return out;
  }
}
