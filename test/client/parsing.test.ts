// The small parsers and encoders of the client: wbemcli URLs, property assignments, CIM header
// escaping, method argument typing and the duplicate filter.
import { expect } from 'chai';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { encodeHeaderValue, cimRequestHeaders } from '../../client/cim/CimHeaders.js';
import { isSafeOperation } from '../../client/cim/HttpTransport.js';
import { toParamValue } from '../../client/cim/MethodArgument.js';
import { parseAssignments, typedValue } from '../../client/cim/wbemcli/Assignments.js';
import { CommandError } from '../../client/cim/wbemcli/CommandError.js';
import { parseWbemcliTarget } from '../../client/cim/wbemcli/WbemcliTarget.js';
import { parseCliArgs } from '../../client/cim/wbemcli/WbemcliArgs.js';
import { DuplicateFilter } from '../../client/listener/DuplicateFilter.js';

describe('client parsing and encoding', () => {
  describe('wbemcli object URLs', () => {
    it('splits scheme, credentials, host, port, namespace, class and keys', () => {
      const t = parseWbemcliTarget('http://alice:s3:cret@host.example:15988/root/tvdc:TVDc_ComputerSystem.Name="vm 1",Id=7');
      expect(t).to.include({ scheme: 'http', user: 'alice', password: 's3:cret', host: 'host.example', port: 15988, namespace: 'root/tvdc', className: 'TVDc_ComputerSystem' });
      expect(t.origin).to.equal('http://host.example:15988');
      expect(t.keys).to.deep.equal([{ name: 'Name', text: 'vm 1', quoted: true }, { name: 'Id', text: '7', quoted: false }]);
      expect(t.path.key('Name')).to.equal('vm 1');
      expect(t.path.namespace).to.equal('root/tvdc');
      expect(t.path.host).to.equal(undefined);
    });

    it('defaults the port by scheme and the namespace to root/cimv2', () => {
      expect(parseWbemcliTarget('https://h/root/x:C').port).to.equal(5989);
      const t = parseWbemcliTarget('http://h');
      expect(t.port).to.equal(5988);
      expect(t.namespace).to.equal('root/cimv2');
      expect(t.className).to.equal('');
    });

    it('reads IPv6 hosts and nested namespaces', () => {
      const t = parseWbemcliTarget('http://[::1]:5988/root/cimv2/sub:C.k=1');
      expect(t.host).to.equal('[::1]');
      expect(t.namespace).to.equal('root/cimv2/sub');
    });

    for (const [url, message] of [
      ['ftp://h/root:C', 'Only supporting http or https protocols'],
      ['h:5988/root:C', 'Only supporting http or https protocols'],
      ['http://h:0/root:C', 'Invalid port number'],
      ['http://h:x/root:C', 'Invalid port number'],
      ['http://:5988/root:C', 'Could not locate hostname'],
      ['http://h/root//x:C', 'Invalid namespace specification'],
      ['http://h/root:C.k="open', 'Unbalanced quoted string'],
      ['http://h/root:C.=1', 'Bad key specification'],
    ] as const) {
      it(`refuses ${url} with "${message}"`, () => {
        expect(() => parseWbemcliTarget(url)).to.throw(CommandError, message);
      });
    }
  });

  describe('property assignments', () => {
    const known = (n: string): boolean => ['Label', 'Tags', 'Id', 'Enabled'].includes(n);

    it('groups array values after their name and keeps quoted commas', () => {
      const a = parseAssignments('Label="a, b",Tags="x","y",z,Id=7', known);
      expect(a.map((x) => [x.name, x.values.map((v) => v.text)])).to.deep.equal([['Label', ['a, b']], ['Tags', ['x', 'y', 'z']], ['Id', ['7']]]);
    });

    it('types values by the declaration and refuses what does not fit', () => {
      const [tags, id, enabled] = parseAssignments('Tags="x","y",Id=7,Enabled=true', known);
      expect(typedValue(tags!, { name: 'Tags', type: 'string', isArray: true })).to.deep.equal(['x', 'y']);
      expect(typedValue(id!, { name: 'Id', type: 'uint32', isArray: false })).to.equal(7);
      expect(typedValue(enabled!, { name: 'Enabled', type: 'boolean', isArray: false })).to.equal(true);
      expect(() => typedValue(parseAssignments('Id=seven')[0]!, { name: 'Id', type: 'uint32', isArray: false })).to.throw(CommandError, /Bad value for Id/);
      expect(() => typedValue(parseAssignments('Id=1,2', known)[0]!, { name: 'Id', type: 'uint32', isArray: false })).to.throw(CommandError, /not an array/);
      expect(typedValue(parseAssignments('Tags=')[0]!, { name: 'Tags', type: 'string', isArray: true })).to.deep.equal([]);
    });

    it('a reference takes all its keys, and an array of references starts a path at each class', () => {
      const params = (n: string): boolean => ['Subject', 'Object', 'Refs'].includes(n);
      const ref = { type: 'reference' as const, isArray: false };
      const [subject, object] = parseAssignments('Subject=root/tvdc:C.A="1",B="x,y",Object=C.A="2"', params);
      expect(String(typedValue(subject!, { name: 'Subject', ...ref }))).to.equal('root/tvdc:C.A="1",B="x,y"');
      expect(String(typedValue(object!, { name: 'Object', ...ref }))).to.equal('C.A="2"');
      const [refs] = parseAssignments('Refs=C.A="1",B="a.b",D.A="2",B="3",E', params);
      const paths = typedValue(refs!, { name: 'Refs', type: 'reference', isArray: true }) as CimObjectPath[];
      expect(paths.map(String)).to.deep.equal(['C.A="1",B="a.b"', 'D.A="2",B="3"', 'E']);
    });

    it('a value before any name is an error', () => {
      expect(() => parseAssignments('"x",Id=1', known)).to.throw(CommandError, /Bad property assignment/);
    });
  });

  describe('CIM headers', () => {
    it('escapes what DSP0200 asks and leaves paths readable', () => {
      expect(encodeHeaderValue('root/cimv2')).to.equal('root%2Fcimv2');
      expect(encodeHeaderValue('root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=7')).to.equal('root%2Fcimv2%3ATVD_Widget.CreationClassName="TVD_Widget",Id=7');
      expect(encodeHeaderValue('a b%ü')).to.equal('a%20b%25%C3%BC');
      expect(encodeHeaderValue('GetInstance')).to.equal('GetInstance');
    });

    it('a request carries the DSP0200 headers and Basic auth', () => {
      const h = cimRequestHeaders({ method: 'GetInstance', object: 'root/tvdc' }, 'Basic eA==');
      expect(h).to.deep.include({ cimoperation: 'MethodCall', cimmethod: 'GetInstance', cimobject: 'root%2Ftvdc', cimprotocolversion: '1.0', authorization: 'Basic eA==' });
      expect(h['content-type']).to.equal('application/xml; charset=utf-8');
    });

    it('only read-only intrinsic operations are safe to re-send', () => {
      for (const m of ['GetInstance', 'EnumerateInstances', 'AssociatorNames', 'ReferenceNames', 'ExecQuery', 'OpenEnumerateInstances']) {
        expect(isSafeOperation(m, true), m).to.equal(true);
      }
      for (const m of ['CreateInstance', 'ModifyInstance', 'DeleteInstance', 'SetProperty', 'DeleteClass', 'PullInstancesWithPath']) {
        // A Pull advances the server's enumeration context: re-sending it could skip objects.
        expect(isSafeOperation(m, true), m).to.equal(false);
      }
      expect(isSafeOperation('GetInstance', false)).to.equal(false);
    });
  });

  describe('method arguments', () => {
    it('infers types from JS values and honours explicit ones', () => {
      expect(toParamValue('S', 'x')).to.deep.include({ type: 'string' });
      expect(toParamValue('B', true)).to.deep.include({ type: 'boolean' });
      expect(toParamValue('N', 5)).to.deep.include({ type: 'sint32' });
      expect(toParamValue('R', 0.5)).to.deep.include({ type: 'real64' });
      expect(toParamValue('U', 5n)).to.deep.include({ type: 'uint64' });
      expect(toParamValue('D', CimDateTime.parse('20240101120000.000000+000'))).to.deep.include({ type: 'datetime' });
      expect(toParamValue('P', CimObjectPath.instance('C', { k: 'v' }))).to.deep.include({ type: 'reference' });
      expect(toParamValue('E', new CimInstance('C'))).to.deep.include({ type: 'string', embeddedObject: 'instance' });
      expect(toParamValue('T', { type: 'uint8', value: 7 })).to.deep.include({ type: 'uint8', value: { kind: 'VALUE', text: '7' } });
      expect(toParamValue('A', { type: 'uint16', value: [1, 2] }).value).to.deep.include({ kind: 'VALUE.ARRAY' });
      expect(toParamValue('Z', null)).to.deep.equal({ name: 'Z', value: null });
      expect(() => toParamValue('T', { type: 'uint8', value: 300 })).to.throw(/method parameter T/);
    });
  });

  describe('command line', () => {
    it('reads wbemcli options, positionals and tvdc extensions', () => {
      const a = parseCliArgs(['-nl', '-t', 'ai', '-ac', 'A', '-arc', 'B', '-ar', 'R', '-arr', 'RR', 'http://h/n:C.k=1', 'P1,P2', '--json', '--pull', '5']);
      expect(a).to.include({ verb: 'ai', url: 'http://h/n:C.k=1', extra: 'P1,P2', newLines: true, types: true, assocClass: 'A', resultClass: 'B', role: 'R', resultRole: 'RR', json: true, pull: 5 });
      expect(() => parseCliArgs(['-bogus'])).to.throw(CommandError, /unknown option/);
      expect(() => parseCliArgs(['-cacert'])).to.throw(CommandError, /needs a value/);
    });
  });

  describe('duplicate filter', () => {
    it('passes each (context, number) once and forgets the oldest beyond its bounds', () => {
      const f = new DuplicateFilter(2, 2);
      expect(f.firstSeen('a', '1')).to.equal(true);
      expect(f.firstSeen('a', '1')).to.equal(false);
      expect(f.firstSeen(undefined, '1')).to.equal(true);
      expect(f.firstSeen(undefined, '1')).to.equal(true);
      f.firstSeen('a', '2');
      f.firstSeen('a', '3');
      expect(f.firstSeen('a', '1')).to.equal(true);
      f.firstSeen('b', '1');
      f.firstSeen('c', '1');
      expect(f.firstSeen('b', '1')).to.equal(false);
      expect(f.firstSeen('a', '3')).to.equal(true);
    });
  });
});

describe('client parsers under random input', () => {
  // A small deterministic generator: the same inputs every run, so a failure reproduces.
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['h', 't', 'p', ':', '/', '@', '.', ',', '=', '"', '\\', 'r', 'o', 'C', '1', '[', ']', ' ', 'é', 'x', 'TRUE', '{', '}', '-', '_'];
  const noise = (len: number): string => Array.from({ length: len }, () => alphabet[rand(alphabet.length)]).join('');

  it('wbemcli URLs: only CommandError, never another exception', () => {
    for (let i = 0; i < 2000; i++) {
      const text = (i % 3 === 0 ? 'http://' : i % 3 === 1 ? 'http://u:p@h:5988/root/cimv2:C.' : '') + noise(rand(40));
      try {
        parseWbemcliTarget(text, {}, '/nonexistent');
      } catch (e) {
        expect(e, text).to.be.instanceOf(CommandError);
      }
    }
  });

  it('property assignments: only CommandError, never another exception', () => {
    for (let i = 0; i < 2000; i++) {
      const text = noise(rand(40));
      try {
        for (const a of parseAssignments(text)) typedValue(a, { name: a.name, type: i % 2 ? 'uint32' : 'string', isArray: i % 4 === 0 });
      } catch (e) {
        expect(e, text).to.be.instanceOf(CommandError);
      }
    }
  });
});
