// The byte-level fast path of verifyAsciiImaLog must give exactly what parse-then-verify gives,
// for the text and for the file's bytes, on every kind of line it takes or hands on.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { parseAsciiLog, formatAsciiLine } from '../../../src/tvdc/integrity/ImaLogParser.js';
import { encodeTemplateData, type ImaEntry } from '../../../src/tvdc/integrity/ImaEntry.js';
import { ImaReplay } from '../../../src/tvdc/integrity/ImaReplay.js';
import { verifyAsciiImaLog, verifyImaLog, type ImaVerifyOptions } from '../../../src/tvdc/integrity/ImaLogVerifier.js';
import { ReferenceSet, digestKey } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { IntegrityError } from '../../../src/tvdc/integrity/IntegrityError.js';
import { fixture } from './fixtures.js';

const KEYLIME_PCR10 = '82231c67a69da98dc5b3aa10f6343d33109225fc';
const keylime = () => readFileSync(fixture('rust-keylime-ascii_runtime_measurements'));

/** A well-formed ima-ng line (SHA-1 template hash unless `thAlg` says otherwise). */
function ngLine(alg: string, digest: string, path: string, pcr = 10, thAlg: 'sha1' | 'sha256' = 'sha1'): string {
  return `${pcr} ${hash(thAlg, encodeTemplateData('ima-ng', alg, digest, path), 'hex')} ima-ng ${alg}:${digest} ${path}`;
}

function ngEntry(index: number, template: string, alg: string, digest: string, path: string, extra?: Buffer): ImaEntry {
  const templateData = encodeTemplateData(template, alg, digest, path, extra);
  const e: ImaEntry = { index, pcr: 10, templateHash: hash('sha1', templateData, 'hex'), templateName: template, templateData, fileAlg: alg, fileDigest: digest, path, violation: false };
  if (template === 'ima-sig' && extra) e.signature = extra;
  return e;
}

/** Both inputs of the fast path against the general parser, for a handful of option sets. */
function expectSameAsGeneral(text: string, refs?: ReferenceSet): void {
  const sets: ImaVerifyOptions[] = [{}, { bank: 'sha256' }, { bank: 'sha256', method: 'sha1-padded' }];
  if (refs) sets.push({ references: refs }, { references: refs, allVerdicts: true });
  for (const opts of sets) {
    const slow = verifyImaLog(parseAsciiLog(text), opts);
    expect(verifyAsciiImaLog(text, opts), JSON.stringify(opts)).to.deep.equal(slow);
    expect(verifyAsciiImaLog(Buffer.from(text, 'utf8'), opts), `bytes ${JSON.stringify(opts)}`).to.deep.equal(slow);
  }
}

/** The message each verifier throws for `text`, or '' when it does not throw. */
function errorOf(f: () => unknown): string {
  try {
    f();
    return '';
  } catch (e) {
    expect(e).to.be.instanceOf(IntegrityError);
    return (e as Error).message;
  }
}

describe('integrity: ascii fast path', () => {
  it('replays the rust-keylime log from its bytes and from its text to the documented PCR10', () => {
    for (const log of [keylime(), keylime().toString('utf8')]) {
      const report = verifyAsciiImaLog(log);
      expect(report.entries).to.equal(826);
      expect(report.templateMismatches).to.deep.equal([]);
      expect(report.pcrs[10]).to.equal(KEYLIME_PCR10);
      expect(report.status).to.equal('trusted');
    }
  });

  it('agrees with parse-then-verify on lines it takes and lines it hands on, around non-ASCII ones', () => {
    const lines = keylime().toString().trimEnd().split('\n').slice(0, 40);
    const refs = new ReferenceSet();
    for (const e of parseAsciiLog(lines).slice(0, 20)) refs.add(e.path, { digest: e.fileDigest, annotation: 'trusted' });
    refs.add('/usr/bin/bad', { digest: 'ee'.repeat(32), annotation: 'malicious' });
    refs.add('/usr/lib/old.so', { digest: 'dd'.repeat(32), annotation: 'vulnerable', cve: 'CVE-2014-0160' });
    const odd = [
      ngLine('sha256', 'ab'.repeat(32), '/usr/bin/ünïcode'), // non-ASCII: general path, shifts text offsets
      formatAsciiLine(ngEntry(0, 'ima', 'sha1', 'aa'.repeat(20), '/bin/old')), // after it: sliced from the text
      ngLine('sha256', 'ab'.repeat(32), '/usr/bin/日本'), // two-byte characters
      formatAsciiLine(ngEntry(0, 'ima-sig', 'sha256', 'bb'.repeat(32), '/usr/bin/signed', Buffer.from('0302', 'hex'))),
      `10 ${'0'.repeat(40)} ima-ng sha256:${'00'.repeat(32)} /var/log/violation`,
      ngLine('sha256', 'AB'.repeat(32), '/upper/digest'),
      ngLine('sha1', 'cd'.repeat(20), '/path with spaces/x y'),
      ngLine('sha256', 'ef'.repeat(32), ''), // empty path
      ngLine('sha256', '', '/empty/digest'),
      ngLine('sha512', '12'.repeat(64), '/sha512/digest'),
      ngLine('sha256', '34'.repeat(32), '/pcr/eleven', 11),
      ngLine('sha256', '56'.repeat(32), '/pcr/zero', 0),
      ngLine('sha256', '78'.repeat(32), '/template/hash/sha256', 10, 'sha256'),
      ngLine('sha256', '9a'.repeat(32), '/long/' + 'x'.repeat(5000)),
      ngLine('sha256', 'ee'.repeat(32), '/usr/bin/bad'),
      ngLine('sha256', 'dd'.repeat(32), '/usr/lib/old.so'),
      ngLine('sha256', 'ab'.repeat(32), 'boot_aggregate'),
      ngLine('sha256', 'ab'.repeat(32), '/tail\rcr'), // CR inside the path belongs to it
    ];
    const altered = ngLine('sha256', 'bc'.repeat(32), '/usr/bin/real').replace('/usr/bin/real', '/usr/bin/fake');
    const upperTh = ngLine('sha256', 'cd'.repeat(32), '/upper/template/hash').replace(/^10 ([0-9a-f]+)/, (_m, h: string) => `10 ${h.toUpperCase()}`);
    const all = [...lines.slice(0, 10), ...odd, altered, upperTh, ...lines.slice(10)];
    expectSameAsGeneral(all.join('\n') + '\n', refs);
    expectSameAsGeneral(all.join('\r\n'), refs); // CRLF, no final newline
    expectSameAsGeneral(['', ...all.slice(0, 12), '', '\r', ...all.slice(12), ''].join('\n'), refs); // blank lines still count
    const r = verifyAsciiImaLog(all.join('\n'), { references: refs });
    expect(r.templateMismatches.map((m) => m.path)).to.deep.equal(['/usr/bin/fake']);
    expect(r.verdicts.map((v) => v.code)).to.include.members(['MALICIOUS', 'VULNERABLE', 'VIOLATION', 'PATH_UNKNOWN', 'TEMPLATE_HASH_MISMATCH']);
  });

  it('agrees with parse-then-verify across the chunks long text is encoded in, lines longer than a chunk included', () => {
    const lines = keylime().toString().trimEnd().split('\n'); // ~124 kB: crosses chunk boundaries
    const out: string[] = [];
    lines.forEach((l, i) => {
      out.push(l);
      if (i % 37 === 0) out.push(ngLine('sha256', 'ab'.repeat(32), `/usr/share/ünï/${i}`));
      if (i % 53 === 0) out.push(formatAsciiLine(ngEntry(0, 'ima', 'sha1', 'aa'.repeat(20), `/bin/old${i}`)));
    });
    out.splice(300, 0, ngLine('sha256', 'cd'.repeat(32), '/' + 'x'.repeat(70_000))); // one line over a chunk
    out.splice(500, 0, ngLine('sha256', 'cd'.repeat(32), '/' + 'é'.repeat(70_000))); // and over three bytes a char of it
    const refs = new ReferenceSet();
    for (const e of parseAsciiLog(out).filter((_e, i) => i % 3 !== 0)) refs.add(e.path, { digest: e.fileDigest, annotation: 'trusted' });
    expectSameAsGeneral(out.join('\n') + '\n', refs);
    expectSameAsGeneral(out.join('\r\n'), refs);
    expectSameAsGeneral(ngLine('sha256', 'cd'.repeat(32), '/' + 'y'.repeat(200_000)), refs); // no newline at all
    const bad = [...out];
    bad[700] = bad[700]!.replace(' ima-ng ', ' ima-nx ');
    const text = bad.join('\n');
    expect(errorOf(() => verifyAsciiImaLog(text))).to.equal(errorOf(() => parseAsciiLog(text))).and.match(/^IMA log line 701: unsupported template/);
  });

  it('gives malformed lines the general parser\'s specific errors, with the right line number', () => {
    const good = ngLine('sha256', 'ab'.repeat(32), '/ok');
    const th = good.split(' ')[1]!;
    const bad = [
      `24 ${th} ima-ng sha256:${'ab'.repeat(32)} /ok`, // PCR out of range
      `x0 ${th} ima-ng sha256:${'ab'.repeat(32)} /ok`,
      `10 ${th.slice(1)}z ima-ng sha256:${'ab'.repeat(32)} /ok`, // template hash not hex
      `10 ${th}0 ima-ng sha256:${'ab'.repeat(32)} /ok`, // 41 digits
      `10 ${th} ima-ng :${'ab'.repeat(32)} /ok`, // empty algorithm
      `10 ${th} ima-ng sha256${'ab'.repeat(32)} /ok`, // no algorithm
      `10 ${th} ima-ng sha256:${'ab'.repeat(32)}a /ok`, // odd digest
      `10 ${th} ima-ng sha256:${'ab'.repeat(31)}zz /ok`, // not hex
      `10 ${th} ima-ng sha256:${'ab'.repeat(32)}`, // no path field
      `10 ${th} ima-nx sha256:${'ab'.repeat(32)} /ok`, // unknown template
      `10 ${th}`,
    ];
    for (const line of bad) {
      // After a non-ASCII line, so the general parser's line is sliced from shifted text offsets.
      const text = `${good}\n${ngLine('sha256', 'ab'.repeat(32), '/ü')}\n\n${line}\n${good}\n`;
      const expected = errorOf(() => parseAsciiLog(text));
      expect(expected, line).to.match(/^IMA log line 4: /);
      expect(errorOf(() => verifyAsciiImaLog(text)), line).to.equal(expected);
      expect(errorOf(() => verifyAsciiImaLog(Buffer.from(text))), line).to.equal(expected);
    }
  });

  it('resumes from a replay state and numbers entries from it, from bytes too', () => {
    const text = keylime().toString();
    const cut = text.indexOf('\n', text.length >> 1) + 1;
    const first = verifyAsciiImaLog(Buffer.from(text.slice(0, cut)));
    const rest = verifyAsciiImaLog(Buffer.from(text.slice(cut)), { resume: first.state });
    expect(rest.firstIndex).to.equal(first.entries);
    expect(first.entries + rest.entries).to.equal(826);
    expect(rest.pcrs[10]).to.equal(KEYLIME_PCR10);
  });

  it('matches trusted pairs byte for byte and never a malicious or vulnerable digest', () => {
    const d = 'a1b2c3d4'.repeat(8);
    const key = digestKey(0xa1, 0xb2, 0xc3, 0xd4);
    const refs = new ReferenceSet().add('/bin/ls', { digest: 'sha256:' + d.toUpperCase(), annotation: 'trusted' }).add('/bin/ls2', { digest: d, annotation: 'trusted' });
    const line = (s: string) => {
      const b = Buffer.from(`10 x ima-ng sha256:${s}\n`);
      return refs.matchTrustedBytes(key, new DataView(b.buffer, b.byteOffset, b.length), b.indexOf(':') + 1, b.length - 1);
    };
    expect(line(`${d} /bin/ls`)).to.equal(true);
    expect(line(`${d} /bin/ls2`)).to.equal(true);
    expect(line(`${d} /bin/lz`)).to.equal(false);
    expect(line(`${d} /bin/ls/`)).to.equal(false);
    expect(line(`${d.toUpperCase()} /bin/ls`)).to.equal(false); // judge() takes it from there
    refs.add('/bin/ls2', { digest: d, annotation: 'vulnerable', cve: 'CVE-1' });
    expect(line(`${d} /bin/ls2`)).to.equal(false);
    expect(line(`${d} /bin/ls`)).to.equal(true);
    refs.add('/elsewhere', { digest: d, annotation: 'malicious' });
    expect(line(`${d} /bin/ls`)).to.equal(false);
  });

  it('extends PCRs from hex exactly as from bytes, and refuses digests that are not hex', () => {
    const a = new ImaReplay('sha1');
    a.extendHex(10, 'ab'.repeat(20));
    a.extendHex(10, 'CD'.repeat(20));
    let pcr = Buffer.alloc(20);
    for (const h of ['ab'.repeat(20), 'cd'.repeat(20)]) pcr = Buffer.from(hash('sha1', Buffer.concat([pcr, Buffer.from(h, 'hex')]), 'hex'), 'hex');
    expect(a.value(10).toString('hex')).to.equal(pcr.toString('hex'));
    expect(() => a.extendHex(10, 'ab'.repeat(19) + 'zz')).to.throw(RangeError);
    expect(() => a.extendHex(10, 'ab'.repeat(19))).to.throw(RangeError);
    expect(() => new ImaReplay('sha256').extendHex(10, 'ab'.repeat(20))).to.throw(RangeError);
  });
});
