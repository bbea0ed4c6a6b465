// Conversions between wire values (untyped text as sent) and typed CIM values, for the server
// (coercing against a method declaration) and the client (building typed parameters).
import type { CimType } from '../cim/CimType.js';
import type { CimValue } from '../cim/CimValue.js';
import type { WireValue } from './messages.js';
import { CimXmlError } from './CimXmlError.js';

/**
 * The typed value of wire content as a `type` (array when `isArray`). Text is parsed with the
 * CIM model's scalar parser; embedded objects give CimInstance/CimClass; references give
 * CimObjectPath. Throws CimError(CIM_ERR_INVALID_PARAMETER / TYPE_MISMATCH) for text that does
 * not parse as `type` or a shape that does not fit (an array for a scalar).
 */
export function fromWireValue(value: WireValue | null, type: CimType, isArray: boolean): CimValue {
  void value; void type; void isArray;
  throw new CimXmlError('XML_INVALID', 'not implemented yet');
}

/** Wire content for a typed value (null gives null: an empty PARAMVALUE). */
export function toWireValue(value: CimValue, type: CimType): WireValue | null {
  void value; void type;
  throw new CimXmlError('XML_UNENCODABLE', 'not implemented yet');
}
