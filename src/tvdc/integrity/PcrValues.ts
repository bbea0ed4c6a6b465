// PCR values as GetQuote reports them: strings `<bank>:<index>:<hex>` (e.g. `sha256:10:ab..`),
// parsed into bank -> PCR -> value, and the digest a quote's pcrDigest must equal.
import { hash } from 'node:crypto';
import { HASH_NAME, HASH_SIZE, hashAlgId } from '../vtpm/TpmConstants.js';
import type { PcrBankSelection } from '../vtpm/PcrSelection.js';
import { IntegrityError } from './IntegrityError.js';

/** TPM hash algorithm id -> PCR index -> value. */
export type PcrValues = Map<number, Map<number, Buffer>>;

const LINE = /^([a-z0-9]+):(\d{1,2}):([0-9a-fA-F]+)$/;

export function parsePcrValues(lines: readonly string[]): PcrValues {
  const out: PcrValues = new Map();
  for (const l of lines) {
    const m = LINE.exec(l.trim());
    const alg = m ? hashAlgId(m[1]!) : undefined;
    if (!m || alg === undefined) throw new IntegrityError('QUOTE_FORMAT', `PCR value "${l}" is not <sha1|sha256>:<index>:<hex>`);
    const idx = Number(m[2]);
    const v = Buffer.from(m[3]!, 'hex');
    if (idx > 23 || v.length !== HASH_SIZE[alg] || m[3]!.length !== v.length * 2) throw new IntegrityError('QUOTE_FORMAT', `PCR value "${l}" has a bad index or length`);
    let bank = out.get(alg);
    if (!bank) out.set(alg, (bank = new Map()));
    if (bank.has(idx)) throw new IntegrityError('QUOTE_FORMAT', `PCR ${m[1]}:${idx} is listed twice`);
    bank.set(idx, v);
  }
  return out;
}

export function formatPcrValues(values: PcrValues): string[] {
  const out: string[] = [];
  for (const [alg, bank] of values) {
    for (const idx of [...bank.keys()].sort((a, b) => a - b)) out.push(`${HASH_NAME[alg]}:${idx}:${bank.get(idx)!.toString('hex')}`);
  }
  return out;
}

/** The composite digest over the selected PCRs, in selection order, as TPM2_Quote computes it. */
export function pcrCompositeDigest(values: PcrValues, selection: readonly PcrBankSelection[], hashAlg: number): Buffer | undefined {
  const parts: Buffer[] = [];
  for (const s of selection) {
    const bank = values.get(s.hashAlg);
    for (const p of [...s.pcrs].sort((a, b) => a - b)) {
      const v = bank?.get(p);
      if (!v) return undefined;
      parts.push(v);
    }
  }
  const name = HASH_NAME[hashAlg];
  if (!name) return undefined;
  return hash(name, Buffer.concat(parts), 'buffer') as unknown as Buffer;
}
