// For every wbemcli verb and output option, Debian's wbemcli and tvdc-cim run against the same
// loopback server replaying the responses wbemcli 1.6.3 accepted; their stdout and exit codes must
// be identical.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, StubServer, sendXml, type StubHandler } from './support/StubServer.js';
import { runTvdcCimBinary, runTvdcCimInProcess, runWbemcli } from './support/runners.js';

const RESPONSES = join(FIXTURES, 'cim', 'captures', 'wbemcli', 'responses-accepted');

function replay(file: string): Buffer {
  return readFileSync(join(RESPONSES, file));
}

/** Answers each request with wbemcli's recorded answer to its method; a method never recorded gets a 500. */
const replayByMethod: StubHandler = (req, res) => {
  const method = String(req.headers.cimmethod ?? '');
  // Extrinsic calls carry the method name (Reset); everything else has its own recorded answer.
  const file = method === 'Reset' ? 'Reset.xml' : `${method}.xml`;
  try {
    sendXml(res, replay(file));
  } catch {
    res.writeHead(500).end();
  }
};

/** Runs both clients with `args`: each must fail with exit 16 and print the same, but for its name. */
async function expectSameFailure(args: string[]): Promise<void> {
  const w = await runWbemcli(args);
  const t = await runTvdcCimInProcess(args);
  expect(w.code).to.equal(16);
  expect(t.code).to.equal(16);
  expect(t.stdout).to.equal(w.stdout);
  expect(t.stderr).to.equal(w.stderr.replace(/wbemcli/g, 'tvdc-cim'));
}

describe('tvdc-cim prints what wbemcli prints (replayed responses)', function () {
  this.timeout(60_000);
  let server: StubServer;
  let base: string;
  const K = 'CreationClassName="TVD_Widget",Id=7';

  before(async () => {
    server = new StubServer(replayByMethod);
    await server.start();
    base = `http://alice:s3cret@127.0.0.1:${server.port}/root/cimv2`;
  });
  after(() => server.close());

  const cases: [string, (b: string) => string[]][] = [
    ['gc', (b) => ['gc', `${b}:TVD_Widget`]],
    ['gcd', (b) => ['gcd', `${b}:TVD_Widget`]],
    ['dc', (b) => ['dc', `${b}:TVD_Widget`]],
    ['ec', (b) => ['ec', `${b}:TVD_Widget`]],
    ['ecn', (b) => ['ecn', b]],
    ['gi', (b) => ['gi', `${b}:TVD_Widget.${K}`]],
    ['gi with property list', (b) => ['gi', `${b}:TVD_Widget.${K}`, 'Label,Id']],
    ['ci', (b) => ['ci', `${b}:TVD_Widget.${K}`, 'Label="hello world",Enabled=true,Tags="x","y"']],
    ['mi', (b) => ['mi', `${b}:TVD_Widget.${K}`, 'Label="changed"']],
    ['di', (b) => ['di', `${b}:TVD_Widget.${K}`]],
    ['ei', (b) => ['ei', `${b}:TVD_Widget`]],
    ['ein', (b) => ['ein', `${b}:TVD_Widget`]],
    ['ai', (b) => ['ai', `${b}:TVD_Widget.${K}`]],
    ['ai with -ac -arc', (b) => ['ai', '-ac', 'TVD_WidgetGadget', '-arc', 'TVD_Gadget', `${b}:TVD_Widget.${K}`]],
    ['ain', (b) => ['ain', `${b}:TVD_Widget.${K}`]],
    ['ri', (b) => ['ri', `${b}:TVD_Widget.${K}`]],
    ['rin with -arc -ar', (b) => ['rin', '-arc', 'TVD_WidgetGadget', '-ar', 'Widget', `${b}:TVD_Widget.${K}`]],
    ['gp', (b) => ['gp', `${b}:TVD_Widget.${K}`, 'Label']],
    ['sp', (b) => ['sp', `${b}:TVD_Widget.${K}`, 'Label=x']],
    ['cm', (b) => ['cm', `${b}:TVD_Widget.${K}`, 'Reset.Force=true']],
    ['cmx', (b) => ['cmx', `${b}:TVD_Widget.${K}`, 'Reset.Force=true']],
  ];

  for (const [name, args] of cases) {
    it(`${name}: same stdout and exit code`, async () => {
      const a = args(base);
      const w = await runWbemcli(a);
      const t = await runTvdcCimInProcess(a);
      expect(w.code, `wbemcli failed: ${w.stderr}`).to.equal(0);
      expect(t.stdout).to.equal(w.stdout);
      expect(t.code).to.equal(w.code);
    });
  }

  for (const opt of [['-nl'], ['-t'], ['-dr'], ['-nl', '-t']]) {
    for (const verb of ['gc', 'ec', 'gi', 'ei', 'ai', 'ri', 'cm']) {
      it(`${opt.join(' ')} ${verb}: same stdout`, async () => {
        const target = verb === 'gc' || verb === 'ec' || verb === 'ei' ? `${base}:TVD_Widget` : `${base}:TVD_Widget.${K}`;
        const a = [...opt, verb, target, ...(verb === 'cm' ? ['Reset.Force=true'] : [])];
        const w = await runWbemcli(a);
        const t = await runTvdcCimInProcess(a);
        expect(t.stdout).to.equal(w.stdout);
        expect(t.code).to.equal(w.code);
      });
    }
  }

  it('the request tvdc-cim sends for gi carries the DSP0200 headers wbemcli sends', async () => {
    server.requests.length = 0;
    await runTvdcCimInProcess(['gi', `${base}:TVD_Widget.${K}`]);
    const r = server.requests[0]!;
    expect(r.url).to.equal('/cimom');
    expect(r.headers.cimoperation).to.equal('MethodCall');
    expect(r.headers.cimmethod).to.equal('GetInstance');
    expect(r.headers.cimobject).to.equal('root%2Fcimv2');
    expect(r.headers.authorization).to.equal(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    expect(String(r.headers['content-type'])).to.match(/^application\/xml; charset=utf-8$/);
    expect(r.body).to.contain('<KEYVALUE VALUETYPE="numeric"');
  });

  it('a CIM error prints in wbemcli\'s frame and both exit 16', async () => {
    server.setHandler((_req, res) => sendXml(res, replay('error-GetInstance-NOT_FOUND.xml')));
    try {
      await expectSameFailure(['gi', `${base}:TVD_Widget.Id=7`]);
    } finally {
      server.setHandler(replayByMethod);
    }
  });

  for (const [what, args] of [
    ['an unknown verb', (b: string) => ['xx', `${b}:TVD_Widget`]],
    ['gi without keys', (b: string) => ['gi', `${b}:TVD_Widget`]],
    ['ci without properties', (b: string) => ['ci', `${b}:TVD_Widget.${K}`]],
    ['ecn with an extra argument', (b: string) => ['ecn', b, 'x']],
    ['-ac on gi', (b: string) => ['gi', '-ac', 'X', `${b}:TVD_Widget.${K}`]],
    ['a URL without scheme', () => ['gi', 'localhost:5988/root/cimv2:X.k=1']],
  ] as [string, (b: string) => string[]][]) {
    it(`${what}: the same Cmd Exception and exit 16`, () => expectSameFailure(args(base)));
  }

  it('host indirection through $WBEMCLI_IND works as in wbemcli', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tvdc-ind-'));
    const file = join(dir, 'wbemcli.ind');
    writeFileSync(file, `# hosts\nmyCimom: http://alice:s3cret@127.0.0.1:${server.port}\n`);
    const saved = process.env.WBEMCLI_IND;
    process.env.WBEMCLI_IND = file;
    try {
      for (const a of [['ein', 'myCimom/root/cimv2:TVD_Widget'], ['ein', 'elsewhere/root/cimv2:TVD_Widget']]) {
        const w = await runWbemcli(a);
        const t = await runTvdcCimInProcess(a);
        expect(t.stdout).to.equal(w.stdout);
        expect(t.code).to.equal(w.code);
        expect(t.stderr).to.equal(w.stderr.replace(/wbemcli/g, 'tvdc-cim'));
      }
    } finally {
      if (saved === undefined) delete process.env.WBEMCLI_IND;
      else process.env.WBEMCLI_IND = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the tvdc-cim binary exits 0 on success and 16 when the server is unreachable', async () => {
    const ok = await runTvdcCimBinary(['ein', `${base}:TVD_Widget`]);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.equal(`127.0.0.1:${server.port}/root/cimv2:TVD_Widget.CreationClassName="TVD_Widget",Id=7\n`);
    const bad = await runTvdcCimBinary(['ein', 'http://127.0.0.1:1/root/cimv2:TVD_Widget']);
    expect(bad.code).to.equal(16);
    expect(bad.stderr).to.match(/^\*\n\* tvdc-cim: Http Exception: cannot connect to 127\.0\.0\.1:1: connection refused/);
  });
});
