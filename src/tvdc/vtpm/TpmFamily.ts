// Which TPM a vTPM is: TPM 2.0 (the default) or TPM 1.2, as the TVDc paper's vTPMs were. The
// family is chosen when the vTPM is created and stays with its state for its whole life.
import type { PcrBankName } from '../integrity/ImaReplay.js';

export type TpmFamily = 'tpm2' | 'tpm12';

/** The PCR banks each family has, the one IMA extends first: a TPM 1.2 has the SHA-1 bank only. */
export const PCR_BANKS: Record<TpmFamily, readonly PcrBankName[]> = { tpm2: ['sha256', 'sha1'], tpm12: ['sha1'] };

export function isTpmFamily(v: unknown): v is TpmFamily {
  return v === 'tpm2' || v === 'tpm12';
}

/** swtpm's state file names: TPM 2.0 state is "tpm2-00.*", TPM 1.2 state "tpm-00.*". */
export function stateFiles(family: TpmFamily): { volatile: string; permanent: string } {
  const prefix = family === 'tpm12' ? 'tpm-00' : 'tpm2-00';
  return { volatile: `${prefix}.volatilestate`, permanent: `${prefix}.permall` };
}
