// Verifies an IMA measurement list on its own: every template hash, the replayed PCRs, the
// boot_aggregate against PCRs 0-9 when known and against the known-good boot aggregates, and
// with references a verdict per entry.
import { hash } from 'node:crypto';
import { hexDigit, type ImaEntry } from './ImaEntry.js';
import { parseAsciiLine } from './ImaLogParser.js';
import { ImaReplay, bootAggregates, type PcrBankName, type ReplayMethod, type ReplayState } from './ImaReplay.js';
import { BOOT_AGGREGATE } from './BootAggregate.js';
import { digestKey, type ReferenceLookup } from './ReferenceSet.js';
import { worst, type EntryVerdict, type VerdictStatus } from './Verdict.js';

export interface ImaVerifyOptions {
  bank?: PcrBankName;
  method?: ReplayMethod;
  /** Continue from an earlier replay (incremental verification); entries must start at its nextIndex. */
  resume?: ReplayState;
  references?: ReferenceLookup;
  /** Quoted PCRs 0-9 per bank, to check boot_aggregate entries against. */
  bootPcrs?: Partial<Record<PcrBankName, ReadonlyMap<number, Buffer>>>;
  /**
   * Judge the boot_aggregate against the references as well as the quoted PCRs (default true,
   * when there are references): false for a TPM whose boot nothing measures, such as a host's
   * stand-in TPM, whose aggregate only says that.
   */
  bootAggregateReferences?: boolean;
  /** Keep a verdict for every entry, not only the ones that are not trusted. */
  allVerdicts?: boolean;
}

export interface ImaLogReport {
  bank: PcrBankName;
  method: ReplayMethod;
  /** Entries checked in this run. */
  entries: number;
  firstIndex: number;
  templateMismatches: { index: number; path: string }[];
  violations: number;
  /** Replayed PCR values (hex) after the last entry, over the whole list when resumed. */
  pcrs: Record<number, string>;
  state: ReplayState;
  /** Counts per entry status; all zero without references. */
  counts: { trusted: number; excluded: number; unknown: number; untrusted: number };
  /** Verdicts for entries that are not trusted (every entry with allVerdicts). */
  verdicts: EntryVerdict[];
  /**
   * trusted: every template hash matches and (with references) every entry is known good;
   * unknown: some entry is not in the references; untrusted: an entry was altered or is bad.
   */
  status: VerdictStatus;
}

/** Judges entries one by one and keeps the tallies both verification paths report. */
class Tally {
  readonly replay: ImaReplay;
  readonly templateMismatches: ImaLogReport['templateMismatches'] = [];
  readonly verdicts: EntryVerdict[] = [];
  readonly counts = { trusted: 0, excluded: 0, unknown: 0, untrusted: 0 };
  violations = 0;
  entries = 0;
  firstIndex: number | undefined;
  private readonly all: boolean;

  constructor(readonly opts: ImaVerifyOptions) {
    this.replay = new ImaReplay(opts.bank ?? 'sha1', opts.method ?? 'per-bank', opts.resume);
    this.all = opts.allVerdicts === true;
  }

  /** After replay: records the verdict of one entry (`ok` = its template hash matched). */
  judge(index: number, path: string, fileAlg: string, digest: string, violation: boolean, ok: boolean): void {
    this.entries++;
    this.firstIndex ??= index;
    const refs = this.opts.references;
    if (!ok) {
      this.templateMismatches.push({ index, path });
      this.counts.untrusted++;
      this.verdicts.push({ index, path, digest, status: 'untrusted', code: 'TEMPLATE_HASH_MISMATCH', reason: `entry ${index} (${path}) was altered: its template hash does not match its data` });
      return;
    }
    if (violation) {
      this.violations++;
      if (refs) {
        this.counts.unknown++;
        this.verdicts.push({ index, path, digest, status: 'unknown', code: 'VIOLATION', reason: `${path}: IMA measurement violation (file changed while in use), its content is unknown` });
      }
      return;
    }
    let v = path === BOOT_AGGREGATE ? this.bootAggregate(index, fileAlg, digest) : undefined;
    if (!v) {
      if (!refs) return;
      if (!this.all && refs.isTrusted?.(path, digest)) {
        this.counts.trusted++;
        return;
      }
      v = refs.judge(index, path, digest);
    }
    this.counts[v.status]++;
    if (this.all || v.status !== 'trusted') this.verdicts.push(v);
  }

  /**
   * The boot_aggregate: it must match the quoted boot PCRs (else it was made up), and with
   * references be a known-good one (else the boot chain is not a clean image's). Undefined: judge
   * it as any entry (no quoted PCRs 0-7 and references not asked).
   */
  private bootAggregate(index: number, fileAlg: string, digest: string): EntryVerdict | undefined {
    const path = BOOT_AGGREGATE;
    let quoted = false;
    if (this.opts.bootPcrs) {
      const bank = fileAlg === 'sha1' || fileAlg === 'sha256' ? fileAlg : undefined;
      const pcrs = bank ? this.opts.bootPcrs[bank] : undefined;
      const candidates = bank && pcrs ? bootAggregates(bank, pcrs) : [];
      // Without PCRs 0-7 (or 0-9) in the quote only the references can judge it.
      if (candidates.length) {
        if (!candidates.includes(digest)) return { index, path, digest, status: 'untrusted', code: 'BOOT_AGGREGATE_MISMATCH', reason: `boot_aggregate ${digest} does not match the quoted boot PCRs` };
        quoted = true;
      }
    }
    const refs = this.opts.references;
    if (refs && this.opts.bootAggregateReferences !== false) {
      const v = refs.judge(index, path, digest);
      if (quoted && v.status === 'trusted') v.reason = 'boot_aggregate matches the quoted PCRs 0-9 and is a known-good boot aggregate';
      return v;
    }
    return quoted ? { index, path, digest, status: 'trusted', code: 'TRUSTED', reason: 'boot_aggregate matches the quoted PCRs 0-9' } : undefined;
  }

  /** An entry the caller found trusted by the references' fast path. */
  trusted(index: number): void {
    this.entries++;
    this.firstIndex ??= index;
    this.counts.trusted++;
  }

  /** An entry whose template hash matched, with nothing to judge it against (what judge() would do). */
  checked(index: number): void {
    this.entries++;
    this.firstIndex ??= index;
  }

  report(): ImaLogReport {
    const state = this.replay.state();
    let status: VerdictStatus = this.templateMismatches.length || this.counts.untrusted ? 'untrusted' : 'trusted';
    if (this.counts.unknown) status = worst(status, 'unknown');
    return {
      bank: this.replay.bank,
      method: this.replay.method,
      entries: this.entries,
      firstIndex: this.firstIndex ?? this.replay.nextIndex,
      templateMismatches: this.templateMismatches,
      violations: this.violations,
      pcrs: state.pcrs,
      state,
      counts: this.counts,
      verdicts: this.verdicts,
      status,
    };
  }
}

export function verifyImaLog(entries: readonly ImaEntry[], opts: ImaVerifyOptions = {}): ImaLogReport {
  const t = new Tally(opts);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const ok = t.replay.add(e);
    t.judge(e.index, e.path, e.fileAlg, e.fileDigest, e.violation, ok);
  }
  return t.report();
}

/**
 * verifyImaLog(parseAsciiLog(text)) without building an entry object, buffer or string per line:
 * plain ima-ng lines are read as bytes, their template data encoded into one scratch buffer and
 * checked in place (measurement lists run to hundreds of thousands of lines); any other line goes
 * through the general parser. Takes the log as text or as the file's bytes (UTF-8).
 */
export function verifyAsciiImaLog(log: string | Uint8Array, opts: ImaVerifyOptions = {}, firstIndex = opts.resume?.nextIndex ?? 0): ImaLogReport {
  const v = new AsciiVerification(opts, firstIndex);
  if (typeof log !== 'string') {
    v.lines(Buffer.from(log.buffer, log.byteOffset, log.byteLength), log.byteLength);
    return v.report();
  }
  // Text is encoded to UTF-8 a chunk of whole lines at a time into one reused buffer: reading
  // bytes costs less than reading chars, and a copy of the whole log would be garbage.
  let buf = Buffer.allocUnsafe(Math.min(TEXT_CHUNK, log.length) * 3);
  for (let from = 0; from < log.length; ) {
    let to = from + TEXT_CHUNK;
    if (to >= log.length) to = log.length;
    else {
      const nl = log.lastIndexOf('\n', to - 1);
      to = nl >= from ? nl + 1 : log.indexOf('\n', to) + 1 || log.length;
    }
    // At most three bytes a UTF-16 unit; a chunk is larger only when one line is.
    if ((to - from) * 3 > buf.length) buf = Buffer.allocUnsafe((to - from) * 3);
    const n = buf.write(log.slice(from, to), 0, 'utf8');
    v.lines(buf, n, log, from);
    from = to;
  }
  return v.report();
}

/** UTF-16 units of text encoded at a time: big enough that per-chunk costs vanish, small enough to stay in cache. */
const TEXT_CHUNK = 1 << 16;

/** The state of one verifyAsciiImaLog() run, fed whole lines a buffer at a time. */
class AsciiVerification {
  private readonly t: Tally;
  private readonly fastRefs: ReferenceLookup | undefined;
  private readonly judgeAll: boolean;
  private readonly line = new PlainImaNgLine();
  private readonly views = new Map<number, Buffer>();
  private index: number;
  private lineNo = 0;

  constructor(opts: ImaVerifyOptions, firstIndex: number) {
    this.t = new Tally(opts);
    const refs = opts.references;
    // The fast path may only stand in for judge() when nothing else would look at a trusted entry.
    this.fastRefs = refs?.matchTrustedBytes && !opts.allVerdicts ? refs : undefined;
    // Without references or boot PCRs, judge() of a matching entry only counts it.
    this.judgeAll = refs !== undefined || opts.bootPcrs !== undefined;
    this.index = firstIndex;
  }

  /**
   * The lines in bytes[0, n): when `text` is given, they are its UTF-8 encoding from `textFrom`
   * on, and lines for the general parser are sliced from it (so they are exactly what
   * parseAsciiLog() sees); otherwise they are decoded from the bytes.
   */
  lines(bytes: Buffer, n: number, text?: string, textFrom = 0): void {
    const t = this.t;
    const line = this.line;
    line.b = bytes;
    const scratch = line.templateData;
    const logView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Text position minus byte position of the current line: only lines with non-ASCII
    // characters (which always take the general path) move it.
    let delta = textFrom;
    let pos = 0;
    while (pos < n) {
      let eol = bytes.indexOf(10, pos);
      if (eol < 0 || eol > n) eol = n;
      const start = pos;
      const end = eol > start && bytes[eol - 1] === 13 ? eol - 1 : eol;
      this.lineNo++;
      pos = eol + 1;
      if (end === start) continue;
      if (line.read(start, end)) {
        const total = line.templateLength;
        let data = this.views.get(total);
        if (!data) this.views.set(total, (data = scratch.subarray(0, total)));
        const thSize = line.templateHashSize;
        const h = hash(thSize === 20 ? 'sha1' : 'sha256', data, 'binary');
        // The logged hex against the computed bytes, pair by pair (an invalid pair is -1, never equal).
        const at = line.templateHashAt;
        let i = 0;
        while (i < thSize && HEX_PAIR[(bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!] === h.charCodeAt(i)) i++;
        // A mismatch goes the general way, which reports it.
        if (i === thSize) {
          const index = this.index++;
          t.replay.extendChecked(index, line.pcr, h, data);
          const d = line.digestOut;
          // Known-good entries are matched against the line's bytes: no verdict or string is built.
          if (this.fastRefs && line.digestSize >= 4 && this.fastRefs.matchTrustedBytes!(digestKey(scratch[d]!, scratch[d + 1]!, scratch[d + 2]!, scratch[d + 3]!), logView, line.digestAt, end)) {
            t.trusted(index);
          } else if (!this.judgeAll) {
            t.checked(index);
          } else {
            // The line is ASCII, so latin1 decoding gives the text's characters.
            const alg = bytes.toString('latin1', line.algAt, line.digestAt - 1);
            const digest = bytes.toString('latin1', line.digestAt, line.pathAt - 1).toLowerCase();
            t.judge(index, bytes.toString('latin1', line.pathAt, end), alg, digest, false, true);
          }
          continue;
        }
      }
      let lineText: string;
      if (text === undefined) {
        lineText = bytes.toString('utf8', start, end);
      } else {
        const from = start + delta;
        let to = text.indexOf('\n', from);
        if (to < 0) to = text.length;
        delta = to - eol;
        lineText = text.slice(from, to > from && text.charCodeAt(to - 1) === 13 ? to - 1 : to);
      }
      generalLine(t, lineText, this.index++, this.lineNo);
    }
  }

  report(): ImaLogReport {
    return this.t.report();
  }
}

/** One line through the general parser (no closure: the hot loop keeps its variables in registers). */
function generalLine(t: Tally, line: string, index: number, lineNo: number): void {
  const e = parseAsciiLine(line, index, lineNo);
  const ok = t.replay.add(e);
  t.judge(e.index, e.path, e.fileAlg, e.fileDigest, e.violation, ok);
}

/** Byte value of two hex digits by (first char code << 8 | second), -1 if either is not one. */
const HEX_PAIR = new Int16Array(1 << 16).fill(-1);
for (let a = 0; a < 256; a++) {
  for (let b = 0; b < 256; b++) {
    const hi = hexDigit(a);
    const lo = hexDigit(b);
    if (hi >= 0 && lo >= 0) HEX_PAIR[(a << 8) | b] = (hi << 4) | lo;
  }
}

/** Room for the template data of one fast-path line: the path is bounded by MAX_PATH. */
const SCRATCH_SIZE = 1 << 13;
/** Lines with a longer path go the general way. */
const MAX_PATH = 4095;
/** Longest file digest and algorithm name the fast path takes (SHA-512; "sha3-512" and kin). */
const MAX_DIGEST = 64;
const MAX_ALG = 16;

/**
 * Reads one plain ima-ng ascii line (`PCR TEMPLATE-HASH ima-ng ALG:DIGEST PATH`, all ASCII, not a
 * violation) from bytes: encodes its template data into one reused buffer and notes where the
 * fields are (the caller checks the template hash against that data). Anything else is left to the general parser, which
 * gives malformed lines their specific errors.
 */
class PlainImaNgLine {
  /** ima-ng template data: d-ng ("<alg>:\0" + digest) and n-ng (path + "\0"), u32 LE lengths. */
  readonly templateData = Buffer.alloc(SCRATCH_SIZE);
  /** Byte offset of the template hash's hex in the log, and its size in bytes. */
  templateHashAt = 0;
  templateHashSize = 0;
  templateLength = 0;
  pcr = 0;
  /** Byte offsets in the log: the algorithm name, the digest's hex and the path. */
  algAt = 0;
  digestAt = 0;
  pathAt = 0;
  /** Where the digest's bytes sit in templateData, and how many there are. */
  digestOut = 0;
  digestSize = 0;

  /** The bytes being read. */
  b: Buffer = this.templateData;

  /** Reads b[start, end); false when the line is not a plain ima-ng one. */
  read(start: number, end: number): boolean {
    const b = this.b;
    // The shortest plain line: "1 " + 40 hex + " ima-ng " + "a: " (empty digest and path).
    if (end - start < 53) return false;
    let p = start;
    let c = b[p]! - 48;
    if (c < 0 || c > 9) return false;
    let pcr = c;
    if (b[++p] !== 32) {
      c = b[p]! - 48;
      if (c < 0 || c > 9) return false;
      pcr = pcr * 10 + c;
      if (pcr > 23 || b[++p] !== 32) return false;
    }
    p++;
    const thHex = b[p + 40] === 32 ? 40 : p + 64 < end && b[p + 64] === 32 ? 64 : 0;
    if (thHex === 0) return false;
    // An all-zero template hash is a violation: the general path replays it as 0xff.
    if (b[p] === 48 && b[p + 1] === 48) {
      let z = 2;
      while (z < thHex && b[p + z] === 48) z++;
      if (z === thHex) return false;
    }
    this.templateHashAt = p;
    p += thHex + 1;
    if (p + 7 > end || b[p] !== 0x69 || b[p + 1] !== 0x6d || b[p + 2] !== 0x61 || b[p + 3] !== 0x2d || b[p + 4] !== 0x6e || b[p + 5] !== 0x67 || b[p + 6] !== 0x20) return false;
    p += 7;
    const out = this.templateData;
    this.algAt = p;
    let o = 4;
    for (; p < end && (c = b[p]!) !== 0x3a; p++) {
      if (c === 32 || c >= 0x80 || o - 4 >= MAX_ALG) return false;
      out[o++] = c;
    }
    // No colon, or nothing before it: the general parser names the problem.
    if (p === end || o === 4) return false;
    out[o++] = 0x3a;
    out[o++] = 0;
    p++;
    this.digestAt = p;
    this.digestOut = o;
    for (; p < end && b[p] !== 32; p += 2) {
      const v = p + 1 < end ? HEX_PAIR[(b[p]! << 8) | b[p + 1]!]! : -1;
      if (v < 0 || o - this.digestOut >= MAX_DIGEST) return false;
      out[o++] = v;
    }
    if (p === end || end - p - 1 > MAX_PATH) return false;
    this.digestSize = o - this.digestOut;
    const nameAt = o;
    p++;
    this.pathAt = p;
    o += 4;
    let high = 0;
    for (; p < end; p++) high |= out[o++] = b[p]!;
    // Non-ASCII paths go the general way, which decodes them as UTF-8 text exactly as before.
    if (high >= 0x80) return false;
    out[o++] = 0;
    putU32LE(out, 0, nameAt - 4);
    putU32LE(out, nameAt, o - nameAt - 4);
    this.templateLength = o;
    this.templateHashSize = thHex >> 1;
    this.pcr = pcr;
    return true;
  }
}

function putU32LE(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = v >>> 24;
}
