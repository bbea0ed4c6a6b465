// Big-endian readers and writers for TPM structures (TPM 2.0 Part 1 and 2 wire format).
// Every read checks bounds so a truncated or hostile buffer raises TpmFormatError, never a crash.
import { TvdcError } from '../TvdcError.js';

/** A TPM structure was shorter or otherwise not as the specification says. */
export class TpmFormatError extends TvdcError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class TpmReader {
  offset = 0;
  constructor(readonly buf: Buffer, readonly what = 'TPM structure') {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.buf.length) {
      throw new TpmFormatError(`${this.what} truncated: need ${n} bytes at offset ${this.offset}, ${this.remaining} left`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A TPM2B: a 16-bit size followed by that many bytes. */
  sized(): Buffer {
    return this.bytes(this.u16());
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Asserts nothing is left over: trailing bytes mean the structure is not what it claims. */
  end(): void {
    if (this.remaining !== 0) throw new TpmFormatError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

export class TpmWriter {
  private parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  u8(v: number): this {
    return this.push(Buffer.from([v & 0xff]));
  }

  u16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }

  u32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }

  u64(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(v);
    return this.push(b);
  }

  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }

  /** A TPM2B: 16-bit size then the bytes. */
  sized(b: Uint8Array): this {
    if (b.length > 0xffff) throw new TpmFormatError(`TPM2B of ${b.length} bytes is too large`);
    return this.u16(b.length).bytes(b);
  }

  get length(): number {
    return this.size;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}
