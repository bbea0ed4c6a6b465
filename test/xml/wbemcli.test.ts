// The encoder's output against a real peer: a small HTTP stub answers wbemcli (sblim-wbemcli)
// with responses written by encodeMessage, after decoding wbemcli's own requests; wbemcli must
// parse and print them. This pins "explicit end tags" and KEYVALUE TYPE where it matters.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { CimClass } from '../../src/cim/CimClass.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimMethod } from '../../src/cim/CimMethod.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimQualifier } from '../../src/cim/CimQualifier.js';
import { decodeMessage, encodeMessage, type CimXmlMessage, type IMethodResponse, type MethodResponse } from '../../src/xml/index.js';
import { instance, instancePath } from './support/build.js';
import { dtdInvalid, DtdBatch } from './support/xmllint.js';

const run = promisify(execFile);
const batch = new DtdBatch();

const widgetPath = instancePath('TVD_Widget', [{ name: 'CreationClassName', type: 'string', value: 'TVD_Widget' }, { name: 'Id', type: 'uint32', value: 7 }]);
const widget = instance('TVD_Widget', [
  ['CreationClassName', 'string', 'TVD_Widget'], ['Id', 'uint32', 7], ['Label', 'string', 'red & <blue> "x"'], ['Enabled', 'boolean', true],
  ['Big', 'uint64', 18446744073709551615n], ['Neg', 'sint64', -9223372036854775808n], ['When', 'datetime', CimDateTime.parse('20261129071600.000000+000')],
  ['Tags', 'string', ['x', 'y']], ['Empty', 'string', null],
], widgetPath);

function widgetClass(): CimClass {
  const cls = new CimClass('TVD_Widget', 'CIM_ManagedElement');
  cls.qualifiers.set('Description', new CimQualifier('Description', 'string', 'A widget'));
  const key = new CimProperty('Id', 'uint32');
  key.qualifiers.set('Key', new CimQualifier('Key', 'boolean', true));
  cls.properties.set('Id', key);
  cls.properties.set('Label', new CimProperty('Label', 'string'));
  cls.properties.set('Tags', new CimProperty('Tags', 'string', null, true));
  const m = new CimMethod('Reset', 'uint32');
  m.parameters.set('Force', new CimParameter('Force', 'boolean'));
  cls.methods.set('Reset', m);
  return cls;
}

/** The stub's answer to each operation, all written by the encoder. */
function answer(req: CimXmlMessage): CimXmlMessage {
  if (req.kind !== 'SIMPLEREQ') throw new Error(`unexpected ${req.kind}`);
  const c = req.call;
  let response: IMethodResponse | MethodResponse;
  if (c.kind === 'METHODCALL') {
    response = { kind: 'METHODRESPONSE', name: c.name, returnValue: { type: 'uint32', value: { kind: 'VALUE', text: '0' } }, params: [] };
  } else {
    const r = (returnValue: IMethodResponse['returnValue']): IMethodResponse => ({ kind: 'IMETHODRESPONSE', name: c.name, returnValue, params: [] });
    switch (c.name) {
      case 'EnumerateInstances': response = r([{ kind: 'VALUE.NAMEDINSTANCE', instance: widget }]); break;
      case 'EnumerateInstanceNames': response = r([{ kind: 'INSTANCENAME', path: widgetPath }]); break;
      case 'GetClass': response = r([{ kind: 'CLASS', cls: widgetClass() }]); break;
      case 'GetInstance':
        response = { kind: 'IMETHODRESPONSE', name: c.name, error: new CimError(CimStatus.CIM_ERR_NOT_FOUND, 'no such widget'), returnValue: null, params: [] };
        break;
      case 'DeleteInstance': response = r(null); break;
      default: throw new Error(`unexpected ${c.name}`);
    }
  }
  return { kind: 'SIMPLERSP', id: req.id, response };
}

describe('xml: wbemcli reads what the encoder writes', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const m = decodeMessage(Buffer.concat(chunks));
          if (m.kind === 'SIMPLEREQ') requests.push(m.call.name);
          const body = batch.add(`reply to ${req.headers.cimmethod}`, encodeMessage(answer(m)));
          res.writeHead(200, { 'Content-Type': 'application/xml; charset="utf-8"', CIMOperation: 'MethodResponse' });
          res.end(body);
        } catch (e) {
          res.writeHead(400, { CIMError: 'request-not-valid' });
          res.end(String(e));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://alice:secret@127.0.0.1:${(server.address() as AddressInfo).port}/root/cimv2`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const wbemcli = (...args: string[]) => run('wbemcli', args, { timeout: 15000 });

  it('ei: prints every property, escaped text and 64-bit extremes included', async () => {
    const { stdout } = await wbemcli('-nl', 'ei', `${base}:TVD_Widget`);
    expect(stdout).to.include('TVD_Widget.CreationClassName="TVD_Widget",Id=7');
    expect(stdout).to.include('-Label="red & <blue> "x""');
    expect(stdout).to.include('-Big=18446744073709551615');
    expect(stdout).to.include('-Neg=-9223372036854775808');
    expect(stdout).to.include('-When=20261129071600.000000+000');
    expect(stdout).to.include('-Tags="x","y"');
    expect(stdout).to.include('-Enabled=TRUE');
  });

  it('ein: prints the instance name from INSTANCENAME with typed KEYVALUEs', async () => {
    const { stdout } = await wbemcli('ein', `${base}:TVD_Widget`);
    expect(stdout.trim()).to.match(/TVD_Widget\.CreationClassName="TVD_Widget",Id=7$/);
  });

  it('gc: prints the class and its properties (wbemcli shows no methods)', async () => {
    const { stdout } = await wbemcli('-nl', 'gc', `${base}:TVD_Widget`);
    expect(stdout).to.include('/root/cimv2:TVD_Widget');
    expect(stdout).to.include('-Id=');
    expect(stdout).to.include('-Label=');
    expect(stdout).to.include('-Tags=');
  });

  it('gi: reports the ERROR response as CIM_ERR_NOT_FOUND', async () => {
    try {
      await wbemcli('gi', `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=7`);
      expect.fail('wbemcli should exit non-zero');
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string };
      expect(`${err.stderr}${err.stdout}`).to.match(/CIM_ERR_NOT_FOUND|no such widget|6/);
    }
  });

  it('cm: reads the METHODRESPONSE return value', async () => {
    const { stdout } = await wbemcli('cm', `${base}:TVD_Widget.CreationClassName="TVD_Widget",Id=7`, 'Reset.Force=true');
    expect(stdout).to.match(/0/);
    expect(requests).to.include('Reset');
  });

  it('the stub decoded every wbemcli request and every reply is DTD-valid', () => {
    expect(requests).to.include.members(['EnumerateInstances', 'EnumerateInstanceNames', 'GetClass', 'GetInstance']);
    expect(dtdInvalid(batch.docs)).to.deep.equal([]);
  });
});
