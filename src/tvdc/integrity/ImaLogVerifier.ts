// Verifies an IMA measurement list on its own: every template hash, the replayed PCRs, the
// boot_aggregate against PCRs 0-9 when known, and with references a verdict per entry.
import { hash } from 'node:crypto';
import { isZeroHex, type ImaEntry } from './ImaEntry.js';
import { parseAsciiLine } from './ImaLogParser.js';
import { ImaReplay, bootAggregates, type PcrBankName, type ReplayMethod, type ReplayState } from './ImaReplay.js';
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
    let v: EntryVerdict | undefined;
    if (path === 'boot_aggregate' && this.opts.bootPcrs) {
      const bank = fileAlg === 'sha1' || fileAlg === 'sha256' ? fileAlg : undefined;
      const pcrs = bank ? this.opts.bootPcrs[bank] : undefined;
      const candidates = bank && pcrs ? bootAggregates(bank, pcrs) : [];
      // Without PCRs 0-7 (or 0-9) in the quote the boot_aggregate is judged like any entry.
      if (candidates.length) {
        v = candidates.includes(digest)
          ? { index, path, digest, status: 'trusted', code: 'TRUSTED', reason: 'boot_aggregate matches the quoted PCRs 0-9' }
          : { index, path, digest, status: 'untrusted', code: 'BOOT_AGGREGATE_MISMATCH', reason: `boot_aggregate ${digest} does not match the quoted boot PCRs` };
      }
    }
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

  /** An entry the caller found trusted by the references' fast path. */
  trusted(index: number): void {
    this.entries++;
    this.firstIndex ??= index;
    this.counts.trusted++;
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

const SCRATCH_SIZE = 1 << 16;

/**
 * verifyImaLog(parseAsciiLog(text)) without building an entry object or buffer per line: plain
 * ima-ng lines are encoded into one scratch buffer and checked in place (measurement lists run
 * to hundreds of thousands of lines); any other line goes through the general parser.
 */
export function verifyAsciiImaLog(text: string, opts: ImaVerifyOptions = {}, firstIndex = opts.resume?.nextIndex ?? 0): ImaLogReport {
  const t = new Tally(opts);
  const refs = opts.references;
  // The fast path may only stand in for judge() when nothing else would look at a trusted entry.
  const fastRefs = refs?.matchTrusted && !opts.allVerdicts ? refs : undefined;
  const scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  const views = new Map<number, Buffer>();
  let index = firstIndex;
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    lineNo++;
    const start = pos;
    pos = end + 1;
    if (lineEnd === start) continue;
    const s1 = text.indexOf(' ', start);
    const s2 = s1 < 0 ? -1 : text.indexOf(' ', s1 + 1);
    const s3 = s2 < 0 ? -1 : text.indexOf(' ', s2 + 1);
    const s4 = s3 < 0 ? -1 : text.indexOf(' ', s3 + 1);
    const colon = s3 < 0 ? -1 : text.indexOf(':', s3 + 1);
    const c0 = text.charCodeAt(start);
    const c1 = text.charCodeAt(start + 1);
    const pcr = s1 === start + 1 ? c0 - 48 : s1 === start + 2 ? (c0 - 48) * 10 + (c1 - 48) : -1;
    const thLen = s2 - s1 - 1;
    // Only plain ima-ng lines go the fast way; anything else (other templates, odd fields,
    // violations) goes through the general parser, as does a line whose template hash does not
    // check out here (upper-case hex, or a real mismatch the general path reports).
    if (
      !(s4 > 0 && s4 < lineEnd && colon > s3 && colon < s4 && pcr >= 0 && pcr <= 23 && c0 >= 48 && c0 <= 57 && (s1 === start + 1 || (c1 >= 48 && c1 <= 57)) &&
        s3 - s2 === 7 && text.startsWith('ima-ng', s2 + 1) && (thLen === 40 || thLen === 64) && lineEnd - s4 < 4096) ||
      (text.charCodeAt(s1 + 1) === 48 && isZeroHex(text.slice(s1 + 1, s2)))
    ) {
      generalLine(t, text.slice(start, lineEnd), index++, lineNo);
      continue;
    }
    const alg = colon - s3 === 7 && text.startsWith('sha256', s3 + 1) ? 'sha256' : colon - s3 === 5 && text.startsWith('sha1', s3 + 1) ? 'sha1' : text.slice(s3 + 1, colon);
    // d-ng: "<alg>:\0" + digest; n-ng: path + "\0"; both with u32 little-endian lengths.
    let off = 4;
    if (alg === 'sha256') {
      // "sha256:\0", stored byte by byte: cheaper than any copy call for 8 bytes.
      scratch[4] = 0x73;
      scratch[5] = 0x68;
      scratch[6] = 0x61;
      scratch[7] = 0x32;
      scratch[8] = 0x35;
      scratch[9] = 0x36;
      scratch[10] = 0x3a;
      scratch[11] = 0;
      off = 12;
    } else {
      off += scratch.write(alg, 4, 'latin1');
      scratch[off++] = 0x3a;
      scratch[off++] = 0;
    }
    const digest = text.slice(colon + 1, s4);
    const dlen = scratch.write(digest, off, 'hex');
    const path = text.slice(s4 + 1, lineEnd);
    const nameAt = off + dlen;
    if (dlen * 2 !== digest.length || nameAt + 4 + path.length * 3 + 1 > SCRATCH_SIZE) {
      generalLine(t, text.slice(start, lineEnd), index++, lineNo);
      continue;
    }
    const plen = scratch.write(path, nameAt + 4, 'utf8');
    putU32LE(scratch, 0, nameAt - 4);
    scratch[nameAt + 4 + plen] = 0;
    putU32LE(scratch, nameAt, plen + 1);
    const total = nameAt + 4 + plen + 1;
    let view = views.get(total);
    if (!view) views.set(total, (view = scratch.subarray(0, total)));
    if (!text.startsWith(hash(thLen === 40 ? 'sha1' : 'sha256', view, 'hex'), s1 + 1)) {
      generalLine(t, text.slice(start, lineEnd), index++, lineNo);
      continue;
    }
    t.replay.extendTemplate(index, pcr, text.slice(s1 + 1, s2), view);
    // Known-good entries are matched against the text itself: no verdict is built for them.
    if (fastRefs && dlen >= 4 && fastRefs.matchTrusted!(digestKey(scratch[off]!, scratch[off + 1]!, scratch[off + 2]!, scratch[off + 3]!), text, colon + 1, lineEnd)) {
      t.trusted(index);
    } else {
      t.judge(index, path, alg, digest.toLowerCase(), false, true);
    }
    index++;
  }
  return t.report();
}

/** One line through the general parser (no closure: the hot loop keeps its variables in registers). */
function generalLine(t: Tally, line: string, index: number, lineNo: number): void {
  const e = parseAsciiLine(line, index, lineNo);
  const ok = t.replay.add(e);
  t.judge(e.index, e.path, e.fileAlg, e.fileDigest, e.violation, ok);
}

function putU32LE(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = v >>> 24;
}
