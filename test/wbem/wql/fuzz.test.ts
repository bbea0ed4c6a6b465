// Random and mutated queries: the parser and evaluator only ever throw CimError
// (CIM_ERR_INVALID_QUERY), never anything else, and never hang.
import { expect } from 'chai';
import { parseWql, matches } from '../../../src/wbem/wql/index.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import { pick, seededRandom } from '../../support/random.js';

const pieces = [
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IS', 'NULL', 'ISA', 'LIKE', 'TRUE', 'FALSE',
  '*', ',', '.', '(', ')', '=', '<>', '!=', '<', '>', '<=', '>=', '-', '+',
  'Name', 'SourceInstance', 'EnabledState', 'CIM_X', "'vm%'", '"a\\"b"', "'[a-'", '12', '0x1f', '1.5e3',
  '9999999999999999999999', "'", '"', '\\', '#', '\u00e9t\u00e9', '\u0000', '1e999', '12abc', '[', '%',
];

const base = [
  "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA TVDc_ComputerSystem AND SourceInstance.EnabledState <> 2",
  "SELECT Name, EnabledState FROM CIM_ComputerSystem WHERE (Name LIKE 'vm[0-9]%' OR Name = \"x\") AND NOT Load >= 0.5",
  'SELECT * FROM C WHERE x IS NOT NULL OR y = -42',
];

describe('wql/fuzz', () => {
  const target = new CimInstance('CIM_X');
  target.properties.set('Name', new CimProperty('Name', 'string', 'vm1'));
  target.properties.set('EnabledState', new CimProperty('EnabledState', 'uint16', 2));

  function check(text: string): 'ok' | 'refused' {
    try {
      const q = parseWql(text);
      const r = matches(q, target, () => true);
      expect(r).to.be.a('boolean');
      return 'ok';
    } catch (e) {
      if (!(e instanceof CimError)) throw new Error(`non-CimError for ${JSON.stringify(text)}: ${String(e)}`);
      expect(e.status, text).to.equal(CimStatus.CIM_ERR_INVALID_QUERY);
      return 'refused';
    }
  }

  it('random token soups only ever parse or give CIM_ERR_INVALID_QUERY', () => {
    const r = seededRandom(1);
    const counts = { ok: 0, refused: 0 };
    for (let n = 0; n < 4000; n++) {
      const len = 1 + Math.floor(r() * 14);
      const words = ['SELECT'];
      for (let k = 0; k < len; k++) words.push(pick(r, pieces));
      counts[check(words.join(r() < 0.5 ? ' ' : ''))]++;
    }
    expect(counts.refused).to.be.greaterThan(0);
  });

  it('byte-level mutations of valid queries only ever parse or give CIM_ERR_INVALID_QUERY', () => {
    const r = seededRandom(2);
    const counts = { ok: 0, refused: 0 };
    for (let n = 0; n < 4000; n++) {
      const chars = [...base[n % base.length]!];
      const edits = 1 + Math.floor(r() * 4);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(r() * (chars.length + 1));
        const op = r();
        const c = String.fromCharCode(Math.floor(r() * 128));
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, c);
        else chars[at] = c;
      }
      counts[check(chars.join(''))]++;
    }
    expect(counts.ok).to.be.greaterThan(0);
    expect(counts.refused).to.be.greaterThan(0);
  });
});
