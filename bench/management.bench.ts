// Management server figures, against real host agents: authenticated GET /api/groups per second
// at 32 keep-alive connections, GET /api/groups/:group for a TVDc of 4 hosts with 10 VMs each (read
// live over CIM), a policy deploy (an update) to those 4 hosts, one VM label assignment, and, with
// swtpm installed, attestation of 8 running VMs with vTPMs (first with enrolment, then again);
// a VM migrated between the TVDc's hosts, and a distribution-sized runtime policy imported.
// The management server runs in a child process (this file with --serve) so its RSS is its own
// and the load generator does not share its event loop; the host agents run in this process,
// built as tvdc-host builds one (client/host/HostAgent.ts).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestRate } from './requestRate.js';
import { median, rssKb, serveChild } from './serveChild.js';
import { ApiClient } from '../client/cli/ApiClient.js';
import { WbemConnection } from '../client/cim/index.js';
import { HostAgent } from '../client/host/HostAgent.js';
import { vmPath } from '../client/server/HostCim.js';
import { CimInstance } from '../src/cim/CimInstance.js';
import { runtimePolicyOf } from '../src/tvdc/integrity/RuntimePolicy.js';
import { CimObjectPath } from '../src/cim/CimObjectPath.js';
import { CimProperty } from '../src/cim/CimProperty.js';
import { findSwtpmProcesses, killAndWait, swtpmInstalled } from '../src/tvdc/vtpm/SwtpmProcess.js';
import { PROJECT_ROOT } from './projectRoot.js';

const CONNECTIONS = 32;
const HOSTS = 4;
const VMS_PER_HOST = 10;
const ATTEST_VMS = 8;
const PW = 'bench-password';
const PAPER_POLICY = join(PROJECT_ROOT, 'fixtures/policies/paper-ma-su.xml');

// ------------------------------------------------------------------------------------------
// Child: the management server, every module, over a SQLite file.

async function serve(dir: string): Promise<void> {
  const { ManagementServer, serverModules } = await import('../client/server/ManagementServer.js');
  const server = ManagementServer.open({ db: join(dir, 'server.db'), modules: serverModules(), log: () => undefined });
  await server.users.add('dc', 'dcadmin', PW);
  const { http } = await server.listen({ port: 0 });
  // Stopped as tvdc server stops: listeners closed, background work ended, database closed.
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ url: http })}\n`);
}

// ------------------------------------------------------------------------------------------
// Parent: host agents and the load.

interface Host {
  name: string;
  origin: string;
  state: string;
  cim: WbemConnection;
  stop(): Promise<void>;
}

async function startHost(name: string, vtpm: 'swtpm' | 'off'): Promise<Host> {
  const state = mkdtempSync(join(tmpdir(), `tvdc-bench-${name}-`));
  const { agent, urls } = await HostAgent.start({ name, stateDir: state, vtpm, log: () => undefined }, { port: 0, host: '127.0.0.1' });
  const cim = new WbemConnection(urls.http!, { namespace: 'root/tvdc' });
  return {
    name, origin: urls.http!, state, cim,
    stop: async () => {
      await cim.close();
      await agent.stop();
      // Stopping the providers stops the vTPMs; anything left under the state would be a leak.
      for (const p of findSwtpmProcesses(state)) await killAndWait(p.pid);
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** DefineSystem on the host, as the paper's VMs exist before the TVDc administrator labels them. */
async function defineVm(h: Host, vm: string, label?: string): Promise<void> {
  const settings = new CimInstance('TVDc_VirtualSystemSettingData');
  settings.properties.set('ElementName', new CimProperty('ElementName', 'string', vm));
  if (label) settings.properties.set('SecurityLabel', new CimProperty('SecurityLabel', 'string', label));
  const service = CimObjectPath.instance('TVDc_VirtualSystemManagementService',
    { SystemCreationClassName: 'TVDc_HostSystem', SystemName: h.name, CreationClassName: 'TVDc_VirtualSystemManagementService', Name: 'VirtualSystemManagementService' }, 'root/tvdc');
  const r = await h.cim.invokeMethod(service, 'DefineSystem', { SystemSettings: settings });
  if (Number(r.returnValue) !== 0) throw new Error(`DefineSystem ${vm} on ${h.name}: ${String(r.returnValue)}`);
}

async function startVm(h: Host, vm: string): Promise<void> {
  const r = await h.cim.invokeMethod(vmPath(vm), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } });
  if (Number(r.returnValue) !== 0) throw new Error(`start ${vm}: ${String(r.returnValue)} ${String(r.outParams.get('Reason')?.value ?? '')}`);
}

/** Authenticated GETs of `path` at 32 keep-alive connections for `seconds`: requests per second. */
function rate(url: string, path: string, seconds: number): Promise<number> {
  const headers = { authorization: 'Basic ' + Buffer.from(`dc:${PW}`).toString('base64'), accept: 'application/json' };
  return requestRate(url, CONNECTIONS, seconds, () => ({ path, method: 'GET', headers }));
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

type Deployed = { ok: boolean; results: { host: string; state: string; message: string }[] };
type Attested = { results: { vm?: string | null; status: string }[] };

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(process.argv[3]!);
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-bench-mgmt-'));
  const { child, ready } = serveChild<{ url: string }>(fileURLToPath(import.meta.url), dir, 'management server');
  const hosts: Host[] = [];
  let dc: ApiClient | undefined;
  try {
    const { url } = await ready;
    dc = new ApiClient(url, 'dc', PW);

    // A TVDc of 4 hosts with 10 VMs each, the paper's policy deployed.
    for (let i = 1; i <= HOSTS; i++) hosts.push(await startHost(`h${i}`, 'off'));
    const vms: { host: Host; vm: string }[] = [];
    for (const h of hosts) {
      for (let j = 1; j <= VMS_PER_HOST; j++) {
        const vm = `${h.name}-vm${j}`;
        await defineVm(h, vm);
        vms.push({ host: h, vm });
      }
    }
    for (const h of hosts) await dc.post('/api/hosts', { url: h.origin });
    await dc.post('/api/groups', { name: 'finance' });
    await dc.post('/api/groups/finance/hosts', { hosts: hosts.map((h) => h.name) });
    await dc.put('/api/groups/finance/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
    const first = await dc.post<Deployed>('/api/groups/finance/policy/deploy');
    if (!first.ok) throw new Error(`first deploy: ${JSON.stringify(first.results)}`);

    // The list every administrator's console and CLI start from. It reads the server's database
    // only, never a host. The credential's scrypt is paid once: the server caches verified
    // credentials, so a keep-alive client is not charged it per request (the warm-up round pays
    // it, up to once per connection while the cache is still empty).
    await rate(url, '/api/groups', 1);
    const rates: number[] = [];
    for (let round = 0; round < 5; round++) rates.push(await rate(url, '/api/groups', 1));
    console.log(`management.api_get_groups_32conn: ${median(rates).toFixed(0)} req/s`);

    // Label assignment: the server asks every host of the TVDc over CIM which one has the VM (a
    // name on two hosts is refused), then relabels it there (the VMs are stopped, so the host
    // accepts). Each of the 40 VMs once as warm-up, then each again with the other label, timed
    // one at a time.
    const labelOf = (i: number, round: number): string => ((i + round) % 2 === 0 ? 'MarketAnalysis' : 'SecurityUnderwriting');
    for (const [i, v] of vms.entries()) await dc.put(`/api/groups/finance/vms/${v.vm}/label`, { label: labelOf(i, 0) });
    const assigns: number[] = [];
    for (const [i, v] of vms.entries()) assigns.push(await timed(() => dc!.put(`/api/groups/finance/vms/${v.vm}/label`, { label: labelOf(i, 1) })));

    // GET /api/groups/:group reads every host of the TVDc live over CIM (policy, deployment and
    // drift, VMs with label and state, disks, segments).
    for (let k = 0; k < 3; k++) await dc.get('/api/groups/finance');
    const shows: number[] = [];
    for (let k = 0; k < 9; k++) shows.push(await timed(() => dc!.get('/api/groups/finance')));
    console.log(`management.group_show_4_hosts: ${median(shows).toFixed(1)} ms`);

    // Deploys: each one an update of what the hosts run (the policy edited first: a new label
    // makes the next minor version), with 40 labeled VMs for each host to check against it.
    const deploys: number[] = [];
    for (let k = 0; k < 7; k++) {
      await dc.post('/api/groups/finance/labels', { name: `Extra${k}`, types: ['MA'] });
      const ms = await timed(async () => {
        const r = await dc!.post<Deployed>('/api/groups/finance/policy/deploy');
        if (!r.ok || r.results.some((x) => x.state !== 'deployed')) throw new Error(`deploy: ${JSON.stringify(r.results)}`);
      });
      if (k >= 2) deploys.push(ms); // the first two warm the code paths up
    }
    console.log(`management.policy_deploy_4_hosts: ${median(deploys).toFixed(1)} ms`);
    console.log(`management.label_assign: ${median(assigns).toFixed(1)} ms`);

    // A VM moved around the TVDc's hosts through the server: each migration is the source host's
    // DSP1081 job (hand the VM out, AcceptMigration at the destination under its policy), which
    // the server waits for; the first move is a warm-up.
    await dc.post('/api/groups/finance/vms/h1-vm1/start', {});
    const moves: number[] = [];
    for (let k = 0; k < 9; k++) {
      const to = hosts[(k + 1) % HOSTS]!.name;
      const ms = await timed(async () => {
        const r = await dc!.post<{ to: string; state: string }>('/api/groups/finance/vms/h1-vm1/migrate', { to });
        if (r.state !== 'running') throw new Error(`migration to ${to}: ${JSON.stringify(r)}`);
      });
      if (k > 0) moves.push(ms);
    }
    console.log(`management.vm_migrate: ${median(moves).toFixed(1)} ms`);


    // Attestation: one host with 8 running VMs with vTPMs.
    if (!swtpmInstalled()) {
      console.log('management.attest: skipped: swtpm is not installed (the VMs\' vTPMs need it)');
    } else {
      const h = await startHost('int1', 'swtpm');
      hosts.push(h);
      await dc.post('/api/hosts', { url: h.origin });
      await dc.post('/api/groups', { name: 'integrity' });
      await dc.post('/api/groups/integrity/hosts', { hosts: [h.name] });
      await dc.put('/api/groups/integrity/policy', { xml: readFileSync(PAPER_POLICY, 'utf8'), file: 'paper-ma-su.xml' });
      const d = await dc.post<Deployed>('/api/groups/integrity/policy/deploy');
      if (!d.ok) throw new Error(`integrity deploy: ${JSON.stringify(d.results)}`);
      const names = Array.from({ length: ATTEST_VMS }, (_, i) => `web${i + 1}`);
      for (const vm of names) {
        await defineVm(h, vm, 'MarketAnalysis');
        await startVm(h, vm);
      }
      await dc.put(`/api/attest/trust/${h.name}`, {
        vtpmCa: readFileSync(join(h.state, 'vtpm', 'ca', 'virtual-ca-cert.pem'), 'utf8'),
        platformCa: readFileSync(join(h.state, 'host-tpm', 'vtpm', 'ca', 'platform-ca-cert.pem'), 'utf8'),
      });
      await dc.post('/api/refdb/import', { policy: runtimePolicyOf(names.map((vm) => join(h.state, 'vm-images', vm)), { excludes: ['/proc/.*'] }), source: 'vm-images' });
      // The 8 VMs attested at once, each its own request, as an operator's script or the CLI
      // would; the answer must be trusted for every one or the figure means nothing.
      const attestAll = async (): Promise<void> => {
        const rs = await Promise.all(names.map((vm) => dc!.post<Attested>('/api/attest/run', { target: h.name, vm })));
        const all = rs.flatMap((r) => r.results);
        const bad = all.filter((r) => r.status !== 'trusted');
        if (bad.length || all.length !== ATTEST_VMS) throw new Error(`attestation not trusted: ${JSON.stringify(bad)}`);
      };
      const firstMs = await timed(attestAll);
      console.log(`management.attest_first_8_vms: ${firstMs.toFixed(1)} ms`);
      const again: number[] = [];
      for (let k = 0; k < 5; k++) again.push(await timed(attestAll));
      const againMs = median(again);
      console.log(`management.attest_again_8_vms: ${againMs.toFixed(1)} ms`);
      console.log(`management.attestations_per_s: ${(ATTEST_VMS / (againMs / 1000)).toFixed(1)} /s`);
    }
    console.log(`management.rss_server: ${(rssKb(child.pid!) / 1024).toFixed(0)} MiB`);

    // A whole distribution's runtime policy (100,000 files, about 10 MB of JSON) imported as one
    // source, then the same policy again (nothing changes; the re-import finds that out).
    const digests: Record<string, string[]> = {};
    for (let i = 0; i < 100_000; i++) digests[`/usr/lib/pkg-${Math.floor(i / 50)}/file-${i}`] = [createHash('sha256').update(String(i)).digest('hex')];
    const distribution = JSON.stringify({ meta: { version: 1 }, digests, excludes: [] });
    const importMs = await timed(() => dc!.post('/api/refdb/import', { policy: distribution, source: 'distribution' }));
    const againImportMs = await timed(() => dc!.post('/api/refdb/import', { policy: distribution, source: 'distribution' }));
    console.log(`management.refdb_import_100k: ${importMs.toFixed(0)} ms (again, unchanged: ${againImportMs.toFixed(0)} ms; ${(distribution.length / 1048576).toFixed(1)} MB)`);
    console.log(`management.rss_server_after_import: ${(rssKb(child.pid!) / 1024).toFixed(0)} MiB`);
  } finally {
    await dc?.close();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const h of hosts) await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
