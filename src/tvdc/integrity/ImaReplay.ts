// Replays an IMA measurement list into simulated PCRs, checking each entry's template hash on
// the way. Resumable: its state after one batch is where the next batch continues.
import { hash } from 'node:crypto';
import { hexDigit, type ImaEntry } from './ImaEntry.js';

export type PcrBankName = 'sha1' | 'sha256';

/**
 * How IMA extended the SHA-256 bank. `per-bank`: SHA-256 over the template data (kernels since
 * 5.1). `sha1-padded`: the SHA-1 template hash zero-padded to 32 bytes (older kernels).
 */
export type ReplayMethod = 'per-bank' | 'sha1-padded';

export interface ReplayState {
  bank: PcrBankName;
  method: ReplayMethod;
  /** List index of the next entry to replay. */
  nextIndex: number;
  /** PCR number -> hex value after the entries replayed so far. */
  pcrs: Record<number, string>;
}

const SIZE: Record<PcrBankName, number> = { sha1: 20, sha256: 32 };

export class ImaReplay {
  readonly bank: PcrBankName;
  readonly method: ReplayMethod;
  nextIndex: number;
  // PCR values are kept as latin1 strings: node:crypto's one-shot hash returns strings several
  // times faster than Buffers, and per-call overhead dominates on these 40-byte inputs.
  private readonly pcrs: (string | undefined)[] = new Array<string | undefined>(24).fill(undefined);
  private readonly size: number;
  private readonly hexSize: number;
  private readonly scratch: Buffer;
  private readonly violationHex: string;
  private readonly zero: string;

  constructor(bank: PcrBankName, method: ReplayMethod = 'per-bank', from?: ReplayState) {
    this.bank = from?.bank ?? bank;
    this.method = from?.method ?? method;
    this.size = SIZE[this.bank];
    this.hexSize = this.size * 2;
    this.scratch = Buffer.alloc(this.size * 2);
    this.zero = '\0'.repeat(this.size);
    // A violation extends all ones; the padded method pads IMA's 20 0xff bytes with zeros.
    this.violationHex =
      this.bank === 'sha256' && this.method === 'sha1-padded' ? 'ff'.repeat(20) + '00'.repeat(12) : 'ff'.repeat(this.size);
    this.nextIndex = from?.nextIndex ?? 0;
    for (const [pcr, hex] of Object.entries(from?.pcrs ?? {})) this.pcrs[Number(pcr)] = Buffer.from(hex, 'hex').toString('latin1');
  }

  /**
   * Replays one entry. Returns whether its template hash matches its template data (violations
   * carry no hash to check and count as matching). The PCR is extended the way the kernel did,
   * with the logged hash, so a forged entry shows up here and, when re-hashed, in the PCR.
   */
  add(e: ImaEntry): boolean {
    return this.addParts(e.index, e.pcr, e.templateHash, e.templateData, e.violation);
  }

  /** add() for callers that parse straight from text without building an ImaEntry. */
  addParts(index: number, pcr: number, th: string, templateData: Uint8Array, violation: boolean): boolean {
    let ok = true;
    let ext: string;
    if (violation) {
      ext = this.violationHex;
    } else {
      const thAlg = th.length === 40 ? 'sha1' : 'sha256';
      ok = hash(thAlg, templateData, 'hex') === th;
      if (th.length === this.hexSize) ext = th;
      else if (this.method === 'sha1-padded' && this.bank === 'sha256' && thAlg === 'sha1') ext = th + '00'.repeat(12);
      else ext = hash(this.bank, templateData, 'hex');
    }
    this.extendHex(pcr, ext);
    this.nextIndex = index + 1;
    return ok;
  }

  /**
   * Replays one entry whose template hash (`th`, its bytes as a latin1 string, as the one-shot
   * hash returns them) the caller has already checked against its template data: add() without
   * building an ImaEntry or a hex string.
   */
  extendChecked(index: number, pcr: number, th: string, templateData: Uint8Array): void {
    const s = this.scratch;
    const size = this.size;
    if (th.length === size) {
      for (let i = 0; i < size; i++) s[size + i] = th.charCodeAt(i);
    } else if (this.method === 'sha1-padded' && this.bank === 'sha256' && th.length === 20) {
      for (let i = 0; i < 20; i++) s[32 + i] = th.charCodeAt(i);
      s.fill(0, 52, 64);
    } else {
      const d = hash(this.bank, templateData, 'binary');
      for (let i = 0; i < size; i++) s[size + i] = d.charCodeAt(i);
    }
    this.extendScratch(pcr);
    this.nextIndex = index + 1;
  }

  /** Extends `pcr` with a digest given as hex of this bank's size. */
  extendHex(pcr: number, digestHex: string): void {
    // Decoded here rather than by Buffer.write: a native call per 20-byte field costs more than
    // the loop. Like Buffer.write, only the first `size` bytes are read.
    const s = this.scratch;
    const size = this.size;
    for (let i = 0; i < size; i++) {
      const hi = hexDigit(digestHex.charCodeAt(2 * i));
      const lo = hexDigit(digestHex.charCodeAt(2 * i + 1));
      if (hi < 0 || lo < 0) throw new RangeError(`digest ${digestHex} is not ${size} bytes of hex`);
      s[size + i] = (hi << 4) | lo;
    }
    this.extendScratch(pcr);
  }

  /** PCR[pcr] = H(PCR[pcr] || scratch[size..2*size)). */
  private extendScratch(pcr: number): void {
    const s = this.scratch;
    const size = this.size;
    const old = this.pcrs[pcr];
    if (old === undefined) s.fill(0, 0, size);
    else for (let i = 0; i < size; i++) s[i] = old.charCodeAt(i);
    this.pcrs[pcr] = hash(this.bank, s, 'binary');
  }

  /** The replayed value of `pcr` (all zeros when no entry extended it). */
  value(pcr: number): Buffer {
    return Buffer.from(this.pcrs[pcr] ?? this.zero, 'latin1');
  }

  touched(): number[] {
    return this.pcrs.flatMap((v, i) => (v === undefined ? [] : [i]));
  }

  state(): ReplayState {
    const pcrs: Record<number, string> = {};
    for (const k of this.touched()) pcrs[k] = this.value(k).toString('hex');
    return { bank: this.bank, method: this.method, nextIndex: this.nextIndex, pcrs };
  }
}

/**
 * IMA's boot_aggregate candidates: the bank hash over PCRs 0-7 (SHA-1, and every bank on old
 * kernels) and over PCRs 0-9 (non-SHA-1 banks on current kernels). Values missing -> none.
 */
export function bootAggregates(bank: PcrBankName, pcrs: ReadonlyMap<number, Buffer>): string[] {
  const out: string[] = [];
  const over = (n: number) => {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const v = pcrs.get(i);
      if (!v) return;
      parts.push(v);
    }
    out.push(hash(bank, Buffer.concat(parts), 'hex'));
  };
  over(8);
  if (bank !== 'sha1') over(10);
  return out;
}
