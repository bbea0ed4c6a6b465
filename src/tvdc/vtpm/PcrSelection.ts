// TPML_PCR_SELECTION: which PCRs of which banks a command reads or quotes.
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';

export interface PcrBankSelection {
  hashAlg: number;
  pcrs: number[];
}

export function writePcrSelection(w: TpmWriter, sel: readonly PcrBankSelection[]): TpmWriter {
  w.u32(sel.length);
  for (const s of sel) {
    const bitmap = Buffer.alloc(3);
    for (const p of s.pcrs) {
      if (!Number.isInteger(p) || p < 0 || p > 23) throw new TpmFormatError(`PCR index ${p} out of range 0-23`);
      bitmap[p >> 3]! |= 1 << (p & 7);
    }
    w.u16(s.hashAlg).u8(3).bytes(bitmap);
  }
  return w;
}

export function readPcrSelection(r: TpmReader): PcrBankSelection[] {
  const count = r.u32();
  if (count > 16) throw new TpmFormatError(`PCR selection lists ${count} banks`);
  const out: PcrBankSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = r.u16();
    const size = r.u8();
    const bitmap = r.bytes(size);
    const pcrs: number[] = [];
    for (let b = 0; b < size * 8; b++) if (bitmap[b >> 3]! & (1 << (b & 7))) pcrs.push(b);
    out.push({ hashAlg, pcrs });
  }
  return out;
}

export function marshalPcrSelection(sel: readonly PcrBankSelection[]): Buffer {
  return writePcrSelection(new TpmWriter(), sel).toBuffer();
}
