// Hostile policy input: nesting that once held the parser for minutes (its namespace resolution
// grew with the square of the depth), and files that are not UTF-8 text.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WbemConnection } from '../../../client/cim/index.js';
import { parsePolicy, policyErrors } from '../../../src/tvdc/policy/loadPolicy.js';
import { MAX_POLICY_DEPTH, parseXmlTree } from '../../../src/tvdc/policy/XmlTree.js';
import { service } from '../../server/support/serverHarness.js';
import { startTestHost, type TestHost } from '../../server/support/testHost.js';

const ACM_FIXTURES = join(process.cwd(), '..', 'shared', 'fixtures', 'xen-acm');
const deep = (n: number) => '<?xml version="1.0"?>\n' + '<a>'.repeat(n) + '</a>'.repeat(n);

function errorsOf(text: string, file = 'p.xml'): string[] {
  const r = parsePolicy(text);
  expect(r.ok, 'expected the policy to be refused').to.equal(false);
  return r.ok ? [] : policyErrors(file, r.errors);
}

describe('policy input limits', () => {
  it('refuses nesting deeper than the limit at the offending tag, at once', () => {
    const t0 = Date.now();
    expect(errorsOf(deep(100_000))).to.deep.equal([`p.xml:2:${3 * MAX_POLICY_DEPTH + 1}: elements nest deeper than ${MAX_POLICY_DEPTH} [xml-syntax]`]);
    expect(Date.now() - t0).to.be.below(1000);
  });

  it('parses in time linear in the depth when the limit is lifted (no quadratic step left)', () => {
    // 60000 levels took minutes with saxes' own namespace resolution; linear, it takes well under a second.
    const t0 = Date.now();
    const root = parseXmlTree(deep(60_000), Infinity);
    expect(Date.now() - t0).to.be.below(5000);
    let d = 0;
    for (let el = root; el.children[0]; el = el.children[0]) d++;
    expect(d).to.equal(59_999);
  });

  it('keeps every real sHype policy far below the limit', () => {
    const files = readdirSync(ACM_FIXTURES).filter((f) => f.endsWith('.xml'));
    expect(files.length).to.be.greaterThan(3);
    for (const f of files) {
      const r = parsePolicy(readFileSync(join(ACM_FIXTURES, f), 'utf8'));
      expect(r.ok, `${f}: ${r.ok ? '' : policyErrors(f, r.errors).join('; ')}`).to.equal(true);
    }
  });

  it('resolves namespaces itself: prefixes, default namespaces, redeclaration and unbound prefixes', () => {
    const root = parseXmlTree('<p:a xmlns:p="urn:p" xmlns="urn:d"><b x="1" p:y="2"><c xmlns=""/></b></p:a>');
    expect([root.name, root.uri]).to.deep.equal(['a', 'urn:p']);
    const b = root.children[0]!;
    expect([b.name, b.uri, [...b.attrs]]).to.deep.equal(['b', 'urn:d', [['x', '1'], ['y', '2']]]);
    expect(b.children[0]!.uri).to.equal('');
    expect(() => parseXmlTree('<a><q:b/></a>')).to.throw(/unbound namespace prefix: "q"/);
    expect(() => parseXmlTree('<a q:x="1"/>')).to.throw(/unbound namespace prefix: "q"/);
  });

  it('a host answers a deeply nested SetPolicy with an error in a moment and keeps serving others', async function () {
    this.timeout(20_000);
    const host: TestHost = await startTestHost('deep1');
    const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
    try {
      const t0 = Date.now();
      const r = await conn.invokeMethod(service('deep1', 'TVDc_SecurityService', 'SecurityService'), 'SetPolicy', { PolicyXML: deep(60_000) });
      expect(Date.now() - t0).to.be.below(5000);
      expect(Number(r.returnValue)).to.not.equal(0);
      expect(JSON.stringify([...r.outParams.values()].map((p) => p.value))).to.contain(`PolicyXML:2:${3 * MAX_POLICY_DEPTH + 1}: elements nest deeper than ${MAX_POLICY_DEPTH}`);
      expect((await conn.enumerateInstances('TVDc_HostSystem').toArray()).length).to.equal(1);
    } finally {
      await conn.close();
      await host.stop();
    }
  });

  describe('files that are not UTF-8 text', () => {
    const xml = '<?xml version="1.0"?>\n<SecurityPolicyDefinition/>';
    const read = (bytes: Buffer) => bytes.toString('utf8'); // as every reader of a policy file does

    it('UTF-16, little and big endian, with and without a byte order mark', () => {
      const le = Buffer.from(xml, 'utf16le');
      const be = Buffer.from(le).swap16();
      const bom = (b: Buffer, first: number[]) => Buffer.concat([Buffer.from(first), b]);
      expect(errorsOf(read(bom(le, [0xff, 0xfe])))).to.deep.equal(['p.xml:1:1: the file is UTF-16 with a byte order mark; save it as UTF-8 [encoding]']);
      expect(errorsOf(read(bom(be, [0xfe, 0xff])))).to.deep.equal(['p.xml:1:1: the file is UTF-16 with a byte order mark; save it as UTF-8 [encoding]']);
      expect(errorsOf(read(le))).to.deep.equal(['p.xml:1:1: the file is UTF-16 without a byte order mark; save it as UTF-8 [encoding]']);
      expect(errorsOf(read(be), 'p.json')).to.deep.equal(['p.json:1:1: the file is UTF-16 without a byte order mark; save it as UTF-8 [encoding]']);
    });

    it('binary data and invalid UTF-8 are named at their first bad byte', () => {
      expect(errorsOf(read(Buffer.from([0x14, 0x8a, 0x43, 0x5e, 0x37, 0x0a, 0x21])))).to.deep.equal(['p.xml:1:1: not UTF-8 text: the control character U+0014; a policy is an XML or JSON text file in UTF-8 [encoding]']);
      const bad = Buffer.concat([Buffer.from('<?xml version="1.0"?>\n<Security'), Buffer.from([0xc3, 0x28]), Buffer.from('/>')]);
      expect(errorsOf(read(bad))).to.deep.equal(['p.xml:2:10: not UTF-8 text: an invalid UTF-8 byte sequence (or U+FFFD); a policy is an XML or JSON text file in UTF-8 [encoding]']);
    });

    it('a UTF-8 byte order mark is still accepted', () => {
      const text = '\uFEFF' + readFileSync(join(process.cwd(), 'fixtures', 'policies', 'paper-ma-su.xml'), 'utf8');
      expect(parsePolicy(text).ok).to.equal(true);
    });
  });
});
