// Verifies an IMA measurement list on its own: every template hash, the replayed PCRs, the
// boot_aggregate against PCRs 0-9 when known, and with references a verdict per entry.
import type { ImaEntry } from './ImaEntry.js';
import { ImaReplay, bootAggregates, type PcrBankName, type ReplayMethod, type ReplayState } from './ImaReplay.js';
import type { ReferenceLookup } from './ReferenceSet.js';
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

export function verifyImaLog(entries: readonly ImaEntry[], opts: ImaVerifyOptions = {}): ImaLogReport {
  const replay = new ImaReplay(opts.bank ?? 'sha1', opts.method ?? 'per-bank', opts.resume);
  const refs = opts.references;
  const all = opts.allVerdicts === true;
  const templateMismatches: ImaLogReport['templateMismatches'] = [];
  const verdicts: EntryVerdict[] = [];
  const counts = { trusted: 0, excluded: 0, unknown: 0, untrusted: 0 };
  let violations = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (!replay.add(e)) {
      templateMismatches.push({ index: e.index, path: e.path });
      const v: EntryVerdict = { index: e.index, path: e.path, digest: e.fileDigest, status: 'untrusted', code: 'TEMPLATE_HASH_MISMATCH', reason: `entry ${e.index} (${e.path}) was altered: its template hash does not match its data` };
      counts.untrusted++;
      verdicts.push(v);
      continue;
    }
    if (e.violation) {
      violations++;
      if (refs) {
        counts.unknown++;
        verdicts.push({ index: e.index, path: e.path, digest: e.fileDigest, status: 'unknown', code: 'VIOLATION', reason: `${e.path}: IMA measurement violation (file changed while in use), its content is unknown` });
      }
      continue;
    }
    let v: EntryVerdict | undefined;
    if (e.path === 'boot_aggregate' && opts.bootPcrs) {
      const bank = e.fileAlg === 'sha1' || e.fileAlg === 'sha256' ? e.fileAlg : undefined;
      const pcrs = bank ? opts.bootPcrs[bank] : undefined;
      const candidates = bank && pcrs ? bootAggregates(bank, pcrs) : [];
      // Without PCRs 0-7 (or 0-9) in the quote the boot_aggregate is judged like any entry.
      if (candidates.length) {
        v = candidates.includes(e.fileDigest)
          ? { index: e.index, path: e.path, digest: e.fileDigest, status: 'trusted', code: 'TRUSTED', reason: 'boot_aggregate matches the quoted PCRs 0-9' }
          : { index: e.index, path: e.path, digest: e.fileDigest, status: 'untrusted', code: 'BOOT_AGGREGATE_MISMATCH', reason: `boot_aggregate ${e.fileDigest} does not match the quoted boot PCRs` };
      }
    }
    if (!v) {
      if (!refs) continue;
      v = refs.judge(e.index, e.path, e.fileDigest);
    }
    counts[v.status]++;
    if (all || v.status !== 'trusted') verdicts.push(v);
  }
  const state = replay.state();
  let status: VerdictStatus = templateMismatches.length || counts.untrusted ? 'untrusted' : 'trusted';
  if (counts.unknown) status = worst(status, 'unknown');
  return {
    bank: replay.bank,
    method: replay.method,
    entries: entries.length,
    firstIndex: entries[0]?.index ?? replay.nextIndex,
    templateMismatches,
    violations,
    pcrs: state.pcrs,
    state,
    counts,
    verdicts,
    status,
  };
}
