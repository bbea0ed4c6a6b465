// Reads Linux IMA measurement lists in both kernel formats: ascii_runtime_measurements
// (one entry a line) and binary_runtime_measurements (little-endian records), detected by content.
import { IntegrityError } from './IntegrityError.js';
import { cString, decodeDigestField, encodeTemplateData, isZeroHex, splitFields, type ImaEntry } from './ImaEntry.js';

export type ImaLogFormat = 'ascii' | 'binary';

export interface ImaLog {
  format: ImaLogFormat;
  entries: ImaEntry[];
}

const HEX = /^[0-9a-fA-F]*$/;

/** Ascii lists start with the PCR number in decimal; binary ones with a small little-endian u32. */
export function detectFormat(buf: Buffer): ImaLogFormat {
  if (buf.length >= 4 && buf[0]! < 32 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0) return 'binary';
  return 'ascii';
}

export function parseImaLog(buf: Buffer, firstIndex = 0): ImaLog {
  const format = detectFormat(buf);
  return { format, entries: format === 'binary' ? parseBinaryLog(buf, firstIndex) : parseAsciiLog(buf.toString('utf8'), firstIndex) };
}

function bad(line: number, msg: string): never {
  throw new IntegrityError('LOG_FORMAT', `IMA log line ${line}: ${msg}`);
}

/** An empty line (or a lone CR): no entry, skipped, though it still counts for line numbers. */
export function isBlankAsciiLine(line: string): boolean {
  return line.length === 0 || (line.length === 1 && line === '\r');
}

/** Parses ascii lines; `firstIndex` is the list position of the first line (for partial lists). */
export function parseAsciiLog(text: string | readonly string[], firstIndex = 0): ImaEntry[] {
  const lines = typeof text === 'string' ? text.split('\n') : text;
  const out: ImaEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlankAsciiLine(line)) continue;
    out.push(parseAsciiLine(line.endsWith('\r') ? line.slice(0, -1) : line, firstIndex + out.length, i + 1));
  }
  return out;
}

/** One ascii entry: `PCR TEMPLATE-HASH TEMPLATE-NAME FIELDS...`. */
export function parseAsciiLine(line: string, index: number, lineNo = index + 1): ImaEntry {
  const s1 = line.indexOf(' ');
  const s2 = line.indexOf(' ', s1 + 1);
  const s3 = line.indexOf(' ', s2 + 1);
  const s4 = line.indexOf(' ', s3 + 1);
  if (s1 <= 0 || s2 < 0 || s3 < 0 || s4 < 0) bad(lineNo, 'expected PCR, template hash, template name and fields');
  const pcr = Number(line.slice(0, s1));
  if (!Number.isInteger(pcr) || pcr < 0 || pcr > 23) bad(lineNo, `PCR "${line.slice(0, s1)}" is not 0-23`);
  const th = line.slice(s1 + 1, s2);
  if ((th.length !== 40 && th.length !== 64) || !HEX.test(th)) bad(lineNo, 'template hash is not 40 or 64 hex digits');
  const templateHash = th.toLowerCase();
  const templateName = line.slice(s2 + 1, s3);
  const digestTok = line.slice(s3 + 1, s4);
  let rest = line.slice(s4 + 1);
  let fileAlg: string;
  let fileDigest: string;
  if (templateName === 'ima') {
    fileAlg = 'sha1';
    fileDigest = digestTok;
    if (fileDigest.length !== 40) bad(lineNo, 'ima template digest is not 40 hex digits');
  } else {
    const c = digestTok.indexOf(':');
    if (c <= 0) bad(lineNo, `file digest "${digestTok}" lacks its algorithm prefix`);
    fileAlg = digestTok.slice(0, c);
    fileDigest = digestTok.slice(c + 1);
  }
  if (fileDigest.length % 2 || !HEX.test(fileDigest)) bad(lineNo, 'file digest is not hex');
  fileDigest = fileDigest.toLowerCase();
  let extra: Buffer | undefined;
  let signature: Buffer | undefined;
  let buffer: Buffer | undefined;
  if (templateName === 'ima-sig' || templateName === 'ima-buf') {
    // The last field is hex (signature or buffer) and may be absent for ima-sig.
    const sp = rest.lastIndexOf(' ');
    const last = sp < 0 ? '' : rest.slice(sp + 1);
    if (sp >= 0 && last.length % 2 === 0 && HEX.test(last)) {
      extra = Buffer.from(last, 'hex');
      rest = rest.slice(0, sp);
    } else if (templateName === 'ima-buf') bad(lineNo, 'ima-buf entry lacks its buffer');
    if (templateName === 'ima-sig') signature = extra;
    else buffer = extra;
  } else if (templateName !== 'ima-ng' && templateName !== 'ima') {
    bad(lineNo, `unsupported template "${templateName}"`);
  }
  const templateData = encodeTemplateData(templateName, fileAlg, fileDigest, rest, extra);
  const entry: ImaEntry = { index, pcr, templateHash, templateName, templateData, fileAlg, fileDigest, path: rest, violation: isZeroHex(templateHash) };
  if (signature && signature.length) entry.signature = signature;
  if (buffer) entry.buffer = buffer;
  return entry;
}

/** Parses binary records; tries SHA-1 template hashes first, then SHA-256 (the *_sha256 lists). */
export function parseBinaryLog(buf: Buffer, firstIndex = 0): ImaEntry[] {
  try {
    return parseBinaryWith(buf, 20, firstIndex);
  } catch (e) {
    try {
      return parseBinaryWith(buf, 32, firstIndex);
    } catch {
      throw e;
    }
  }
}

function parseBinaryWith(buf: Buffer, hashLen: number, firstIndex: number): ImaEntry[] {
  const out: ImaEntry[] = [];
  let off = 0;
  const need = (n: number, what: string) => {
    if (off + n > buf.length) throw new IntegrityError('LOG_FORMAT', `binary IMA log entry ${out.length}: ${what} cut short at byte ${off}`);
  };
  while (off < buf.length) {
    need(4 + hashLen + 4, 'header');
    const pcr = buf.readUInt32LE(off);
    if (pcr > 23) throw new IntegrityError('LOG_FORMAT', `binary IMA log entry ${out.length}: PCR ${pcr} out of range`);
    off += 4;
    const templateHash = buf.toString('hex', off, off + hashLen);
    off += hashLen;
    const nameLen = buf.readUInt32LE(off);
    off += 4;
    if (nameLen === 0 || nameLen > 64) throw new IntegrityError('LOG_FORMAT', `binary IMA log entry ${out.length}: template name length ${nameLen}`);
    need(nameLen, 'template name');
    const templateName = buf.toString('latin1', off, off + nameLen);
    off += nameLen;
    const index = firstIndex + out.length;
    if (templateName === 'ima') {
      need(24, 'ima digest');
      const digest = buf.toString('hex', off, off + 20);
      off += 20;
      const plen = buf.readUInt32LE(off);
      off += 4;
      need(plen, 'file name');
      const path = buf.toString('utf8', off, off + plen);
      off += plen;
      out.push({ index, pcr, templateHash, templateName, templateData: encodeTemplateData('ima', 'sha1', digest, path), fileAlg: 'sha1', fileDigest: digest, path, violation: isZeroHex(templateHash) });
      continue;
    }
    need(4, 'template data length');
    const dlen = buf.readUInt32LE(off);
    off += 4;
    need(dlen, 'template data');
    const templateData = Buffer.from(buf.subarray(off, off + dlen));
    off += dlen;
    const fields = splitFields(templateData);
    if (!fields || fields.length < 2) throw new IntegrityError('LOG_FORMAT', `binary IMA log entry ${index}: template data fields do not add up`);
    const { alg, digest } = decodeDigestField(fields[0]!);
    const entry: ImaEntry = { index, pcr, templateHash, templateName, templateData, fileAlg: alg, fileDigest: digest, path: cString(fields[1]!), violation: isZeroHex(templateHash) };
    if (templateName === 'ima-sig' && fields[2]?.length) entry.signature = Buffer.from(fields[2]);
    if (templateName === 'ima-buf' && fields[2]) entry.buffer = Buffer.from(fields[2]);
    out.push(entry);
  }
  return out;
}

/** The ascii line of an entry, as the kernel prints it (what GetQuote's LogEntries carries). */
export function formatAsciiLine(e: ImaEntry): string {
  const head = `${e.pcr} ${e.templateHash} ${e.templateName}`;
  if (e.templateName === 'ima') return `${head} ${e.fileDigest} ${e.path}`;
  let line = `${head} ${e.fileAlg}:${e.fileDigest} ${e.path}`;
  if (e.templateName === 'ima-sig' && e.signature?.length) line += ` ${e.signature.toString('hex')}`;
  if (e.templateName === 'ima-buf') line += ` ${(e.buffer ?? Buffer.alloc(0)).toString('hex')}`;
  return line;
}

/** The binary record of an entry (binary_runtime_measurements layout). */
export function formatBinaryRecord(e: ImaEntry): Buffer {
  const name = Buffer.from(e.templateName, 'latin1');
  if (e.templateName === 'ima') {
    const path = Buffer.from(e.path);
    const b = Buffer.alloc(4 + e.templateHash.length / 2 + 4 + name.length + 20 + 4 + path.length);
    let off = b.writeUInt32LE(e.pcr, 0);
    off += b.write(e.templateHash, off, 'hex');
    off = b.writeUInt32LE(name.length, off);
    off += name.copy(b, off);
    off += b.write(e.fileDigest, off, 20, 'hex');
    off = b.writeUInt32LE(path.length, off);
    path.copy(b, off);
    return b;
  }
  const b = Buffer.alloc(4 + e.templateHash.length / 2 + 4 + name.length + 4 + e.templateData.length);
  let off = b.writeUInt32LE(e.pcr, 0);
  off += b.write(e.templateHash, off, 'hex');
  off = b.writeUInt32LE(name.length, off);
  off += name.copy(b, off);
  off = b.writeUInt32LE(e.templateData.length, off);
  e.templateData.copy(b, off);
  return b;
}
