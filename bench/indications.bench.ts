// Indication figures: WQL parse and match rates, durable enqueue rate (emit with one matching
// subscription, each emit one committed SQLite transaction on a file), and end-to-end delivery
// rate to a local CIM-XML listener (one request in flight per destination, as ordering requires),
// and the whole path from CreateInstance at a WbemServer to the project's IndicationListener.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openStore } from '../src/store/Store.js';
import { IndicationService } from '../src/wbem/indications/index.js';
import { parseWql, matches } from '../src/wbem/wql/index.js';
import { CimInstance } from '../src/cim/CimInstance.js';
import { CimProperty } from '../src/cim/CimProperty.js';
import { CimRepository } from '../src/cim/CimRepository.js';
import { compileMof } from '../src/mof/index.js';
import { WbemServer } from '../src/wbem/WbemServer.js';
import { attachIndications } from '../src/wbem/indications/index.js';
import { WbemConnection } from '../client/cim/WbemConnection.js';
import { IndicationListener } from '../client/listener/IndicationListener.js';
import { subscribe } from '../client/listener/Subscriptions.js';
import { PROJECT_ROOT } from './projectRoot.js';

function inst(className: string, props: [string, CimProperty['type'], CimProperty['value']][]): CimInstance {
  const i = new CimInstance(className);
  for (const [n, t, v] of props) i.properties.set(n, new CimProperty(n, t, v));
  return i;
}

function rate(n: number, ms: number): string {
  return (n / (ms / 1000)).toFixed(0);
}

const query = "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA TVDc_ComputerSystem AND (SourceInstance.EnabledState = 2 OR SourceInstance.Name LIKE 'vm%')";
{
  const n = 50_000;
  let t = performance.now();
  for (let i = 0; i < n; i++) parseWql(query);
  console.log(`wql_parse: ${rate(n, performance.now() - t)} queries/s`);
  const q = parseWql(query);
  const ind = inst('CIM_InstModification', [['SourceInstance', 'string', inst('TVDc_ComputerSystem', [['Name', 'string', 'vm1'], ['EnabledState', 'uint16', 3]])]]);
  const m = 500_000;
  t = performance.now();
  let hits = 0;
  for (let i = 0; i < m; i++) if (matches(q, ind)) hits++;
  if (hits !== m) throw new Error('the bench query should match');
  console.log(`wql_match: ${rate(m, performance.now() - t)} evaluations/s`);
}

const dir = mkdtempSync(join(tmpdir(), 'tvdc-ind-bench-'));
let received = 0;
const listener = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received++;
    const id = /<MESSAGE\s+ID="([^"]*)"/.exec(Buffer.concat(chunks).toString())?.[1] ?? '0';
    res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', cimexport: 'MethodResponse' });
    res.end(`<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="${id}" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"><IRETURNVALUE></IRETURNVALUE></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>`);
  });
});
await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
const db = openStore(join(dir, 'bench.db'));
const svc = new IndicationService({ db, systemName: 'bench', deliver: false, onError: () => {} });
const f = svc.createFilter('root/interop', inst('CIM_IndicationFilter', [
  ['Name', 'string', 'b'], ['Query', 'string', 'SELECT * FROM CIM_InstCreation'], ['QueryLanguage', 'string', 'WQL'],
]));
const d = svc.createDestination('root/interop', inst('CIM_ListenerDestinationCIMXML', [['Name', 'string', 'b'], ['Destination', 'string', url]]));
const s = inst('CIM_IndicationSubscription', []);
s.properties.set('Filter', new CimProperty('Filter', 'reference', f));
s.properties.set('Handler', new CimProperty('Handler', 'reference', d));
svc.createSubscription('root/interop', s);

const n = 2000;
const vm = inst('TVDc_ComputerSystem', [['Name', 'string', 'vm1'], ['EnabledState', 'uint16', 2], ['ElementName', 'string', 'a virtual machine']]);
let t = performance.now();
for (let i = 0; i < n; i++) svc.emit('root/interop', inst('CIM_InstCreation', [['SourceInstance', 'string', vm]]));
console.log(`indication_enqueue_durable: ${rate(n, performance.now() - t)} indications/s`);
t = performance.now();
svc.startDelivery();
while (svc.queued() > 0) await new Promise((r) => setTimeout(r, 5));
console.log(`indication_delivery_one_destination: ${rate(n, performance.now() - t)} indications/s`);
if (received < n) throw new Error(`listener got ${received} of ${n}`);
await svc.close();
db.close();
listener.close();

// End to end: CreateInstance over CIM-XML at a WbemServer, the repository provider's
// CIM_InstCreation, a durable enqueue and delivery to the project's IndicationListener.
{
  const repository = new CimRepository();
  const fixture = join(PROJECT_ROOT, '../shared/fixtures/cim/dmtf/dmtf-cim241-interop-min.mof');
  for (const ns of ['root/interop', 'root/tvdc']) compileMof({ files: [fixture], repository, defaultNamespace: ns });
  compileMof({
    sources: [{ name: 'vm.mof', text: 'class TVDc_ComputerSystem : CIM_ComputerSystem { [Key, Override("Name")] string Name; };' }],
    repository, defaultNamespace: 'root/tvdc',
  });
  const store = openStore(join(dir, 'server.db'));
  const server = new WbemServer({ repository, store, name: 'bench', log: () => {} });
  attachIndications(server, { onError: () => {} });
  const { http } = await server.listen({ port: 0 });
  const indications = new IndicationListener();
  await indications.start();
  let got = 0;
  indications.onIndication(() => {
    got++;
  });
  await subscribe(new WbemConnection(http!, { namespace: 'root/interop' }), {
    name: 'bench', destination: indications.url, query: 'SELECT * FROM CIM_InstCreation WHERE SourceInstance ISA TVDc_ComputerSystem',
  });
  const conn = new WbemConnection(http!, { namespace: 'root/tvdc' });
  const m = 500;
  const start = performance.now();
  for (let i = 0; i < m; i++) {
    const vm = new CimInstance('TVDc_ComputerSystem');
    vm.properties.set('CreationClassName', new CimProperty('CreationClassName', 'string', 'TVDc_ComputerSystem'));
    vm.properties.set('Name', new CimProperty('Name', 'string', `vm${i}`));
    await conn.createInstance(vm);
  }
  while (got < m) await new Promise((r) => setTimeout(r, 5));
  console.log(`indication_end_to_end_via_server: ${rate(m, performance.now() - start)} indications/s`);
  await server.close();
  await indications.close();
  store.close();
}
rmSync(dir, { recursive: true, force: true });
