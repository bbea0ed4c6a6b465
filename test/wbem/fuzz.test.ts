// Thousands of mutated captures of real clients (wbemcli, pywbem, the OpenPegasus header
// cases): truncated, bit-flipped, oversized, deeply nested, entity-laden, with broken headers.
// Every one must get a well-formed answer - an HTTP error, or a 200 whose body is valid CIM-XML -
// and the server must still serve normal requests afterwards. Seeded, so failures reproduce.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { decodeMessage } from '../../src/xml/decodeMessage.js';
import { imethodRequest, rawRequest, repositoryFrom, startServer, validateAgainstDtd, SHARED_FIXTURES, WBEM_FIXTURES, type RawResponse, type TestServer } from './support/wbemTestKit.js';
import { pick, seededRandom, type Random } from '../support/random.js';

interface Seed { requestLine: string; headers: [string, string][]; body: Buffer }

function loadSeeds(): Seed[] {
  const files = [
    ...readdirSync(join(SHARED_FIXTURES, 'cim/captures/wbemcli/requests')).map((f) => join(SHARED_FIXTURES, 'cim/captures/wbemcli/requests', f)),
    ...readdirSync(join(SHARED_FIXTURES, 'cim/captures/pywbem')).map((f) => join(SHARED_FIXTURES, 'cim/captures/pywbem', f)),
    ...readdirSync(join(SHARED_FIXTURES, 'cim/openpegasus/Headers')).filter((f) => f.endsWith('.xml') && !f.endsWith('rspgood.xml'))
      .map((f) => join(SHARED_FIXTURES, 'cim/openpegasus/Headers', f)),
  ];
  const seeds: Seed[] = [];
  for (const f of files) {
    const raw = readFileSync(f).toString('latin1').replace(/\r\n/g, '\n');
    const split = raw.indexOf('\n\n');
    if (!raw.startsWith('POST') && !raw.startsWith('M-POST') || split < 0) continue;
    const lines = raw.slice(0, split).split('\n');
    const headers = lines.slice(1).map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])
      .filter(([k]) => !/^(content-length|transfer-encoding|authorization|connection)$/i.test(k));
    seeds.push({ requestLine: lines[0]!, headers, body: Buffer.from(raw.slice(split + 2), 'latin1') });
  }
  return seeds;
}

type Mutation = (s: Seed, r: Random) => Seed;
const withBody = (s: Seed, body: Buffer | string): Seed => ({ ...s, body: typeof body === 'string' ? Buffer.from(body, 'latin1') : body });

const MUTATIONS: Record<string, Mutation> = {
  truncate: (s, r) => withBody(s, s.body.subarray(0, Math.floor(r() * s.body.length))),
  flipBytes: (s, r) => {
    const b = Buffer.from(s.body);
    for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return withBody(s, b);
  },
  deleteSpan: (s, r) => {
    const a = Math.floor(r() * s.body.length);
    const b = Math.min(s.body.length, a + Math.floor(r() * 60));
    return withBody(s, Buffer.concat([s.body.subarray(0, a), s.body.subarray(b)]));
  },
  duplicateSpan: (s, r) => {
    const a = Math.floor(r() * s.body.length);
    const b = Math.min(s.body.length, a + Math.floor(r() * 200));
    return withBody(s, Buffer.concat([s.body.subarray(0, b), s.body.subarray(a, b), s.body.subarray(b)]));
  },
  deepNesting: (s, r) => {
    const depth = 50 + Math.floor(r() * 5_000);
    const tag = pick(r, ['VALUE.ARRAY', 'INSTANCE', 'X', 'IPARAMVALUE']);
    const t = s.body.toString('latin1');
    const at = t.lastIndexOf('</IMETHODCALL>') > 0 ? t.lastIndexOf('</IMETHODCALL>') : Math.floor(t.length / 2);
    return withBody(s, t.slice(0, at) + `<${tag}>`.repeat(depth) + `</${tag}>`.repeat(depth) + t.slice(at));
  },
  entities: (s, r) => {
    const t = s.body.toString('latin1').replace(/^<\?xml[^>]*\?>/, '');
    const doctype = pick(r, [
      '<!DOCTYPE CIM [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
      '<!DOCTYPE CIM SYSTEM "file:///etc/passwd">',
      '<!DOCTYPE CIM [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ]);
    const body = `<?xml version="1.0"?>${doctype}${t}`.replace('<NAMESPACE NAME="root"', '<NAMESPACE NAME="&d;&x;"');
    return withBody(s, body);
  },
  oversized: (s) => withBody(s, Buffer.concat([s.body, Buffer.from(`<!--${'z'.repeat(300 * 1024)}-->`)])),
  badUtf8: (s, r) => {
    const b = Buffer.from(s.body);
    const at = Math.floor(r() * b.length);
    return withBody(s, Buffer.concat([b.subarray(0, at), Buffer.from([pick(r, [0xc0, 0xff, 0xfe, 0x00, 0xed]), 0xa0, 0x80]), b.subarray(at)]));
  },
  headerGarbage: (s, r) => {
    const headers = s.headers.map(([k, v]): [string, string] => {
      if (r() < 0.3) return [k, pick(r, ['', '%', '%ZZ', 'MethodCall, MethodCall', '\u00ff\u00fe', 'root/../x', 'a'.repeat(300), 'Bogus'])];
      return [k, v];
    });
    return r() < 0.3 ? { ...s, headers: headers.filter(() => r() > 0.3) } : { ...s, headers };
  },
  tagSwap: (s, r) => {
    const t = s.body.toString('latin1');
    const tags = ['IMETHODCALL', 'METHODCALL', 'SIMPLEREQ', 'MESSAGE', 'INSTANCENAME', 'KEYVALUE', 'VALUE', 'IPARAMVALUE', 'CLASSNAME', 'MULTIREQ', 'SIMPLERSP'];
    return withBody(s, t.replaceAll(pick(r, tags), pick(r, tags)));
  },
  attributeNoise: (s, r) => {
    const t = s.body.toString('latin1');
    return withBody(s, t.replace(/NAME="[^"]*"/g, (m) => (r() < 0.2 ? pick(r, ['NAME=""', 'NAME="&lt;x&gt;"', 'NAME="a" NAME="b"', 'NAME=\'x', 'TYPE="uint99"', 'NAME="\u0001"']) : m)));
  },
};

function serialize(s: Seed): string {
  const head = [s.requestLine, 'Host: 127.0.0.1', ...s.headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${s.body.length}`, 'Connection: close'];
  return `${head.join('\r\n')}\r\n\r\n`;
}

const ALLOWED_STATUS = new Set([200, 400, 405, 413, 415, 431, 501, 510]);

describe('wbem: fuzzing with mutated captures', function () {
  this.timeout(300_000);
  let s: TestServer;
  const okBodies: string[] = [];

  before(async () => {
    s = await startServer({ repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), extra: { maxRequestBytes: 256 * 1024 } });
  });
  after(() => s.close());

  it('answers 3,000 mutated requests with well-formed HTTP or CIM errors', async () => {
    const seeds = loadSeeds();
    expect(seeds.length).to.be.greaterThan(50);
    const r = seededRandom(20261129);
    const names = Object.keys(MUTATIONS);
    const jobs: { name: string; bytes: Buffer }[] = [];
    for (let i = 0; i < 3000; i++) {
      let seed = pick(r, seeds);
      const applied: string[] = [];
      for (let k = 0, n = 1 + Math.floor(r() * 2); k < n; k++) {
        const name = pick(r, names);
        applied.push(name);
        seed = MUTATIONS[name]!(seed, r);
      }
      jobs.push({ name: `#${i} ${applied.join('+')}`, bytes: Buffer.concat([Buffer.from(serialize(seed), 'latin1'), seed.body]) });
    }
    const seen = new Map<number, number>();
    const problems: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        let res: RawResponse;
        try {
          res = await rawRequest(s.port, job.bytes, 15_000);
        } catch (e) {
          problems.push(`${job.name}: ${(e as Error).message}`);
          continue;
        }
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        if (!ALLOWED_STATUS.has(res.status)) problems.push(`${job.name}: status ${res.status}`);
        if (res.status === 200) {
          try {
            const m = decodeMessage(res.body);
            if (m.kind !== 'SIMPLERSP') problems.push(`${job.name}: 200 with a ${m.kind}`);
            okBodies.push(res.body);
          } catch (e) {
            problems.push(`${job.name}: 200 with a body that does not decode: ${(e as Error).message}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(problems.slice(0, 10)).to.deep.equal([]);
    // The mutations reach both layers: transport refusals and CIM errors inside 200s.
    expect(seen.get(200) ?? 0).to.be.greaterThan(40);
    expect(seen.get(400) ?? 0).to.be.greaterThan(100);
    expect(seen.get(413) ?? 0).to.be.greaterThan(10);
  });

  it('answers requests cut short or garbled at the HTTP framing level, then closed by the client', async () => {
    const seeds = loadSeeds();
    const r = seededRandom(7);
    const statuses = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const seed = pick(r, seeds);
      const whole = Buffer.concat([Buffer.from(serialize(seed), 'latin1'), seed.body]);
      let bytes: Buffer;
      switch (i % 3) {
        case 0: bytes = whole.subarray(0, 1 + Math.floor(r() * (whole.length - 1))); break;
        case 1: { bytes = Buffer.from(whole); for (let k = 0; k < 4; k++) bytes[Math.floor(r() * Math.min(200, bytes.length))] = Math.floor(r() * 256); break; }
        default: bytes = Buffer.from(pick(r, ['\r\n\r\n', 'GET\r\n\r\n', 'M-POST', 'POST / HTTP/9.9\r\n\r\n', '\u0000\u00ff\r\n\r\n', 'POST /cimom HTTP/1.1\r\nContent-Length: -1\r\n\r\n']), 'latin1');
      }
      const line = await new Promise<string>((resolve) => {
        const c = net.connect(s.port, '127.0.0.1', () => { c.write(bytes); c.end(); });
        let out = '';
        c.setEncoding('latin1');
        c.on('data', (d: string) => { out += d; });
        c.on('close', () => resolve(out.split('\r\n')[0] ?? ''));
        c.on('error', () => resolve('error'));
      });
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(line)?.[1] ?? (line === '' ? 'closed' : `garbled: ${line.slice(0, 40)}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const allowed = new Set(['200', '400', '405', '413', '415', '431', '501', '505', '510', 'closed']);
    expect([...statuses.keys()].filter((k) => !allowed.has(k))).to.deep.equal([]);
    // Most cut or garbled requests get an explicit refusal, not silence.
    expect((statuses.get('400') ?? 0) + (statuses.get('501') ?? 0)).to.be.greaterThan(150);
  });

  it('is still up and answering normally', async () => {
    const r = await rawRequest(s.port, imethodRequest('EnumerateInstanceNames', 'root/cimv2', '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>'));
    expect(r.status).to.equal(200);
    expect(r.body.split('<INSTANCENAME ').length - 1).to.be.at.least(3);
  });

  it('every 200 answer is DTD-valid CIM-XML', async () => {
    expect(okBodies.length).to.be.greaterThan(40);
    expect(await validateAgainstDtd(okBodies)).to.equal('');
  });
});
