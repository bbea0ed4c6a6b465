// A migration authorization: the management server's signed statement that one VM may leave one
// source host for one destination, whose migration key it read itself. A source host whose caller
// is not its administrator moves a VM only with one (tvdc-host --manager-key names the server whose
// statements count), so a login that may start and stop VMs cannot hand a VM and its vTPM to a
// host of its own choosing.
//
// Wire form: base64url(JSON statement) "." base64url(Ed25519 signature). The signature covers a
// fixed context string followed by the first part, so no other signature of the key (now or later)
// can be passed off as an authorization.
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { TvdcError } from './TvdcError.js';

const CONTEXT = 'tvdc-migration-authorization/1:';
/** How a host without --manager-key begins its refusal of a caller that is not an admin; the management server looks for it. */
export const NO_MANAGER_KEY = 'this host has no --manager-key';
/** What a host whose --manager-key is another server's key says of a statement; the management server looks for it. */
export const NOT_THIS_MANAGER = "is not signed by this host's management server";
/** The longest an authorization may live; the replay record of its id is kept that long at most. */
export const MAX_AUTHORIZATION_SECONDS = 900;
/** How long the management server makes one valid: enough for the call, short enough to be of no use later. */
const AUTHORIZATION_SECONDS = 300;
const MAX_TEXT = 4096;

export interface MigrationAuthorization {
  /** The VM's name. */
  vm: string;
  /** The source host's name (its --name). */
  source: string;
  /** The destination's origin (scheme://host:port), as the source is to reach it. */
  destination: string;
  /**
   * SHA-256 (hex) of the SPKI DER of the destination's TVDc_VTPMManagementService.MigrationPublicKey
   * as the server read it; null when the destination publishes none (--vtpm off): then no vTPM can
   * go there, and a destination that does publish a key is not the one the server meant.
   */
  destinationKey: string | null;
  /** 128 random bits, hex: used once. */
  id: string;
  /** Seconds since the epoch after which it is void. */
  expires: number;
}

/** An Ed25519 public key from PEM text; anything else is an INVALID_ARGUMENT naming `what`. */
export function parseManagerPublicKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new TvdcError('INVALID_ARGUMENT', `${what} is not a PEM public key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new TvdcError('INVALID_ARGUMENT', `${what} is not the Ed25519 key of a tvdc management server (tvdc server manager-key): its type is ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** A new statement for `what`, valid `seconds` from `now` (ms), signed with the server's Ed25519 private key. */
export function signMigrationAuthorization(
  what: Pick<MigrationAuthorization, 'vm' | 'source' | 'destination' | 'destinationKey'>,
  privateKey: KeyObject,
  options: { now?: number; seconds?: number } = {},
): string {
  const now = options.now ?? Date.now();
  const seconds = Math.min(MAX_AUTHORIZATION_SECONDS, options.seconds ?? AUTHORIZATION_SECONDS);
  const statement: MigrationAuthorization = {
    vm: what.vm, source: what.source, destination: what.destination, destinationKey: what.destinationKey,
    id: randomBytes(16).toString('hex'), expires: Math.floor(now / 1000) + seconds,
  };
  const body = Buffer.from(JSON.stringify(statement), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(CONTEXT + body, 'utf8'), privateKey).toString('base64url');
  return `${body}.${signature}`;
}

const denied = (why: string): TvdcError => new TvdcError('ACCESS_DENIED', `MigrationAuthorization ${why}`);

/**
 * The statement `text` carries, once its signature verifies with `managerKey` and it has not
 * expired at `now` (ms). Throws ACCESS_DENIED saying which check failed. What it names (VM,
 * source, destination, key) and whether its id was used are the caller's to compare.
 */
export function verifyMigrationAuthorization(text: string, managerKey: KeyObject, now = Date.now()): MigrationAuthorization {
  if (text.length > MAX_TEXT) throw denied(`is ${text.length} characters long; one is at most ${MAX_TEXT}`);
  const parts = text.trim().split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) throw denied('is not <statement>.<signature> in base64url');
  const [body, signature] = parts as [string, string];
  let good = false;
  try {
    good = verify(null, Buffer.from(CONTEXT + body, 'utf8'), managerKey, Buffer.from(signature, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) throw denied(`${NOT_THIS_MANAGER} (the key of --manager-key)`);
  let s: unknown;
  try {
    s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw denied('is signed but its statement is not JSON');
  }
  const o = s as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || v === '') throw denied(`has no ${k}`);
    return v;
  };
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw denied('is signed but its statement is not an object');
  const key = o['destinationKey'];
  if (key !== null && (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key))) throw denied('has a destinationKey that is neither null nor a SHA-256 fingerprint');
  const expires = o['expires'];
  if (typeof expires !== 'number' || !Number.isSafeInteger(expires)) throw denied('has no expiry');
  const statement: MigrationAuthorization = { vm: str('vm'), source: str('source'), destination: str('destination'), destinationKey: key, id: str('id'), expires };
  if (!/^[0-9a-f]{32}$/.test(statement.id)) throw denied('has an id that is not 128 bits in hex');
  const nowSeconds = Math.floor(now / 1000);
  if (expires <= nowSeconds) throw denied(`expired ${new Date(expires * 1000).toISOString()}; ask the management server for the migration again`);
  if (expires - nowSeconds > MAX_AUTHORIZATION_SECONDS) throw denied(`is valid until ${new Date(expires * 1000).toISOString()}, more than ${MAX_AUTHORIZATION_SECONDS} s ahead; one is valid for a few minutes`);
  return statement;
}

/** An Ed25519 private key from PKCS#8 PEM. */
export function parseManagerPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new TvdcError('INVALID_ARGUMENT', `the manager signing key is not Ed25519: its type is ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}
