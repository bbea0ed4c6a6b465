// Seals short secrets (the passwords the management server uses on its hosts) with AES-256-GCM
// under the server's key, so that a copy of the database alone gives none of them away.
//
//   v1:<iv>:<tag>:<ciphertext>     each part base64; iv 12 random bytes per value, tag 16 bytes
//
// The version prefix lets the format change later; `context` is authenticated with the value
// (GCM's additional data), so a sealed value opens only in the place it was sealed for.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([A-Za-z0-9+/=]*):([A-Za-z0-9+/=]*):([A-Za-z0-9+/=]*)$/;

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
  constructor(
    /** NOT_SEALED: not in a format this box reads; UNSEALABLE: the tag does not verify (another key, another context, altered bytes). */
    readonly code: 'NOT_SEALED' | 'UNSEALABLE',
    message: string,
  ) {
    super(message);
  }
}

/** Strict base64: Buffer.from would quietly skip characters that do not belong. */
function base64(text: string): Buffer | null {
  const b = Buffer.from(text, 'base64');
  return b.toString('base64') === text ? b : null;
}

function parse(text: string): { iv: Buffer; tag: Buffer; data: Buffer } | null {
  const m = SEALED.exec(text);
  if (!m) return null;
  const [iv, tag, data] = [base64(m[1]!), base64(m[2]!), base64(m[3]!)];
  if (!iv || !tag || !data || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
  return { iv, tag, data };
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`a SecretBox key has ${SECRET_KEY_BYTES} bytes, not ${key.length}`);
    this.key = Buffer.from(key);
  }

  /** A box whose key lives only in this process (a database in memory has nothing to keep it for). */
  static ephemeral(): SecretBox {
    return new SecretBox(randomBytes(SECRET_KEY_BYTES));
  }

  /** Whether `text` is in a sealed format (otherwise it is plain text stored before sealing). */
  static isSealed(text: string): boolean {
    return parse(text) !== null;
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data.toString('base64')}`;
  }

  /** The plain text sealed for `context`; SecretBoxError when it is not this box's for that context. */
  open(sealed: string, context: string): string {
    const p = parse(sealed);
    if (!p) throw new SecretBoxError('NOT_SEALED', 'the value is not in the v1 sealed format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, p.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(p.tag);
    try {
      return Buffer.concat([decipher.update(p.data), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('UNSEALABLE', 'the value does not decrypt with this key for this place (another key file, or a value copied from elsewhere)');
    }
  }
}
