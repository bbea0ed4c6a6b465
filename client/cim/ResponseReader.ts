// Reads one CIM-XML response body as it arrives: each chunk goes into the streaming decoder and the
// IRETURNVALUE items it completes are yielded at once, so a large enumeration never has to sit in
// memory as text (or as a whole array of objects) before the first object reaches the caller.
import { createMessageDecoder, CimXmlError } from '../../src/xml/index.js';
import type { IMethodResponse, MethodResponse, ReturnItem } from '../../src/xml/index.js';
import { ResponseParseError } from './ClientError.js';
import type { CimHttpResponse } from './HttpTransport.js';

function parseError(e: unknown, operation: string): unknown {
  if (e instanceof CimXmlError) return new ResponseParseError(e.message, operation, { cause: e });
  return e;
}

/**
 * Yields each IRETURNVALUE item in document order, then returns the response envelope (its
 * `params` hold the trailing PARAMVALUEs of pull operations). Throws the CimError of an ERROR
 * response, ResponseParseError for a body that is not a complete response to `operation`.
 * Breaking out of the loop early discards the rest of the body.
 */
export async function* readResponseItems(
  res: CimHttpResponse,
  operation: string,
  intrinsic: boolean,
): AsyncGenerator<ReturnItem, IMethodResponse | MethodResponse> {
  let queue: ReturnItem[] = [];
  const decoder = createMessageDecoder({ onReturnItem: (item) => { queue.push(item); } });
  let finished = false;
  try {
    for await (const chunk of res.body) {
      try {
        decoder.write(chunk);
      } catch (e) {
        throw parseError(e, operation);
      }
      if (queue.length > 0) {
        // Swap rather than shift: shifting a long array is quadratic.
        const ready = queue;
        queue = [];
        for (const item of ready) yield item;
      }
    }
    let msg;
    try {
      msg = decoder.end();
    } catch (e) {
      throw parseError(e, operation);
    }
    for (const item of queue) yield item;
    finished = true;
    if (msg.kind !== 'SIMPLERSP') {
      throw new ResponseParseError(`expected a SIMPLERSP message, got ${msg.kind}`, operation);
    }
    const r = msg.response;
    const expected = intrinsic ? 'IMETHODRESPONSE' : 'METHODRESPONSE';
    if (r.kind !== expected) throw new ResponseParseError(`expected ${expected}, got ${r.kind}`, operation);
    if (r.name.toLowerCase() !== operation.toLowerCase()) {
      throw new ResponseParseError(`the response is for ${r.name}, not ${operation}`, operation);
    }
    if (r.error) throw r.error;
    return r;
  } finally {
    if (!finished) await res.dump();
  }
}

/** Reads the whole response and returns it with its items collected (for small results). */
export async function readResponse(
  res: CimHttpResponse,
  operation: string,
  intrinsic: boolean,
): Promise<{ items: ReturnItem[]; response: IMethodResponse | MethodResponse }> {
  const items: ReturnItem[] = [];
  const it = readResponseItems(res, operation, intrinsic);
  for (;;) {
    const n = await it.next();
    if (n.done) return { items, response: n.value };
    items.push(n.value);
  }
}
