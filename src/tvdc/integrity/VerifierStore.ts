// Where a Verifier keeps what must outlive one check: enrolled AKs, issued and used nonces, and
// the replay state for incremental verification. In memory, or in SQLite (one transaction per
// change) so a restarted management server neither forgets an AK nor accepts a used nonce.
import { migrate, type Db } from '../../store/Store.js';
import type { ReplayState } from './ImaReplay.js';
import type { QuoteFamily } from './QuoteBundle.js';
import type { EntryVerdict } from './Verdict.js';

export interface Enrolment {
  target: string;
  ekCertificatePem: string;
  /** DER SubjectPublicKeyInfo of the AK. */
  akSpki: Buffer;
  akName: Buffer;
  virtualTpm: boolean;
  /** The TPM the key quotes for (absent: tpm2); a key is never accepted for the other family's quotes. */
  family?: QuoteFamily;
}

export interface TargetState {
  replay: ReplayState;
  resetCount: number;
  /** Entries found unknown or untrusted earlier in this boot of the target. */
  carried: EntryVerdict[];
}

export type NonceUse = 'fresh' | 'used' | 'unknown';

export interface VerifierStore {
  enrolment(target: string): Enrolment | undefined;
  /** Every enrolment: an EK may be enrolled for one target only (a second is a cloned TPM). */
  allEnrolments(): Enrolment[];
  putEnrolment(e: Enrolment): void;
  issueNonce(target: string, nonce: string): void;
  /** Marks an issued nonce used; says whether it was fresh, already used, or never issued. */
  consumeNonce(target: string, nonce: string): NonceUse;
  wasUsed(target: string, nonce: string): boolean;
  state(target: string): TargetState | undefined;
  putState(target: string, s: TargetState | undefined): void;
  forget(target: string): void;
}

export class MemoryVerifierStore implements VerifierStore {
  private readonly enrolments = new Map<string, Enrolment>();
  private readonly nonces = new Map<string, Map<string, 'issued' | 'used'>>();
  private readonly states = new Map<string, TargetState>();

  constructor(private readonly usedMemory = 4096) {}

  enrolment(target: string) {
    return this.enrolments.get(target);
  }
  allEnrolments() {
    return [...this.enrolments.values()];
  }
  putEnrolment(e: Enrolment) {
    this.enrolments.set(e.target, e);
  }
  issueNonce(target: string, nonce: string) {
    let m = this.nonces.get(target);
    if (!m) this.nonces.set(target, (m = new Map()));
    m.set(nonce, 'issued');
  }
  consumeNonce(target: string, nonce: string): NonceUse {
    const m = this.nonces.get(target);
    const s = m?.get(nonce);
    if (s === 'issued') {
      m!.delete(nonce); // re-inserted last, so the oldest used nonces are dropped first
      m!.set(nonce, 'used');
      if (m!.size > this.usedMemory) m!.delete(m!.keys().next().value!);
      return 'fresh';
    }
    return s === 'used' ? 'used' : 'unknown';
  }
  wasUsed(target: string, nonce: string) {
    return this.nonces.get(target)?.get(nonce) === 'used';
  }
  state(target: string) {
    return this.states.get(target);
  }
  putState(target: string, s: TargetState | undefined) {
    if (s) this.states.set(target, s);
    else this.states.delete(target);
  }
  forget(target: string) {
    this.enrolments.delete(target);
    this.nonces.delete(target);
    this.states.delete(target);
  }
}

const MIGRATIONS = [
  {
    id: 'verifier-1',
    up: `
      CREATE TABLE verifier_enrolment (
        target TEXT PRIMARY KEY,
        ek_cert TEXT NOT NULL,
        ak_spki BLOB NOT NULL,
        ak_name BLOB NOT NULL,
        virtual INTEGER NOT NULL,
        enrolled_at TEXT NOT NULL
      );
      CREATE TABLE verifier_nonce (
        target TEXT NOT NULL,
        nonce TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('issued', 'used')),
        at TEXT NOT NULL,
        PRIMARY KEY (target, nonce)
      ) WITHOUT ROWID;
      CREATE TABLE verifier_state (
        target TEXT PRIMARY KEY,
        replay TEXT NOT NULL,
        reset_count INTEGER NOT NULL,
        carried TEXT NOT NULL
      );`,
  },
  {
    id: 'verifier-2',
    up: `ALTER TABLE verifier_enrolment ADD COLUMN family TEXT NOT NULL DEFAULT 'tpm2' CHECK (family IN ('tpm2', 'tpm12'));`,
  },
];

interface EnrolmentRow {
  target: string;
  ek_cert: string;
  ak_spki: Buffer;
  ak_name: Buffer;
  virtual: number;
  family: QuoteFamily;
}

function toEnrolment(r: EnrolmentRow): Enrolment {
  return { target: r.target, ekCertificatePem: r.ek_cert, akSpki: r.ak_spki, akName: r.ak_name, virtualTpm: r.virtual === 1, family: r.family };
}

export class SqliteVerifierStore implements VerifierStore {
  constructor(
    private readonly db: Db,
    private readonly usedMemory = 4096,
  ) {
    migrate(db, MIGRATIONS);
  }

  enrolment(target: string): Enrolment | undefined {
    const r = this.db.prepare('SELECT * FROM verifier_enrolment WHERE target = ?').get(target) as EnrolmentRow | undefined;
    return r && toEnrolment(r);
  }

  allEnrolments(): Enrolment[] {
    return (this.db.prepare('SELECT * FROM verifier_enrolment ORDER BY target').all() as EnrolmentRow[]).map(toEnrolment);
  }

  putEnrolment(e: Enrolment): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO verifier_enrolment (target, ek_cert, ak_spki, ak_name, virtual, enrolled_at, family) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(e.target, e.ekCertificatePem, e.akSpki, e.akName, e.virtualTpm ? 1 : 0, new Date().toISOString(), e.family ?? 'tpm2');
      this.db.prepare('DELETE FROM verifier_state WHERE target = ?').run(e.target);
    })();
  }

  issueNonce(target: string, nonce: string): void {
    this.db.prepare("INSERT INTO verifier_nonce (target, nonce, state, at) VALUES (?, ?, 'issued', ?)").run(target, nonce, new Date().toISOString());
  }

  consumeNonce(target: string, nonce: string): NonceUse {
    return this.db.transaction((): NonceUse => {
      const r = this.db.prepare('SELECT state FROM verifier_nonce WHERE target = ? AND nonce = ?').get(target, nonce) as { state: string } | undefined;
      if (!r) return 'unknown';
      if (r.state === 'used') return 'used';
      this.db.prepare("UPDATE verifier_nonce SET state = 'used', at = ? WHERE target = ? AND nonce = ?").run(new Date().toISOString(), target, nonce);
      this.db
        .prepare(
          "DELETE FROM verifier_nonce WHERE target = ? AND state = 'used' AND nonce NOT IN (SELECT nonce FROM verifier_nonce WHERE target = ? AND state = 'used' ORDER BY at DESC LIMIT ?)",
        )
        .run(target, target, this.usedMemory);
      return 'fresh';
    })();
  }

  wasUsed(target: string, nonce: string): boolean {
    return !!this.db.prepare("SELECT 1 FROM verifier_nonce WHERE target = ? AND nonce = ? AND state = 'used'").get(target, nonce);
  }

  state(target: string): TargetState | undefined {
    const r = this.db.prepare('SELECT * FROM verifier_state WHERE target = ?').get(target) as { replay: string; reset_count: number; carried: string } | undefined;
    return r && { replay: JSON.parse(r.replay) as ReplayState, resetCount: r.reset_count, carried: JSON.parse(r.carried) as EntryVerdict[] };
  }

  putState(target: string, s: TargetState | undefined): void {
    if (!s) {
      this.db.prepare('DELETE FROM verifier_state WHERE target = ?').run(target);
      return;
    }
    this.db
      .prepare('INSERT OR REPLACE INTO verifier_state (target, replay, reset_count, carried) VALUES (?, ?, ?, ?)')
      .run(target, JSON.stringify(s.replay), s.resetCount, JSON.stringify(s.carried));
  }

  forget(target: string): void {
    this.db.transaction(() => {
      for (const t of ['verifier_enrolment', 'verifier_nonce', 'verifier_state']) this.db.prepare(`DELETE FROM ${t} WHERE target = ?`).run(target);
    })();
  }
}
