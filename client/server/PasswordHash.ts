// Password hashes of the central users table: scrypt with a random salt, written as
// `scrypt$N$r$p$salt$hash` (base64), the same form as tvdc-host's users files.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, len, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEY_LEN);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `hash`; false for a malformed hash. Constant-time compare. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  const n = Number(parts[1]);
  const r = Number(parts[2]);
  const p = Number(parts[3]);
  if (parts.length !== 6 || parts[0] !== 'scrypt' || !Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0 || n > 1 << 20 ||
      !Number.isInteger(r) || r < 1 || r > 64 || !Number.isInteger(p) || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return false;
  return timingSafeEqual(await derive(password, salt, n, r, p, key.length), key);
}

/** Spends one scrypt so an unknown user name costs what a known one does. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await derive(password, Buffer.alloc(16), N, R, P, KEY_LEN);
}
