// Password hashes as tvdc keeps them, in tvdc-host's users files and in the management server's
// users table alike: scrypt with a random salt, written `scrypt$N$r$p$salt$hash` (base64), so a
// hash made by one is accepted by the other. Also the digest in-memory credential maps are keyed by.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LEN = 32;

export interface PasswordHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, len, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new `scrypt$...` hash of `password` with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_LEN);
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * The parts of a `scrypt$...` hash, or null when it is malformed. The cost parameters are bounded
 * so that a hash from a file cannot make one check take minutes or gigabytes.
 */
export function parsePasswordHash(text: string): PasswordHash | null {
  const parts = text.split('$');
  const n = Number(parts[1]);
  const r = Number(parts[2]);
  const p = Number(parts[3]);
  if (parts.length !== 6 || parts[0] !== 'scrypt' || !Number.isInteger(n) || !Number.isInteger(r) || !Number.isInteger(p) ||
      n < 2 || (n & (n - 1)) !== 0 || n > 1 << 20 || r < 1 || r > 64 || p < 1 || p > 16) return null;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return null;
  return { n, r, p, salt, key };
}

/**
 * Whether `password` matches `hash`. Without a hash (an unknown user) it still spends one scrypt
 * and answers false, so timing does not tell which names exist. Constant-time compare.
 */
export async function passwordMatches(password: string, hash: PasswordHash | null): Promise<boolean> {
  const h = hash ?? { n: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, salt: Buffer.alloc(16), key: Buffer.alloc(KEY_LEN) };
  const key = await derive(password, h.salt, h.n, h.r, h.p, h.key.length);
  return hash !== null && timingSafeEqual(key, h.key);
}

/**
 * A digest of a user name and secret, to key a map of credentials (verified passwords, issued
 * one-time secrets) without the map holding the secret; the NUL keeps `a`+`bc` apart from `ab`+`c`.
 */
export function credentialKey(user: string, secret: string): string {
  return createHash('sha256').update(user).update('\0').update(secret).digest('base64');
}
