// Reads one CIM-XML response body as it arrives: each chunk goes into the streaming decoder and the
// IRETURNVALUE items it completes are handed on at once, so a large enumeration never has to sit in
// memory as text (or as a whole array of objects) before the first object reaches the caller.
import { CimError } from '../../src/cim/CimError.js';
import { createMessageDecoder, CimXmlError } from '../../src/xml/index.js';
import type { CimXmlMessage, IMethodResponse, MessageDecoder, MethodResponse, ReturnItem } from '../../src/xml/index.js';
import { ResponseParseError } from './ClientError.js';
import type { CimHttpResponse } from './HttpTransport.js';

function parseError(e: unknown, operation: string): unknown {
  if (e instanceof CimXmlError) return new ResponseParseError(e.message, operation, { cause: e });
  return e;
}

/** The operation's response out of a decoded message; throws the CimError of an ERROR answer. */
function envelope(msg: CimXmlMessage, operation: string, intrinsic: boolean): IMethodResponse | MethodResponse {
  if (msg.kind !== 'SIMPLERSP') throw new ResponseParseError(`expected a SIMPLERSP message, got ${msg.kind}`, operation);
  const r = msg.response;
  const expected = intrinsic ? 'IMETHODRESPONSE' : 'METHODRESPONSE';
  if (r.kind !== expected) throw new ResponseParseError(`expected ${expected}, got ${r.kind}`, operation);
  if (r.name.toLowerCase() !== operation.toLowerCase()) {
    throw new ResponseParseError(`the response is for ${r.name}, not ${operation}`, operation);
  }
  if (r.error) throw r.error;
  return r;
}

function write(decoder: MessageDecoder, chunk: Buffer, operation: string): void {
  try {
    decoder.write(chunk);
  } catch (e) {
    throw parseError(e, operation);
  }
}

function end(decoder: MessageDecoder, operation: string): CimXmlMessage {
  try {
    return decoder.end();
  } catch (e) {
    throw parseError(e, operation);
  }
}

/**
 * Sends the request (`open`), then yields each IRETURNVALUE item, converted, in document order,
 * and returns the response envelope (its `params` hold the trailing PARAMVALUEs of pull
 * operations). Throws the CimError of an ERROR response, ResponseParseError for a body that is not
 * a complete response to `operation`. Breaking out of the loop early discards the rest of the body.
 * One generator does it all: every extra async layer costs ticks per object.
 */
export async function* readResponseItems<T>(
  open: () => Promise<CimHttpResponse>,
  operation: string,
  intrinsic: boolean,
  convert: (item: ReturnItem) => T,
): AsyncGenerator<T, IMethodResponse | MethodResponse> {
  const res = await open();
  let queue: ReturnItem[] = [];
  const decoder = createMessageDecoder({ onReturnItem: (item) => { queue.push(item); } });
  let received = 0;
  let finished = false;
  try {
    try {
      for await (const chunk of res.stream as AsyncIterable<Buffer>) {
        received += chunk.length;
        res.onChunk?.(chunk);
        write(decoder, chunk, operation);
        if (queue.length > 0) {
          // Swap rather than shift: shifting a long array is quadratic.
          const ready = queue;
          queue = [];
          for (const item of ready) yield convert(item);
        }
      }
    } catch (e) {
      if (e instanceof ResponseParseError || e instanceof CimError) throw e;
      throw res.bodyError(e, received);
    }
    // A failure the server could only report after the body started wins over the broken XML.
    const trailer = res.trailerError();
    if (trailer) throw trailer;
    const msg = end(decoder, operation);
    for (const item of queue) yield convert(item);
    finished = true;
    return envelope(msg, operation, intrinsic);
  } finally {
    res.release();
    if (!finished) await res.dump();
  }
}

/**
 * Reads the whole response and returns it with its items collected: for answers of one object or
 * none, where reading the body in one piece costs less than handling it chunk by chunk.
 */
export async function readResponse(
  res: CimHttpResponse,
  operation: string,
  intrinsic: boolean,
): Promise<{ items: ReturnItem[]; response: IMethodResponse | MethodResponse }> {
  let body: Buffer;
  try {
    body = await res.readAll();
  } catch (e) {
    throw res.bodyError(e);
  } finally {
    res.release();
  }
  res.onChunk?.(body);
  const trailer = res.trailerError();
  if (trailer) throw trailer;
  const items: ReturnItem[] = [];
  const decoder = createMessageDecoder({ onReturnItem: (item) => { items.push(item); } });
  write(decoder, body, operation);
  return { items, response: envelope(end(decoder, operation), operation, intrinsic) };
}
