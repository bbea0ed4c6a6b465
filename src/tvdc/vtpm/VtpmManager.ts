// The host's vTPMs: one swtpm process and state directory per VM (and one standing in for the
// management VM's hardware TPM), each a TPM 2.0 or a TPM 1.2. Creates them with a CA-certified EK,
// starts, stops, deletes, moves their state between hosts (sealed to the destination, signed by
// this host's migration key, each package imported at most once) and brings them all back after
// an agent restart.
import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { migrate, openStore, type Db } from '../../store/Store.js';
import { TvdcError } from '../TvdcError.js';
import { MeasurementLog } from './MeasurementLog.js';
import { BLOB } from './SwtpmControl.js';
import { SwtpmProcess, findSwtpmProcesses, killAndWait, type SwtpmStartMode } from './SwtpmProcess.js';
import type { Tpm } from './Tpm.js';
import { Tpm12Error, WELL_KNOWN_SECRET, type Tpm12, type Tpm12Quote } from './Tpm12.js';
import { TPM12_KH, TPM12_NV_INDEX, TPM12_RT, TPM12_SS, tpm12SigSchemeName } from './Tpm12Constants.js';
import { readTpm12KeyAttributes } from './Tpm12KeyAttributesExtension.js';
import { Tpm12KeyReading } from './Tpm12KeyReading.js';
import { readTpm12EkCertificate, storeTpm12EkCertificate } from './Tpm12EkCertificateNv.js';
import { marshalKey, marshalPubKey, parseKey, signingKeyTemplate, tpm12PublicKey, type Tpm12PubKey } from './Tpm12Key.js';
import { isTpmFamily, stateFiles, type TpmFamily } from './TpmFamily.js';
import { readImaBank, Tpm12Pcrs, Tpm2Pcrs, type VtpmPcrs } from './VtpmPcrs.js';
import { ekPublicKeyOf } from './VtpmKeys.js';
import { EK_CERT_NV_INDEX_RSA, TPMA_NV, TPM_RH } from './TpmConstants.js';
import { ImaReplay } from '../integrity/ImaReplay.js';
import { akTemplate, ekTemplateRsa, publicKeyOf } from './TpmPublic.js';
import { VtpmCa } from './VtpmCa.js';
// A vTPM's id is its VM's name ('host' for the host's own TPM), so it has a VM name's shape.
import { VM_NAME } from '../hypervisor/VirtualMachine.js';
import { VtpmState, type VtpmStatePackage } from './VtpmState.js';
import { MigrationKey, type MigrationPublicKey } from './MigrationKey.js';
import { SealedVtpmPackage, type PackagePurpose, type SealedPackageInfo } from './SealedVtpmPackage.js';
import { VtpmPackageError } from './VtpmPackageError.js';

/** vm: a guest's vTPM (EK from the vTPM CA); host: the swtpm standing in for the hardware TPM. */
export type VtpmKind = 'vm' | 'host';
export type AkKind = 'rsa' | 'ecc';

export interface VtpmInfo {
  id: string;
  kind: VtpmKind;
  /** tpm2, or tpm12 for a TPM 1.2 vTPM; fixed at creation. */
  family: TpmFamily;
  akKind: AkKind;
  /** What the agent wants: running vTPMs are restarted by recover(). */
  desired: 'running' | 'stopped';
  running: boolean;
  pid?: number;
  ekCertificatePem: string;
  /** tpm2: TPMT_PUBLIC of the EK and of the AK; tpm12: TPM_PUBKEY of the EK and of the quote key. */
  ekPublic: Buffer;
  akPublic: Buffer;
  /** tpm12: the vTPM CA's certificate of the quote key (TPM 1.2 has no credential activation for it). */
  akCertificatePem?: string;
  stateDir: string;
  createdAt: string;
}

export interface RecoveryReport {
  /** Pids of swtpm processes of ours that no live manager owned, now killed. */
  killed: number[];
  /** vTPMs running again with their stored PCRs, and a measurement list that replays to them. */
  restarted: { id: string; resumed: true }[];
  /**
   * vTPMs that should run but could not come back exactly as they were, with why: left off
   * (their owner stops a guest that ran on them), their state files as they were found.
   */
  notResumed: { id: string; reason: string }[];
  /** Leftover state dirs with no vTPM record (a create interrupted by a crash), now removed. */
  removedDirs: string[];
  failed: { id: string; error: string }[];
}

interface Row {
  id: string;
  kind: VtpmKind;
  family: TpmFamily;
  ak_kind: AkKind;
  desired: 'running' | 'stopped';
  ek_public: Buffer;
  ek_cert: string;
  ak_public: Buffer;
  created_at: string;
  /** From vtpm_tpm12, joined in: a TPM 1.2's quote key certificate (null for a TPM 2.0). */
  ak_cert: string | null;
}

/** A vTPM row with its TPM 1.2 quote key certificate, so info() needs no second query per vTPM. */
const SELECT_ROW = 'SELECT vtpm.*, t.ak_cert FROM vtpm LEFT JOIN vtpm_tpm12 t ON t.vtpm_id = vtpm.id';

interface Live {
  proc: SwtpmProcess;
  family: TpmFamily;
  akHandle?: number;
  /** tpm12: whether this power-on already brought the vTPM up to date (EK certificate in NV, quote key). */
  upgraded?: boolean;
}

/**
 * What tvdc keeps of a TPM 1.2 vTPM besides its state: the owner auth (random, never leaves the
 * host but in a sealed migration package), the quote key as wrapped by the SRK (a TPM 1.2 key
 * lives outside the TPM between uses), its usage auth, and the vTPM CA's certificate of it.
 */
export interface Tpm12Secrets {
  ownerAuth: Buffer;
  keyAuth: Buffer;
  /** The TPM_KEY blob TPM_CreateWrapKey returned. */
  keyBlob: Buffer;
  akCertificatePem: string;
}

interface Tpm12Row {
  owner_auth: Buffer;
  key_auth: Buffer;
  key_blob: Buffer;
  ak_cert: string;
}


const MIGRATIONS = [
  {
    id: 'vtpm-1',
    up: `
      CREATE TABLE vtpm (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('vm', 'host')),
        ak_kind TEXT NOT NULL CHECK (ak_kind IN ('rsa', 'ecc')),
        desired TEXT NOT NULL CHECK (desired IN ('running', 'stopped')),
        ek_public BLOB NOT NULL,
        ek_cert TEXT NOT NULL,
        ak_public BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE vtpm_log (
        vtpm_id TEXT NOT NULL REFERENCES vtpm(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        pcr INTEGER NOT NULL,
        template_hash TEXT NOT NULL,
        template_name TEXT NOT NULL,
        template_data BLOB NOT NULL,
        file_alg TEXT NOT NULL,
        file_digest TEXT NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (vtpm_id, idx)
      ) WITHOUT ROWID;`,
  },
  {
    // Sealed migration packages. The export counter is the AUTOINCREMENT key, which SQLite never
    // hands out twice, even after the newest row is gone. Imported package ids outlive the vTPM
    // they created: a replay must stay refused after the vTPM is deleted or migrated on.
    id: 'vtpm-2',
    up: `
      CREATE TABLE vtpm_exported_package (
        counter INTEGER PRIMARY KEY AUTOINCREMENT,
        package_id TEXT NOT NULL UNIQUE,
        vtpm_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('migrate', 'return')),
        exported_at TEXT NOT NULL
      );
      CREATE TABLE vtpm_imported_package (
        package_id TEXT PRIMARY KEY,
        vtpm_id TEXT NOT NULL,
        source TEXT NOT NULL,
        counter INTEGER NOT NULL,
        exported_at TEXT NOT NULL,
        imported_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX vtpm_imported_package_source ON vtpm_imported_package (source, vtpm_id, counter);`,
  },
  {
    // TPM 1.2 vTPMs. Existing vTPMs are TPM 2.0, the only family there was.
    id: 'vtpm-3',
    up: `
      ALTER TABLE vtpm ADD COLUMN family TEXT NOT NULL DEFAULT 'tpm2' CHECK (family IN ('tpm2', 'tpm12'));
      CREATE TABLE vtpm_tpm12 (
        vtpm_id TEXT PRIMARY KEY REFERENCES vtpm(id) ON DELETE CASCADE,
        owner_auth BLOB NOT NULL CHECK (length(owner_auth) = 20),
        key_auth BLOB NOT NULL CHECK (length(key_auth) = 20),
        key_blob BLOB NOT NULL,
        ak_cert TEXT NOT NULL
      ) WITHOUT ROWID;`,
  },
];

/** Where a sealed package goes: the recipient's key, and whether it is a migration or a take-back copy. */
export interface PackageAddress {
  recipient: MigrationPublicKey;
  purpose: PackagePurpose;
}

export interface VtpmManagerOptions {
  /** The host agent's state directory; vTPMs live under <stateDir>/vtpm. */
  stateDir: string;
  hostName?: string;
  swtpmPath?: string;
  /** Called when a vTPM's swtpm ends without being asked to (recover() restarts it). */
  onUnexpectedExit?: (id: string, code: number | null) => void;
  /** How long after its export a sealed package is accepted (default PACKAGE_LIFETIME_MS). */
  packageLifetimeMs?: number;
  /** Where the manager reports what it did on its own (a TPM 1.2 quote key renewed); default stderr. */
  log?: (line: string) => void;
}

/**
 * A migration carries its package within seconds; a package accepted for 15 minutes after its
 * export leaves room for a slow transfer and an administrator's ExportVTPMState/ImportVTPMState,
 * while an unused copy cannot be revived later to roll a vTPM back or clone it.
 */
export const PACKAGE_LIFETIME_MS = 15 * 60_000;
/** How far ahead of this host's clock a package's export time may be (hosts' clocks drift). */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Where the host's TPM code reports what it did on its own when no `log` is given. */
export function reportToStderr(line: string): void {
  process.stderr.write(`tvdc integrity: ${line}\n`);
}

function lostTpm12Record(id: string): TvdcError {
  return new TvdcError('VTPM_FAILED', `TPM 1.2 vTPM ${id} has lost its quote key record`);
}

/** SHA-256 of a TPM 1.2 key's TPM_PUBKEY, hex, shortened: how log lines tell quote keys apart. */
function keyFingerprint(k: Tpm12PubKey): string {
  return createHash('sha256').update(marshalPubKey(k)).digest('hex').slice(0, 16);
}

/** Whether a quote key certificate states the _INFO scheme (as challengers require); false when it cannot be read. */
function statesInfoScheme(certPem: string): boolean {
  try {
    return readTpm12KeyAttributes(new X509Certificate(certPem).raw)?.parms.sigScheme === TPM12_SS.RSASSAPKCS1v15_INFO;
  } catch {
    return false;
  }
}

function pcrsOf(l: Live): VtpmPcrs {
  return l.family === 'tpm12' ? new Tpm12Pcrs(l.proc.tpm12) : new Tpm2Pcrs(l.proc.tpm);
}

export class VtpmManager {
  readonly log: MeasurementLog;
  readonly vtpmCa: VtpmCa;
  readonly platformCa: VtpmCa;
  private readonly live = new Map<string, Live>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly root: string;
  private closed = false;
  private migrationKeyPair: MigrationKey | undefined;

  private constructor(
    readonly db: Db,
    private readonly opts: VtpmManagerOptions,
  ) {
    this.root = join(opts.stateDir, 'vtpm');
    this.log = new MeasurementLog(db);
    const host = opts.hostName ?? hostname();
    this.vtpmCa = VtpmCa.openOrCreate(join(this.root, 'ca'), 'virtual', host);
    this.platformCa = VtpmCa.openOrCreate(join(this.root, 'ca'), 'platform', host);
  }

  /** Opens the host's vTPM store and recovers: strays killed, vTPMs that should run restarted. */
  static async open(opts: VtpmManagerOptions): Promise<{ manager: VtpmManager; recovery: RecoveryReport }> {
    mkdirSync(join(opts.stateDir, 'vtpm', 'instances'), { recursive: true, mode: 0o700 });
    const db = openStore(join(opts.stateDir, 'vtpm', 'vtpm.db'));
    migrate(db, MIGRATIONS);
    const manager = new VtpmManager(db, opts);
    const recovery = await manager.recover();
    return { manager, recovery };
  }

  /** This host's migration key pair, made on first use under <stateDir>/vtpm/migration. */
  get migrationKey(): MigrationKey {
    this.migrationKeyPair ??= MigrationKey.openOrCreate(join(this.root, 'migration'));
    return this.migrationKeyPair;
  }

  private dirOf(id: string): string {
    return join(this.root, 'instances', id);
  }

  private row(id: string): Row {
    const r = this.db.prepare(`${SELECT_ROW} WHERE vtpm.id = ?`).get(id) as Row | undefined;
    if (!r) throw new TvdcError('NOT_FOUND', `no vTPM ${id}`);
    return r;
  }

  private info(r: Row): VtpmInfo {
    const l = this.live.get(r.id);
    const i: VtpmInfo = {
      id: r.id,
      kind: r.kind,
      family: r.family,
      akKind: r.ak_kind,
      desired: r.desired,
      running: !!l?.proc.running,
      ekCertificatePem: r.ek_cert,
      ekPublic: r.ek_public,
      akPublic: r.ak_public,
      stateDir: this.dirOf(r.id),
      createdAt: r.created_at,
    };
    if (l?.proc.running) i.pid = l.proc.pid;
    if (r.family === 'tpm12') {
      if (r.ak_cert === null) throw lostTpm12Record(r.id);
      i.akCertificatePem = r.ak_cert;
    }
    return i;
  }

  private tpm12Secrets(id: string): Tpm12Secrets {
    const t = this.db.prepare('SELECT * FROM vtpm_tpm12 WHERE vtpm_id = ?').get(id) as Tpm12Row | undefined;
    if (!t) throw lostTpm12Record(id);
    return { ownerAuth: t.owner_auth, keyAuth: t.key_auth, keyBlob: t.key_blob, akCertificatePem: t.ak_cert };
  }

  private putTpm12Secrets(id: string, t: Tpm12Secrets): void {
    this.db.prepare('INSERT INTO vtpm_tpm12 (vtpm_id, owner_auth, key_auth, key_blob, ak_cert) VALUES (?, ?, ?, ?, ?)').run(id, t.ownerAuth, t.keyAuth, t.keyBlob, t.akCertificatePem);
  }

  get(id: string): VtpmInfo {
    return this.info(this.row(id));
  }

  list(): VtpmInfo[] {
    return (this.db.prepare(`${SELECT_ROW} ORDER BY vtpm.id`).all() as Row[]).map((r) => this.info(r));
  }

  /** Runs `fn` with exclusive use of one vTPM: measurements, quotes and lifecycle never interleave. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new TvdcError('INVALID_STATE', 'vTPM manager is closed');
  }

  private async spawn(id: string, mode: SwtpmStartMode, family: TpmFamily): Promise<Live> {
    const proc = await SwtpmProcess.start({ stateDir: this.dirOf(id), mode, family, ...(this.opts.swtpmPath ? { swtpmPath: this.opts.swtpmPath } : {}) });
    const l: Live = { proc, family };
    this.live.set(id, l);
    void proc.exited.then((code) => {
      if (this.live.get(id) !== l) return;
      this.live.delete(id);
      if (!this.closed) this.opts.onUnexpectedExit?.(id, code);
    });
    return l;
  }

  private async stopProcess(id: string, keepVolatile: boolean): Promise<void> {
    const l = this.live.get(id);
    if (!l) return;
    this.live.delete(id);
    if (keepVolatile) await l.proc.control.storeVolatile().catch(() => undefined);
    // TPM 1.2 has no orderly shutdown for a power-off without saved state: the process just ends.
    else if (l.family === 'tpm2') await l.proc.tpm.shutdown('clear').catch(() => undefined);
    await l.proc.shutdown();
    if (!keepVolatile) rmSync(join(this.dirOf(id), stateFiles(l.family).volatile), { force: true });
  }

  /**
   * Creates a vTPM: a new TPM state with its EK certified by the host's vTPM CA (or, for the
   * host's own TPM, by the platform CA). A TPM 2.0 also keeps the certificate at the TCG NV
   * index; a TPM 1.2 is owned by tvdc and gets a quote key, which the same CA certifies.
   */
  async create(id: string, opts: { kind?: VtpmKind; akKind?: AkKind; family?: TpmFamily } = {}): Promise<VtpmInfo> {
    this.checkOpen();
    if (!VM_NAME.test(id)) throw new TvdcError('INVALID_ARGUMENT', `vTPM id "${id}" must be 1-64 letters, digits, '.', '_' or '-'`);
    const kind = opts.kind ?? 'vm';
    const family = opts.family ?? 'tpm2';
    if (!isTpmFamily(family)) throw new TvdcError('INVALID_ARGUMENT', `TPM family "${String(family)}" is not tpm2 or tpm12`);
    const akKind = opts.akKind ?? 'rsa';
    if (family === 'tpm12' && akKind !== 'rsa') throw new TvdcError('INVALID_ARGUMENT', 'a TPM 1.2 has RSA keys only: its quote key cannot be ECC');
    return this.withLock(id, async () => {
      if (this.db.prepare('SELECT 1 FROM vtpm WHERE id = ?').get(id)) throw new TvdcError('ALREADY_EXISTS', `vTPM ${id} exists`);
      const dir = this.dirOf(id);
      rmSync(dir, { recursive: true, force: true });
      try {
        const l = await this.spawn(id, 'fresh', family);
        if (family === 'tpm12') await this.initTpm12(id, kind, l);
        else await this.initTpm2(id, kind, akKind, l);
      } catch (e) {
        const l = this.live.get(id);
        this.live.delete(id);
        l?.proc.kill();
        await l?.proc.exited;
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      return this.get(id);
    });
  }

  private certifyingCa(kind: VtpmKind): VtpmCa {
    return kind === 'host' ? this.platformCa : this.vtpmCa;
  }

  private tpmName(id: string): string {
    return `${this.opts.hostName ?? hostname()}/${id}`;
  }

  /** A new TPM 2.0: EK and AK are primaries, so only their public areas are kept; the EK certificate also goes to its NV index. */
  private async initTpm2(id: string, kind: VtpmKind, akKind: AkKind, l: Live): Promise<void> {
    const tpm = l.proc.tpm;
    const ek = await tpm.createPrimary(TPM_RH.ENDORSEMENT, ekTemplateRsa());
    await tpm.flushContext(ek.handle);
    const ak = await tpm.createPrimary(TPM_RH.ENDORSEMENT, akTemplate(akKind));
    await tpm.flushContext(ak.handle);
    const certPem = this.certifyingCa(kind).issueEkCertificate(publicKeyOf(ek.public), this.tpmName(id));
    const der = new X509Certificate(certPem).raw;
    await tpm.nvDefineSpace(TPM_RH.OWNER, EK_CERT_NV_INDEX_RSA, der.length, TPMA_NV.OWNERWRITE | TPMA_NV.OWNERREAD | TPMA_NV.AUTHREAD | TPMA_NV.PPREAD | TPMA_NV.NO_DA);
    await tpm.nvWrite(TPM_RH.OWNER, EK_CERT_NV_INDEX_RSA, der);
    await this.stopProcess(id, false);
    this.db
      .prepare('INSERT INTO vtpm (id, kind, ak_kind, desired, ek_public, ek_cert, ak_public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, kind, akKind, 'stopped', ek.publicArea, certPem, ak.publicArea, new Date().toISOString());
  }

  /**
   * A new TPM 1.2, set up as a platform and its owner would: physical presence enables and
   * activates it, it creates its EK, tvdc takes ownership (random owner auth, the well-known SRK
   * auth so the guest's TCG software can use the SRK) and wraps a non-migratable signing key
   * under the SRK with a random usage auth. The CA certifies the EK and that key.
   */
  private async initTpm12(id: string, kind: VtpmKind, l: Live): Promise<void> {
    const tpm = l.proc.tpm12;
    await tpm.enableAndActivate();
    // PhysicalSetDeactivated takes effect at the next TPM_Startup: power-cycle the TPM.
    await l.proc.control.init();
    await tpm.startup('clear');
    const ek = await tpm.createEndorsementKeyPair();
    const ownerAuth = randomBytes(20);
    await tpm.takeOwnership(ek, ownerAuth, WELL_KNOWN_SECRET);
    const keyAuth = randomBytes(20);
    const key = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(), keyAuth);
    const ca = this.certifyingCa(kind);
    const certPem = ca.issueEkCertificate(tpm12PublicKey(ek), this.tpmName(id));
    await storeTpm12EkCertificate(tpm, ownerAuth, certPem);
    const reading = await Tpm12KeyReading.read(tpm, key, keyAuth, ownerAuth);
    if (!marshalPubKey(reading.ek).equals(marshalPubKey(ek))) throw new TvdcError('VTPM_FAILED', `vTPM ${id} reports another EK than the one it created`);
    const akCertificatePem = ca.issueQuoteKeyCertificate(reading, this.tpmName(id));
    await this.stopProcess(id, false);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO vtpm (id, kind, family, ak_kind, desired, ek_public, ek_cert, ak_public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, kind, 'tpm12', 'rsa', 'stopped', marshalPubKey(ek), certPem, marshalPubKey(key), new Date().toISOString());
      this.putTpm12Secrets(id, { ownerAuth, keyAuth, keyBlob: marshalKey(key), akCertificatePem });
    })();
  }

  /** Powers the vTPM on: a fresh TPM boot (PCRs reset) and an empty measurement list. */
  async start(id: string): Promise<VtpmInfo> {
    this.checkOpen();
    return this.withLock(id, async () => {
      const r = this.row(id);
      if (this.live.has(id)) throw new TvdcError('INVALID_STATE', `vTPM ${id} is already running`);
      this.db.transaction(() => {
        this.log.clear(id);
        this.db.prepare("UPDATE vtpm SET desired = 'running' WHERE id = ?").run(id);
      })();
      let l: Live;
      try {
        l = await this.spawn(id, 'fresh', r.family);
      } catch (e) {
        this.db.prepare("UPDATE vtpm SET desired = 'stopped' WHERE id = ?").run(id);
        throw e;
      }
      // Stored at once, so a crash before the first measurement still finds the PCRs to resume
      // (recover() leaves a vTPM without them off).
      await l.proc.control.storeVolatile();
      await this.upgradeTpm12(id, l);
      return this.get(id);
    });
  }

  /** Powers the vTPM off (TPM2_Shutdown, process ends); its permanent state stays. */
  async stop(id: string): Promise<VtpmInfo> {
    return this.withLock(id, async () => {
      this.row(id);
      await this.stopProcess(id, false);
      this.db.prepare("UPDATE vtpm SET desired = 'stopped' WHERE id = ?").run(id);
      return this.get(id);
    });
  }

  /** Deletes the vTPM: process ended, record and log removed, state wiped. */
  async delete(id: string): Promise<void> {
    await this.withLock(id, async () => {
      this.row(id);
      const l = this.live.get(id);
      this.live.delete(id);
      l?.proc.kill();
      await l?.proc.exited;
      this.db.prepare('DELETE FROM vtpm WHERE id = ?').run(id);
      rmSync(this.dirOf(id), { recursive: true, force: true });
    });
  }

  private running(id: string): Live {
    const l = this.live.get(id);
    if (!l?.proc.running) throw new TvdcError('INVALID_STATE', `vTPM ${id} is not running`);
    return l;
  }

  /** The TPM 2.0 client of a running vTPM. Callers outside withLock must not interleave with measurements. */
  client(id: string): Tpm {
    const l = this.running(id);
    if (l.family !== 'tpm2') throw new TvdcError('INVALID_STATE', `vTPM ${id} is a TPM 1.2, not a TPM 2.0`);
    return l.proc.tpm;
  }

  /** The TPM 1.2 client of a running TPM 1.2 vTPM. */
  client12(id: string): Tpm12 {
    const l = this.running(id);
    if (l.family !== 'tpm12') throw new TvdcError('INVALID_STATE', `vTPM ${id} is a TPM 2.0, not a TPM 1.2`);
    return l.proc.tpm12;
  }

  /** The PCRs of a running vTPM, whatever its family. */
  pcrs(id: string): VtpmPcrs {
    return pcrsOf(this.running(id));
  }

  /**
   * TPM_Quote with a TPM 1.2 vTPM's quote key: loads the wrapped key under the SRK and quotes
   * in one OIAP session (nonces rolled between the two commands), then unloads the key. Run it
   * under withLock so the quote and the log agree.
   */
  async tpm12Quote(id: string, externalData: Buffer, pcrs: readonly number[]): Promise<Tpm12Quote> {
    const tpm = this.client12(id);
    await this.upgradeTpm12(id, this.running(id));
    const secrets = this.tpm12Secrets(id);
    const session = await tpm.oiap();
    const handle = await tpm.loadKey2(TPM12_KH.SRK, parseKey(secrets.keyBlob), { session, entityAuth: WELL_KNOWN_SECRET, continueSession: true });
    try {
      return await tpm.quote(handle, externalData, pcrs, { session, entityAuth: secrets.keyAuth });
    } finally {
      await tpm.flushSpecific(handle, TPM12_RT.KEY).catch(() => undefined);
      if (session.open) await tpm.flushSpecific(session.handle, TPM12_RT.AUTH).catch(() => undefined);
    }
  }

  private report(line: string): void {
    (this.opts.log ?? reportToStderr)(line);
  }

  /**
   * Gives a running TPM 1.2 vTPM made by an earlier tvdc what new ones get: its EK certificate in
   * NV, and a quote key challengers trust. Once per power-on; never throws (see both steps).
   */
  private async upgradeTpm12(id: string, l: Live): Promise<void> {
    if (l.family !== 'tpm12' || l.upgraded || !l.proc.running) return;
    l.upgraded = true;
    try {
      await this.ensureEkCertificateInNv(id, l);
      await this.ensureQuoteKey(id, l);
    } catch (e) {
      // A record that cannot be read (the steps catch the TPM's failures): the vTPM runs as it is.
      this.report(`vTPM ${id}: could not check its EK certificate and quote key: ${(e as Error).message}`);
    }
  }

  /**
   * Writes the EK certificate to NV (TPM_NV_INDEX_EKCert) when the vTPM has none there, as vTPMs
   * made before tvdc stored it do not; this also locks NV, as on a new one. Failures are reported.
   */
  private async ensureEkCertificateInNv(id: string, l: Live): Promise<void> {
    const tpm = l.proc.tpm12;
    try {
      await tpm.nvReadValue(TPM12_NV_INDEX.EK_CERT, 0, 1);
      return;
    } catch (e) {
      if (!(e instanceof Tpm12Error && e.rcName === 'TPM_BADINDEX')) {
        this.report(`vTPM ${id}: could not read NV index 0x${TPM12_NV_INDEX.EK_CERT.toString(16)} for its EK certificate: ${(e as Error).message}`);
        return;
      }
    }
    try {
      await storeTpm12EkCertificate(tpm, this.tpm12Secrets(id).ownerAuth, this.row(id).ek_cert);
      this.report(`vTPM ${id}: EK certificate written to NV index 0x${TPM12_NV_INDEX.EK_CERT.toString(16)} (TPM_NV_INDEX_EKCert), where TCG software looks for it; NV is now locked`);
    } catch (e) {
      this.report(`vTPM ${id}: could not write its EK certificate to NV: ${(e as Error).message}; tried again when it next starts`);
    }
  }

  /**
   * Brings a running TPM 1.2 vTPM's quote key to what challengers trust: a key of scheme
   * TPM_SS_RSASSAPKCS1v15_INFO whose certificate states that scheme. A vTPM made before tvdc used
   * that scheme holds a _SHA1 key, with which TPM_Sign forges quotes: a new _INFO key is made in
   * the vTPM (the host holds the SRK auth) and certified from what the vTPM reports. An _INFO key
   * whose certificate predates the scheme statement is certified again. Nothing is written until
   * the new key, its auth and certificate are stored together in one transaction, so a crash or
   * failure before leaves the old key, still usable, and the next power-on tries again. Runs
   * under the vTPM's lock (by upgradeTpm12); failures are reported, never thrown: the vTPM works
   * on with its old key.
   */
  private async ensureQuoteKey(id: string, l: Live): Promise<void> {
    const old = this.tpm12Secrets(id);
    const oldKey = parseKey(old.keyBlob);
    const renew = oldKey.parms.sigScheme !== TPM12_SS.RSASSAPKCS1v15_INFO;
    if (!renew && statesInfoScheme(old.akCertificatePem)) return;
    const oldScheme = tpm12SigSchemeName(oldKey.parms.sigScheme);
    const r = this.row(id);
    const ca = this.certifyingCa(r.kind);
    const ekCert = new X509Certificate(r.ek_cert);
    if (!ekCert.checkIssued(ca.certificate) || !ekCert.verify(ca.certificate.publicKey)) {
      // Challengers take a quote key certificate only from the CA of the EK's: a vTPM that came
      // from another host can be renewed only by the host whose CA certified its EK.
      this.report(`vTPM ${id}: its quote key (${oldScheme}) needs ${renew ? 'replacing' : 'certifying again'}, but its EK certificate comes from another host's vTPM CA ("${ekCert.issuer.replace(/\n/g, ', ')}"), and challengers take the quote key certificate only from that CA: migrate the vTPM to that host and start it there, or delete and re-create it`);
      return;
    }
    try {
      const tpm = l.proc.tpm12;
      let key = oldKey;
      let keyAuth = old.keyAuth;
      if (renew) {
        keyAuth = randomBytes(20);
        key = await tpm.createWrapKey(TPM12_KH.SRK, WELL_KNOWN_SECRET, signingKeyTemplate(), keyAuth);
      }
      const reading = await Tpm12KeyReading.read(tpm, key, keyAuth, old.ownerAuth);
      if (!marshalPubKey(reading.ek).equals(r.ek_public)) throw new TvdcError('VTPM_FAILED', 'the vTPM reports another EK than the one recorded');
      const akCertificatePem = ca.issueQuoteKeyCertificate(reading, this.tpmName(id));
      this.db.transaction(() => {
        this.db.prepare('UPDATE vtpm SET ak_public = ? WHERE id = ?').run(marshalPubKey(key), id);
        this.db.prepare('UPDATE vtpm_tpm12 SET key_auth = ?, key_blob = ?, ak_cert = ? WHERE vtpm_id = ?').run(keyAuth, marshalKey(key), akCertificatePem, id);
      })();
      this.report(renew
        ? `vTPM ${id}: quote key ${keyFingerprint(oldKey)} of scheme ${oldScheme} (TPM_Sign can forge quotes with it) replaced by a new TPM_SS_RSASSAPKCS1v15_INFO key ${keyFingerprint(key)}, certified by the vTPM CA; challengers take the new key from its certificate`
        : `vTPM ${id}: quote key ${keyFingerprint(key)} (TPM_SS_RSASSAPKCS1v15_INFO) certified again, now stating its scheme, as challengers require`);
    } catch (e) {
      this.report(`vTPM ${id}: could not ${renew ? `replace its ${oldScheme} quote key` : 'certify its quote key again'}: ${(e as Error).message}; it keeps its old key, which challengers refuse, and this is tried again when it next starts`);
    }
  }

  /** Records the TPM's current volatile state (PCRs) on disk so a crash does not lose it. */
  async persistVolatile(id: string): Promise<void> {
    const l = this.live.get(id);
    if (l?.proc.running) await l.proc.control.storeVolatile();
  }

  /** The handle of the vTPM's AK (a primary key, so the same key every time it is created). */
  async akHandle(id: string): Promise<number> {
    const l = this.running(id);
    if (l.family !== 'tpm2') throw new TvdcError('INVALID_STATE', `vTPM ${id} is a TPM 1.2: it quotes with its wrapped quote key, not a TPM 2.0 AK`);
    if (l.akHandle === undefined) {
      const r = this.row(id);
      const ak = await l.proc.tpm.createPrimary(TPM_RH.ENDORSEMENT, akTemplate(r.ak_kind));
      if (!ak.publicArea.equals(r.ak_public)) {
        await l.proc.tpm.flushContext(ak.handle);
        throw new TvdcError('VTPM_FAILED', `vTPM ${id} produced a different AK than the one recorded: its state was replaced`);
      }
      l.akHandle = ak.handle;
    }
    return l.akHandle;
  }

  /** Reads the EK certificate back from the TPM's NV index (DER -> PEM; a TPM 1.2's from its TCG_PCCLIENT_STORED_CERT). */
  async readEkCertificateFromNv(id: string): Promise<string> {
    if (this.running(id).family === 'tpm12') return readTpm12EkCertificate(this.client12(id));
    const tpm = this.client(id);
    const pub = await tpm.nvReadPublic(EK_CERT_NV_INDEX_RSA);
    const der = await tpm.nvRead(TPM_RH.OWNER, EK_CERT_NV_INDEX_RSA, pub.size);
    return new X509Certificate(der).toString();
  }

  /**
   * Exports the state for migration, sealed to each address in turn (one package each, with its
   * own package id and export counter). A running vTPM hands over its volatile state too (PCRs
   * survive the move) and is stopped here; the caller deletes it once the import succeeded.
   */
  async exportState(id: string, to: readonly PackageAddress[]): Promise<Buffer[]> {
    if (to.length === 0) throw new TvdcError('INVALID_ARGUMENT', 'a vTPM export needs the migration key of the host it is for');
    const key = this.migrationKey;
    return this.withLock(id, async () => {
      const r = this.row(id);
      const wasRunning = this.live.has(id);
      const l = this.live.get(id) ?? (await this.spawn(id, 'fresh', r.family));
      const permanent = await l.proc.control.getStateBlob(BLOB.PERMANENT);
      const volatile = wasRunning ? await l.proc.control.getStateBlob(BLOB.VOLATILE) : undefined;
      this.live.delete(id);
      await l.proc.shutdown();
      rmSync(join(this.dirOf(id), stateFiles(r.family).volatile), { force: true });
      this.db.prepare("UPDATE vtpm SET desired = 'stopped' WHERE id = ?").run(id);
      const pkg: VtpmStatePackage = {
        id: r.id,
        kind: r.kind,
        family: r.family,
        akKind: r.ak_kind,
        ekCertificatePem: r.ek_cert,
        ekPublic: r.ek_public,
        akPublic: r.ak_public,
        permanent,
        log: wasRunning ? this.log.entries(id) : [],
      };
      if (volatile) pkg.volatile = volatile;
      if (r.family === 'tpm12') pkg.tpm12 = this.tpm12Secrets(id);
      const plaintext = VtpmState.encode(pkg);
      try {
        return to.map((a) => {
          const packageId = randomUUID();
          const counter = Number(this.db
            .prepare('INSERT INTO vtpm_exported_package (package_id, vtpm_id, recipient, purpose, exported_at) VALUES (?, ?, ?, ?, ?)')
            .run(packageId, id, a.recipient.fingerprint, a.purpose, new Date().toISOString()).lastInsertRowid);
          return SealedVtpmPackage.seal({ plaintext, vm: id, purpose: a.purpose, counter, packageId, source: key, recipient: a.recipient });
        });
      } finally {
        // The TPM's secrets leave this process only sealed; do not leave them lying in the heap.
        plaintext.fill(0);
      }
    });
  }

  /**
   * Imports a sealed package as the vTPM `id` of this host. It must be sealed to this host's
   * migration key, signed by `source`, made for VM `id` with the given purpose, and never imported
   * here before (nor older than one from the same source for `id`); its id is recorded in the
   * same transaction that creates the vTPM. A package with volatile state resumes running with
   * the same PCRs; otherwise the vTPM is stopped.
   */
  async importState(data: Buffer, source: MigrationPublicKey, id: string, purpose: PackagePurpose = 'migrate'): Promise<VtpmInfo> {
    this.checkOpen();
    if (!VM_NAME.test(id)) throw new TvdcError('INVALID_ARGUMENT', `vTPM id "${id}" is not valid`);
    const opened = SealedVtpmPackage.open(data, { recipient: this.migrationKey, source, vm: id, purpose });
    try {
      const pkg = VtpmState.decode(opened.plaintext);
      if (pkg.id !== id) throw new VtpmPackageError('WRONG_VM', `the sealed state is the vTPM of '${pkg.id}', not of '${id}'`);
      return await this.withLock(id, () => this.importLocked(pkg, opened.info, id));
    } finally {
      opened.plaintext.fill(0);
    }
  }

  /**
   * True for the take-back copy this host sealed to itself in its newest export of `id`, when no
   * state of that vTPM came in here since: then nothing newer of it exists that this host knows
   * of, so the copy cannot roll it back, however old it is (a source that restarted after a crash
   * mid-migration may restore it hours later). A later import (the VM came back by another
   * migration) means the vTPM lived on elsewhere after this copy was taken: the copy is stale.
   */
  private isOwnLatestReturn(info: SealedPackageInfo, id: string): boolean {
    if (info.purpose !== 'return' || info.source !== this.migrationKey.fingerprint || info.recipient !== this.migrationKey.fingerprint) return false;
    const newest = this.db.prepare('SELECT package_id, exported_at FROM vtpm_exported_package WHERE vtpm_id = ? ORDER BY counter DESC LIMIT 1').get(id) as { package_id: string; exported_at: string } | undefined;
    if (newest?.package_id !== info.packageId) return false;
    // Both times are this host's own clock (ISO 8601 UTC, so they compare as text); an import
    // in the same millisecond counts as later, the side that refuses.
    const importedSince = this.db.prepare('SELECT 1 FROM vtpm_imported_package WHERE vtpm_id = ? AND imported_at >= ? LIMIT 1').get(id, newest.exported_at);
    return importedSince === undefined;
  }

  /** Refuses a package past its lifetime (or dated ahead), imported here before, or older than one that was. */
  private refuseUnfresh(info: SealedPackageInfo, id: string): void {
    const exported = Date.parse(info.exportedAt);
    const age = Date.now() - exported;
    const lifetime = this.opts.packageLifetimeMs ?? PACKAGE_LIFETIME_MS;
    if (Number.isNaN(exported)) throw new VtpmPackageError('MALFORMED', `the export time "${info.exportedAt}" is not a date`);
    if (age > lifetime && !this.isOwnLatestReturn(info, id)) {
      throw new VtpmPackageError('EXPIRED', `package ${info.packageId} was exported at ${info.exportedAt}, ${Math.round(age / 1000)} s ago; packages are accepted for ${Math.round(lifetime / 1000)} s after export: export the vTPM again`);
    }
    if (-age > CLOCK_SKEW_MS) {
      throw new VtpmPackageError('EXPIRED', `package ${info.packageId} is dated ${info.exportedAt}, ${Math.round(-age / 1000)} s ahead of this host's clock: the hosts' clocks disagree`);
    }
    const seen = this.db.prepare('SELECT imported_at FROM vtpm_imported_package WHERE package_id = ?').get(info.packageId) as { imported_at: string } | undefined;
    if (seen) throw new VtpmPackageError('REPLAYED', `package ${info.packageId} was already imported here at ${seen.imported_at}`);
    const newest = this.db.prepare('SELECT MAX(counter) AS counter FROM vtpm_imported_package WHERE source = ? AND vtpm_id = ?').get(info.source, id) as { counter: number | null };
    if (newest.counter !== null && info.counter <= newest.counter) {
      throw new VtpmPackageError('STALE', `package ${info.packageId} (export ${info.counter} of its source) is older than export ${newest.counter}, already imported here for '${id}': it would roll the vTPM back`);
    }
  }

  private async importLocked(pkg: VtpmStatePackage, info: SealedPackageInfo, id: string): Promise<VtpmInfo> {
    this.refuseUnfresh(info, id);
    if (this.db.prepare('SELECT 1 FROM vtpm WHERE id = ?').get(id)) throw new TvdcError('ALREADY_EXISTS', `vTPM ${id} exists`);
    const dir = this.dirOf(id);
    rmSync(dir, { recursive: true, force: true });
    try {
      const l = await this.spawn(id, 'blank', pkg.family);
      await l.proc.control.setStateBlob(BLOB.PERMANENT, pkg.permanent);
      if (pkg.volatile) await l.proc.control.setStateBlob(BLOB.VOLATILE, pkg.volatile);
      await l.proc.control.init();
      // The state must really be the TPM the package names: same EK, same AK.
      if (pkg.family === 'tpm12') {
        if (!pkg.tpm12) throw new TvdcError('INVALID_ARGUMENT', 'a TPM 1.2 vTPM package carries no quote key');
        if (!pkg.volatile) await l.proc.tpm12.startup('clear');
        // Only the owner reads an owned TPM 1.2's EK: this also proves the owner auth is the TPM's.
        const ek = await l.proc.tpm12.ownerReadInternalPub(TPM12_KH.EK, pkg.tpm12.ownerAuth);
        if (!marshalPubKey(ek).equals(pkg.ekPublic)) throw new TvdcError('INVALID_ARGUMENT', 'imported TPM state does not hold the EK the package names');
        if (!marshalPubKey(parseKey(pkg.tpm12.keyBlob)).equals(pkg.akPublic)) throw new TvdcError('INVALID_ARGUMENT', 'the quote key in the package is not the one it names');
      } else {
        if (!pkg.volatile) await l.proc.tpm.startup('clear');
        const ek = await l.proc.tpm.createPrimary(TPM_RH.ENDORSEMENT, ekTemplateRsa());
        await l.proc.tpm.flushContext(ek.handle);
        if (!ek.publicArea.equals(pkg.ekPublic)) throw new TvdcError('INVALID_ARGUMENT', 'imported TPM state does not hold the EK the package names');
      }
      // The TPM holds the EK the package names (checked above), so the package's EK is the TPM's.
      const certKey = new X509Certificate(pkg.ekCertificatePem).publicKey.export({ type: 'spki', format: 'der' });
      if (!ekPublicKeyOf(pkg).export({ type: 'spki', format: 'der' }).equals(certKey)) {
        throw new TvdcError('INVALID_ARGUMENT', 'EK certificate in the package does not certify its EK');
      }
      this.db.transaction(() => {
        // Checked again inside the transaction: the record and the vTPM stand or fall together.
        this.refuseUnfresh(info, id);
        this.db
          .prepare('INSERT INTO vtpm (id, kind, family, ak_kind, desired, ek_public, ek_cert, ak_public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(id, pkg.kind, pkg.family, pkg.akKind, pkg.volatile ? 'running' : 'stopped', pkg.ekPublic, pkg.ekCertificatePem, pkg.akPublic, new Date().toISOString());
        if (pkg.tpm12) this.putTpm12Secrets(id, pkg.tpm12);
        if (pkg.volatile) this.log.append(id, pkg.log);
        this.db
          .prepare('INSERT INTO vtpm_imported_package (package_id, vtpm_id, source, counter, exported_at, imported_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(info.packageId, id, info.source, info.counter, info.exportedAt, new Date().toISOString());
      })();
      if (pkg.volatile) await l.proc.control.storeVolatile();
      else await this.stopProcess(id, false);
    } catch (e) {
      const l = this.live.get(id);
      this.live.delete(id);
      l?.proc.kill();
      await l?.proc.exited;
      // Only the vTPM row: a package id recorded by a committed import stays recorded.
      this.db.prepare('DELETE FROM vtpm WHERE id = ?').run(id);
      rmSync(dir, { recursive: true, force: true });
      if (e instanceof TvdcError) throw e;
      throw new TvdcError('VTPM_FAILED', `import of vTPM ${id} failed: ${(e as Error).message}`);
    }
    // A vTPM from a host that made _SHA1 quote keys is renewed here, once it is safely imported.
    const arrived = this.live.get(id);
    if (arrived) await this.upgradeTpm12(id, arrived);
    return this.get(id);
  }

  /**
   * Brings the host's vTPMs back after an agent restart: kills swtpm processes of ours that no
   * live manager owns, removes state dirs of unfinished creates, and resumes every vTPM that
   * should run, but only with its PCRs and measurement list exactly as they were. One that cannot
   * (volatile state missing or damaged, or a list that does not replay to its PCR 10) is left
   * off and named in `notResumed`, never booted fresh: its owner decides, as only it knows
   * whether a guest still runs on that TPM (a blank TPM under it would wipe what it ran).
   */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { killed: [], restarted: [], notResumed: [], removedDirs: [], failed: [] };
    const ours = new Set([...this.live.values()].map((l) => l.proc.pid));
    for (const p of findSwtpmProcesses(join(this.root, 'instances'))) {
      if (ours.has(p.pid)) continue;
      await killAndWait(p.pid);
      report.killed.push(p.pid);
    }
    const rows = this.db.prepare('SELECT * FROM vtpm').all() as Omit<Row, 'ak_cert'>[];
    const known = new Set(rows.map((r) => r.id));
    for (const d of readdirSync(join(this.root, 'instances'))) {
      if (!known.has(d)) {
        rmSync(join(this.root, 'instances', d), { recursive: true, force: true });
        report.removedDirs.push(d);
      }
    }
    for (const r of rows) {
      if (r.desired !== 'running' || this.live.has(r.id)) continue;
      try {
        await this.withLock(r.id, async () => {
          const why = await this.resume(r.id, r.family);
          if (why) {
            report.notResumed.push({ id: r.id, reason: why });
            return;
          }
          report.restarted.push({ id: r.id, resumed: true });
          await this.upgradeTpm12(r.id, this.live.get(r.id)!);
        });
      } catch (e) {
        report.failed.push({ id: r.id, error: (e as Error).message });
      }
    }
    return report;
  }

  /**
   * Starts the vTPM on its stored volatile state and checks that its whole measurement list
   * replays to the resumed PCR 10. Returns undefined when it runs so, else why not, with no
   * swtpm of it left running and its state files untouched (the evidence of what happened).
   */
  private async resume(id: string, family: TpmFamily): Promise<string | undefined> {
    if (!existsSync(join(this.dirOf(id), stateFiles(family).volatile))) return 'its stored volatile state, which holds its PCRs, is missing';
    try {
      const l = await this.spawn(id, 'resume', family);
      const mismatch = await this.logMismatch(id, l);
      if (!mismatch) return undefined;
      await this.discard(id);
      return mismatch;
    } catch (e) {
      await this.discard(id);
      return `its stored volatile state could not be resumed: ${(e as Error).message}`;
    }
  }

  /**
   * Why the measurement list does not replay to the vTPM's PCR 10, or undefined when it does.
   * A list longer than the PCRs (a crash between logging and storing the PCRs) is refused as
   * well as a shorter one: an older volatile state put back would otherwise cut from the list
   * whatever ran after it was taken.
   */
  private async logMismatch(id: string, l: Live): Promise<string | undefined> {
    const entries = this.log.entries(id);
    const { bank, values } = await readImaBank(pcrsOf(l), [10]);
    const replay = new ImaReplay(bank);
    for (const e of entries) replay.add(e);
    if (replay.value(10).equals(values.get(10)!)) return undefined;
    return `its measurement list of ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} does not replay to the resumed PCR 10, ${bank} bank`;
  }

  /** Ends the vTPM's swtpm, and any other still naming its state dir (a start that failed half-way), and waits for them. */
  private async discard(id: string): Promise<void> {
    const l = this.live.get(id);
    this.live.delete(id);
    if (l) {
      l.proc.kill();
      // The swtpm child is unref'd: without a handle of our own the event loop could end while
      // waiting for its exit (during open, nothing else may be pending).
      const keep = setInterval(() => undefined, 1000);
      try {
        await l.proc.exited;
      } finally {
        clearInterval(keep);
      }
    }
    for (const p of findSwtpmProcesses(this.dirOf(id))) await killAndWait(p.pid);
  }

  /** The management VM's own TPM (a swtpm standing in for the hardware TPM), created and started once. */
  async ensureHostTpm(id = 'host'): Promise<VtpmInfo> {
    if (!this.db.prepare('SELECT 1 FROM vtpm WHERE id = ?').get(id)) await this.create(id, { kind: 'host' });
    return this.live.has(id) ? this.get(id) : this.start(id);
  }

  /**
   * Ends every swtpm this manager runs, keeping their volatile state and desired state so the
   * next open() resumes them with the same PCRs.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.live.keys()]) await this.withLock(id, () => this.stopProcess(id, true)).catch(() => undefined);
    this.db.close();
  }
}
