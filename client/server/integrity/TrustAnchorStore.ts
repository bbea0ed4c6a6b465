// The CA certificates a Datacenter Administrator registered for each host: its vTPM CA (which
// certifies the EKs of the host's VMs) and its platform CA (the host's own TPM). Nothing a host
// sends is trusted before a dcadmin put its CA here: no trust on first use.
import { X509Certificate } from 'node:crypto';
import { migrate, type Db } from '../../../src/store/Store.js';
import type { TrustAnchor } from '../../../src/tvdc/integrity/EkTrust.js';
import { TvdcError } from '../../../src/tvdc/TvdcError.js';

export interface RegisteredAnchor {
  host: string;
  kind: TrustAnchor['kind'];
  pem: string;
  subject: string;
  /** SHA-256 fingerprint of the certificate, as `AB:CD:...`. */
  fingerprint: string;
  notAfter: string;
  addedBy: string;
  addedAt: string;
}

const MIGRATIONS = [
  {
    id: 'mgmt-trust-anchors-1',
    up: `
      CREATE TABLE mgmt_trust_anchor (
        host TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('virtual', 'hardware')),
        pem TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (host, kind)
      );`,
  },
];

interface Row {
  host: string;
  kind: TrustAnchor['kind'];
  pem: string;
  added_by: string;
  added_at: string;
}

/** Parses a CA certificate PEM, refusing anything that is not one CA certificate valid now. */
export function checkCaPem(pem: string, what: string): X509Certificate {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TvdcError('INVALID_ARGUMENT', `${what} is not a PEM certificate`);
  }
  if (pem.split('-----BEGIN CERTIFICATE-----').length > 2) throw new TvdcError('INVALID_ARGUMENT', `${what} holds more than one certificate; give the CA alone`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw new TvdcError('INVALID_ARGUMENT', `${what} cannot be parsed: ${(e as Error).message}`);
  }
  if (!cert.ca) throw new TvdcError('INVALID_ARGUMENT', `${what} (${oneLine(cert.subject)}) is not a CA certificate`);
  if (new Date(cert.validTo) < new Date()) throw new TvdcError('INVALID_ARGUMENT', `${what} (${oneLine(cert.subject)}) expired on ${cert.validTo}`);
  return cert;
}

function oneLine(dn: string): string {
  return dn.replace(/\n/g, ', ');
}

export class TrustAnchorStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Registers (or replaces) a host's CA of one kind. */
  set(host: string, kind: TrustAnchor['kind'], pem: string, addedBy: string): RegisteredAnchor {
    checkCaPem(pem, kind === 'virtual' ? 'the vTPM CA' : 'the platform CA');
    this.db
      .prepare(
        `INSERT INTO mgmt_trust_anchor (host, kind, pem, added_by, added_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (host, kind) DO UPDATE SET pem = excluded.pem, added_by = excluded.added_by, added_at = excluded.added_at`,
      )
      .run(host, kind, pem, addedBy, new Date().toISOString());
    return this.list(host).find((a) => a.kind === kind)!;
  }

  /** Anchors of one host, or of every host. */
  list(host?: string): RegisteredAnchor[] {
    const rows = host
      ? (this.db.prepare('SELECT * FROM mgmt_trust_anchor WHERE host = ? ORDER BY kind').all(host) as Row[])
      : (this.db.prepare('SELECT * FROM mgmt_trust_anchor ORDER BY host, kind').all() as Row[]);
    return rows.map(toAnchor);
  }

  remove(host: string, kind?: TrustAnchor['kind']): number {
    return kind
      ? this.db.prepare('DELETE FROM mgmt_trust_anchor WHERE host = ? AND kind = ?').run(host, kind).changes
      : this.db.prepare('DELETE FROM mgmt_trust_anchor WHERE host = ?').run(host).changes;
  }

  /** Whether the host has a CA of this kind; asked at every attestation, so no certificate is parsed. */
  has(host: string, kind: TrustAnchor['kind']): boolean {
    return this.db.prepare('SELECT 1 FROM mgmt_trust_anchor WHERE host = ? AND kind = ?').get(host, kind) !== undefined;
  }

  /**
   * What a target's EK certificate must chain to. A host's own TPM: that host's platform CA only.
   * A VM: any registered vTPM CA, since a vTPM keeps its EK certificate when its VM migrates.
   */
  anchorsFor(target: { host: string; vm?: string }): TrustAnchor[] {
    if (target.vm === undefined) {
      return (this.db.prepare("SELECT pem FROM mgmt_trust_anchor WHERE host = ? AND kind = 'hardware'").pluck().all(target.host) as string[]).map((pem) => ({ pem, kind: 'hardware' as const }));
    }
    return (this.db.prepare("SELECT pem FROM mgmt_trust_anchor WHERE kind = 'virtual' ORDER BY host").pluck().all() as string[]).map((pem) => ({ pem, kind: 'virtual' as const }));
  }
}

function toAnchor(r: Row): RegisteredAnchor {
  const c = new X509Certificate(r.pem);
  return { host: r.host, kind: r.kind, pem: r.pem, subject: oneLine(c.subject), fingerprint: c.fingerprint256, notAfter: new Date(c.validTo).toISOString(), addedBy: r.added_by, addedAt: r.added_at };
}
