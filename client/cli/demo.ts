#!/usr/bin/env node
// `npm start`: a host agent on loopback with the TVDc paper's Market Analysis / Security
// Underwriting policy and the VMs of its Figure 3, set up through CIM like any client would, and
// the wbemcli commands (with the real port) that show Figure 3's decisions and, when swtpm is
// installed, the VMs' vTPMs, a measured program and a quote. Runs until Ctrl-C.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { NameMap } from '../../src/cim/NameMap.js';
import { compileMof, projectMofFiles } from '../../src/mof/index.js';
import { openStore } from '../../src/store/Store.js';
import { WbemServer, WbemServerError } from '../../src/wbem/WbemServer.js';
import { attachIndications } from '../../src/wbem/indications/index.js';
import { registerProviders } from '../../providers/index.js';
import { swtpmInstalled } from '../../src/tvdc/vtpm/SwtpmProcess.js';
import { WbemConnection } from '../cim/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = 'tvdc-demo';
const POLICY = join(ROOT, 'fixtures', 'policies', 'paper-ma-su.xml');
const POLICY_UPDATE = join(ROOT, 'fixtures', 'policies', 'paper-ma-su-1.1.xml');

/** The VMs of Figure 3: the trusted management VM serving both workloads, and one VM of each. */
const VMS = [
  { name: 'mgmt', label: 'SystemManagement' },
  { name: 'ma', label: 'MarketAnalysis' },
  { name: 'su', label: 'SecurityUnderwriting' },
];

function parsePort(argv: string[]): number | undefined {
  const i = argv.indexOf('--port');
  if (i < 0) return undefined;
  const v = argv[i + 1] ?? '';
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port needs a port number 0-65535, not "${v}"`);
  return Number(v);
}

async function listen(server: WbemServer, port: number | undefined): Promise<string> {
  try {
    return (await server.listen({ port: port ?? 5988, host: '127.0.0.1' })).http!;
  } catch (e) {
    // The usual port is taken (a tvdc-host already runs): any free one will do for a demo.
    if (port === undefined && e instanceof WbemServerError) return (await server.listen({ port: 0, host: '127.0.0.1' })).http!;
    throw e;
  }
}

function vssd(name: string, label: string): CimInstance {
  const props = new NameMap<CimProperty>();
  props.set('ElementName', new CimProperty('ElementName', 'string', name));
  props.set('SecurityLabel', new CimProperty('SecurityLabel', 'string', label));
  return new CimInstance('TVDc_VirtualSystemSettingData', props);
}

/** Sets the host up as a management client would: every step a CIM call that must return 0. */
async function setUp(origin: string): Promise<void> {
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc' });
  const servicePath = (cls: string) => CimObjectPath.instance(cls, { CreationClassName: cls, Name: cls.replace(/^TVDc_/, ''), SystemCreationClassName: 'TVDc_HostSystem', SystemName: HOST }, 'root/tvdc');
  const must = async (what: string, p: Promise<{ returnValue: unknown; outParams: NameMap<{ value: unknown }> }>) => {
    const r = await p;
    if (Number(r.returnValue) !== 0) throw new Error(`${what} returned ${String(r.returnValue)}: ${JSON.stringify([...r.outParams.values()].map((o) => o.value))}`);
  };
  try {
    await must('SetPolicy', conn.invokeMethod(servicePath('TVDc_SecurityService'), 'SetPolicy', { PolicyXML: readFileSync(POLICY, 'utf8') }));
    for (const vm of VMS) await must(`DefineSystem ${vm.name}`, conn.invokeMethod(servicePath('TVDc_VirtualSystemManagementService'), 'DefineSystem', { SystemSettings: vssd(vm.name, vm.label) }));
    // The management VM exports a virtual block device of the Security Underwriting workload.
    const disk = CimObjectPath.instance('TVDc_LogicalDisk', { SystemCreationClassName: 'TVDc_HostSystem', SystemName: HOST, CreationClassName: 'TVDc_LogicalDisk', DeviceID: 'su-disk' }, 'root/tvdc');
    const props = new NameMap<CimProperty>();
    for (const b of disk.keys!.values()) props.set(b.name, new CimProperty(b.name, 'string', b.value));
    await conn.createInstance(new CimInstance('TVDc_LogicalDisk', props, disk));
    await must('AssignLabel su-disk', conn.invokeMethod(servicePath('TVDc_SecurityService'), 'AssignLabel', { Element: disk, Label: 'SecurityUnderwriting' }));
    for (const vm of VMS) {
      const path = CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: vm.name }, 'root/tvdc');
      await must(`start ${vm.name}`, conn.invokeMethod(path, 'RequestStateChange', { RequestedState: { type: 'uint16', value: 2 } }));
    }
  } finally {
    await conn.close();
  }
}

/** The object path, as wbemcli writes it, of the host's service of class `cls` (setUp builds the same path as an object). */
function service(cls: string): string {
  return `${cls}.CreationClassName="${cls}",Name="${cls.replace(/^TVDc_/, '')}",SystemCreationClassName="TVDc_HostSystem",SystemName="${HOST}"`;
}

/** The integrity commands: the VMs' vTPMs, a program measured into one, a quote of it. */
function integrityCommands(u: (path: string) => string, vm: (n: string) => string): string[] {
  // The nonce is made fresh each time the command runs: a challenger never reuses one.
  const nonce = '$(head -c 20 /dev/urandom | od -An -tx1 | tr -d " \\n")';
  const target = vm('ma').replace(/"/g, '\\"');
  return [
    '# Integrity: each running VM has its own vTPM, a swtpm process the host agent manages',
    `wbemcli ei ${u('TVDc_VTPM')}`,
    '# The MA VM runs /bin/sh: the host measures it into PCR 10 of the VM\'s vTPM and logs it (LogIndex)',
    `wbemcli cm ${u(service('TVDc_VTPMManagementService'))} 'ExecuteFile.Path="/bin/sh",System=${vm('ma')}'`,
    '# A quote of PCRs 0 and 10 over a fresh nonce, signed by the vTPM, with the measurement log to replay (docs/integrity.md)',
    `wbemcli cm ${u(service('TVDc_AttestationService'))} "GetQuote.Nonce=\\"${nonce}\\",PCRSelection=0,10,FromIndex=0,Target=${target}"`,
  ];
}

/** The commands, one per line after a `#` line saying what it shows. */
function commands(origin: string, integrity: boolean): string {
  const u = (path: string, ns = 'root/tvdc') => `'${origin}/${ns}:${path}'`;
  const ss = service('TVDc_SecurityService');
  const vm = (n: string) => `TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="${n}"`;
  const disk = `TVDc_LogicalDisk.SystemCreationClassName="TVDc_HostSystem",SystemName="${HOST}",CreationClassName="TVDc_LogicalDisk",DeviceID="su-disk"`;
  const check = (s: string, o: string) => `wbemcli cm ${u(ss)} 'CheckAccess.Subject=${s},Object=${o}'`;
  // wbemcli copies a string parameter into the request as it is: escape it, commas included.
  const escaped = (file: string) => `"SetPolicy.PolicyXML=\\"$(sed -e 's/&/\\&amp;/g; s/</\\&lt;/g; s/>/\\&gt;/g; s/"/\\&quot;/g; s/,/\\&#44;/g' ${relative(process.cwd(), file) || file} | tr '\\n' ' ')\\""`;
  return [
    '# The VMs, their states (EnabledState 2 = running) and the labels:',
    `wbemcli ei ${u('TVDc_ComputerSystem')}`,
    `wbemcli ei ${u('TVDc_SecurityLabel')}`,
    `wbemcli ai -ac TVDc_ElementSecurityLabel ${u(vm('ma'))}`,
    '',
    '# Figure 3 case 1: management VM {SystemManagement, MA, SU} and the MA VM share MA -> Permitted TRUE',
    check(vm('mgmt'), vm('ma')),
    '# Figure 3 case 2: management VM and the SU VM share SU -> Permitted TRUE',
    check(vm('mgmt'), vm('su')),
    '# Figure 3 case 3: the MA VM and the SU VM share no type -> Permitted FALSE',
    check(vm('ma'), vm('su')),
    '# Figure 3 case 4: the SU VM may use the SU virtual block device -> Permitted TRUE',
    check(vm('su'), disk),
    '# Figure 3 case 5: the MA VM may not use the SU virtual block device -> Permitted FALSE',
    check(vm('ma'), disk),
    '',
    '# Policy update 1.1 adds the conflict set {MA, SU}: refused while both run (SetPolicy 2, Errors lists the conflicts)',
    `wbemcli cm ${u(ss)} ${escaped(POLICY_UPDATE)}`,
    '# Stop the SU VM, update again (0), then try to start the SU VM beside the MA VM (4, Reason names MA-SU)',
    `wbemcli cm ${u(vm('su'))} RequestStateChange.RequestedState=3`,
    `wbemcli cm ${u(ss)} ${escaped(POLICY_UPDATE)}`,
    `wbemcli cm ${u(vm('su'))} RequestStateChange.RequestedState=2`,
    '',
    ...(integrity ? [...integrityCommands(u, vm), ''] : []),
    '# The TVDc profiles, as a DMTF profile client finds them:',
    `wbemcli ei ${u('CIM_RegisteredProfile', 'root/interop')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const port = parsePort(process.argv.slice(2));
  const state = mkdtempSync(join(tmpdir(), 'tvdc-demo-'));
  const repository = new CimRepository();
  const compiled = compileMof({ files: projectMofFiles(), repository });
  if (compiled.errors.length) throw new Error(compiled.errors.map((e) => e.toString()).join('\n'));
  const store = openStore(join(state, 'host.db'));
  const server = new WbemServer({ repository, store, name: HOST });
  attachIndications(server);
  // Without swtpm the demo shows isolation alone.
  const integrity = swtpmInstalled();
  const release = await registerProviders(server, { name: HOST, stateDir: state, hypervisor: 'sim', vtpm: integrity ? 'swtpm' : 'off', store });
  let origin: string;
  try {
    origin = await listen(server, port);
  } catch (e) {
    await release();
    store.close();
    rmSync(state, { recursive: true, force: true });
    throw e;
  }
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.close();
    await release();
    store.close();
    rmSync(state, { recursive: true, force: true });
    process.stdout.write('tvdc demo stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await setUp(origin);
  process.stdout.write(
    `tvdc demo: host agent "${HOST}" listening on ${origin} (state in ${state})\n` +
      `policy tvdc-paper 1.0 (the TVDc paper's Market Analysis / Security Underwriting example) is active;\n` +
      `VMs mgmt (SystemManagement), ma (MarketAnalysis) and su (SecurityUnderwriting) run; disk su-disk is labeled SecurityUnderwriting.\n` +
      (integrity ? 'Each VM has a vTPM (swtpm).\n\n' : 'swtpm is not installed (Debian: swtpm swtpm-tools): the VMs run without vTPMs and the integrity commands are left out.\n\n') +
      `Try these (wbemcli is in the Debian package sblim-wbemcli):\n\n${commands(origin, integrity)}\n\n` +
      'Ready. Press Ctrl-C to stop.\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`tvdc demo: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
