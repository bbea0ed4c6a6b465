// Parsing and rendering of the DSP0004 datetime text forms (to be completed by the CIM model work).
import type { CimDateTime, CimIntervalFields, CimTimestampFields } from './CimDateTime.js';
export function parseDateTimeFields(text: string): CimTimestampFields | CimIntervalFields {
  throw new Error(`datetime parsing not implemented yet: ${text}`);
}
export function formatDateAsCim(d: Date, utcOffsetMinutes: number): string {
  throw new Error(`not implemented yet ${d} ${utcOffsetMinutes}`);
}
export function formatInterval(microseconds: bigint): string {
  throw new Error(`not implemented yet ${microseconds}`);
}
export function dateOf(dt: CimDateTime): Date {
  throw new Error(`not implemented yet ${dt.text}`);
}
