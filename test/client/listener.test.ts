// The indication listener: ExportIndication accepted and answered with SIMPLEEXPRSP, callbacks in
// arrival order, re-sent duplicates dropped, and every malformed request refused with the DSP0200
// status and CIMError header. Also the `tvdc-cim listen` verb.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { parse } from 'yaml';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { IndicationListener } from '../../client/listener/IndicationListener.js';
import { sendIndication } from '../../client/listener/IndicationSender.js';
import { runTvdcCim } from '../../client/cim/wbemcli/TvdcCimCommand.js';
import { FIXTURES } from './support/StubServer.js';

function indication(n: number, context?: string): CimInstance {
  const i = new CimInstance('TVDc_AccessDeniedIndication');
  i.properties.set('Message', new CimProperty('Message', 'string', `denied #${n}`));
  if (context !== undefined) {
    i.properties.set('SequenceContext', new CimProperty('SequenceContext', 'string', context));
    i.properties.set('SequenceNumber', new CimProperty('SequenceNumber', 'sint64', BigInt(n)));
  }
  return i;
}

const EXPORT_BODY = `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="77" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ><EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="CIM_AlertIndication"><PROPERTY NAME="Message" TYPE="string"><VALUE>hi</VALUE></PROPERTY></INSTANCE></EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>`;

const GOOD_HEADERS = {
  'content-type': 'application/xml; charset=utf-8',
  cimprotocolversion: '1.0',
  cimexport: 'MethodRequest',
  cimexportmethod: 'ExportIndication',
};

describe('indication listener', function () {
  this.timeout(10_000);
  let listener: IndicationListener;
  let url: string;
  let got: CimInstance[];

  beforeEach(async () => {
    listener = new IndicationListener({ path: '/tvdc' });
    got = [];
    listener.onIndication((i) => { got.push(i); });
    url = await listener.start();
  });
  afterEach(() => listener.close());

  async function post(body: string, headers: Record<string, string>, path = '/tvdc', method: 'POST' | 'GET' | 'PUT' = 'POST') {
    const res = await request(`http://127.0.0.1:${listener.port}${path}`, { method, headers, body: method === 'GET' ? undefined : body });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  it('accepts ExportIndication, answers SIMPLEEXPRSP and delivers the instance', async () => {
    const r = await post(EXPORT_BODY, GOOD_HEADERS);
    expect(r.status).to.equal(200);
    expect(r.headers.cimexport).to.equal('MethodResponse');
    expect(r.text).to.contain('<SIMPLEEXPRSP>').and.to.contain('<EXPMETHODRESPONSE NAME="ExportIndication"');
    expect(r.text).to.contain('MESSAGE ID="77"');
    await listener.close();
    expect(got).to.have.length(1);
    expect(got[0]!.className).to.equal('CIM_AlertIndication');
    expect(got[0]!.get('Message')).to.equal('hi');
  });

  it('hands indications to callbacks one at a time, in arrival order, even when callbacks are slow', async () => {
    const order: number[] = [];
    listener.onIndication(async (i) => {
      const n = Number(/#(\d+)/.exec(String(i.get('Message')))![1]);
      // Later indications finish their callback faster: order must still hold.
      await new Promise((r) => setTimeout(r, 20 - n));
      order.push(n);
    });
    for (let n = 0; n < 15; n++) await sendIndication(url, indication(n));
    await listener.close();
    expect(order).to.deep.equal(Array.from({ length: 15 }, (_, n) => n));
    expect(listener.stats.delivered).to.equal(15);
  });

  it('drops a re-sent indication with the same SequenceContext and SequenceNumber', async () => {
    await sendIndication(url, indication(1, 'ctx-A'));
    await sendIndication(url, indication(1, 'ctx-A'));
    await sendIndication(url, indication(2, 'ctx-A'));
    await sendIndication(url, indication(1, 'ctx-B'));
    await listener.close();
    expect(got.map((i) => `${String(i.get('SequenceContext'))}/${String(i.get('SequenceNumber'))}`)).to.deep.equal(['ctx-A/1', 'ctx-A/2', 'ctx-B/1']);
    expect(listener.stats.duplicates).to.equal(1);
  });

  const bad: [string, () => Promise<{ status: number; headers: Record<string, unknown>; text: string }>, number, string | undefined][] = [
    ['GET', () => post('', GOOD_HEADERS, '/tvdc', 'GET'), 405, undefined],
    ['another path', () => post(EXPORT_BODY, GOOD_HEADERS, '/elsewhere'), 404, undefined],
    ['no CIMExport header', () => post(EXPORT_BODY, { ...GOOD_HEADERS, cimexport: '' }), 400, 'header-mismatch'],
    ['no CIMExportMethod header', () => post(EXPORT_BODY, { ...GOOD_HEADERS, cimexportmethod: '' }), 400, 'header-mismatch'],
    ['CIMExportMethod naming another method than the body', () => post(EXPORT_BODY, { ...GOOD_HEADERS, cimexportmethod: 'ExportSomething' }), 400, 'header-mismatch'],
    ['MultipleExportRequests', () => post(EXPORT_BODY, { ...GOOD_HEADERS, cimexport: 'MultipleExportRequests' }), 501, 'multiple-requests-unsupported'],
    ['CIMProtocolVersion 2.0', () => post(EXPORT_BODY, { ...GOOD_HEADERS, cimprotocolversion: '2.0' }), 501, 'unsupported-protocol-version'],
    ['a JSON content type', () => post(EXPORT_BODY, { ...GOOD_HEADERS, 'content-type': 'application/json' }), 400, 'request-not-valid'],
    ['a body that is not well-formed', () => post(EXPORT_BODY.slice(0, 150), GOOD_HEADERS), 400, 'request-not-well-formed'],
    ['an operation request instead of an export', () => post(EXPORT_BODY.replace(/SIMPLEEXPREQ/g, 'SIMPLEREQ').replace(/EXPMETHODCALL/g, 'IMETHODCALL').replace(/EXPPARAMVALUE/g, 'IPARAMVALUE'), GOOD_HEADERS), 400, 'request-not-valid'],
  ];
  for (const [what, send, status, cimError] of bad) {
    it(`refuses ${what} with HTTP ${status}${cimError ? ` and CIMError: ${cimError}` : ''}`, async () => {
      const r = await send();
      expect(r.status).to.equal(status);
      if (cimError) expect(r.headers.cimerror).to.equal(cimError);
      else expect(r.headers.cimerror).to.equal(undefined);
      if (status === 405) expect(r.headers.allow).to.equal('POST');
      await listener.close();
      expect(got).to.have.length(0);
    });
  }

  it('answers an unknown export method with ERROR CIM_ERR_NOT_SUPPORTED in a 200 SIMPLEEXPRSP', async () => {
    const body = EXPORT_BODY.replace('NAME="ExportIndication"', 'NAME="ExportSomething"');
    const r = await post(body, { ...GOOD_HEADERS, cimexportmethod: 'ExportSomething' });
    expect(r.status).to.equal(200);
    expect(r.text).to.match(/<ERROR CODE="7"/);
  });

  it('answers a call without NewIndication with ERROR CIM_ERR_INVALID_PARAMETER', async () => {
    const r = await post(EXPORT_BODY.replace('NAME="NewIndication"', 'NAME="Other"'), GOOD_HEADERS);
    expect(r.status).to.equal(200);
    expect(r.text).to.match(/<ERROR CODE="4"/);
    await listener.close();
    expect(got).to.have.length(0);
  });

  it('sending to a listener that is gone is CONNECT_REFUSED', async () => {
    await listener.close();
    try {
      await sendIndication(url, indication(1));
      expect.fail('the closed listener should not answer');
    } catch (e) {
      expect((e as { code?: string }).code).to.equal('CONNECT_REFUSED');
    }
  });

  it('refuses a body larger than the limit with 413', async () => {
    const small = new IndicationListener({ maxBodyBytes: 100 });
    const u = await small.start();
    try {
      const r = await request(u, { method: 'POST', headers: GOOD_HEADERS, body: EXPORT_BODY });
      expect(r.statusCode).to.equal(413);
      await r.body.dump();
    } finally {
      await small.close();
    }
  });

  it('accepts the ExportIndication requests pywbem sends (functiontest bodies)', async () => {
    const cases = parse(readFileSync(join(FIXTURES, 'cim', 'pywbem', 'functiontest', 'exportindication.yaml'), 'utf8')) as { name: string; http_request: { headers: Record<string, string>; data: string } }[];
    const sent: string[] = [];
    for (const c of cases.filter((x) => x.name === 'ExportIndication1' || x.name === 'ExportIndication2')) {
      const r = await post(c.http_request.data, { 'content-type': 'application/xml; charset=utf-8', ...Object.fromEntries(Object.entries(c.http_request.headers).map(([k, v]) => [k.toLowerCase(), v])) });
      expect(r.status, r.text).to.equal(200);
      sent.push(c.name);
    }
    await listener.close();
    expect(sent).to.have.length(2);
    expect(got.map((i) => i.className)).to.deep.equal(['PyWBEM_Indication', 'PyWBEM_IndicationAllTypes']);
    expect(got[1]!.properties.size).to.be.greaterThan(10);
  });

  it('tvdc-cim listen prints each indication as a JSON line and stops after --count', async () => {
    let out = '';
    let err = '';
    let announced!: (u: string) => void;
    const where = new Promise<string>((r) => { announced = r; });
    const done = runTvdcCim(['listen', '--port', '0', '--host', '127.0.0.1', '--count', '2', '--json'], {
      out: (s) => { out += s; },
      err: (s) => {
        err += s;
        const m = /listening on (\S+)/.exec(err);
        if (m) announced(m[1]!);
      },
    });
    const u = await where;
    await sendIndication(u, indication(5, 'c'));
    await sendIndication(u, indication(6, 'c'));
    expect(await done).to.equal(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { indication: { className: string; properties: Record<string, unknown> } });
    expect(lines.map((l) => l.indication.properties.Message)).to.deep.equal(['denied #5', 'denied #6']);
    expect(lines[0]!.indication.properties.SequenceNumber).to.equal('5');
  });
});
