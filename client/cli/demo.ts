#!/usr/bin/env node
// `npm start`: the whole demo datacenter on loopback, in this one process: two host agents (h1,
// h2, each with its own state directory and, when swtpm is installed, a vTPM per VM) and the
// management server (its own SQLite file) with a Datacenter Administrator and a TVDc
// Administrator. The set-up follows the TVDc paper's use cases (sections 3.1 and 3.2) through the
// management server's API, the way the `tvdc` commands do; then the demo prints wbemcli commands
// (Figure 3's decisions, a policy update, the vTPMs) and tvdc commands (the TVDc as each
// administrator sees it, a refused label, attestation, a plan acting on an unknown program) with
// the real ports and passwords. Runs until Ctrl-C, then removes all its state.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimePolicyOf } from '../../src/tvdc/integrity/RuntimePolicy.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { WbemServerError } from '../../src/wbem/WbemServer.js';
import { swtpmInstalled } from '../../src/tvdc/vtpm/SwtpmProcess.js';
import { WbemConnection, type MethodResult } from '../cim/index.js';
import { HostAgent } from '../host/HostAgent.js';
import { diskPath, vmPath } from '../server/HostCim.js';
import { ManagementServer, ManagementServerError, serverModules } from '../server/ManagementServer.js';
import { openManagerKey } from '../server/ManagerKey.js';
import { ApiClient } from './ApiClient.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const POLICY = join(ROOT, 'fixtures', 'policies', 'paper-ma-su.xml');
const POLICY_UPDATE = join(ROOT, 'fixtures', 'policies', 'paper-ma-su-1.1.xml');
const GROUP = 'finance';
const DCADMIN = 'dcadmin';
const TVDCADMIN = 'alice';
/** The program the demo leaves in one VM's image after the reference database was filled. */
const UNKNOWN_PROGRAM = '/tmp/miner';
const UNKNOWN_VM = 'ma2';

/**
 * Where the VMs run and the labels they get. h1 holds Figure 3: the trusted management VM serving
 * both workloads, one VM of each, and the SU virtual block device; h2 runs one more VM of each
 * workload, so the TVDc spans two hosts.
 */
const HOSTS = [
  { name: 'h1', vms: [{ name: 'mgmt', label: 'SystemManagement' }, { name: 'ma', label: 'MarketAnalysis' }, { name: 'su', label: 'SecurityUnderwriting' }] },
  { name: 'h2', vms: [{ name: 'ma2', label: 'MarketAnalysis' }, { name: 'su2', label: 'SecurityUnderwriting' }] },
] as const;
/** The policy's bootstrap label: the management VM's, which only a dcadmin may assign. */
const BOOTSTRAP = 'SystemManagement';
const DISK = { host: 'h1', name: 'su-disk', label: 'SecurityUnderwriting' };

/** How the printed commands run the CLI: from the sources, so they work in any checkout after `npm ci`. */
const TVDC = 'node --import tsx client/cli/tvdc.ts';

function parsePort(argv: string[], option: string): number | undefined {
  const i = argv.indexOf(option);
  if (i < 0) return undefined;
  const v = argv[i + 1] ?? '';
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`${option} needs a port number 0-65535, not "${v}"`);
  return Number(v);
}

interface DemoHost {
  name: string;
  state: string;
  origin: string;
  stop(): Promise<void>;
}

/**
 * A host agent built as tvdc-host builds one, on 127.0.0.1, with --manager-key `managerKey`: it
 * takes the demo server's migration authorizations, as a datacenter's hosts take their server's.
 */
async function startHost(name: string, state: string, port: number | undefined, integrity: boolean, managerKey: string): Promise<DemoHost> {
  const agent = await HostAgent.open({ name, stateDir: state, vtpm: integrity ? 'swtpm' : 'off', managerKey });
  const stop = () => agent.stop();
  try {
    let origin: string;
    try {
      origin = (await agent.listen({ port: port ?? 5988, host: '127.0.0.1' })).http!;
    } catch (e) {
      // The usual port is taken (a tvdc-host already runs): any free one will do for a demo.
      if (port === undefined && e instanceof WbemServerError) origin = (await agent.listen({ port: 0, host: '127.0.0.1' })).http!;
      else throw e;
    }
    return { name, state, origin, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The management server with every module, following the hosts' violation reports on a port of its own. */
async function startServer(db: string, logFile: string, port: number | undefined): Promise<{ server: ManagementServer; url: string }> {
  const server = ManagementServer.open({
    db,
    modules: serverModules({ indications: { listenPort: 0 } }),
    // Its log (who changed what, refused attempts) would drown the demo's own output: a file to tail.
    log: (l) => appendFileSync(logFile, `${new Date().toISOString()} ${l}\n`),
  });
  try {
    try {
      return { server, url: (await server.listen({ port: port ?? 8080 })).http! };
    } catch (e) {
      if (port === undefined && e instanceof ManagementServerError && e.code === 'SERVER_LISTEN') return { server, url: (await server.listen({ port: 0 })).http! };
      throw e;
    }
  } catch (e) {
    await server.stop();
    throw e;
  }
}

function servicePathOf(host: string, cls: string): CimObjectPath {
  return CimObjectPath.instance(cls, { CreationClassName: cls, Name: cls.replace(/^TVDc_/, ''), SystemCreationClassName: 'TVDc_HostSystem', SystemName: host }, 'root/tvdc');
}

async function must(what: string, p: Promise<MethodResult>): Promise<void> {
  const r = await p;
  if (Number(r.returnValue) !== 0) throw new Error(`${what} returned ${String(r.returnValue)}: ${JSON.stringify([...r.outParams.values()].map((o) => o.value))}`);
}

/** What a host's own administrator does over CIM: define the VMs (unlabeled) and the disk. */
async function defineOnHost(host: DemoHost, vms: readonly { name: string }[]): Promise<void> {
  const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
  try {
    for (const vm of vms) {
      const props = new NameMap<CimProperty>();
      props.set('ElementName', new CimProperty('ElementName', 'string', vm.name));
      await must(`DefineSystem ${vm.name} on ${host.name}`, conn.invokeMethod(servicePathOf(host.name, 'TVDc_VirtualSystemManagementService'), 'DefineSystem', { SystemSettings: new CimInstance('TVDc_VirtualSystemSettingData', props) }));
    }
    if (host.name === DISK.host) {
      // The management VM exports a virtual block device, to be labeled for the SU workload.
      const disk = diskPath(host.name, DISK.name);
      const props = new NameMap<CimProperty>();
      for (const b of disk.keys!.values()) props.set(b.name, new CimProperty(b.name, 'string', b.value));
      await conn.createInstance(new CimInstance('TVDc_LogicalDisk', props, disk));
    }
  } finally {
    await conn.close();
  }
}

async function startVms(host: DemoHost, vms: readonly { name: string }[]): Promise<void> {
  const conn = new WbemConnection(host.origin, { namespace: 'root/tvdc' });
  try {
    for (const vm of vms) await must(`start ${vm.name} on ${host.name}`, conn.invokeMethod(vmPath(vm.name), 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } }));
  } finally {
    await conn.close();
  }
}

interface SetUpResult {
  refdbCount?: number;
}

/**
 * The paper's use cases through the management server. The server does not create VMs: they are
 * defined on the hosts over CIM. A host lets a VM be defined without a label (the label is checked
 * when it starts) but refuses to relabel a running VM, so the VMs are defined unlabeled and stay
 * stopped until the administrators labeled them through the server, and only then are started.
 */
async function setUp(server: ManagementServer, url: string, hosts: DemoHost[], passwords: Record<string, string>, integrity: boolean): Promise<SetUpResult> {
  // The first administrator is made on the database itself, as `tvdc users add --db` does.
  await server.users.add(DCADMIN, 'dcadmin', passwords[DCADMIN]!);
  const dc = new ApiClient(url, DCADMIN, passwords[DCADMIN]!);
  const alice = new ApiClient(url, TVDCADMIN, passwords[TVDCADMIN]!);
  try {
    // 1. Discover the management VMs (the hosts) and manage them.
    const found = await dc.post<{ results: { url: string; ok: boolean; name?: string; error?: { message: string } }[] }>('/api/hosts/discover', { urls: hosts.map((h) => h.origin) });
    for (const r of found.results) if (!r.ok) throw new Error(`discovery of ${r.url} failed: ${r.error?.message}`);
    for (const h of hosts) await dc.post('/api/hosts', { url: h.origin });
    // Violation reports from hosts added now, at once rather than at the next 30 s round.
    await dc.post('/api/violations/watch');
    // 2. Group them into a TVDc.
    await dc.post('/api/groups', { name: GROUP });
    await dc.post(`/api/groups/${GROUP}/hosts`, { hosts: hosts.map((h) => h.name) });
    // 3. Its labels and exclusion rules: the paper's policy. 4. Deploy it to the TVDc's hosts.
    await dc.put(`/api/groups/${GROUP}/policy`, { xml: readFileSync(POLICY, 'utf8'), file: relative(ROOT, POLICY) });
    const deployed = await dc.post<{ ok: boolean; results: { host: string; ok: boolean; message: string }[] }>(`/api/groups/${GROUP}/policy/deploy`);
    if (!deployed.ok) throw new Error(`deployment failed: ${deployed.results.map((r) => `${r.host}: ${r.message}`).join('; ')}`);
    // 5. Authorize the TVDc Administrator.
    await dc.post('/api/users', { name: TVDCADMIN, role: 'tvdcadmin', password: passwords[TVDCADMIN]! });
    await dc.put(`/api/users/${TVDCADMIN}/groups/${GROUP}`);

    // The VMs, defined on the hosts over CIM.
    for (const h of HOSTS) await defineOnHost(hosts.find((x) => x.name === h.name)!, h.vms);
    // 6. The labels: the bootstrap label by the dcadmin, the workloads' by the TVDc Administrator.
    for (const h of HOSTS)
      for (const vm of h.vms) await (vm.label === BOOTSTRAP ? dc : alice).put(`/api/groups/${GROUP}/vms/${vm.name}/label`, { label: vm.label });
    await alice.put(`/api/groups/${GROUP}/hosts/${DISK.host}/disks/${DISK.name}/label`, { label: DISK.label });
    for (const h of HOSTS) await startVms(hosts.find((x) => x.name === h.name)!, h.vms);

    if (!integrity) return {};
    // Integrity (section 3.2). The dcadmin registers each host's CAs: nothing is trusted on first use.
    for (const h of hosts) {
      await dc.put(`/api/attest/trust/${h.name}`, {
        vtpmCa: readFileSync(join(h.state, 'vtpm', 'ca', 'virtual-ca-cert.pem'), 'utf8'),
        platformCa: readFileSync(join(h.state, 'host-tpm', 'vtpm', 'ca', 'platform-ca-cert.pem'), 'utf8'),
      });
    }
    // 1. The reference measurements, from the VMs' images as they are now (clean).
    const images = hosts.flatMap((h) => HOSTS.find((x) => x.name === h.name)!.vms.map((vm) => join(h.state, 'vm-images', vm.name)));
    const imported = await dc.post<{ count: number }>('/api/refdb/import', { policy: runtimePolicyOf(images), source: 'demo-vm-images' });
    // 2-3. The TVDc Administrator's action plan: shut down any VM of her TVDc found untrusted or unknown.
    await alice.post(`/api/groups/${GROUP}/plans`, { on: ['untrusted', 'unknown'], action: 'shutdown' });
    // Something the reference database does not know, for the printed commands to run.
    const program = join(hosts.find((h) => h.name === 'h2')!.state, 'vm-images', UNKNOWN_VM, UNKNOWN_PROGRAM);
    mkdirSync(dirname(program), { recursive: true });
    writeFileSync(program, '#!/bin/sh\n# not from the image the reference database was made from\n', { mode: 0o755 });
    return { refdbCount: imported.count };
  } finally {
    await dc.close();
    await alice.close();
  }
}

/** The object path, as wbemcli writes it, of host `host`'s service of class `cls`. */
function service(host: string, cls: string): string {
  return `${cls}.CreationClassName="${cls}",Name="${cls.replace(/^TVDc_/, '')}",SystemCreationClassName="TVDc_HostSystem",SystemName="${host}"`;
}

function vmRef(n: string): string {
  return `TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="${n}"`;
}

/** The wbemcli commands on h1: Figure 3 and a policy update. */
function isolationCommands(u: (path: string) => string): string[] {
  const ss = service('h1', 'TVDc_SecurityService');
  const disk = `TVDc_LogicalDisk.SystemCreationClassName="TVDc_HostSystem",SystemName="${DISK.host}",CreationClassName="TVDc_LogicalDisk",DeviceID="${DISK.name}"`;
  const check = (s: string, o: string) => `wbemcli cm ${u(ss)} 'CheckAccess.Subject=${s},Object=${o}'`;
  // wbemcli copies a string parameter into the request as it is: escape it, commas included.
  const escaped = (file: string) => `"SetPolicy.PolicyXML=\\"$(sed -e 's/&/\\&amp;/g; s/</\\&lt;/g; s/>/\\&gt;/g; s/"/\\&quot;/g; s/,/\\&#44;/g' ${relative(ROOT, file)} | tr '\\n' ' ')\\""`;
  return [
    '# The VMs of h1, their states (EnabledState 2 = running) and the labels:',
    `wbemcli ei ${u('TVDc_ComputerSystem')}`,
    `wbemcli ei ${u('TVDc_SecurityLabel')}`,
    `wbemcli ai -ac TVDc_ElementSecurityLabel ${u(vmRef('ma'))}`,
    '',
    '# Figure 3 case 1: management VM {SystemManagement, MA, SU} and the MA VM share MA -> Permitted TRUE',
    check(vmRef('mgmt'), vmRef('ma')),
    '# Figure 3 case 2: management VM and the SU VM share SU -> Permitted TRUE',
    check(vmRef('mgmt'), vmRef('su')),
    '# Figure 3 case 3: the MA VM and the SU VM share no type -> Permitted FALSE',
    check(vmRef('ma'), vmRef('su')),
    '# Figure 3 case 4: the SU VM may use the SU virtual block device -> Permitted TRUE',
    check(vmRef('su'), disk),
    '# Figure 3 case 5: the MA VM may not use the SU virtual block device -> Permitted FALSE',
    check(vmRef('ma'), disk),
    '',
    '# Policy update 1.1 adds the conflict set {MA, SU}: refused while both run (SetPolicy 2, Errors lists the conflicts)',
    `wbemcli cm ${u(ss)} ${escaped(POLICY_UPDATE)}`,
    '# Stop the SU VM, update again (0), then try to start the SU VM beside the MA VM (4, Reason names MA-SU)',
    `wbemcli cm ${u(vmRef('su'))} RequestStateChange.RequestedState=3`,
    `wbemcli cm ${u(ss)} ${escaped(POLICY_UPDATE)}`,
    `wbemcli cm ${u(vmRef('su'))} RequestStateChange.RequestedState=2`,
  ];
}

/** The integrity commands on the hosts: the VMs' vTPMs, a program measured into one, a quote of it. */
function vtpmCommands(u: (path: string) => string): string[] {
  // The nonce is made fresh each time the command runs: a challenger never reuses one.
  const nonce = '$(head -c 20 /dev/urandom | od -An -tx1 | tr -d " \\n")';
  const target = vmRef('ma').replace(/"/g, '\\"');
  return [
    '# Integrity: each running VM has its own vTPM, a swtpm process the host agent manages',
    `wbemcli ei ${u('TVDc_VTPM')}`,
    '# The MA VM runs /bin/sh: the host measures it into PCR 10 of the VM\'s vTPM and logs it (LogIndex)',
    `wbemcli cm ${u(service('h1', 'TVDc_VTPMManagementService'))} 'ExecuteFile.Path="/bin/sh",System=${vmRef('ma')}'`,
    '# A quote of PCRs 0 and 10 over a fresh nonce, signed by the vTPM, with the measurement log to replay (docs/integrity.md)',
    `wbemcli cm ${u(service('h1', 'TVDc_AttestationService'))} "GetQuote.Nonce=\\"${nonce}\\",PCRSelection=0,10,FromIndex=0,Target=${target}"`,
  ];
}

interface Printed {
  h1: string;
  h2: string;
  server: string;
  passwords: Record<string, string>;
  integrity: boolean;
}

/** Every command, one per line after a `#` line saying what it shows; `export` lines set what the tvdc commands after them need. */
function commands(p: Printed): string {
  const on = (origin: string) => (path: string, ns = 'root/tvdc') => `'${origin}/${ns}:${path}'`;
  const h1 = on(p.h1);
  const h2 = on(p.h2);
  const as = (user: string) => `export TVDC_USER=${user} TVDC_PASSWORD=${p.passwords[user]!}`;
  const integrity = !p.integrity ? [] : [
    '',
    ...vtpmCommands(h1),
    '',
    '# --- Integrity through the management server (section 3.2), still as the TVDc Administrator ---',
    as(TVDCADMIN),
    '# Attest the TVDc: both hosts and every running VM, each with a fresh nonce -> every STATUS trusted',
    `${TVDC} attest run ${GROUP}`,
    `# ${UNKNOWN_VM} on h2 runs ${UNKNOWN_PROGRAM}, which the demo put into its image after the reference database was made (ReturnValue 0)`,
    `wbemcli cm ${h2(service('h2', 'TVDc_VTPMManagementService'))} 'ExecuteFile.Path="${UNKNOWN_PROGRAM}",System=${vmRef(UNKNOWN_VM)}'`,
    `# Attest ${UNKNOWN_VM} -> STATUS unknown, and ${TVDCADMIN}'s plan shuts it down (ACTIONS: shutdown done)`,
    `${TVDC} attest run ${GROUP} --vm ${UNKNOWN_VM}`,
    `# ${UNKNOWN_VM} is stopped now (EnabledState 3)`,
    `wbemcli gi ${h2(vmRef(UNKNOWN_VM))}`,
    '# What happened: the attestations, the unknown finding and the shutdown',
    `${TVDC} events list`,
    `# The TVDc's action plan, which ${TVDCADMIN} set`,
    `${TVDC} plans list`,
  ];
  return [
    `# --- On host h1, over CIM (wbemcli is in the Debian package sblim-wbemcli) ---`,
    ...isolationCommands(h1),
    '',
    '# --- Through the management server, with the tvdc CLI ---',
    `export TVDC_SERVER=${p.server}`,
    `# As the TVDc Administrator ${TVDCADMIN}:`,
    as(TVDCADMIN),
    `# Her TVDc: both hosts, the policy deployed on each, every VM with its label and state, the labeled disk`,
    `${TVDC} groups show ${GROUP}`,
    '# The labels the Datacenter Administrator made, which she may assign',
    `${TVDC} labels list ${GROUP}`,
    '# She may not create labels -> exit 1, "tvdc: FORBIDDEN: ..."',
    `${TVDC} labels add ${GROUP} Trading --types TR`,
    '# She may assign them, but the host has the last word: su2 runs, so it is not relabeled -> exit 1, HOST_REFUSED',
    `${TVDC} labels assign ${GROUP} su2 MarketAnalysis`,
    '# The host reports refused operations, e.g. the refused start of the SU VM above, to the server',
    `${TVDC} violations list`,
    '# Her VMs with host, state and label; `tvdc vms start|stop|migrate` act on them within her TVDc',
    `${TVDC} vms list ${GROUP}`,
    ...integrity,
    '',
    '# --- As the Datacenter Administrator ---',
    as(DCADMIN),
    `${TVDC} hosts list`,
    `${TVDC} users list`,
    `${TVDC} policy show ${GROUP}`,
    '# Who changed what through the server, and what was refused to whom (the audit trail)',
    `${TVDC} audit list --limit 20`,
    ...(p.integrity ? [`${TVDC} refdb list --limit 5`, `${TVDC} attest anchors`] : []),
    '',
    '# The TVDc profiles of h1, as a DMTF profile client finds them:',
    `wbemcli ei ${h1('CIM_RegisteredProfile', 'root/interop')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let port: number | undefined;
  let serverPort: number | undefined;
  try {
    port = parsePort(argv, '--port');
    serverPort = parsePort(argv, '--server-port');
  } catch (e) {
    process.stderr.write(`tvdc demo: ${(e as Error).message}\nusage: npm start [-- [--port N] [--server-port N]]\n`);
    process.exit(2);
  }
  const state = mkdtempSync(join(tmpdir(), 'tvdc-demo-'));
  // Without swtpm the demo shows isolation alone.
  const integrity = swtpmInstalled();
  const stoppers: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await ApiClient.closeAll();
    for (const s of stoppers.reverse()) {
      try {
        await s();
      } catch (e) {
        process.stderr.write(`tvdc demo: while stopping: ${(e as Error).message}\n`);
      }
    }
    rmSync(state, { recursive: true, force: true });
    if (code === 0) process.stdout.write('tvdc demo stopped\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    const logFile = join(state, 'server.log');
    const db = join(state, 'server.db');
    // The server's migration signing key, made before it starts (as `tvdc server manager-key --db`
    // does), so each host can be started with its public half.
    const managerKey = openManagerKey(db).publicPem;
    const hosts: DemoHost[] = [];
    for (const [i, h] of HOSTS.entries()) {
      const host = await startHost(h.name, join(state, h.name), i === 0 ? port : 0, integrity, managerKey);
      stoppers.push(host.stop);
      hosts.push(host);
    }
    const { server, url } = await startServer(db, logFile, serverPort);
    stoppers.push(() => server.stop());
    const passwords = { [DCADMIN]: randomBytes(9).toString('base64url'), [TVDCADMIN]: randomBytes(9).toString('base64url') };
    const done = await setUp(server, url, hosts, passwords, integrity);
    const [h1, h2] = hosts as [DemoHost, DemoHost];
    process.stdout.write(
      `tvdc demo: host agent "h1" listening on ${h1.origin} (state in ${state})\n` +
        `tvdc demo: host agent "h2" listening on ${h2.origin}\n` +
        `tvdc demo: management server listening on ${url} (database ${db}, log ${logFile})\n` +
        `tvdc demo: both hosts take the server's migration authorizations (--manager-key; its key in ${db}.manager-key, public half: tvdc server manager-key --db ${db})\n` +
        `tvdc demo: web console at ${url}/console/ (sign in as one of the users below)\n\n` +
        `Set up through the management server as in the TVDc paper (section 3.1):\n` +
        `  the Datacenter Administrator ${DCADMIN} discovered h1 and h2 and grouped them into the TVDc ${GROUP},\n` +
        `  set the paper's policy tvdc-paper 1.0 (fixtures/policies/paper-ma-su.xml), deployed it to both hosts\n` +
        `  and authorized the TVDc Administrator ${TVDCADMIN} for ${GROUP}.\n` +
        `  The VMs were defined on the hosts over CIM, unlabeled and stopped (the server does not create VMs,\n` +
        `  and a host relabels only stopped VMs); ${DCADMIN} labeled mgmt ${BOOTSTRAP} (the bootstrap label is his alone),\n` +
        `  ${TVDCADMIN} labeled ma, ma2 MarketAnalysis, su, su2 and h1's disk su-disk SecurityUnderwriting; then the VMs were started.\n` +
        `  h1 runs mgmt, ma, su (Figure 3); h2 runs ma2, su2.\n` +
        (integrity
          ? `Integrity (section 3.2): Each VM has a vTPM (swtpm). ${DCADMIN} registered each host's vTPM and platform CAs and\n` +
            `  filled the reference database from the VMs' clean images (${done.refdbCount} digests); ${TVDCADMIN} set the plan\n` +
            `  "shut down any VM of ${GROUP} found untrusted or unknown". Afterwards ${UNKNOWN_VM}'s image got ${UNKNOWN_PROGRAM}, unknown to the reference database.\n\n`
          : 'swtpm is not installed (Debian: swtpm swtpm-tools): the VMs run without vTPMs and the integrity commands are left out.\n\n') +
        `Users (random passwords):\n` +
        `  ${DCADMIN}  Datacenter Administrator  password ${passwords[DCADMIN]}\n` +
        `  ${TVDCADMIN}  TVDc Administrator of ${GROUP}  password ${passwords[TVDCADMIN]}\n\n` +
        `Try these from the project directory ${ROOT}:\n\n${commands({ h1: h1.origin, h2: h2.origin, server: url, passwords, integrity })}\n\n` +
        'Ready. Press Ctrl-C to stop.\n',
    );
  } catch (e) {
    process.stderr.write(`tvdc demo: ${e instanceof Error ? e.message : String(e)}\n`);
    await stop(1);
  }
}

void main();
