// JS values to CIM representations: right shapes, range checks, and errors that name the problem.
import { expect } from 'chai';
import { coerceValue, coerceScalar } from '../../src/cim/coerceValue.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimInstance } from '../../src/cim/CimInstance.js';

function mismatch(fn: () => unknown, reason: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).to.be.instanceOf(CimError);
  expect((err as CimError).status).to.equal(CimStatus.CIM_ERR_TYPE_MISMATCH);
  expect((err as CimError).description).to.match(reason);
}

describe('cim/coerceValue', () => {
  it('turns numbers, bigints and text into the integer shape of the type', () => {
    expect(coerceScalar('uint64', 5)).to.equal(5n);
    expect(coerceScalar('sint64', '-9223372036854775808')).to.equal(-9223372036854775808n);
    expect(coerceScalar('uint8', 200n)).to.equal(200);
    expect(coerceScalar('uint16', '0x10')).to.equal(16);
    mismatch(() => coerceScalar('uint8', 256), /number 256 is not a valid uint8: out of range 0\.\.255/);
    mismatch(() => coerceScalar('uint8', -1n), /out of range/);
    mismatch(() => coerceScalar('sint32', 1.5), /not an integer/);
    mismatch(() => coerceScalar('uint64', 2 ** 60), /pass a bigint/);
    mismatch(() => coerceScalar('uint32', true), /boolean true is not a valid uint32/);
    mismatch(() => coerceScalar('uint32', 'ten'), /invalid uint32 value "ten"/);
  });

  it('turns text and Dates into datetimes and paths, and checks char16 and real32', () => {
    expect(coerceScalar('datetime', '20231015123456.123456+000')).to.be.instanceOf(CimDateTime);
    expect((coerceScalar('datetime', new Date(0)) as CimDateTime).text).to.equal('19700101000000.000000+000');
    expect((coerceScalar('reference', 'CIM_Foo.k="v"') as CimObjectPath).className).to.equal('CIM_Foo');
    expect(coerceScalar('real32', 0.1)).to.equal(Math.fround(0.1));
    expect(coerceScalar('real64', 10n)).to.equal(10);
    expect(coerceScalar('boolean', 'false')).to.equal(false);
    mismatch(() => coerceScalar('real32', 1e39), /out of the real32 range/);
    mismatch(() => coerceScalar('char16', 'ab'), /exactly one UTF-16 code unit/);
    mismatch(() => coerceScalar('datetime', 'yesterday'), /length is 9/);
    mismatch(() => coerceScalar('string', 3), /number 3 is not a valid string/);
    mismatch(() => coerceScalar('boolean', 1), /number 1 is not a valid boolean/);
  });

  it('accepts embedded instances for string-typed values', () => {
    const inst = new CimInstance('CIM_Error');
    expect(coerceScalar('string', inst)).to.equal(inst);
  });

  it('coerces arrays element by element, keeping NULL elements, and names the bad element', () => {
    expect(coerceValue('uint8', true, [1, null, '3'])).to.deep.equal([1, null, 3]);
    expect(coerceValue('uint64', true, [])).to.deep.equal([]);
    expect(coerceValue('string', false, undefined)).to.equal(null);
    mismatch(() => coerceValue('uint8', true, [1, 2, 300]), /element 2: number 300 is not a valid uint8/);
    mismatch(() => coerceValue('uint8', true, 3), /expected an array/);
    mismatch(() => coerceValue('uint8', false, [3]), /not an array/);
  });
});
