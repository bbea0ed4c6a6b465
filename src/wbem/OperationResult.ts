// What an operation hands back to the transport for encoding: nothing, a (possibly streamed)
// sequence of IRETURNVALUE items plus trailing PARAMVALUEs, or an extrinsic method's result.
import type { ParamValue, ReturnItem, ReturnValue } from '../xml/messages.js';
import type { Role } from './Provider.js';
import type { IntrinsicParams } from './IntrinsicParams.js';
import type { OperationContext } from './OperationContext.js';

export type OperationResult =
  /** An IMETHODRESPONSE without IRETURNVALUE (DeleteInstance, ModifyInstance, SetProperty...). */
  | { kind: 'empty' }
  /**
   * IRETURNVALUE with these items. An AsyncIterable is encoded as it yields, so large results
   * stream; it may yield arrays (batches) of items. `params` is read after the last item (pull
   * operations: EnumerationContext, EndOfSequence).
   */
  | { kind: 'items'; items: AsyncIterable<ReturnItem | ReturnItem[]> | Iterable<ReturnItem>; params?: () => ParamValue[] }
  /** A METHODRESPONSE. */
  | { kind: 'method'; returnValue: ReturnValue | null; params: ParamValue[] };

/** One intrinsic operation: the role it needs, the IPARAMVALUE names it accepts, and its body. */
export interface IntrinsicOperation {
  name: string;
  role: Role;
  params: readonly string[];
  /** A result at once when the operation had nothing to wait for (the transport then skips a microtask). */
  run(ctx: OperationContext, params: IntrinsicParams): OperationResult | Promise<OperationResult>;
}

export const EMPTY: OperationResult = { kind: 'empty' };

export function items(list: AsyncIterable<ReturnItem | ReturnItem[]> | Iterable<ReturnItem>): OperationResult {
  return { kind: 'items', items: list };
}
