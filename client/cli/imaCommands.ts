// `tvdc ima verify`: checks a measurement list on its own, without a server (see docs/integrity.md).
// `tvdc ima policy`: the runtime policy of a clean image's directory tree, for `tvdc refdb import`.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseImaLog, type ImaLog } from '../../src/tvdc/integrity/ImaLogParser.js';
import { verifyAsciiImaLog, verifyImaLog, type ImaLogReport, type ImaVerifyOptions } from '../../src/tvdc/integrity/ImaLogVerifier.js';
import { BOOT_AGGREGATE, imageBootAggregates } from '../../src/tvdc/integrity/BootAggregate.js';
import { IntegrityError } from '../../src/tvdc/integrity/IntegrityError.js';
import { parseRuntimePolicy, readRuntimePolicy, runtimePolicyOf, type RuntimePolicy } from '../../src/tvdc/integrity/RuntimePolicy.js';
import { EXIT, UsageError, parseOptions, type Io, type Verb } from './commandKit.js';

const IMA_VERIFY_USAGE = 'usage: tvdc ima verify FILE [--bank sha1|sha256] [--policy runtime-policy.json] [--json]';

/** `tvdc ima verify FILE`: template hashes, replayed PCRs, and per-file verdicts against a runtime policy. */
async function imaVerify(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, ['bank', 'policy'], ['json', 'help']);
  if (opts.has('help')) {
    io.out(IMA_VERIFY_USAGE);
    return EXIT.OK;
  }
  if (positional.length !== 1) throw new UsageError(IMA_VERIFY_USAGE);
  const file = positional[0]!;
  const bank = opts.get('bank') ?? 'sha1';
  if (bank !== 'sha1' && bank !== 'sha256') throw new UsageError(`--bank must be sha1 or sha256, not ${bank}`);
  const json = opts.has('json');

  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const log: ImaLog = parseImaLog(text);
  let policy: RuntimePolicy | undefined;
  const policyFile = opts.get('policy');
  if (policyFile) {
    let text: Buffer;
    try {
      text = readFileSync(policyFile);
    } catch (e) {
      throw new UsageError(`cannot read ${policyFile}: ${(e as Error).message}`);
    }
    policy = parseRuntimePolicy(text);
  }
  const vopts: ImaVerifyOptions = { bank, allVerdicts: true, ...(policy ? { references: policy.references } : {}) };
  const report = log.format === 'ascii' ? verifyAsciiImaLog(text.toString('utf8'), vopts) : verifyImaLog(log.entries, vopts);
  const padded = bank === 'sha256' ? verifyImaLog(log.entries, { bank, method: 'sha1-padded' }) : undefined;
  const problems = report.verdicts.filter((v) => v.status === 'unknown' || v.status === 'untrusted').length;
  const ok = report.templateMismatches.length === 0 && (!policy || problems === 0);

  if (json) {
    const doc: Record<string, unknown> = {
      file,
      format: log.format,
      entries: log.entries.length,
      bank,
      templateMismatches: report.templateMismatches,
      violations: report.violations,
      pcrs: report.pcrs,
    };
    if (padded) doc['pcrsSha1Padded'] = padded.pcrs;
    if (policy) {
      doc['policy'] = { file: policyFile, digests: policy.digests, excludes: policy.excludes.length };
      doc['counts'] = report.counts;
      doc['verdicts'] = report.verdicts;
    }
    doc['status'] = policy ? report.status : report.templateMismatches.length ? 'untrusted' : 'trusted';
    doc['ok'] = ok;
    io.out(JSON.stringify(doc, null, 2));
    return ok ? EXIT.OK : EXIT.FAILED;
  }
  printReport(io, file, log, report, padded, policy);
  io.out(ok ? 'result: OK' : 'result: FAILED');
  return ok ? EXIT.OK : EXIT.FAILED;
}

function printReport(io: Io, file: string, log: ImaLog, report: ImaLogReport, padded: ImaLogReport | undefined, policy: RuntimePolicy | undefined): void {
  io.out(`${file}: ${log.format} IMA log, ${log.entries.length} entries`);
  if (report.templateMismatches.length === 0) io.out(`template hashes: all ${log.entries.length - report.violations} match${report.violations ? ` (${report.violations} violations)` : ''}`);
  else {
    io.out(`template hashes: ${report.templateMismatches.length} do not match`);
    for (const m of report.templateMismatches) io.out(`  entry ${m.index}: ${m.path}`);
  }
  io.out(`replayed PCRs (${report.bank}${padded ? ', per bank' : ''}):`);
  for (const [pcr, v] of Object.entries(report.pcrs)) io.out(`  ${pcr}: ${v}`);
  if (padded) {
    io.out(`replayed PCRs (sha256, SHA-1 zero-padded):`);
    for (const [pcr, v] of Object.entries(padded.pcrs)) io.out(`  ${pcr}: ${v}`);
  }
  if (!policy) return;
  io.out(`verdicts (${policy.digests} reference digests, ${policy.excludes.length} excludes):`);
  for (const v of report.verdicts) io.out(`  ${v.index} ${v.status} ${v.path}${v.status === 'trusted' ? '' : `: ${v.reason}`}`);
  const c = report.counts;
  io.out(`summary: ${c.trusted} trusted, ${c.excluded} excluded, ${c.unknown} unknown, ${c.untrusted} untrusted`);
  io.out(`verdict: ${report.status}`);
}

const IMA_POLICY_USAGE = 'usage: tvdc ima policy DIR [--prefix /] [--alg sha256|sha1] [--out FILE [--force]]';

/**
 * `tvdc ima policy DIR`: every regular file under DIR (symbolic links not followed) with its
 * digest, as the Keylime runtime policy JSON `tvdc refdb import` takes; DIR is a clean image's
 * root, scanned where it can be trusted. A whole VM image (under /) also gives its boot_aggregates,
 * as its host measures its boot. To stdout, or to a new --out FILE.
 */
async function imaPolicy(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, ['prefix', 'alg', 'out'], ['force', 'help']);
  if (opts.has('help')) {
    io.out(IMA_POLICY_USAGE);
    return EXIT.OK;
  }
  if (positional.length !== 1) throw new UsageError(IMA_POLICY_USAGE);
  const dir = positional[0]!;
  const prefix = opts.get('prefix') ?? '/';
  if (!prefix.startsWith('/')) throw new UsageError(`--prefix must be an absolute path like /, not ${prefix}`);
  const alg = opts.get('alg') ?? 'sha256';
  if (alg !== 'sha256' && alg !== 'sha1') throw new UsageError(`--alg must be sha256 or sha1, not ${alg}`);
  const out = opts.get('out');
  if (opts.has('force') && out === undefined) throw new UsageError('--force goes with --out FILE');
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new UsageError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (!isDir) throw new UsageError(`${dir} is not a directory; give the root of a clean image`);

  let policy: string;
  try {
    policy = runtimePolicyOf([dir], { prefix, alg });
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    io.err(`tvdc ima policy: ${e.message}`);
    return EXIT.FAILED;
  }
  const files = new Set(readRuntimePolicy(policy).entries.filter((x) => x.path !== BOOT_AGGREGATE).map((x) => x.path)).size;
  if (files === 0) {
    io.err(`tvdc ima policy: no regular files under ${dir}; nothing to make a policy of`);
    return EXIT.FAILED;
  }
  // Only a whole image (scanned under /) boots. A tree with some boot files but not all looks like
  // a broken image, whose VMs would attest unknown: what it lacks is said; a tree with none is no image.
  const boot = prefix === '/' ? imageBootAggregates(dir) : undefined;
  const bootLine = boot?.image ? `boot_aggregate, as its host measures its boot: ${boot.aggregates.tpm2} (TPM 2.0), ${boot.aggregates.tpm12} (TPM 1.2)` : undefined;
  if (boot && !boot.image && boot.partly) io.err(`tvdc ima policy: no boot_aggregate: ${boot.why}`);
  if (out === undefined) {
    io.out(policy);
    return EXIT.OK;
  }
  try {
    // 'wx' never replaces a file that exists, not even one made meanwhile; --force does.
    writeFileSync(out, policy + '\n', { flag: opts.has('force') ? 'w' : 'wx', mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`tvdc ima policy: ${code === 'EEXIST' ? `${out} exists; --force replaces it` : `cannot write ${out}: ${(e as Error).message}`}`);
    return EXIT.FAILED;
  }
  io.out(`runtime policy of ${dir}: ${files} files (${alg}, under ${prefix}) written to ${out}`);
  if (bootLine) io.out(bootLine);
  return EXIT.OK;
}

export const IMA_NOUNS: Record<string, Record<string, Verb>> = {
  ima: { verify: imaVerify, policy: imaPolicy },
};
