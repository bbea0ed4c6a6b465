// The DSP0004 intrinsic data types and the JavaScript representation each one uses.
// 64-bit integers are bigint so that uint64/sint64 extremes survive every round trip.

export type CimIntegerType = 'uint8' | 'sint8' | 'uint16' | 'sint16' | 'uint32' | 'sint32' | 'uint64' | 'sint64';
export type CimRealType = 'real32' | 'real64';
export type CimType =
  | 'boolean'
  | 'string'
  | 'char16'
  | 'datetime'
  | CimIntegerType
  | CimRealType
  | 'reference';

export const CIM_TYPES: readonly CimType[] = [
  'boolean', 'string', 'char16', 'datetime',
  'uint8', 'sint8', 'uint16', 'sint16', 'uint32', 'sint32', 'uint64', 'sint64',
  'real32', 'real64', 'reference',
];

/** Inclusive ranges of the integer types, as bigint so the 64-bit bounds are exact. */
export const INTEGER_RANGES: Readonly<Record<CimIntegerType, readonly [bigint, bigint]>> = {
  uint8: [0n, 255n],
  sint8: [-128n, 127n],
  uint16: [0n, 65535n],
  sint16: [-32768n, 32767n],
  uint32: [0n, 4294967295n],
  sint32: [-2147483648n, 2147483647n],
  uint64: [0n, 18446744073709551615n],
  sint64: [-9223372036854775808n, 9223372036854775807n],
};

export function isCimType(name: string): name is CimType {
  return (CIM_TYPES as readonly string[]).includes(name);
}

export function isIntegerType(t: CimType): t is CimIntegerType {
  return t in INTEGER_RANGES;
}

export function is64BitType(t: CimType): t is 'uint64' | 'sint64' {
  return t === 'uint64' || t === 'sint64';
}

export function isRealType(t: CimType): t is CimRealType {
  return t === 'real32' || t === 'real64';
}

export function isNumericType(t: CimType): boolean {
  return isIntegerType(t) || isRealType(t);
}
