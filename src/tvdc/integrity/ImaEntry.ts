// One IMA measurement-list entry and the template-data encodings of the templates tvdc reads
// (ima, ima-ng, ima-sig, ima-buf): the bytes its template hash is computed over.

export type ImaTemplateName = 'ima' | 'ima-ng' | 'ima-sig' | 'ima-buf' | (string & {});

export interface ImaEntry {
  /** Position in the measurement list, 0-based. */
  index: number;
  pcr: number;
  /** The template hash as logged, lowercase hex (SHA-1 in the classic lists; SHA-256 in *_sha256 lists). */
  templateHash: string;
  templateName: ImaTemplateName;
  /** The template data the template hash covers. */
  templateData: Buffer;
  /** File (or buffer) digest algorithm: 'sha1', 'sha256', ... */
  fileAlg: string;
  /** File digest as lowercase hex. */
  fileDigest: string;
  /** File path, or the buffer name for ima-buf. */
  path: string;
  signature?: Buffer;
  buffer?: Buffer;
  /** A violation: IMA logged a zeroed template hash and extended all 0xFF instead. */
  violation: boolean;
}

/** The classic `ima` template hashes the file name zero-padded to this length. */
const IMA_NAME_FIELD = 256;

const ZERO_HEX = /^0+$/;

// Hex digit values by character code, -1 for any other character: the hot paths decode hex
// digests in place, without a string or a native call per field.
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[65 + i] = HEX_VALUE[97 + i] = 10 + i;

/** The value of hex digit `code` (a char code, NaN past the end of a string), or -1. */
export function hexDigit(code: number): number {
  return code < 256 ? HEX_VALUE[code]! : -1;
}

/** True for an all-zero hex digest: how IMA logs a violation's template hash. */
export function isZeroHex(hex: string): boolean {
  return hex.charCodeAt(0) === 48 && ZERO_HEX.test(hex);
}

/** ima-ng's d-ng field: "<alg>:\0" followed by the raw digest. */
function digestField(alg: string, digestHex: string): { len: number; write(buf: Buffer, off: number): number } {
  const alen = alg.length + 2;
  const dlen = digestHex.length >>> 1;
  return {
    len: alen + dlen,
    write(buf, off) {
      off += buf.write(alg, off, 'latin1');
      buf[off++] = 0x3a; // ':'
      buf[off++] = 0;
      return off + buf.write(digestHex, off, dlen, 'hex');
    },
  };
}

/** Template data of an ima-ng / ima-sig / ima-buf entry from its fields (u32 little-endian lengths). */
export function encodeTemplateData(
  template: ImaTemplateName,
  fileAlg: string,
  fileDigestHex: string,
  path: string,
  extra?: Buffer,
): Buffer {
  if (template === 'ima') {
    const buf = Buffer.alloc(20 + IMA_NAME_FIELD);
    buf.write(fileDigestHex, 0, 20, 'hex');
    buf.write(path, 20, IMA_NAME_FIELD - 1, 'utf8');
    return buf;
  }
  const d = digestField(fileAlg, fileDigestHex);
  const plen = Buffer.byteLength(path) + 1;
  const hasExtra = template === 'ima-sig' || template === 'ima-buf';
  const elen = hasExtra ? 4 + (extra?.length ?? 0) : 0;
  const buf = Buffer.allocUnsafe(4 + d.len + 4 + plen + elen);
  let off = buf.writeUInt32LE(d.len, 0);
  off = d.write(buf, off);
  off = buf.writeUInt32LE(plen, off);
  off += buf.write(path, off, 'utf8');
  buf[off++] = 0;
  if (hasExtra) {
    off = buf.writeUInt32LE(extra?.length ?? 0, off);
    if (extra) extra.copy(buf, off);
  }
  return buf;
}

/** Splits template data into its length-prefixed fields (every template but `ima`). */
export function splitFields(data: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let off = 0;
  while (off < data.length) {
    if (off + 4 > data.length) return undefined;
    const len = data.readUInt32LE(off);
    off += 4;
    if (off + len > data.length) return undefined;
    out.push(data.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** Decodes a d-ng field ("alg:\0" + digest) or a bare SHA-1 / MD5 digest from old kernels. */
export function decodeDigestField(field: Buffer): { alg: string; digest: string } {
  const colon = field.indexOf(0x3a);
  if (colon > 0 && colon + 1 < field.length && field[colon + 1] === 0) {
    return { alg: field.toString('latin1', 0, colon), digest: field.toString('hex', colon + 2) };
  }
  return { alg: field.length === 16 ? 'md5' : 'sha1', digest: field.toString('hex') };
}

export function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? field.length : end);
}
