// WQL parsing: the accepted grammar, case rules, and errors that carry positions.
import { expect } from 'chai';
import { parseWql, WqlError, WQL_MAX_DEPTH } from '../../../src/wbem/wql/index.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';

function errorOf(text: string): WqlError {
  try {
    parseWql(text);
  } catch (e) {
    expect(e).to.be.instanceOf(WqlError);
    return e as WqlError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('wql/parseWql', () => {
  it('parses SELECT * with a class and no WHERE', () => {
    const q = parseWql('SELECT * FROM CIM_InstCreation');
    expect(q.selectAll).to.equal(true);
    expect(q.className).to.equal('CIM_InstCreation');
    expect(q.properties).to.deep.equal([]);
    expect(q.where).to.equal(undefined);
  });

  it('accepts keywords in any case and keeps the spelling of names', () => {
    const q = parseWql('sElEcT Name, sourceInstance.EnabledState fRoM tvdc_X wHeRe Name = "a"');
    expect(q.className).to.equal('tvdc_X');
    expect(q.properties).to.deep.equal([['Name'], ['sourceInstance', 'EnabledState']]);
    expect(q.where).to.deep.include({ kind: 'compare', op: '=' });
  });

  it('builds flat AND/OR with AND binding tighter, and honours parentheses', () => {
    const q = parseWql('SELECT * FROM C WHERE a = 1 OR b = 2 AND c = 3 AND d = 4');
    expect(q.where!.kind).to.equal('or');
    const or = q.where as { kind: 'or'; operands: { kind: string; operands?: unknown[] }[] };
    expect(or.operands).to.have.length(2);
    expect(or.operands[1]!.kind).to.equal('and');
    expect(or.operands[1]!.operands).to.have.length(3);
    const p = parseWql('SELECT * FROM C WHERE (a = 1 OR b = 2) AND NOT c = 3');
    expect(p.where!.kind).to.equal('and');
  });

  it('parses every comparison operator, != as <>', () => {
    for (const op of ['=', '<>', '<', '>', '<=', '>=']) {
      const q = parseWql(`SELECT * FROM C WHERE x ${op} 5`);
      expect(q.where).to.deep.include({ kind: 'compare', op });
    }
    expect(parseWql('SELECT * FROM C WHERE x != 5').where).to.deep.include({ op: '<>' });
  });

  it('reads literals: strings with both quotes and escapes, integers exactly, reals, hex, signs, booleans, NULL', () => {
    const lit = (s: string) => {
      const w = parseWql(`SELECT * FROM C WHERE x = ${s}`).where as { right: { value: unknown } };
      return w.right.value;
    };
    expect(lit("'it''s'")).to.equal("it's");
    expect(lit('"say \\"hi\\"\\n"')).to.equal('say "hi"\n');
    expect(lit('9223372036854775807')).to.equal(9223372036854775807n);
    expect(lit('-9223372036854775808')).to.equal(-9223372036854775808n);
    expect(lit('2.5e3')).to.equal(2500);
    expect(lit('.5')).to.equal(0.5);
    expect(lit('0x1F')).to.equal(31n);
    expect(lit('TRUE')).to.equal(true);
    expect(lit('false')).to.equal(false);
    expect(lit('null')).to.equal(null);
  });

  it('parses IS NULL, IS NOT NULL, ISA with a name or a string, LIKE and NOT LIKE', () => {
    expect(parseWql('SELECT * FROM C WHERE x IS NULL').where).to.deep.include({ kind: 'isNull', negated: false });
    expect(parseWql('SELECT * FROM C WHERE x IS NOT NULL').where).to.deep.include({ kind: 'isNull', negated: true });
    expect(parseWql('SELECT * FROM CIM_InstModification WHERE SourceInstance ISA TVDc_ComputerSystem').where)
      .to.deep.include({ kind: 'isa', className: 'TVDc_ComputerSystem' });
    expect(parseWql("SELECT * FROM C WHERE SourceInstance ISA 'TVDc_X'").where).to.deep.include({ kind: 'isa', className: 'TVDc_X' });
    expect(parseWql("SELECT * FROM C WHERE n LIKE 'vm%'").where).to.deep.include({ kind: 'like', pattern: 'vm%', negated: false });
    expect(parseWql("SELECT * FROM C WHERE n NOT LIKE 'vm_'").where).to.deep.include({ kind: 'like', negated: true });
  });

  it('drops a leading FROM-class qualifier from property paths', () => {
    const q = parseWql('SELECT CIM_X.Name FROM CIM_X WHERE cim_x.Name = "a"');
    expect(q.properties).to.deep.equal([['Name']]);
    expect((q.where as { left: { path: string[] } }).left.path).to.deep.equal(['Name']);
  });

  const bad: [string, number, RegExp][] = [
    ['', 1, /expected SELECT, found the end/],
    ['SELECT', 7, /expected a property name/],
    ['SELECT * FROM', 14, /class name after FROM/],
    ['SELECT * C', 10, /expected FROM/],
    ['SELECT * FROM C WHERE', 22, /property name or a literal/],
    ['SELECT * FROM C WHERE x =', 26, /property name or a literal/],
    ['SELECT * FROM C WHERE x', 24, /comparison operator, IS, ISA or LIKE/],
    ['SELECT * FROM C WHERE x = 1 y', 29, /AND, OR or the end/],
    ['SELECT * FROM C extra', 17, /WHERE or the end/],
    ["SELECT * FROM C WHERE x = 'abc", 27, /not terminated/],
    ['SELECT * FROM C WHERE x = 1 # 2', 29, /unexpected character "#"/],
    ['SELECT * FROM C WHERE (x = 1', 29, /expected "\)"/],
    ['SELECT * FROM C WHERE x IS 3', 28, /expected NULL/],
    ['SELECT * FROM C WHERE x ISA 3', 29, /class name after ISA/],
    ['SELECT * FROM C WHERE x LIKE 3', 30, /string pattern after LIKE/],
    ["SELECT * FROM C WHERE x LIKE '[ab'", 30, /unclosed "\["/],
    ['SELECT * FROM C WHERE x = 12abc', 29, /malformed number/],
    ['SELECT *, a FROM C', 9, /expected FROM/],
    ['SELECT a, * FROM C', 11, /`\*` stands alone/],
    ["SELECT * FROM C WHERE x = 'a\\q'", 29, /unknown escape/],
    ['SELECT * FROM C WHERE x = -y', 28, /number after "-"/],
  ];
  for (const [text, pos, re] of bad) {
    it(`refuses ${JSON.stringify(text)} at position ${pos}`, () => {
      const e = errorOf(text);
      expect(e).to.be.instanceOf(CimError);
      expect(e.status).to.equal(CimStatus.CIM_ERR_INVALID_QUERY);
      expect(e.position + 1).to.equal(pos);
      expect(e.description).to.match(new RegExp(`^WQL error at position ${pos}: `));
      expect(e.description).to.match(re);
    });
  }

  it('refuses nesting beyond the limit but handles long flat chains', () => {
    const deep = `SELECT * FROM C WHERE ${'('.repeat(WQL_MAX_DEPTH + 5)}x = 1${')'.repeat(WQL_MAX_DEPTH + 5)}`;
    expect(errorOf(deep).description).to.match(/nest deeper/);
    const nots = `SELECT * FROM C WHERE ${'NOT '.repeat(WQL_MAX_DEPTH + 5)}x = 1`;
    expect(errorOf(nots).description).to.match(/nest deeper/);
    const chain = `SELECT * FROM C WHERE ${Array.from({ length: 5000 }, (_, i) => `x = ${i}`).join(' OR ')}`;
    const q = parseWql(chain);
    expect((q.where as { operands: unknown[] }).operands).to.have.length(5000);
  });

  it('refuses an over-long query up front', () => {
    expect(errorOf(`SELECT * FROM C WHERE x = '${'a'.repeat(70000)}'`).description).to.match(/longer than/);
  });
});
