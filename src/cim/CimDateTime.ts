// DSP0004 datetime: a timestamp `yyyymmddhhmmss.mmmmmmsutc` or an interval
// `ddddddddhhmmss.mmmmmm:000`, always 25 characters, with `*` wildcards allowed in the
// positions DSP0004 permits. Kept as its exact text plus the parsed fields.
import { parseDateTimeFields, formatDateAsCim, formatInterval, dateOf, intervalMicroseconds } from './dateTimeText.js';

export interface CimTimestampFields {
  kind: 'timestamp';
  year: number | null; // null where the field is wildcarded with '*'
  month: number | null;
  day: number | null;
  hour: number | null;
  minute: number | null;
  second: number | null;
  microsecond: number | null;
  /** Significant digits of the microsecond field (0-6); fewer when trailing digits are '*'. */
  microsecondDigits: number;
  utcOffsetMinutes: number | null; // null when the offset is '***'
}

export interface CimIntervalFields {
  kind: 'interval';
  days: number | null;
  hours: number | null;
  minutes: number | null;
  seconds: number | null;
  microseconds: number | null;
  microsecondDigits: number;
}

export class CimDateTime {
  private constructor(
    /** The exact 25-character DSP0004 text. */
    readonly text: string,
    readonly fields: CimTimestampFields | CimIntervalFields,
  ) {}

  /** Parses the 25-character form; throws CimError(CIM_ERR_INVALID_PARAMETER) with the reason. */
  static parse(text: string): CimDateTime {
    return new CimDateTime(text, parseDateTimeFields(text));
  }

  /** A timestamp from a JS Date (millisecond precision) with the given UTC offset in minutes. */
  static fromDate(d: Date, utcOffsetMinutes = 0): CimDateTime {
    return CimDateTime.parse(formatDateAsCim(d, utcOffsetMinutes));
  }

  /** An interval of the given length in microseconds (bigint to cover the 99999999-day range). */
  static interval(microseconds: bigint): CimDateTime {
    return CimDateTime.parse(formatInterval(microseconds));
  }

  get isInterval(): boolean {
    return this.fields.kind === 'interval';
  }

  /** The instant as a JS Date; throws when the timestamp has wildcards or is an interval. */
  toDate(): Date {
    return dateOf(this);
  }

  /** The length of an interval in microseconds; throws for a timestamp or a wildcarded interval. */
  toMicroseconds(): bigint {
    return intervalMicroseconds(this);
  }

  /** True when some field is wildcarded with `*`. */
  get hasWildcards(): boolean {
    return this.text.includes('*');
  }

  equals(other: CimDateTime): boolean {
    return this.text === other.text;
  }

  toString(): string {
    return this.text;
  }
}
