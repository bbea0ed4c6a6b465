// Every OpenPegasus Headers conformance case (X.xml request, X rspgood.xml expected answer) sent
// byte for byte over a socket: the status line and CIMError header must be the expected ones;
// for cases that pass the header rules, the CIM error code in the body must match.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawRequest, repositoryFrom, startServer, validateAgainstDtd, SHARED_FIXTURES, WBEM_FIXTURES, type TestServer } from './support/wbemTestKit.js';

const DIR = join(SHARED_FIXTURES, 'cim/openpegasus/Headers');
const CASES = readdirSync(DIR).filter((f) => f.endsWith('.xml') && !f.endsWith('rspgood.xml')).map((f) => f.slice(0, -4)).sort();

/**
 * The bytes the OpenPegasus test tool puts on the wire for a case file: header lines with CRLF,
 * the body, padded with newlines to the declared Content-Length (the files lost their final
 * newline). A file that is only a body gets the M-POST headers its message implies.
 */
function wireBytes(file: Buffer): Buffer {
  let text = file.toString('latin1');
  if (text.startsWith('<?xml')) {
    const method = /<I?METHODCALL NAME="([^"]+)"/.exec(text)![1]!;
    const ns = [...text.matchAll(/<NAMESPACE NAME="([^"]+)"/g)].map((m) => m[1]).join('/');
    const head = ['M-POST /cimom HTTP/1.1', 'Host: testsystem', 'Content-Type: application/xml; charset=utf-8',
      `Content-Length: ${file.length}`, 'Man: http://www.dmtf.org/cim/mapping/http/v1.0;ns=35', '35-CIMProtocolVersion: 1.0',
      '35-CIMOperation: MethodCall', `35-CIMMethod: ${method}`, `35-CIMObject: ${ns}`];
    return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), file]);
  }
  text = text.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const headLines = text.slice(0, split).split('\n');
  let body = Buffer.from(text.slice(split + 2), 'latin1');
  const lengths = headLines.filter((l) => /^content-length:/i.test(l)).map((l) => l.split(':')[1]!.trim());
  if (lengths.length === 1 && /^\d+$/.test(lengths[0]!) && body.length < Number(lengths[0])) {
    body = Buffer.concat([body, Buffer.alloc(Number(lengths[0]) - body.length, '\n')]);
  }
  return Buffer.concat([Buffer.from(`${headLines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

describe('wbem: OpenPegasus Headers conformance cases', function () {
  let s: TestServer;
  const bodies: string[] = [];

  before(async () => {
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'pegasus-headers.mof') }]) });
  });
  after(() => s.close());

  it('has all the cases', () => {
    expect(CASES.length).to.equal(37);
  });

  for (const name of CASES) {
    it(name, async () => {
      const expected = readFileSync(join(DIR, `${name}rspgood.xml`), 'latin1').replace(/\r\n/g, '\n');
      const r = await rawRequest(s.port, wireBytes(readFileSync(join(DIR, `${name}.xml`))));
      if (expected.startsWith('HTTP/')) {
        const lines = expected.split('\n');
        expect(r.statusLine).to.equal(lines[0]!.trim());
        const cimError = lines.find((l) => l.startsWith('CIMError:'))?.split(':')[1]!.trim();
        expect(r.headers['cimerror'], 'CIMError header').to.equal(cimError);
      } else {
        // A 200 answer: the CIM error code inside it must be the expected one.
        expect(r.status).to.equal(200);
        const want = /ERROR CODE="(\d+)"/.exec(expected)![1];
        expect(/ERROR CODE="(\d+)"/.exec(r.body)?.[1], r.body).to.equal(want);
        bodies.push(r.body);
      }
    });
  }

  it('the CIM-XML bodies among the answers are DTD-valid', async () => {
    expect(bodies.length).to.be.greaterThan(0);
    expect(await validateAgainstDtd(bodies)).to.equal('');
  });
});
