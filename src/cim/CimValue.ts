// The JavaScript shapes of CIM values, by type:
//   boolean -> boolean; string, char16 -> string; datetime -> CimDateTime;
//   uint8..sint32, real32, real64 -> number; uint64, sint64 -> bigint;
//   reference -> CimObjectPath; an EmbeddedInstance/EmbeddedObject string -> CimInstance | CimClass.
// Arrays are JS arrays whose elements may be null (VALUE.NULL inside VALUE.ARRAY); a NULL
// value is null.
import type { CimDateTime } from './CimDateTime.js';
import type { CimObjectPath } from './CimObjectPath.js';
import type { CimInstance } from './CimInstance.js';
import type { CimClass } from './CimClass.js';

export type CimScalar = boolean | string | number | bigint | CimDateTime | CimObjectPath | CimInstance | CimClass;
export type CimArray = (CimScalar | null)[];
export type CimValue = CimScalar | CimArray | null;

/** How a string-typed element carries an embedded object (DSP0004 EmbeddedObject/EmbeddedInstance). */
export type EmbeddedKind = 'object' | 'instance';
