// DSP0004 datetime: timestamps, intervals, wildcards, range checks and exact 25-character rendering.
import { expect } from 'chai';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { MAX_INTERVAL_MICROSECONDS } from '../../src/cim/dateTimeText.js';

function refused(text: string, reason: RegExp): void {
  let err: unknown;
  try {
    CimDateTime.parse(text);
  } catch (e) {
    err = e;
  }
  expect(err, text).to.be.instanceOf(CimError);
  expect((err as CimError).status).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
  expect((err as CimError).description).to.match(reason);
}

describe('cim/CimDateTime', () => {
  it('parses a timestamp with a negative UTC offset into its fields and instant', () => {
    const dt = CimDateTime.parse('20240229235959.999999-300');
    expect(dt.fields).to.deep.equal({
      kind: 'timestamp', year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59,
      microsecond: 999999, microsecondDigits: 6, utcOffsetMinutes: -300,
    });
    expect(dt.toDate().toISOString()).to.equal('2024-03-01T04:59:59.999Z');
    expect(dt.isInterval).to.equal(false);
    expect(dt.toString()).to.equal('20240229235959.999999-300');
  });

  it('renders fromDate in exactly 25 characters at any offset and reads it back', () => {
    const d = new Date(Date.UTC(1999, 11, 31, 23, 30, 5, 42));
    for (const off of [0, 60, -300, 999, -999, 330]) {
      const dt = CimDateTime.fromDate(d, off);
      expect(dt.text).to.have.length(25);
      expect(dt.toDate().getTime()).to.equal(d.getTime());
    }
    expect(CimDateTime.fromDate(d, -300).text).to.equal('19991231183005.042000-300');
    expect(CimDateTime.fromDate(d).text).to.equal('19991231233005.042000+000');
  });

  it('keeps years below 100 and year 0000 as written', () => {
    expect(CimDateTime.parse('00010101000000.000000+000').toDate().getUTCFullYear()).to.equal(1);
    const d = CimDateTime.parse('00990615120000.000000+000').toDate();
    expect(d.getUTCFullYear()).to.equal(99);
    expect(CimDateTime.fromDate(d).text).to.equal('00990615120000.000000+000');
    expect(CimDateTime.parse('00000101000000.000000+000').fields).to.include({ year: 0 });
  });

  it('handles intervals up to 99999999 days and back to microseconds', () => {
    const max = CimDateTime.interval(MAX_INTERVAL_MICROSECONDS);
    expect(max.text).to.equal('99999999235959.999999:000');
    expect(max.isInterval).to.equal(true);
    expect(max.toMicroseconds()).to.equal(MAX_INTERVAL_MICROSECONDS);
    expect(CimDateTime.interval(0n).text).to.equal('00000000000000.000000:000');
    const one = CimDateTime.parse('00000001120032.000001:000');
    expect(one.fields).to.deep.equal({ kind: 'interval', days: 1, hours: 12, minutes: 0, seconds: 32, microseconds: 1, microsecondDigits: 6 });
    expect(one.toMicroseconds()).to.equal(86_400_000_000n + 43_232_000_001n);
    expect(() => CimDateTime.interval(MAX_INTERVAL_MICROSECONDS + 1n)).to.throw(CimError, /outside/);
    expect(() => CimDateTime.interval(-1n)).to.throw(CimError, /outside/);
    expect(() => one.toDate()).to.throw(CimError, /interval/);
  });

  it('accepts wildcards in the least significant positions only', () => {
    const reduced = CimDateTime.parse('20231015123456.12****+060');
    expect(reduced.fields).to.include({ microsecond: 120000, microsecondDigits: 2, second: 56 });
    expect(reduced.hasWildcards).to.equal(true);
    const day = CimDateTime.parse('20231015******.******+000');
    expect(day.fields).to.include({ day: 15, hour: null, minute: null, second: null, microsecond: null, microsecondDigits: 0 });
    const all = CimDateTime.parse('**************.******+***');
    expect(all.fields).to.include({ year: null, utcOffsetMinutes: null });
    expect(CimDateTime.parse('00000001******.******:000').fields).to.include({ days: 1, hours: null });
    expect(() => day.toDate()).to.throw(CimError, /wildcards/);
    expect(() => CimDateTime.parse('0000000112****.******:000').toMicroseconds()).to.throw(CimError, /wildcards/);
  });

  it('refuses wildcards followed by digits, and partly wildcarded fields', () => {
    refused('2023**15123456.123456+000', /least significant/);
    refused('20231015123456.1*3456+000', /least significant/);
    refused('202*1015123456.123456+000', /partly wildcarded/);
    refused('20231015******.123456+000', /least significant/);
    refused('20231015123456.123456+0*0', /UTC offset/);
  });

  it('refuses out-of-range fields with the field named', () => {
    refused('20231315000000.000000+000', /month 13 is out of range 1-12/);
    refused('20230015000000.000000+000', /month 0/);
    refused('20230230000000.000000+000', /day 30 is out of range 1-28/);
    refused('20230229000000.000000+000', /day 29 is out of range 1-28/);
    refused('21000229000000.000000+000', /day 29/);
    refused('20230431000000.000000+000', /day 31 is out of range 1-30/);
    refused('20230101240000.000000+000', /hour 24/);
    refused('20230101236000.000000+000', /minute 60/);
    // DSP0004 gives seconds 00-59: there is no leap second 60.
    refused('20161231235960.000000+000', /second 60 is out of range 0-59/);
    refused('00000000240000.000000:000', /hours 24/);
    refused('00000000006000.000000:000', /minutes 60/);
    expect(CimDateTime.parse('20000229000000.000000+000').fields).to.include({ day: 29 });
  });

  it('refuses malformed text with a specific reason', () => {
    refused('2023', /length is 4/);
    refused('20231015123456.123456+0000', /length is 26/);
    refused('20231015123456,123456+000', /character 15 must be "."/);
    refused('20231015123456.123456x000', /expected "\+" or "-"/);
    refused('20231015123456.123456:001', /must end in ":000"/);
    refused('2023101512345a.123456+000', /"a" at position 14/);
    refused('', /length is 0/);
    refused('1'.repeat(1_000_000), /^invalid datetime "1{37}\.\.\.": length is 1000000/);
  });

  it('compares by text', () => {
    expect(CimDateTime.parse('20231015123456.123456+000').equals(CimDateTime.parse('20231015123456.123456+000'))).to.equal(true);
    expect(CimDateTime.parse('20231015123456.123456+000').equals(CimDateTime.parse('20231015123456.123456-000'))).to.equal(false);
  });
});
