import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { parseImaLog, parseAsciiLog, formatAsciiLine, formatBinaryRecord, detectFormat } from '../../../src/tvdc/integrity/ImaLogParser.js';
import { encodeTemplateData, type ImaEntry } from '../../../src/tvdc/integrity/ImaEntry.js';
import { ImaReplay } from '../../../src/tvdc/integrity/ImaReplay.js';
import { verifyAsciiImaLog, verifyImaLog } from '../../../src/tvdc/integrity/ImaLogVerifier.js';
import { ReferenceSet } from '../../../src/tvdc/integrity/ReferenceSet.js';
import { IntegrityError } from '../../../src/tvdc/integrity/IntegrityError.js';
import { fixture } from './fixtures.js';

const keylime = () => readFileSync(fixture('rust-keylime-ascii_runtime_measurements'));

function entry(index: number, template: string, alg: string, digest: string, path: string, extra?: Buffer): ImaEntry {
  const templateData = encodeTemplateData(template, alg, digest, path, extra);
  const e: ImaEntry = { index, pcr: 10, templateHash: hash('sha1', templateData, 'hex'), templateName: template, templateData, fileAlg: alg, fileDigest: digest, path, violation: false };
  if (template === 'ima-sig' && extra) e.signature = extra;
  if (template === 'ima-buf') e.buffer = extra ?? Buffer.alloc(0);
  return e;
}

describe('integrity: IMA measurement lists', () => {
  it('replays the rust-keylime ascii log to the documented SHA-1 PCR10 with every template hash matching', () => {
    const log = parseImaLog(keylime());
    expect(log.format).to.equal('ascii');
    expect(log.entries).to.have.length(826);
    expect(log.entries.every((e) => e.templateName === 'ima-ng')).to.equal(true);
    const report = verifyImaLog(log.entries, { bank: 'sha1' });
    expect(report.templateMismatches).to.deep.equal([]);
    expect(report.pcrs[10]).to.equal('82231c67a69da98dc5b3aa10f6343d33109225fc');
    expect(report.status).to.equal('trusted');
  });

  it('round-trips the fixture through the binary format and replays the same PCR10', () => {
    const log = parseImaLog(keylime());
    const bin = Buffer.concat(log.entries.map(formatBinaryRecord));
    expect(detectFormat(bin)).to.equal('binary');
    const back = parseImaLog(bin);
    expect(back.format).to.equal('binary');
    expect(back.entries.map(formatAsciiLine)).to.deep.equal(log.entries.map(formatAsciiLine));
    expect(verifyImaLog(back.entries).pcrs[10]).to.equal('82231c67a69da98dc5b3aa10f6343d33109225fc');
  });

  it('reports an altered entry by index and path, and the replay no longer matches', () => {
    const lines = keylime().toString().trimEnd().split('\n');
    lines[5] = lines[5]!.replace('/lib/x86_64-linux-gnu/libc-2.23.so', '/lib/x86_64-linux-gnu/libc-evil.so');
    const report = verifyImaLog(parseAsciiLog(lines));
    expect(report.templateMismatches).to.deep.equal([{ index: 5, path: '/lib/x86_64-linux-gnu/libc-evil.so' }]);
    expect(report.status).to.equal('untrusted');
  });

  it('checks ima, ima-sig and ima-buf templates and replays violations as all 0xff', () => {
    const sig = Buffer.from('030204aabbccdd', 'hex');
    const es = [
      entry(0, 'ima', 'sha1', 'aa'.repeat(20), '/bin/old'),
      entry(1, 'ima-sig', 'sha256', 'bb'.repeat(32), '/usr/bin/signed', sig),
      entry(2, 'ima-buf', 'sha256', 'cc'.repeat(32), 'kexec-cmdline', Buffer.from('root=/dev/sda')),
      entry(3, 'ima-sig', 'sha256', 'dd'.repeat(32), '/usr/bin/with space'),
    ];
    const viol: ImaEntry = { ...entry(4, 'ima-ng', 'sha256', '00'.repeat(32), '/var/log/open-for-write'), templateHash: '0'.repeat(40), violation: true };
    es.push(viol);
    const text = es.map(formatAsciiLine).join('\n') + '\n';
    const parsed = parseAsciiLog(text);
    expect(parsed.map((e) => e.templateName)).to.deep.equal(['ima', 'ima-sig', 'ima-buf', 'ima-sig', 'ima-ng']);
    expect(parsed[1]!.signature).to.deep.equal(sig);
    expect(parsed[2]!.buffer!.toString()).to.equal('root=/dev/sda');
    expect(parsed[3]!.path).to.equal('/usr/bin/with space');
    const report = verifyImaLog(parsed);
    expect(report.templateMismatches).to.deep.equal([]);
    expect(report.violations).to.equal(1);
    // Independent replay: the violation extends 20 bytes of 0xff into SHA-1.
    let pcr = Buffer.alloc(20);
    for (const e of es) {
      const d = e.violation ? Buffer.alloc(20, 0xff) : Buffer.from(e.templateHash, 'hex');
      pcr = Buffer.from(hash('sha1', Buffer.concat([pcr, d]), 'hex'), 'hex');
    }
    expect(report.pcrs[10]).to.equal(pcr.toString('hex'));
    // The binary format of the same entries replays identically.
    const bin = parseImaLog(Buffer.concat(es.map(formatBinaryRecord)));
    expect(verifyImaLog(bin.entries).pcrs[10]).to.equal(pcr.toString('hex'));
  });

  it('replays the SHA-256 bank both per bank and by the older zero-padded SHA-1 method', () => {
    const log = parseImaLog(keylime()).entries.slice(0, 3);
    let perBank = Buffer.alloc(32);
    let padded = Buffer.alloc(32);
    for (const e of log) {
      perBank = Buffer.from(hash('sha256', Buffer.concat([perBank, Buffer.from(hash('sha256', e.templateData, 'hex'), 'hex')]), 'hex'), 'hex');
      const p = Buffer.alloc(32);
      Buffer.from(e.templateHash, 'hex').copy(p);
      padded = Buffer.from(hash('sha256', Buffer.concat([padded, p]), 'hex'), 'hex');
    }
    expect(verifyImaLog(log, { bank: 'sha256' }).pcrs[10]).to.equal(perBank.toString('hex'));
    expect(verifyImaLog(log, { bank: 'sha256', method: 'sha1-padded' }).pcrs[10]).to.equal(padded.toString('hex'));
  });

  it('resumes an incremental replay from the last verified entry', () => {
    const all = parseImaLog(keylime()).entries;
    const first = verifyImaLog(all.slice(0, 400));
    expect(first.state.nextIndex).to.equal(400);
    const rest = verifyImaLog(all.slice(400), { resume: first.state });
    expect(rest.entries).to.equal(426);
    expect(rest.pcrs[10]).to.equal('82231c67a69da98dc5b3aa10f6343d33109225fc');
    const replay = new ImaReplay('sha1', 'per-bank', JSON.parse(JSON.stringify(first.state)));
    for (const e of all.slice(400)) replay.add(e);
    expect(replay.value(10).toString('hex')).to.equal('82231c67a69da98dc5b3aa10f6343d33109225fc');
  });

  it('the single-pass ascii verifier agrees with parse-then-verify on every kind of line', () => {
    const lines = keylime().toString().trimEnd().split('\n');
    lines[7] = lines[7]!.replace('/conf/initramfs.conf', '/conf/initramfs.evil'); // altered
    lines[9] = lines[9]!.toUpperCase().replace('IMA-NG', 'ima-ng').replace('SHA1:', 'sha1:'); // upper-case hex
    lines[11] = lines[11]!.replace(/ima-ng sha1:([0-9a-f]+) (.*)$/, (_m, d: string, p: string) => `ima-ng sha1:${d} ${p}/ünïcode`);
    const extra = [
      formatAsciiLine(entry(0, 'ima', 'sha1', 'aa'.repeat(20), '/bin/old')),
      formatAsciiLine(entry(0, 'ima-sig', 'sha256', 'bb'.repeat(32), '/usr/bin/signed', Buffer.from('0302', 'hex'))),
      `10 ${'0'.repeat(40)} ima-ng sha256:${'00'.repeat(32)} /var/log/violation`,
      `11 ${entry(0, 'ima-ng', 'sha256', '0c'.repeat(32), '/other/pcr').templateHash} ima-ng sha256:${'0c'.repeat(32)} /other/pcr`,
    ];
    const text = [...lines, ...extra].join('\r\n') + '\r\n';
    const refs = new ReferenceSet().add('/init', { digest: '19f13b42c2745066347e76454788c0fe083643f3', annotation: 'trusted' }).exclude('/lib/');
    for (const opts of [{}, { bank: 'sha256' as const }, { bank: 'sha256' as const, method: 'sha1-padded' as const }, { references: refs }, { references: refs, allVerdicts: true }]) {
      const fast = verifyAsciiImaLog(text, opts);
      const slow = verifyImaLog(parseAsciiLog(text), opts);
      expect(fast).to.deep.equal(slow);
    }
    const first = verifyAsciiImaLog(lines.slice(0, 100).join('\n'));
    const rest = verifyAsciiImaLog(lines.slice(100).join('\n'), { resume: first.state });
    expect(rest.firstIndex).to.equal(100);
    expect(rest.pcrs[10]).to.equal(verifyImaLog(parseAsciiLog(lines.join('\n'))).pcrs[10]);
    expect(() => verifyAsciiImaLog('10 ' + 'a'.repeat(40) + ' ima-ng nodigest /x\n')).to.throw(IntegrityError, /line 1/);
  });

  it('rejects malformed logs with a specific error naming the line', () => {
    expect(() => parseAsciiLog('10 zz ima-ng sha1:00 /x\n')).to.throw(IntegrityError, /line 1: template hash/);
    expect(() => parseAsciiLog('99 ' + '0'.repeat(40) + ' ima-ng sha1:00 /x\n')).to.throw(IntegrityError, /PCR "99"/);
    expect(() => parseAsciiLog('10 ' + '1'.repeat(40) + ' weird sha1:00 /x\n')).to.throw(IntegrityError, /unsupported template/);
    const bin = formatBinaryRecord(parseImaLog(keylime()).entries[1]!);
    expect(() => parseImaLog(bin.subarray(0, bin.length - 3))).to.throw(IntegrityError, /cut short/);
  });
});
