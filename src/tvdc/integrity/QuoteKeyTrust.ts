// Decides whether a TPM 1.2 quote key is one the challenger trusts: its certificate must be a
// TCG AIK certificate from the very CA that certified the TPM's EK, bound to that EK, valid now,
// and must state (tvdc's TPM 1.2 key attributes extension) the scheme TPM_SS_RSASSAPKCS1v15_INFO.
// TPM 1.2 offers no credential activation for a plain signing key, so this certificate, issued
// by the host when it made the key inside the vTPM, is what ties key and TPM together.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { TPM12_SS, tpm12SigSchemeName } from '../vtpm/Tpm12Constants.js';
import { readTpm12KeyAttributes, TPM12_KEY_ATTRIBUTES_OID, type Tpm12KeyAttributes } from '../vtpm/Tpm12KeyAttributesExtension.js';
import { ekBinding, TCG_KP_AIK_CERTIFICATE } from '../vtpm/VtpmCa.js';
import type { TrustAnchor } from './EkTrust.js';

export interface QuoteKeyTrustResult {
  ok: boolean;
  reason?: string;
  /** Set when the key is refused for its signature scheme (or a certificate that does not state it). */
  code?: 'AK_SCHEME_UNSAFE';
  /** The certified key, when ok. */
  key?: KeyObject;
}

function spkiDer(k: KeyObject): Buffer {
  return k.export({ type: 'spki', format: 'der' });
}

/** A subject's serialNumber attribute: where the CA wrote the EK binding (`ek-sha256:<hex>`). */
function serialNumberOf(subject: string): string | undefined {
  return subject.split('\n').find((l) => l.startsWith('serialNumber='))?.slice('serialNumber='.length);
}

/** What the holder of a refused TPM 1.2 quote key certificate does about it. */
const SCHEME_FIX = 'start the vTPM again (stop and start it, or restart the host agent) on a host whose tvdc renews TPM 1.2 quote keys: the host then makes a TPM_SS_RSASSAPKCS1v15_INFO key in the vTPM and has it certified, and the next enrolment takes the new certificate';

/**
 * Why a certificate's stated key attributes do not make a quote key the challenger trusts.
 * TPM_SS_RSASSAPKCS1v15_SHA1 (or no statement, as in certificates issued before the scheme was
 * stated) lets whoever holds the key's usage auth make TPM_Sign sign SHA-1 of a TPM_QUOTE_INFO
 * they wrote, with any PCR values; only _INFO confines TPM_Sign to TPM_SIGN_INFO.
 */
function schemeProblem(ak: X509Certificate): string | undefined {
  let attributes: Tpm12KeyAttributes | undefined;
  try {
    attributes = readTpm12KeyAttributes(ak.raw);
  } catch (e) {
    return `the quote key certificate's TPM 1.2 key attributes (extension ${TPM12_KEY_ATTRIBUTES_OID}) cannot be read: ${(e as Error).message}`;
  }
  const info = tpm12SigSchemeName(TPM12_SS.RSASSAPKCS1v15_INFO);
  if (!attributes) {
    return `the quote key certificate does not state the key's TPM 1.2 signature scheme (extension ${TPM12_KEY_ATTRIBUTES_OID}): it was issued before tvdc stated it, possibly for a TPM_SS_RSASSAPKCS1v15_SHA1 key, with which TPM_Sign can forge a quote; only ${info} keys are trusted. Fix: ${SCHEME_FIX}`;
  }
  if (attributes.parms.sigScheme !== TPM12_SS.RSASSAPKCS1v15_INFO) {
    return `the quote key has signature scheme ${tpm12SigSchemeName(attributes.parms.sigScheme)}, with which TPM_Sign can forge a quote; only ${info} keys are trusted. Fix: ${SCHEME_FIX}`;
  }
  return undefined;
}

/**
 * Checks `akCertificatePem` against the EK certificate it must belong to (which the caller has
 * already found trusted) and the CAs the challenger knows.
 */
export function checkQuoteKeyCertificate(akCertificatePem: string, ekCertificatePem: string, anchors: readonly TrustAnchor[], intermediates: readonly string[] = [], now = new Date()): QuoteKeyTrustResult {
  let ak: X509Certificate;
  let ek: X509Certificate;
  try {
    ak = new X509Certificate(akCertificatePem);
    ek = new X509Certificate(ekCertificatePem);
  } catch (e) {
    return { ok: false, reason: `quote key certificate cannot be parsed: ${(e as Error).message}` };
  }
  if (!(new Date(ak.validFrom) <= now && now <= new Date(ak.validTo))) return { ok: false, reason: `quote key certificate is not valid at ${now.toISOString()} (${ak.validFrom} - ${ak.validTo})` };
  if (ak.ca) return { ok: false, reason: 'the quote key certificate is a CA certificate' };
  if (!(ak.keyUsage ?? []).includes(TCG_KP_AIK_CERTIFICATE)) return { ok: false, reason: `the quote key certificate lacks the TCG AIK certificate usage (${TCG_KP_AIK_CERTIFICATE})` };
  // The CA that issued the EK certificate must be the one that issued this one.
  const cas = [...anchors.map((a) => new X509Certificate(a.pem)), ...intermediates.map((p) => new X509Certificate(p))];
  const ekIssuer = cas.find((c) => c.ca && ek.checkIssued(c) && ek.verify(c.publicKey));
  if (!ekIssuer) return { ok: false, reason: 'the EK certificate was not issued by a CA this challenger knows' };
  if (!ak.checkIssued(ekIssuer) || !ak.verify(ekIssuer.publicKey)) {
    return { ok: false, reason: `the quote key certificate was not issued by "${ekIssuer.subject.replace(/\n/g, ', ')}", the CA of the TPM's EK` };
  }
  // Computed as the CA computed it when it issued the certificate.
  if (serialNumberOf(ak.subject) !== ekBinding(ek.publicKey)) return { ok: false, reason: 'the quote key certificate names another TPM\'s EK' };
  const key = ak.publicKey;
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return { ok: false, reason: 'a TPM 1.2 quote key must be RSA of at least 2048 bits' };
  const scheme = schemeProblem(ak);
  if (scheme) return { ok: false, code: 'AK_SCHEME_UNSAFE', reason: scheme };
  return { ok: true, key };
}

/** True when `key` is the key `akCertificatePem` certifies. */
export function certifiesKey(akCertificatePem: string, key: KeyObject): boolean {
  try {
    return spkiDer(new X509Certificate(akCertificatePem).publicKey).equals(spkiDer(key));
  } catch {
    return false;
  }
}
