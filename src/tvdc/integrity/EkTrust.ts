// Decides whether an EK certificate comes from a TPM the challenger trusts: it must chain to
// one of the configured CAs, each marked as certifying virtual TPMs (a host's vTPM CA) or
// hardware TPMs, so the verdict also says which kind of TPM signed.
import { X509Certificate } from 'node:crypto';

export interface TrustAnchor {
  /** CA certificate, PEM. */
  pem: string;
  kind: 'virtual' | 'hardware';
}

export interface EkTrustResult {
  ok: boolean;
  reason?: string;
  /** True when the EK belongs to a virtual TPM (its CA is a vTPM CA). */
  virtual?: boolean;
  subject?: string;
  issuer?: string;
}

/** Checks signature, issuer name, validity and CA basic constraint, up to three levels deep. */
export function checkEkCertificate(pem: string, anchors: readonly TrustAnchor[], intermediates: readonly string[] = [], now = new Date()): EkTrustResult {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    return { ok: false, reason: `EK certificate cannot be parsed: ${(e as Error).message}` };
  }
  const roots = anchors.map((a) => ({ cert: new X509Certificate(a.pem), kind: a.kind }));
  const mids = intermediates.map((p) => new X509Certificate(p));
  const valid = (c: X509Certificate) => new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  const base = { subject: cert.subject, issuer: cert.issuer };
  if (!valid(cert)) return { ok: false, reason: `EK certificate is not valid at ${now.toISOString()} (${cert.validFrom} - ${cert.validTo})`, ...base };
  let cur = cert;
  for (let depth = 0; depth < 3; depth++) {
    const root = roots.find((r) => r.cert.ca && cur.checkIssued(r.cert) && cur.verify(r.cert.publicKey));
    if (root) {
      if (!valid(root.cert)) return { ok: false, reason: `CA ${root.cert.subject} is not valid now`, ...base };
      return { ok: true, virtual: root.kind === 'virtual', ...base };
    }
    const mid = mids.find((m) => m.ca && cur.checkIssued(m) && cur.verify(m.publicKey) && valid(m));
    if (!mid) break;
    cur = mid;
  }
  return { ok: false, reason: `EK certificate issued by "${cert.issuer.replace(/\n/g, ', ')}" does not chain to a trusted TPM CA`, ...base };
}
