// Every request body tvdc-cim and the client library send is valid CIM-XML: xmllint checks them
// against the DSP0203 DTD, and the DSP0200 headers agree with the body.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import { FIXTURES, StubServer, sendXml, imethodResponse } from './support/StubServer.js';
import { runTvdcCimInProcess } from './support/runners.js';

const RESPONSES = join(FIXTURES, 'cim', 'captures', 'wbemcli', 'responses-accepted');
const DTD = join(FIXTURES, 'cim', 'dmtf', 'DSP0203_2.4.0.dtd');

function xmllint(files: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('xmllint', ['--noout', '--nonet', '--dtdvalid', DTD, ...files], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe('requests the client sends', function () {
  this.timeout(30_000);
  let server: StubServer;
  let base: string;

  before(async () => {
    server = new StubServer((req, res) => {
      const m = String(req.headers.cimmethod);
      try {
        sendXml(res, readFileSync(join(RESPONSES, m === 'Reset' ? 'Reset.xml' : `${m}.xml`)));
      } catch {
        // Operations without a recorded answer get an empty success.
        sendXml(res, imethodResponse(m, ''));
      }
    });
    await server.start();
    base = `http://alice:pw@127.0.0.1:${server.port}/root/cimv2`;
  });
  after(() => server.close());

  it('are DTD-valid for every verb, with headers that match the body', async () => {
    const K = 'CreationClassName="TVD_Widget",Id=7';
    const runs = [
      ['gc', `${base}:TVD_Widget`], ['gcd', `${base}:TVD_Widget`], ['dc', `${base}:TVD_Widget`], ['ec', `${base}:TVD_Widget`],
      ['ecn', base], ['gi', `${base}:TVD_Widget.${K}`, 'Label,Id'], ['ci', `${base}:TVD_Widget.${K}`, 'Label="x y",Enabled=true,Tags="a","b"'],
      ['mi', `${base}:TVD_Widget.${K}`, 'Label="z"'], ['di', `${base}:TVD_Widget.${K}`], ['ei', `${base}:TVD_Widget`, 'Label'],
      ['ein', `${base}:TVD_Widget`], ['ai', '-ac', 'TVD_WidgetGadget', '-arc', 'TVD_Gadget', '-ar', 'Widget', '-arr', 'Gadget', `${base}:TVD_Widget.${K}`],
      ['ain', `${base}:TVD_Widget.${K}`], ['ri', `${base}:TVD_Widget.${K}`], ['rin', `${base}:TVD_Widget.${K}`],
      ['gp', `${base}:TVD_Widget.${K}`, 'Label'], ['sp', `${base}:TVD_Widget.${K}`, 'Tags="q"'], ['cm', `${base}:TVD_Widget.${K}`, 'Reset.Force=true'],
    ];
    server.requests.length = 0;
    for (const r of runs) {
      const out = await runTvdcCimInProcess(r);
      expect(out.code, `${r.join(' ')}: ${out.stderr}`).to.equal(0);
    }
    // The library's remaining operations, whose answers do not matter here.
    const conn = new WbemConnection(server.origin, { namespace: 'root/tvdc' });
    const w = CimObjectPath.instance('TVD_Widget', { CreationClassName: 'TVD_Widget', Id: 7n });
    const inst = new CimInstance('TVD_Widget');
    inst.properties.set('Label', new CimProperty('Label', 'string', 'a'));
    await conn.execQuery('WQL', 'SELECT * FROM TVD_Widget').toArray().catch(() => undefined);
    await conn.pullInstances('TVD_Widget').toArray().catch(() => undefined);
    await conn.pullQueryInstances('WQL', 'SELECT * FROM TVD_Widget').toArray().catch(() => undefined);
    await conn.pullReferenceInstancePaths(w, { resultClass: 'TVD_WidgetGadget', role: 'Widget' }).toArray().catch(() => undefined);
    await conn.enumerateQualifiers().toArray().catch(() => undefined);
    await conn.invokeMethod(new CimObjectPath('TVD_Widget'), 'Describe', { Sample: inst, N: { type: 'uint32', value: [1, 2] }, R: w }).catch(() => undefined);
    await conn.close();

    const methods = new Set(server.requests.map((r) => String(r.headers.cimmethod)));
    for (const m of ['ExecQuery', 'OpenEnumerateInstances', 'OpenQueryInstances', 'OpenReferenceInstancePaths', 'EnumerateQualifiers', 'Describe', 'CreateInstance', 'ModifyInstance', 'SetProperty', 'Reset']) {
      expect(methods.has(m), `${m} was sent`).to.equal(true);
    }
    const dir = mkdtempSync(join(tmpdir(), 'tvdc-client-req-'));
    try {
      const files = server.requests.map((r, i) => {
        const f = join(dir, `req${i}.xml`);
        writeFileSync(f, r.body);
        return f;
      });
      expect(files.length).to.be.greaterThan(25);
      const lint = await xmllint(files);
      expect(lint.out).to.equal('');
      expect(lint.code).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const r of server.requests) {
      const method = decodeURIComponent(String(r.headers.cimmethod));
      expect(r.method).to.equal('POST');
      expect(r.headers.cimoperation).to.equal('MethodCall');
      expect(r.body).to.match(new RegExp(`<(I?)METHODCALL NAME="${method}"`));
      const intrinsic = r.body.includes('<IMETHODCALL');
      const ns = /<LOCALNAMESPACEPATH>(.*?)<\/LOCALNAMESPACEPATH>/.exec(r.body)![1]!.match(/NAME="([^"]+)"/g)!.map((x) => x.slice(6, -1)).join('/');
      const object = decodeURIComponent(String(r.headers.cimobject));
      if (intrinsic) expect(object).to.equal(ns);
      else expect(object.startsWith(`${ns}:`)).to.equal(true);
    }
  });
});
