// The host's long-term vTPM migration key pair: packages leaving this host are signed with it and
// packages coming in are sealed to it. Kept in the host's state directory (private key 0600), made
// on first use and the same key after every restart, so peers can pin its public half.
//
// One RSA-3072 key both signs (RSASSA-PSS, SHA-256) and unwraps (RSA-OAEP, SHA-256): one SPKI PEM is
// what a management server reads and hands to a peer, and any TPM or OpenSSL tool reads it too.
// Using one RSA key for PSS and OAEP together is proven jointly secure (Haber & Pinkas, CCS 2001),
// and it mirrors TPM 2.0 duplication, which wraps the seed for an RSA new parent with OAEP.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TvdcError } from '../TvdcError.js';

export const MIGRATION_KEY_FILE = 'migration-key.pem';
const MODULUS_BITS = 3072;

/** A migration public key as a peer presents it: PEM text, parsed and checked. */
export interface MigrationPublicKey {
  key: KeyObject;
  /** SPKI PEM, normalised. */
  pem: string;
  /** SHA-256 of the SPKI DER, hex: how packages name the keys they were made for and by. */
  fingerprint: string;
}

/** Parses a peer's migration public key (SPKI PEM); anything else is an INVALID_ARGUMENT naming `what`. */
export function parseMigrationPublicKey(pem: string, what: string): MigrationPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new TvdcError('INVALID_ARGUMENT', `${what} is not a PEM public key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new TvdcError('INVALID_ARGUMENT', `${what} must be an RSA key of at least 2048 bits (a host's MigrationPublicKey)`);
  }
  return describe(key);
}

function describe(key: KeyObject): MigrationPublicKey {
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, pem: key.export({ type: 'spki', format: 'pem' }).toString(), fingerprint: createHash('sha256').update(der).digest('hex') };
}

export class MigrationKey {
  readonly publicKey: MigrationPublicKey;

  private constructor(readonly privateKey: KeyObject) {
    this.publicKey = describe(createPublicKey(privateKey));
  }

  get publicKeyPem(): string {
    return this.publicKey.pem;
  }

  get fingerprint(): string {
    return this.publicKey.fingerprint;
  }

  /** Loads the key kept in `dir`, creating it the first time (directory 0700, key file 0600). */
  static openOrCreate(dir: string): MigrationKey {
    const file = join(dir, MIGRATION_KEY_FILE);
    if (!existsSync(file)) create(dir, file);
    // A key someone else can read no longer proves who exported a package: tighten it back.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    try {
      return new MigrationKey(createPrivateKey({ key: readFileSync(file, 'utf8'), format: 'pem' }));
    } catch (e) {
      throw new TvdcError('IO_FAILED', `migration key ${file} cannot be read: ${(e as Error).message}`);
    }
  }
}

/**
 * Writes a new key so that the file, once it exists, is complete and 0600 from its first byte:
 * written under a temporary name, then linked into place, which fails rather than replaces when
 * a concurrent agent got there first (its key then wins and is the one read back).
 */
function create(dir: string, file: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: MODULUS_BITS });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new TvdcError('IO_FAILED', `cannot store the migration key in ${dir}: ${(e as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}
