// The challenger: enrols a target's AK against its EK certificate (TPM 2.0: credential
// activation; TPM 1.2: the quote key's certificate from the EK's CA), issues one-time nonces,
// and checks GetQuote results against them and the reference measurements, answering
// trusted / unknown / untrusted with every reason it found.
import { createHash, createPublicKey, randomBytes, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import { TPM_ALG, TPMA_OBJECT } from '../vtpm/TpmConstants.js';
import { nameOf, parsePublic, publicKeyOf } from '../vtpm/TpmPublic.js';
import { parsePubKey } from '../vtpm/Tpm12Key.js';
import { makeCredential, type CredentialChallenge } from './Credential.js';
import { EkBindingError, ekSpkiOf, ekVmProblem } from './EkBinding.js';
import { checkEkCertificate, type TrustAnchor } from './EkTrust.js';
import { BOOT_AGGREGATE } from './BootAggregate.js';
import { IntegrityError } from './IntegrityError.js';
import { parseAsciiLog } from './ImaLogParser.js';
import type { ImaEntry } from './ImaEntry.js';
import { verifyImaLog, type ImaLogReport } from './ImaLogVerifier.js';
import { ImaReplay, type PcrBankName, type ReplayState } from './ImaReplay.js';
import { parsePcrValues, type PcrValues } from './PcrValues.js';
import type { QuoteBundle, QuoteFamily } from './QuoteBundle.js';
import { certifiesKey, checkQuoteKeyCertificate, type QuoteKeyTrustResult } from './QuoteKeyTrust.js';
import type { ReferenceLookup } from './ReferenceSet.js';
import { parseTpm12QuoteInfo, tpm12ExternalData, verifyTpm12Quote } from './Tpm12Quote.js';
import { verifyTpm2Quote } from './Tpm2QuoteVerifier.js';
import type { EntryVerdict, Finding, VerdictStatus } from './Verdict.js';
import { MemoryVerifierStore, type Enrolment, type VerifierStore } from './VerifierStore.js';

export type { Enrolment } from './VerifierStore.js';

export interface VerifierOptions {
  anchors: readonly TrustAnchor[];
  intermediates?: readonly string[];
  references?: ReferenceLookup;
  /** Bank whose PCR 10 the log is replayed against (default sha256; TPM 1.2 quotes: always sha1). */
  bank?: PcrBankName;
  /** Where enrolments, nonces and replay state are kept (default: in memory). */
  store?: VerifierStore;
  /**
   * Judge boot_aggregate entries against the references' known-good boot aggregates too, and
   * require a list read from entry 0 to open with one (default true, for VMs): false for targets
   * whose TPM measures no boot (a host's stand-in TPM), whose boot_aggregate need only match the quote.
   */
  bootAggregateReferences?: boolean;
}

/** What the challenger knows of the target being enrolled, for its EK to be checked against. */
export interface EnrolmentExpectation {
  /** The VM being enrolled: its vTPM's EK certificate must name it (EkBinding.ts). */
  vm?: string;
}

export interface AttestationVerdict {
  target: string;
  status: VerdictStatus;
  /** Every problem found, most fundamental first. Empty when trusted. */
  findings: Finding[];
  /** Entries that are not trusted (also from earlier verified batches since the last boot). */
  entries: EntryVerdict[];
  virtualTpm?: boolean;
  /** List index after the last entry verified. */
  nextIndex: number;
}

const AK_REQUIRED = TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin | TPMA_OBJECT.restricted | TPMA_OBJECT.sign;
const IMA_PCR = 10;
const BANK_ID: Record<PcrBankName, number> = { sha1: TPM_ALG.SHA1, sha256: TPM_ALG.SHA256 };
const FAMILY_NAME: Record<QuoteFamily, string> = { tpm2: 'TPM 2.0', tpm12: 'TPM 1.2' };

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** A TPM 1.2 quote key as enrolled: TPM 1.2 names no key the way TPM 2.0 does; the SHA-256 of its SubjectPublicKeyInfo stands in. */
function tpm12KeyIdentity(key: KeyObject): { akSpki: Buffer; akName: Buffer } {
  const akSpki = spki(key);
  return { akSpki, akName: createHash('sha256').update(akSpki).digest() };
}

export class Verifier {
  // Pending enrolments live only as long as one challenge round trip.
  private readonly pending = new Map<string, { secret: Buffer; enrolment: Enrolment }>();
  private readonly store: VerifierStore;
  private readonly bank: PcrBankName;

  constructor(private readonly opts: VerifierOptions) {
    this.bank = opts.bank ?? 'sha256';
    this.store = opts.store ?? new MemoryVerifierStore();
  }

  /**
   * Step one of enrolment: checks the EK certificate chain and that the AK is a restricted
   * signing key that never leaves its TPM, then seals a fresh secret to the EK for that AK.
   */
  beginEnrolment(target: string, ekCertificatePem: string, akPublicArea: Buffer, expect: EnrolmentExpectation = {}): CredentialChallenge {
    const trust = checkEkCertificate(ekCertificatePem, this.opts.anchors, this.opts.intermediates);
    if (!trust.ok) throw new IntegrityError('ENROLMENT_FAILED', trust.reason ?? 'EK certificate not trusted', 'ATTESTATION_FAILED');
    this.checkEkNamesVm(target, ekCertificatePem, expect);
    let akKey: KeyObject;
    let attributes: number;
    let nameAlg: number;
    try {
      const pub = parsePublic(akPublicArea);
      akKey = publicKeyOf(pub);
      attributes = pub.attributes;
      nameAlg = pub.nameAlg;
    } catch (e) {
      if (isTpm12PubKey(akPublicArea)) {
        throw new IntegrityError('ENROLMENT_FAILED', 'the AK is a TPM 1.2 key (TPM_PUBKEY), which credential activation cannot bind: enrol it with its AKCertificate (enrolTpm12)', 'ATTESTATION_FAILED');
      }
      throw new IntegrityError('ENROLMENT_FAILED', `AK public area: ${(e as Error).message}`, 'ATTESTATION_FAILED');
    }
    if ((attributes & AK_REQUIRED) !== AK_REQUIRED || attributes & TPMA_OBJECT.decrypt) {
      throw new IntegrityError('ENROLMENT_FAILED', 'AK is not a restricted, TPM-bound signing key', 'ATTESTATION_FAILED');
    }
    const ekKey = new X509Certificate(ekCertificatePem).publicKey;
    const akName = nameOf(akPublicArea, nameAlg);
    const secret = randomBytes(32);
    const challenge = makeCredential(ekKey, akName, secret);
    this.pending.set(target, { secret, enrolment: { target, ekCertificatePem, akSpki: spki(akKey), akName, virtualTpm: trust.virtual === true } });
    return challenge;
  }

  /**
   * Enrols a TPM 1.2 target in one step: its EK certificate must chain to a trusted CA, and its
   * quote key certificate must come from that same CA and name that EK. No key is taken on
   * its own word: a TPM 1.2 signing key cannot prove by itself which TPM holds it.
   */
  enrolTpm12(target: string, ekCertificatePem: string, akCertificatePem: string, expect: EnrolmentExpectation = {}): Enrolment {
    const trust = checkEkCertificate(ekCertificatePem, this.opts.anchors, this.opts.intermediates);
    if (!trust.ok) throw new IntegrityError('ENROLMENT_FAILED', trust.reason ?? 'EK certificate not trusted', 'ATTESTATION_FAILED');
    this.checkEkNamesVm(target, ekCertificatePem, expect);
    const key = checkQuoteKeyCertificate(akCertificatePem, ekCertificatePem, this.opts.anchors, this.opts.intermediates);
    if (!key.ok || !key.key) throw new IntegrityError('ENROLMENT_FAILED', key.reason ?? 'quote key certificate not trusted', 'ATTESTATION_FAILED');
    this.checkEkUnclaimed(target, ekCertificatePem);
    const enrolment: Enrolment = { target, ekCertificatePem, ...tpm12KeyIdentity(key.key), virtualTpm: trust.virtual === true, family: 'tpm12' };
    this.pending.delete(target);
    this.store.putEnrolment(enrolment);
    return enrolment;
  }

  /** A VM's EK certificate must name that VM (EK_WRONG_VM naming both VMs otherwise). */
  private checkEkNamesVm(target: string, ekCertificatePem: string, expect: EnrolmentExpectation): void {
    if (expect.vm === undefined) return;
    const problem = ekVmProblem(ekCertificatePem, expect.vm);
    if (problem) throw new EkBindingError('EK_WRONG_VM', `enrolment of ${target} refused: ${problem}`);
  }

  /**
   * No other target may have this EK enrolled: two targets quoting with one TPM identity are a
   * cloned or copied vTPM (EK_CLONED naming both). Checked last, once the TPM has proven it holds
   * the EK and the key, so a TPM that cannot is refused for that first.
   */
  private checkEkUnclaimed(target: string, ekCertificatePem: string): void {
    const ek = ekSpkiOf(ekCertificatePem);
    if (!ek) return; // checkEkCertificate has parsed it already; this cannot happen
    for (const other of this.store.allEnrolments()) {
      if (other.target === target || !ekSpkiOf(other.ekCertificatePem)?.equals(ek)) continue;
      throw new EkBindingError(
        'EK_CLONED',
        `enrolment of ${target} refused: its EK is already enrolled for ${other.target}; one TPM identity answering for both ${target} and ${other.target} is a cloned or copied vTPM (if ${other.target} is gone for good, a dcadmin forgets its enrolment first)`,
      );
    }
  }

  /** Step two: the secret the TPM recovered proves EK and AK live in the same TPM. */
  finishEnrolment(target: string, activated: Buffer): Enrolment {
    const p = this.pending.get(target);
    this.pending.delete(target);
    if (!p) throw new IntegrityError('UNKNOWN_TARGET', `no enrolment of ${target} in progress`);
    if (activated.length !== p.secret.length || !timingSafeEqual(activated, p.secret)) {
      throw new IntegrityError('ENROLMENT_FAILED', `${target} did not recover the credential: its AK is not in the TPM of that EK`, 'ATTESTATION_FAILED');
    }
    this.checkEkUnclaimed(target, p.enrolment.ekCertificatePem);
    this.store.putEnrolment(p.enrolment);
    return p.enrolment;
  }

  enrolment(target: string): Enrolment | undefined {
    return this.store.enrolment(target);
  }

  /** A fresh one-time nonce (20 random bytes, hex) for the next quote of `target`. */
  newNonce(target: string): string {
    const n = randomBytes(20).toString('hex');
    this.store.issueNonce(target, n);
    return n;
  }

  /** Checks one GetQuote result against the nonce this verifier issued for it. */
  verify(target: string, bundle: QuoteBundle, nonce: string): AttestationVerdict {
    const findings: Finding[] = [];
    const verdict = (entries: EntryVerdict[], nextIndex: number, virtualTpm?: boolean): AttestationVerdict => {
      let status: VerdictStatus = 'trusted';
      if (findings.some((f) => f.code !== 'ENTRY_UNKNOWN')) status = 'untrusted';
      else if (findings.length) status = 'unknown';
      const v: AttestationVerdict = { target, status, findings, entries, nextIndex };
      if (virtualTpm !== undefined) v.virtualTpm = virtualTpm;
      return v;
    };
    const shape = bundleProblem(bundle);
    if (shape) {
      findings.push({ code: 'QUOTE_FORMAT', message: shape });
      return verdict([], this.store.state(target)?.replay.nextIndex ?? 0);
    }
    if (!/^(?:[0-9a-fA-F]{2}){8,64}$/.test(nonce)) {
      findings.push({ code: 'NONCE_MISMATCH', message: 'the nonce to check against is not 8-64 bytes of hex' });
      return verdict([], this.store.state(target)?.replay.nextIndex ?? 0);
    }
    const prev = this.store.state(target);
    const nonceState = this.store.consumeNonce(target, nonce.toLowerCase());
    if (nonceState === 'used') findings.push({ code: 'QUOTE_REPLAYED', message: `nonce ${nonce} was already used: this answers an earlier challenge` });
    else if (nonceState === 'unknown') findings.push({ code: 'NONCE_MISMATCH', message: `nonce ${nonce} was not issued by this verifier for ${target}` });

    const enrolment = this.store.enrolment(target);
    if (!enrolment) {
      findings.push({ code: 'AK_NOT_BOUND', message: `${target} has no enrolled AK: its AK was never certified by an EK` });
      return verdict([], prev?.replay.nextIndex ?? 0);
    }
    // Identity: the EK certificate still chains to a trusted CA and is the enrolled one.
    const trust = checkEkCertificate(bundle.ekCertificate, this.opts.anchors, this.opts.intermediates);
    const ekEnrolled = trust.ok && sameCert(bundle.ekCertificate, enrolment.ekCertificatePem);
    if (!trust.ok) findings.push({ code: 'EK_CERT_INVALID', message: trust.reason ?? 'EK certificate not trusted' });
    else if (!ekEnrolled) findings.push({ code: 'EK_CERT_INVALID', message: `the EK certificate is not the one enrolled for ${target}` });
    let akKey: KeyObject | undefined;
    try {
      akKey = createPublicKey(bundle.akPublic);
    } catch (e) {
      findings.push({ code: 'AK_INVALID', message: `AK public key cannot be parsed: ${(e as Error).message}` });
    }
    const family: QuoteFamily = bundle.family ?? 'tpm2';
    const enrolledFamily: QuoteFamily = enrolment.family ?? 'tpm2';
    if (family !== enrolledFamily) {
      // A TPM 1.2 signing key can sign any digest, a TPM 2.0 AK any data lacking TPM_GENERATED:
      // either could forge the other family's quote, so a key counts for its own family only.
      findings.push({ code: 'AK_NOT_BOUND', message: `the quote is a ${FAMILY_NAME[family]} quote, but ${target} enrolled a ${FAMILY_NAME[enrolledFamily]} key` });
      return verdict([], prev?.replay.nextIndex ?? 0, enrolment.virtualTpm);
    }
    // TPM 1.2: the certificate is checked again on every quote, as the EK certificate is: it may
    // have expired, or (issued before the scheme was stated) be one no longer trusted.
    const keyFindings: Finding[] = [];
    let certified = false;
    if (akKey && family === 'tpm12') {
      const cert: QuoteKeyTrustResult = typeof bundle.akCertificate === 'string' ? checkQuoteKeyCertificate(bundle.akCertificate, bundle.ekCertificate, this.opts.anchors, this.opts.intermediates) : { ok: false, reason: 'a TPM 1.2 quote comes without its quote key certificate' };
      if (!cert.ok) keyFindings.push({ code: cert.code ?? 'AK_NOT_BOUND', message: cert.reason ?? 'quote key certificate not trusted' });
      else if (!certifiesKey(bundle.akCertificate!, akKey)) keyFindings.push({ code: 'AK_NOT_BOUND', message: 'the quote key certificate certifies another key' });
      else certified = true;
    }
    if (akKey && !spki(akKey).equals(enrolment.akSpki)) {
      if (certified && ekEnrolled) {
        // A TPM 1.2 enrolment is no more than this certificate check (enrolTpm12), so a key the
        // EK's CA certified for the enrolled EK, of the _INFO scheme, takes the enrolled key's
        // place: the host replaced it (a _SHA1 key renewed) and the challenger follows.
        this.store.putEnrolment({ ...enrolment, ...tpm12KeyIdentity(akKey) });
      } else {
        const how = family === 'tpm12' ? 'no quote key certificate from its EK\'s CA was enrolled for it' : 'no credential activation for it';
        findings.push({ code: 'AK_NOT_BOUND', message: `the quote's AK was never certified by the EK of ${target} (${how})` });
      }
    }
    findings.push(...keyFindings);
    if (!akKey) return verdict([], prev?.replay.nextIndex ?? 0, enrolment.virtualTpm);
    const bank: PcrBankName = family === 'tpm12' ? 'sha1' : this.bank;

    // The quote itself: signature, magic, type, nonce, PCR digest.
    let pcrValues: PcrValues | undefined;
    try {
      pcrValues = parsePcrValues(bundle.pcrValues);
    } catch (e) {
      findings.push({ code: 'QUOTE_FORMAT', message: (e as Error).message });
    }
    const q = family === 'tpm12' ? this.checkTpm12Quote(target, bundle, akKey, nonce, pcrValues, findings) : this.checkTpm2Quote(target, bundle, akKey, nonce, pcrValues, findings);
    if (!q.ok || !pcrValues) return verdict([], prev?.replay.nextIndex ?? 0, enrolment.virtualTpm);

    // The log: replayed from where the last verified batch ended (or from the start after a reboot).
    let entries: ImaEntry[];
    try {
      entries = parseAsciiLog(bundle.logEntries, bundle.logIndex);
    } catch (e) {
      findings.push({ code: 'LOG_FORMAT', message: (e as Error).message });
      return verdict([], prev?.replay.nextIndex ?? 0, enrolment.virtualTpm);
    }
    // TPM 1.2 quotes carry no reset count: a reboot shows only as a PCR 10 the log no longer reaches.
    const rebooted = prev !== undefined && q.resetCount !== undefined && prev.resetCount !== q.resetCount;
    const base = prev && !rebooted ? prev : undefined;
    if (bundle.logIndex !== 0 && (!base || base.replay.nextIndex !== bundle.logIndex)) {
      findings.push({ code: 'LOG_GAP', message: `log entries start at ${bundle.logIndex} but verification ${base ? `continues at ${base.replay.nextIndex}` : 'needs the log from 0'}` });
      return verdict([], base?.replay.nextIndex ?? 0, enrolment.virtualTpm);
    }
    const resume = bundle.logIndex === 0 ? undefined : base?.replay;
    const quoted = pcrValues.get(BANK_ID[bank])!.get(IMA_PCR)!;
    const bootPcrs: Partial<Record<PcrBankName, ReadonlyMap<number, Buffer>>> = {};
    for (const b of ['sha1', 'sha256'] as const) {
      const bank = pcrValues.get(BANK_ID[b]);
      if (bank) bootPcrs[b] = bank;
    }
    const common = { bank, bootPcrs, ...(this.opts.references ? { references: this.opts.references } : {}), ...(resume ? { resume } : {}), ...(this.opts.bootAggregateReferences === false ? { bootAggregateReferences: false } : {}) };
    let report: ImaLogReport = verifyImaLog(entries, common);
    if (report.pcrs[IMA_PCR] !== quoted.toString('hex') && bank === 'sha256' && !resume) {
      const padded = verifyImaLog(entries, { ...common, method: 'sha1-padded' });
      if (padded.pcrs[IMA_PCR] === quoted.toString('hex')) report = padded;
    }
    if (!resume && this.opts.bootAggregateReferences !== false) {
      const missing = bootRecordMissing(entries);
      if (missing) findings.push(missing);
    }
    for (const m of report.templateMismatches) {
      findings.push({ code: 'TEMPLATE_HASH_MISMATCH', message: `log entry ${m.index} (${m.path}) was altered: its template hash does not match its contents`, index: m.index, path: m.path });
    }
    if ((report.pcrs[IMA_PCR] ?? '00'.repeat(quoted.length)) !== quoted.toString('hex')) {
      if (family === 'tpm12' && resume) {
        // Rebooted, or a log that was tampered with: either way only the whole log can tell, so
        // the verified position is dropped and the log is asked for from 0.
        this.store.putState(target, undefined);
        findings.push({ code: 'LOG_GAP', message: `PCR ${IMA_PCR} no longer continues the log verified up to entry ${resume.nextIndex - 1} (a TPM 1.2 quote carries no reset count, so a reboot looks the same): verification needs the log from 0` });
        return verdict([], 0, enrolment.virtualTpm);
      }
      findings.push(replayMismatch(entries, quoted, bank, report.method, resume));
    }
    const newEntries = report.verdicts.filter((v) => v.code !== 'TEMPLATE_HASH_MISMATCH');
    for (const v of newEntries) {
      if (v.status === 'untrusted') findings.push({ code: v.code === 'BOOT_AGGREGATE_MISMATCH' ? 'BOOT_AGGREGATE_MISMATCH' : 'ENTRY_UNTRUSTED', message: `entry ${v.index}: ${v.reason}`, index: v.index, path: v.path });
      else if (v.status === 'unknown') findings.push({ code: 'ENTRY_UNKNOWN', message: `entry ${v.index}: ${v.reason}`, index: v.index, path: v.path });
    }
    const carried = resume ? base!.carried : [];
    // What was bad earlier in this boot stays bad: it already ran.
    for (const v of carried) {
      findings.push({ code: v.status === 'untrusted' ? 'ENTRY_UNTRUSTED' : 'ENTRY_UNKNOWN', message: `entry ${v.index}: ${v.reason} (verified earlier)`, index: v.index, path: v.path });
    }
    const allEntries = [...carried, ...newEntries.filter((v) => v.status !== 'trusted' && v.status !== 'excluded')];
    const integrityOk = !findings.some((f) => f.code !== 'ENTRY_UNKNOWN' && f.code !== 'ENTRY_UNTRUSTED');
    if (integrityOk) this.store.putState(target, { replay: report.state, resetCount: q.resetCount ?? 0, carried: allEntries });
    return verdict(allEntries, integrityOk ? report.state.nextIndex : (base?.replay.nextIndex ?? 0), enrolment.virtualTpm);
  }

  /** TPM 2.0: TPMS_ATTEST magic and type, nonce, signature by the AK, PCR digest over the reported values. */
  private checkTpm2Quote(target: string, bundle: QuoteBundle, akKey: KeyObject, nonce: string, pcrValues: PcrValues | undefined, findings: Finding[]): { ok: boolean; resetCount?: number } {
    const q = verifyTpm2Quote({
      attest: Buffer.from(bundle.quote, 'base64'),
      signature: Buffer.from(bundle.signature, 'base64'),
      akPublic: akKey,
      nonce: Buffer.from(nonce, 'hex'),
      ...(pcrValues ? { pcrValues } : {}),
      required: [{ hashAlg: BANK_ID[this.bank], pcrs: [IMA_PCR] }],
    });
    for (const f of q.findings) findings.push(f.code === 'NONCE_MISMATCH' && q.attest ? (this.replayed(target, q.attest.extraData) ?? f) : f);
    return q.ok && q.attest ? { ok: true, resetCount: q.attest.resetCount } : { ok: false };
  }

  /**
   * TPM 1.2: TPM_QUOTE_INFO signed by the quote key over the nonce (externalData) and the SHA-1
   * of the PCR composite the reported values make; SHA-1 PCRs only, PCR 10 among them.
   */
  private checkTpm12Quote(target: string, bundle: QuoteBundle, akKey: KeyObject, nonce: string, pcrValues: PcrValues | undefined, findings: Finding[]): { ok: boolean; resetCount?: number } {
    const before = findings.length;
    const sha1 = pcrValues?.get(TPM_ALG.SHA1);
    if (pcrValues && [...pcrValues.keys()].some((alg) => alg !== TPM_ALG.SHA1)) {
      findings.push({ code: 'QUOTE_FORMAT', message: 'a TPM 1.2 quote covers SHA-1 PCRs only, yet other banks are reported' });
    }
    if (pcrValues && !sha1?.has(IMA_PCR)) findings.push({ code: 'PCR_SELECTION', message: `quote does not cover PCR ${IMA_PCR} of bank sha1` });
    const quoteInfo = Buffer.from(bundle.quote, 'base64');
    const expected = tpm12ExternalData(Buffer.from(nonce, 'hex'));
    const q = verifyTpm12Quote({ quoteInfo, signature: Buffer.from(bundle.signature, 'base64'), aikPublic: akKey, nonce: expected, pcrValues: sha1 ?? new Map() });
    // NONCE_MISMATCH comes only from a quote that parsed, so parsing it again here cannot throw.
    for (const f of q.findings) findings.push(f.code === 'NONCE_MISMATCH' ? (this.replayed(target, parseTpm12QuoteInfo(quoteInfo).externalData) ?? f) : f);
    return { ok: findings.length === before && q.ok };
  }

  /** A wrong nonce that this target was once issued is worse than wrong: the quote is an old one replayed. */
  private replayed(target: string, quotedNonce: Buffer): Finding | undefined {
    const hex = quotedNonce.toString('hex');
    if (!this.store.wasUsed(target, hex)) return undefined;
    return { code: 'QUOTE_REPLAYED', message: `the quote carries nonce ${hex} of an earlier challenge: it is a replayed old quote` };
  }

  /** Drops everything known about a target (enrolment, nonces, replay state). */
  forget(target: string): void {
    this.pending.delete(target);
    this.store.forget(target);
  }
}

/** Says what is wrong with the shape of a bundle that came over the wire, if anything. */
function bundleProblem(b: QuoteBundle): string | undefined {
  if (!b || typeof b !== 'object') return 'GetQuote result is not an object';
  if (b.family !== undefined && b.family !== 'tpm2' && b.family !== 'tpm12') return `GetQuote result family "${String(b.family)}" is not tpm2 or tpm12`;
  if (b.akCertificate !== undefined && typeof b.akCertificate !== 'string') return 'GetQuote result akCertificate is not a string';
  for (const k of ['quote', 'signature', 'akPublic', 'ekCertificate'] as const) {
    if (typeof b[k] !== 'string' || b[k].length === 0) return `GetQuote result lacks ${k}`;
  }
  for (const k of ['pcrValues', 'logEntries'] as const) {
    if (!Array.isArray(b[k]) || b[k].some((x) => typeof x !== 'string')) return `GetQuote result ${k} is not a list of strings`;
  }
  if (!Number.isSafeInteger(b.logIndex) || b.logIndex < 0) return 'GetQuote result logIndex is not a non-negative integer';
  if (!/^[A-Za-z0-9+/=\s]+$/.test(b.quote) || !/^[A-Za-z0-9+/=\s]+$/.test(b.signature)) return 'quote or signature is not base64';
  return undefined;
}

function isTpm12PubKey(area: Buffer): boolean {
  try {
    parsePubKey(area);
    return true;
  } catch {
    return false;
  }
}

function sameCert(a: string, b: string): boolean {
  try {
    return new X509Certificate(a).raw.equals(new X509Certificate(b).raw);
  } catch {
    return false;
  }
}

/**
 * A VM's measurement list read from entry 0 must open with IMA's boot_aggregate: without it the
 * list does not record the boot it was measured from (lost with a TPM reset under a running
 * guest, or never measured from boot), and whatever ran before its first entry is unaccounted
 * for. BOOT_AGGREGATE_MISMATCH, not ENTRY_UNKNOWN: no reference can make such a list good, and
 * as an integrity finding it keeps the replay position from being stored, so every later quote
 * of this boot must bring the list from 0 again and is judged the same.
 */
function bootRecordMissing(entries: readonly ImaEntry[]): Finding | undefined {
  const first = entries[0];
  if (!first) return { code: 'BOOT_AGGREGATE_MISMATCH', message: `the measurement list is empty: a VM's list starts with ${BOOT_AGGREGATE}, so this one has lost its boot record` };
  if (first.path === BOOT_AGGREGATE) return undefined;
  return { code: 'BOOT_AGGREGATE_MISMATCH', message: `entry ${first.index} is ${first.path}, not ${BOOT_AGGREGATE}: a VM's measurement list starts with ${BOOT_AGGREGATE}, so this one has lost its boot record or was not measured from boot`, index: first.index, path: first.path };
}

/** Explains a PCR 10 mismatch as precisely as the log allows. */
function replayMismatch(entries: readonly ImaEntry[], quoted: Buffer, bank: PcrBankName, method: ImaLogReport['method'], resume?: ReplayState): Finding {
  const replay = new ImaReplay(bank, method, resume);
  const target = quoted.toString('hex');
  for (let i = 0; i < entries.length; i++) {
    if (replay.value(IMA_PCR).toString('hex') === target) {
      const e = entries[i]!;
      return {
        code: 'LOG_REPLAY_MISMATCH',
        message: `the quote covers the log only up to entry ${e.index - 1}; entries from ${e.index} (${e.path}) on were inserted or appended after it`,
        index: e.index,
        path: e.path,
      };
    }
    replay.add(entries[i]!);
  }
  return {
    code: 'LOG_REPLAY_MISMATCH',
    message: `replaying ${entries.length} log entries does not give the quoted PCR ${IMA_PCR}: the log was truncated, or entries were inserted or altered`,
  };
}
