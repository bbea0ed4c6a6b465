// A test-only host agent for the end-to-end crash test: a real WbemServer (CIM-XML over HTTP on
// 127.0.0.1) with the DMTF interop classes, a TVDc_ComputerSystem class, the repository provider
// and the indication service, all on one SQLite file. Prints "listening <url>" when ready.
//   node --import tsx serverHost.ts DBFILE [PORT]
import { openStore } from '../../../src/store/Store.js';
import { CimRepository } from '../../../src/cim/CimRepository.js';
import { compileMof } from '../../../src/mof/index.js';
import { WbemServer } from '../../../src/wbem/WbemServer.js';
import { attachIndications } from '../../../src/wbem/indications/index.js';

const [dbFile, port] = process.argv.slice(2);
if (!dbFile) throw new Error('usage: serverHost.ts DBFILE [PORT]');
const fixture = new URL('../../../../shared/fixtures/cim/dmtf/dmtf-cim241-interop-min.mof', import.meta.url).pathname;
const repository = new CimRepository();
for (const ns of ['root/interop', 'root/tvdc']) compileMof({ files: [fixture], repository, defaultNamespace: ns });
compileMof({
  sources: [{ name: 'tvdc-test.mof', text: 'class TVDc_ComputerSystem : CIM_ComputerSystem { [Key, Override("Name")] string Name; };' }],
  repository, defaultNamespace: 'root/tvdc',
});
const store = openStore(dbFile);
const server = new WbemServer({ repository, store, name: 'crashhost', log: () => {} });
attachIndications(server, { retryAttempts: 1000, retryIntervalMs: 20, maxRetryIntervalMs: 200, onError: () => {} });
const { http } = await server.listen({ port: Number(port ?? 0) });
process.stdout.write(`listening ${http}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => {
    store.close();
    process.exit(0);
  });
});
