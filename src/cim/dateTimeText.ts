// Parsing and rendering of the DSP0004 datetime text forms: the 25-character timestamp
// `yyyymmddhhmmss.mmmmmmsutc` and interval `ddddddddhhmmss.mmmmmm:000`.
//
// Wildcards: DSP0004 lets a value express reduced precision by replacing its least significant
// digits with `*`. tvdc accepts exactly that: once a `*` appears, every less significant digit
// position up to the end of the microseconds is `*` too; a field other than microseconds is either
// all digits or all `*` (the fields model keeps null for a wildcarded field). A timestamp's UTC
// offset may be `***` (unknown offset); an interval always ends in `:000`.
import type { CimDateTime, CimIntervalFields, CimTimestampFields } from './CimDateTime.js';
import { CimError, CimStatus } from './CimError.js';

const STAR = 42; // '*'
const ZERO = 48;
const MAX_INTERVAL_DAYS = 99999999;
const US_PER_DAY = 86_400_000_000n;
/** The longest interval the text form can hold: 99999999 days 23:59:59.999999. */
export const MAX_INTERVAL_MICROSECONDS = BigInt(MAX_INTERVAL_DAYS) * US_PER_DAY + US_PER_DAY - 1n;

function bad(text: string, reason: string): CimError {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid datetime "${shown}": ${reason}`);
}

/**
 * Reads the digit field text[start, start+len): its value, or null when it is all `*`.
 * `state.star` records that a wildcard has been seen so that later fields must be wildcards too.
 */
function field(text: string, start: number, len: number, name: string, state: { star: boolean }): number | null {
  let v = 0;
  let stars = 0;
  for (let i = start; i < start + len; i++) {
    const c = text.charCodeAt(i);
    if (c === STAR) { stars++; continue; }
    if (c < ZERO || c > ZERO + 9) throw bad(text, `${name} has "${text[i]}" at position ${i + 1}; expected a digit or "*"`);
    if (stars > 0 || state.star) throw bad(text, `${name}: "*" may only replace the least significant digits`);
    v = v * 10 + (c - ZERO);
  }
  if (stars === 0) return v;
  if (stars !== len) throw bad(text, `${name} is partly wildcarded; only the microseconds may be`);
  state.star = true;
  return null;
}

/** The microseconds field: trailing `*` allowed; returns value scaled to microseconds and the digit count. */
function micros(text: string, start: number, state: { star: boolean }): [number | null, number] {
  let v = 0;
  let digits = 0;
  for (let i = start; i < start + 6; i++) {
    const c = text.charCodeAt(i);
    if (c === STAR) { state.star = true; continue; }
    if (c < ZERO || c > ZERO + 9) throw bad(text, `microseconds have "${text[i]}" at position ${i + 1}; expected a digit or "*"`);
    if (state.star) throw bad(text, 'microseconds: "*" may only replace the least significant digits');
    v = v * 10 + (c - ZERO);
    digits++;
  }
  if (digits === 0) return [null, 0];
  for (let d = digits; d < 6; d++) v *= 10;
  return [v, digits];
}

function daysInMonth(year: number | null, month: number): number {
  if (month === 2) {
    if (year === null) return 29;
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function inRange(text: string, name: string, v: number | null, lo: number, hi: number): void {
  if (v !== null && (v < lo || v > hi)) throw bad(text, `${name} ${v} is out of range ${lo}-${hi}`);
}

export function parseDateTimeFields(text: string): CimTimestampFields | CimIntervalFields {
  if (typeof text !== 'string') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'datetime value is not a string');
  if (text.length !== 25) throw bad(text, `length is ${text.length}; a datetime has exactly 25 characters`);
  if (text.charCodeAt(14) !== 46) throw bad(text, 'character 15 must be "."');
  const sep = text[21];
  const state = { star: false };
  if (sep === ':') {
    if (text.slice(22) !== '000') throw bad(text, 'an interval must end in ":000"');
    const days = field(text, 0, 8, 'days', state);
    const hours = field(text, 8, 2, 'hours', state);
    const minutes = field(text, 10, 2, 'minutes', state);
    const seconds = field(text, 12, 2, 'seconds', state);
    const [microseconds, microsecondDigits] = micros(text, 15, state);
    inRange(text, 'hours', hours, 0, 23);
    inRange(text, 'minutes', minutes, 0, 59);
    inRange(text, 'seconds', seconds, 0, 59);
    return { kind: 'interval', days, hours, minutes, seconds, microseconds, microsecondDigits };
  }
  if (sep !== '+' && sep !== '-') throw bad(text, `character 22 is "${sep}"; expected "+" or "-" (timestamp) or ":" (interval)`);
  const year = field(text, 0, 4, 'year', state);
  const month = field(text, 4, 2, 'month', state);
  const day = field(text, 6, 2, 'day', state);
  const hour = field(text, 8, 2, 'hour', state);
  const minute = field(text, 10, 2, 'minute', state);
  const second = field(text, 12, 2, 'second', state);
  const [microsecond, microsecondDigits] = micros(text, 15, state);
  let utcOffsetMinutes: number | null;
  if (text.slice(22) === '***') utcOffsetMinutes = null;
  else {
    const off = field(text, 22, 3, 'UTC offset', { star: false });
    if (off === null) throw bad(text, 'UTC offset must be three digits or "***"');
    utcOffsetMinutes = sep === '-' ? -off : off;
  }
  inRange(text, 'month', month, 1, 12);
  inRange(text, 'day', day, 1, month === null ? 31 : daysInMonth(year, month));
  inRange(text, 'hour', hour, 0, 23);
  inRange(text, 'minute', minute, 0, 59);
  // DSP0004 gives seconds as 00-59; a leap second has no representation.
  inRange(text, 'second', second, 0, 59);
  return { kind: 'timestamp', year, month, day, hour, minute, second, microsecond, microsecondDigits, utcOffsetMinutes };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The timestamp text of `d` as seen at UTC offset `utcOffsetMinutes` (-999..999). */
export function formatDateAsCim(d: Date, utcOffsetMinutes: number): string {
  const ms = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'invalid datetime: the Date is not valid');
  if (!Number.isInteger(utcOffsetMinutes) || utcOffsetMinutes < -999 || utcOffsetMinutes > 999) {
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid datetime: UTC offset ${utcOffsetMinutes} is not an integer in -999..999 minutes`);
  }
  const local = new Date(ms + utcOffsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  if (year < 0 || year > 9999) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid datetime: year ${year} is outside 0000-9999`);
  return pad(year, 4) + pad(local.getUTCMonth() + 1, 2) + pad(local.getUTCDate(), 2) +
    pad(local.getUTCHours(), 2) + pad(local.getUTCMinutes(), 2) + pad(local.getUTCSeconds(), 2) + '.' +
    pad(local.getUTCMilliseconds() * 1000, 6) + (utcOffsetMinutes < 0 ? '-' : '+') + pad(Math.abs(utcOffsetMinutes), 3);
}

/** The interval text of a length in microseconds (0 .. MAX_INTERVAL_MICROSECONDS). */
export function formatInterval(microseconds: bigint): string {
  if (typeof microseconds !== 'bigint' || microseconds < 0n || microseconds > MAX_INTERVAL_MICROSECONDS) {
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid datetime: interval ${String(microseconds)} us is outside 0..${MAX_INTERVAL_MICROSECONDS}`);
  }
  const days = microseconds / US_PER_DAY;
  let rest = Number(microseconds % US_PER_DAY);
  const us = rest % 1_000_000; rest = (rest - us) / 1_000_000;
  const s = rest % 60; rest = (rest - s) / 60;
  const m = rest % 60;
  const h = (rest - m) / 60;
  return days.toString().padStart(8, '0') + pad(h, 2) + pad(m, 2) + pad(s, 2) + '.' + pad(us, 6) + ':000';
}

/** The instant of a fully specified timestamp (millisecond precision, microseconds truncated). */
export function dateOf(dt: CimDateTime): Date {
  const f = dt.fields;
  if (f.kind !== 'timestamp') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `datetime "${dt.text}" is an interval, not a point in time`);
  if (f.year === null || f.month === null || f.day === null || f.hour === null || f.minute === null || f.second === null || f.utcOffsetMinutes === null) {
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `datetime "${dt.text}" has wildcards and names no single instant`);
  }
  const d = new Date(0);
  d.setUTCFullYear(f.year, f.month - 1, f.day);
  d.setUTCHours(f.hour, f.minute, f.second, Math.floor((f.microsecond ?? 0) / 1000));
  return new Date(d.getTime() - f.utcOffsetMinutes * 60_000);
}

/** The length of a fully specified interval in microseconds. */
export function intervalMicroseconds(dt: CimDateTime): bigint {
  const f = dt.fields;
  if (f.kind !== 'interval') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `datetime "${dt.text}" is a timestamp, not an interval`);
  if (f.days === null || f.hours === null || f.minutes === null || f.seconds === null) {
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `interval "${dt.text}" has wildcards and names no single length`);
  }
  return BigInt(f.days) * US_PER_DAY + BigInt(((f.hours * 60 + f.minutes) * 60 + f.seconds) * 1_000_000 + (f.microseconds ?? 0));
}
