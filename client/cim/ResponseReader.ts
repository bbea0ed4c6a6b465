// Reads one CIM-XML response body as it arrives: each chunk goes into the streaming decoder as the
// socket delivers it, and the IRETURNVALUE items it completes are handed on, so a large
// enumeration never has to sit in memory as text (or as a whole array of objects) before the first
// object reaches the caller.
import { CimError } from '../../src/cim/CimError.js';
import { CimXmlError, createMessageDecoder } from '../../src/xml/index.js';
import type { CimXmlMessage, IMethodResponse, MethodResponse, MessageDecoder, ReturnItem } from '../../src/xml/index.js';
import type { ClientError } from './ClientError.js';
import { ResponseParseError } from './ClientError.js';
import type { Exchange, ResponseReceiver } from './HttpTransport.js';

export type CimResponse = IMethodResponse | MethodResponse;

/** Items decoded but not yet taken by a streaming reader before the socket is paused. */
const QUEUE_HIGH_WATER = 256;

function parseError(e: unknown, operation: string): unknown {
  if (e instanceof CimXmlError) return new ResponseParseError(e.message, operation, { cause: e });
  return e;
}

/** The operation's response out of a decoded message; throws the CimError of an ERROR answer. */
function envelope(msg: CimXmlMessage, operation: string, intrinsic: boolean): CimResponse {
  if (msg.kind !== 'SIMPLERSP') throw new ResponseParseError(`expected a SIMPLERSP message, got ${msg.kind}`, operation);
  const r = msg.response;
  const expected = intrinsic ? 'IMETHODRESPONSE' : 'METHODRESPONSE';
  if (r.kind !== expected) throw new ResponseParseError(`expected ${expected}, got ${r.kind}`, operation);
  if (r.name !== operation && r.name.toLowerCase() !== operation.toLowerCase()) {
    throw new ResponseParseError(`the response is for ${r.name}, not ${operation}`, operation);
  }
  if (r.error) throw r.error;
  return r;
}

/**
 * Decodes one answer as the transport hands over its chunks. `items` collects the IRETURNVALUE
 * items; a streaming reader takes them as they come (the socket pauses while it falls behind), a
 * collecting one gets them all with the response.
 */
export class ResponseDecoder implements ResponseReceiver {
  items: ReturnItem[] = [];
  /** Set once: the response envelope, or the error that ended the exchange. */
  response: CimResponse | null = null;
  error: unknown = null;
  exchange: Exchange | null = null;
  /** A streaming reader waiting for items or the end. */
  private wake: (() => void) | null = null;
  /** A collecting reader waiting for the end. */
  private resolve: ((r: CimResponse) => void) | null = null;
  private reject: ((e: unknown) => void) | null = null;
  private paused = false;
  private readonly decoder: MessageDecoder;

  constructor(
    readonly operation: string,
    private readonly intrinsic: boolean,
    private readonly streaming: boolean,
  ) {
    this.decoder = createMessageDecoder({ onReturnItem: this.add.bind(this) });
  }

  private add(item: ReturnItem): void {
    this.items.push(item);
  }

  onBody(chunk: Buffer): boolean {
    if (!this.streaming) {
      this.write(chunk);
      return true;
    }
    const before = this.items.length;
    this.write(chunk);
    if (this.items.length === before) return true;
    this.signal();
    if (this.items.length < QUEUE_HIGH_WATER) return true;
    this.paused = true;
    return false;
  }

  private write(chunk: Buffer): void {
    try {
      this.decoder.write(chunk);
    } catch (e) {
      throw parseError(e, this.operation);
    }
  }

  onEnd(trailer: CimError | null): void {
    // A failure the server could only report after the body started wins over the broken XML.
    if (trailer) {
      this.error = trailer;
    } else {
      try {
        this.response = envelope(this.decoder.end(), this.operation, this.intrinsic);
      } catch (e) {
        this.error = parseError(e, this.operation);
      }
    }
    this.signal();
  }

  onFail(error: ClientError | CimError): void {
    this.error = error;
    this.signal();
  }

  /** A collecting reader: the response once the body is complete, its items in `items`. */
  result(): Promise<CimResponse> {
    if (this.error !== null) return Promise.reject(this.error);
    if (this.response !== null) return Promise.resolve(this.response);
    return new Promise<CimResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /**
   * A streaming reader: the items decoded so far, taken away; waits while there are none and the
   * answer goes on. An empty array means the end: then `response` is set, or this throws `error`.
   */
  async take(): Promise<ReturnItem[]> {
    while (this.error === null && this.items.length === 0 && this.response === null) {
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
    if (this.error !== null) throw this.error;
    const ready = this.items;
    this.items = [];
    if (this.paused) {
      this.paused = false;
      this.exchange!.resume();
    }
    return ready;
  }

  /** A streaming reader that stops early: the rest of the answer is not wanted. */
  cancel(): void {
    if (this.error === null && this.response === null) this.exchange?.cancel();
  }

  private signal(): void {
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
    const resolve = this.resolve;
    if (resolve !== null) {
      const reject = this.reject!;
      this.resolve = null;
      this.reject = null;
      if (this.error !== null) reject(this.error);
      else if (this.response !== null) resolve(this.response);
      else {
        // Items arrived before the end: keep waiting.
        this.resolve = resolve;
        this.reject = reject;
      }
    }
  }
}

/**
 * Yields each IRETURNVALUE item of a streaming answer, converted, in document order, and returns
 * the response envelope (its `params` hold the trailing PARAMVALUEs of pull operations). Throws the
 * CimError of an ERROR response, ResponseParseError for a body that is not a complete response to
 * the operation. Breaking out of the loop early discards the rest of the body.
 * One generator does it all: every extra async layer costs ticks per object.
 */
export async function* readResponseItems<T>(
  start: () => ResponseDecoder,
  convert: (item: ReturnItem) => T,
): AsyncGenerator<T, CimResponse> {
  const d = start();
  try {
    for (;;) {
      const items = await d.take();
      if (items.length === 0) return d.response!;
      for (const item of items) yield convert(item);
    }
  } finally {
    d.cancel();
  }
}
