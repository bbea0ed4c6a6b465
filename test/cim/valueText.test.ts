// Scalar text for every CIM type: parse, render, round trip, extremes and refusals.
import { expect } from 'chai';
import { parseCimScalar, formatCimScalar, parseCimInteger, formatReal32, formatReal64 } from '../../src/cim/valueText.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimType, CimIntegerType } from '../../src/cim/CimType.js';
import { INTEGER_RANGES } from '../../src/cim/CimType.js';

function refused(type: CimType, text: string, reason: RegExp, mof = false): void {
  let err: unknown;
  try {
    parseCimScalar(type, text, { mof });
  } catch (e) {
    err = e;
  }
  expect(err, `${type} ${text}`).to.be.instanceOf(CimError);
  expect((err as CimError).status).to.equal(CimStatus.CIM_ERR_INVALID_PARAMETER);
  expect((err as CimError).description).to.match(reason);
}

describe('cim/valueText', () => {
  it('reads booleans in any case, with XML whitespace around', () => {
    expect(parseCimScalar('boolean', 'TRUE')).to.equal(true);
    expect(parseCimScalar('boolean', 'true')).to.equal(true);
    expect(parseCimScalar('boolean', ' False\n')).to.equal(false);
    expect(formatCimScalar('boolean', true)).to.equal('TRUE');
    refused('boolean', 'yes', /expected TRUE or FALSE/);
    refused('boolean', '1', /expected TRUE or FALSE/);
  });

  it('round-trips every integer type at both ends of its range', () => {
    for (const [type, [lo, hi]] of Object.entries(INTEGER_RANGES) as [CimIntegerType, readonly [bigint, bigint]][]) {
      for (const v of [lo, hi, 0n]) {
        const parsed = parseCimScalar(type, v.toString());
        const big = type === 'uint64' || type === 'sint64';
        expect(typeof parsed, type).to.equal(big ? 'bigint' : 'number');
        expect(BigInt(parsed as number | bigint)).to.equal(v);
        expect(formatCimScalar(type, parsed)).to.equal(v.toString());
      }
      refused(type, (hi + 1n).toString(), new RegExp(`out of range ${lo}\\.\\.${hi}`));
      refused(type, (lo - 1n).toString(), /out of range/);
    }
    expect(parseCimScalar('uint64', '18446744073709551615')).to.equal(18446744073709551615n);
    expect(parseCimScalar('sint64', '-9223372036854775808')).to.equal(-9223372036854775808n);
    refused('uint64', '18446744073709551616', /out of range/);
    refused('sint64', '9223372036854775808', /out of range/);
    refused('uint64', '1'.repeat(200), /out of range/);
  });

  it('reads integers in decimal and hex on the wire, and binary and octal only in MOF', () => {
    expect(parseCimScalar('uint8', '+7')).to.equal(7);
    expect(parseCimScalar('sint8', '-0')).to.equal(0);
    expect(Object.is(parseCimScalar('sint8', '-0'), -0)).to.equal(false);
    expect(parseCimScalar('uint16', '0x1F')).to.equal(31);
    expect(parseCimScalar('sint32', '-0x10')).to.equal(-16);
    expect(parseCimScalar('uint64', '0xFFFFFFFFFFFFFFFF')).to.equal(18446744073709551615n);
    expect(parseCimScalar('uint8', '010')).to.equal(10);
    expect(parseCimScalar('uint8', '010', { mof: true })).to.equal(8);
    expect(parseCimScalar('uint8', '101b', { mof: true })).to.equal(5);
    expect(parseCimScalar('uint64', `${'1'.repeat(64)}b`, { mof: true })).to.equal(18446744073709551615n);
    expect(parseCimScalar('sint64', `-1${'0'.repeat(63)}b`, { mof: true })).to.equal(-9223372036854775808n);
    refused('sint64', `1${'0'.repeat(63)}b`, /out of range/, true);
    expect(parseCimScalar('uint64', '01777777777777777777777', { mof: true })).to.equal(18446744073709551615n);
    expect(parseCimInteger('uint32', ' 42 ')).to.equal(42);
    refused('uint8', '101b', /"b" is not a decimal digit/);
    refused('uint8', '09', /"9" is not a octal digit/, true);
    refused('uint8', '12b', /"2" is not a binary digit/, true);
    refused('uint8', '0x', /no digits/);
    refused('uint8', '', /no digits/);
    refused('uint8', '-', /no digits/);
    refused('uint8', '1.5', /"\." is not a decimal digit/);
    refused('uint8', '0xG', /"G" is not a hex digit/);
  });

  it('round-trips real64 with the shortest text, including INF, -INF, NaN, -0 and subnormals', () => {
    const values = [0.1, -2.5e-300, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 123456789.123456789, 1e21, -0];
    for (const v of values) {
      const text = formatCimScalar('real64', v);
      expect(Object.is(parseCimScalar('real64', text), v), `${v} as ${text}`).to.equal(true);
    }
    expect(formatReal64(0.1)).to.equal('0.1');
    expect(formatReal64(Infinity)).to.equal('INF');
    expect(formatReal64(-Infinity)).to.equal('-INF');
    expect(formatReal64(NaN)).to.equal('NaN');
    expect(formatReal64(-0)).to.equal('-0');
    expect(Object.is(parseCimScalar('real32', formatCimScalar('real32', -0)), -0)).to.equal(true);
    expect(formatCimScalar('real32', Infinity)).to.equal('INF');
    expect(Number.isNaN(parseCimScalar('real32', formatCimScalar('real32', NaN)))).to.equal(true);
    expect(parseCimScalar('real64', 'INF')).to.equal(Infinity);
    expect(parseCimScalar('real64', '-inf')).to.equal(-Infinity);
    expect(parseCimScalar('real64', '+INF')).to.equal(Infinity);
    expect(Number.isNaN(parseCimScalar('real64', 'NaN'))).to.equal(true);
    expect(parseCimScalar('real64', '.5')).to.equal(0.5);
    expect(parseCimScalar('real64', '5.')).to.equal(5);
    expect(parseCimScalar('real64', '1E+3')).to.equal(1000);
    refused('real64', '1e400', /out of the real64 range/);
    refused('real64', '1e', /exponent has no digits/);
    refused('real64', '0x10', /unexpected "x"/);
    refused('real64', 'Infinity!', /not a number/);
    refused('real64', '-NaN', /not a number/);
    refused('real64', '', /not a number/);
    refused('real64', '1 2', /unexpected " "/);
  });

  it('round-trips real32 through single precision with the shortest text that survives it', () => {
    expect(parseCimScalar('real32', '0.1')).to.equal(Math.fround(0.1));
    expect(formatReal32(Math.fround(0.1))).to.equal('0.1');
    expect(formatReal32(Math.fround(3.4028234663852886e38))).to.equal('3.4028235e+38');
    const subnormal = Math.fround(1.401298464324817e-45);
    expect(formatReal32(subnormal)).to.equal('1e-45');
    for (let i = 0; i < 2000; i++) {
      const bits = (i * 2654435761) >>> 0;
      const v = new Float32Array(new Uint32Array([bits]).buffer)[0] as number;
      const text = formatCimScalar('real32', v);
      const back = parseCimScalar('real32', text) as number;
      if (Number.isNaN(v)) expect(Number.isNaN(back)).to.equal(true);
      else expect(Object.is(back, v), `${bits.toString(16)}: ${text}`).to.equal(true);
    }
    refused('real32', '3.5e38', /out of the real32 range/);
    expect(parseCimScalar('real32', '1e-50')).to.equal(0);
  });

  it('keeps a char16 to exactly one UTF-16 unit and strings untouched', () => {
    expect(parseCimScalar('char16', 'x')).to.equal('x');
    expect(parseCimScalar('char16', '\u00e9')).to.equal('\u00e9');
    refused('char16', 'ab', /exactly one UTF-16 code unit, not 2/);
    refused('char16', '\u{1F600}', /not 2/);
    refused('char16', '', /not 0/);
    expect(parseCimScalar('string', '  a "b" \\ ')).to.equal('  a "b" \\ ');
    expect(formatCimScalar('char16', 'q')).to.equal('q');
  });

  it('reads datetime and reference text into their objects and back', () => {
    const dt = parseCimScalar('datetime', ' 20231015123456.123456+000 ') as CimDateTime;
    expect(dt).to.be.instanceOf(CimDateTime);
    expect(formatCimScalar('datetime', dt)).to.equal('20231015123456.123456+000');
    const ref = parseCimScalar('reference', 'root/tvdc:TVDc_ComputerSystem.Name="vm1"') as CimObjectPath;
    expect(ref).to.be.instanceOf(CimObjectPath);
    expect(ref.namespace).to.equal('root/tvdc');
    expect(formatCimScalar('reference', ref)).to.equal('root/tvdc:TVDc_ComputerSystem.Name="vm1"');
    refused('datetime', '2023', /length is 4/);
    refused('reference', 'not a path', /invalid object path/);
  });

  it('refuses to render a value of the wrong JavaScript type', () => {
    expect(() => formatCimScalar('uint8', 'x')).to.throw(CimError, /cannot be written as uint8/);
    expect(() => formatCimScalar('uint8', 1.5)).to.throw(CimError);
    expect(() => formatCimScalar('boolean', 1)).to.throw(CimError);
    expect(() => formatCimScalar('datetime', '20231015123456.123456+000')).to.throw(CimError);
    expect(() => parseCimScalar('nonsense' as CimType, '1')).to.throw(CimError, /unknown CIM type/);
  });
});
