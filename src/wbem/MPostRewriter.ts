// Lets Node's HTTP parser serve DSP0200 M-POST requests. llhttp knows a fixed list of methods
// and refuses M-POST outright, so connections that open with M-POST run through this Duplex: it
// follows HTTP/1.1 message framing just far enough to find each request line, rewrites
// `M-POST` to `POST` and adds the header `X-Tvdc-Method: M-POST` so the server still applies the
// M-POST rules (Man: header, NN- prefixed headers). Anything it cannot frame is passed through
// untouched and left for the real parser to refuse.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** Header the rewriter adds to a rewritten request; the transport reads it. */
export const MPOST_MARK_HEADER = 'x-tvdc-method';

const MAX_HEAD = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

type State =
  | { kind: 'head'; buf: Buffer }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size'; line: string }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-crlf'; remaining: number }
  | { kind: 'trailers'; buf: Buffer }
  | { kind: 'passthrough' };

/** Rewrites one head (request line + headers + blank line); returns it and the body framing that follows. */
function rewriteHead(head: Buffer): { out: Buffer; next: State } {
  const text = head.toString('latin1');
  const lines = text.split('\r\n');
  let out = text;
  if (lines[0]!.startsWith('M-POST ')) {
    lines[0] = `POST ${lines[0]!.slice(7)}`;
    lines.splice(1, 0, `X-Tvdc-Method: M-POST`);
    out = lines.join('\r\n');
  }
  let length = 0;
  let chunked = false;
  let lengths = 0;
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c < 0) continue;
    const name = l.slice(0, c).trim().toLowerCase();
    const value = l.slice(c + 1).trim();
    if (name === 'content-length') {
      lengths++;
      length = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
    } else if (name === 'transfer-encoding') {
      chunked = value.toLowerCase().split(',').map((s) => s.trim()).includes('chunked');
    }
  }
  let next: State;
  if (chunked) next = { kind: 'chunk-size', line: '' };
  else if (lengths > 1 || Number.isNaN(length)) next = { kind: 'passthrough' };
  else if (length > 0) next = { kind: 'body', remaining: length };
  else next = { kind: 'head', buf: Buffer.alloc(0) };
  return { out: Buffer.from(out, 'latin1'), next };
}

export class MPostRewriter extends Duplex {
  private state: State = { kind: 'head', buf: Buffer.alloc(0) };

  constructor(readonly socket: Socket) {
    super({ allowHalfOpen: false });
    socket.on('data', (d: Buffer) => {
      if (!this.push(this.transform(d))) socket.pause();
    });
    socket.on('end', () => {
      // A request cut short still goes to the parser, which answers it with 400.
      const s = this.state;
      if ((s.kind === 'head' || s.kind === 'trailers') && s.buf.length > 0) this.push(s.buf);
      this.push(null);
    });
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.emit('drain'));
    // node:http arms keep-alive and request timers with setTimeout and listens on this object.
    socket.on('timeout', () => this.emit('timeout'));
  }

  // Properties and methods node:http reaches for on its connection.
  get remoteAddress(): string | undefined { return this.socket.remoteAddress; }
  get remotePort(): number | undefined { return this.socket.remotePort; }
  get localAddress(): string | undefined { return this.socket.localAddress; }
  get localPort(): number | undefined { return this.socket.localPort; }
  get encrypted(): boolean { return (this.socket as unknown as { encrypted?: boolean }).encrypted === true; }
  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms);
    if (cb) this.once('timeout', cb);
    return this;
  }
  setNoDelay(v?: boolean): this { this.socket.setNoDelay(v); return this; }
  setKeepAlive(enable?: boolean, delay?: number): this { this.socket.setKeepAlive(enable, delay); return this; }
  address(): ReturnType<Socket['address']> { return this.socket.address(); }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.socket.destroy(err ?? undefined);
    cb(err);
  }

  /** Feeds one chunk through the framing state machine and returns what the parser should see. */
  private transform(d: Buffer): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    while (i < d.length) {
      const s = this.state;
      switch (s.kind) {
        case 'passthrough':
          out.push(d.subarray(i));
          i = d.length;
          break;
        case 'head': {
          const buf = Buffer.concat([s.buf, d.subarray(i)]);
          // Skip stray CRLFs between messages, as HTTP/1.1 allows.
          let start = 0;
          while (buf.length - start >= 2 && buf[start] === 13 && buf[start + 1] === 10) start++, start++;
          const end = buf.indexOf(CRLF2, start);
          if (end < 0) {
            if (buf.length > MAX_HEAD) { out.push(buf); this.state = { kind: 'passthrough' }; }
            else this.state = { kind: 'head', buf };
            i = d.length;
            break;
          }
          const { out: head, next } = rewriteHead(buf.subarray(start, end + 4));
          out.push(head);
          this.state = next;
          // Continue with the bytes after the head, which came from `d` (and possibly s.buf).
          const rest = buf.subarray(end + 4);
          i = d.length;
          if (rest.length) out.push(this.transform(rest));
          break;
        }
        case 'body': {
          const n = Math.min(s.remaining, d.length - i);
          out.push(d.subarray(i, i + n));
          i += n;
          this.state = s.remaining - n === 0 ? { kind: 'head', buf: Buffer.alloc(0) } : { kind: 'body', remaining: s.remaining - n };
          break;
        }
        case 'chunk-size': {
          const nl = d.indexOf(10, i);
          const part = d.subarray(i, nl < 0 ? d.length : nl + 1);
          out.push(part);
          i += part.length;
          const line = s.line + part.toString('latin1');
          if (nl < 0) {
            this.state = line.length > 1024 ? { kind: 'passthrough' } : { kind: 'chunk-size', line };
            break;
          }
          const size = parseInt(line.split(';')[0]!.trim(), 16);
          if (!Number.isFinite(size) || size < 0) this.state = { kind: 'passthrough' };
          else if (size === 0) this.state = { kind: 'trailers', buf: Buffer.alloc(0) };
          else this.state = { kind: 'chunk-data', remaining: size };
          break;
        }
        case 'chunk-data': {
          const n = Math.min(s.remaining, d.length - i);
          out.push(d.subarray(i, i + n));
          i += n;
          this.state = s.remaining - n === 0 ? { kind: 'chunk-crlf', remaining: 2 } : { kind: 'chunk-data', remaining: s.remaining - n };
          break;
        }
        case 'chunk-crlf': {
          const n = Math.min(s.remaining, d.length - i);
          out.push(d.subarray(i, i + n));
          i += n;
          this.state = s.remaining - n === 0 ? { kind: 'chunk-size', line: '' } : { kind: 'chunk-crlf', remaining: s.remaining - n };
          break;
        }
        case 'trailers': {
          // Trailer section ends with an empty line: either right away (CRLF) or after fields (CRLFCRLF).
          const buf = Buffer.concat([s.buf, d.subarray(i)]);
          let end = -1;
          if (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) end = 2;
          else {
            const k = buf.indexOf(CRLF2);
            if (k >= 0) end = k + 4;
          }
          i = d.length;
          if (end < 0) {
            if (buf.length > MAX_HEAD) { out.push(buf); this.state = { kind: 'passthrough' }; }
            else this.state = { kind: 'trailers', buf };
            break;
          }
          out.push(buf.subarray(0, end));
          this.state = { kind: 'head', buf: Buffer.alloc(0) };
          const rest = buf.subarray(end);
          if (rest.length) out.push(this.transform(rest));
          break;
        }
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }
}
